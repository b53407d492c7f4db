package returns

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"openmash.org/mash"
)

// ManifestName is the manifest's file name in the output directory.
const ManifestName = "manifest.json"

// Manifest describes a written return: what each file holds, its rows and
// checksum, the code lists used, what could not be checked and what the
// hub does not cover.
type Manifest struct {
	Collection    string            `json:"collection"`     // e.g. "2025-26"
	ReportingYear int               `json:"reporting_year"` // e.g. 2026
	PeriodStart   string            `json:"period_start"`   // first day, England
	PeriodEnd     string            `json:"period_end"`     // last day, England
	GeneratedAt   time.Time         `json:"generated_at"`
	CodeLists     map[string]string `json:"code_lists"`
	Files         []ManifestFile    `json:"files"`
	UnknownCodes  []UnknownCode     `json:"unknown_codes"`
	NotCovered    []string          `json:"not_covered"`
}

// ManifestFile is one file of the return.
type ManifestFile struct {
	Name        string `json:"name"`
	Rows        int    `json:"rows"`
	Description string `json:"description"`
	Level       string `json:"level"` // record or aggregate
	// SmallNumbersSuppressed says whether counts of 1 to 4 are shown as [c].
	SmallNumbersSuppressed bool   `json:"small_numbers_suppressed"`
	SHA256                 string `json:"sha256"`
}

// CSV renders a file with its header, CRLF line ends as RFC 4180 has them.
func (f File) CSV() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	w.Write(f.Header)
	w.WriteAll(f.Rows) // a bytes.Buffer does not fail
	return b.Bytes()
}

// WriteDir writes the return's files and manifest into dir, which must not
// exist or be empty. Everything is written to a temporary directory beside
// it first and renamed into place, so a failure leaves nothing behind.
func WriteDir(dir string, r Return, generatedAt time.Time) (m Manifest, err error) {
	defer mash.Wrap(&err, "returns.WriteDir")
	existing, err := CheckDir(dir)
	if err != nil {
		return m, err
	}
	dir = filepath.Clean(dir)
	parent := filepath.Dir(dir)
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return m, invalidDir("cannot be created here")
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	from, to := r.Year.Period()
	m = Manifest{Collection: r.Year.Label(), ReportingYear: r.Year.End, PeriodStart: date(from),
		PeriodEnd: date(to.Add(-time.Second)), GeneratedAt: generatedAt.UTC(),
		CodeLists: map[string]string{
			r.Lists.ReferralSources.Name:   r.Lists.ReferralSources.Version,
			r.Lists.AssessmentFactors.Name: r.Lists.AssessmentFactors.Version,
			r.Lists.AbuseTypes.Name:        r.Lists.AbuseTypes.Version,
		},
		UnknownCodes: r.Unknown, NotCovered: r.NotCovered}
	if m.UnknownCodes == nil {
		m.UnknownCodes = []UnknownCode{}
	}
	for _, f := range r.Files {
		data := f.CSV()
		if err := os.WriteFile(filepath.Join(tmp, f.Name), data, 0o600); err != nil {
			return m, err
		}
		sum := sha256.Sum256(data)
		level := "aggregate"
		if f.RecordLevel {
			level = "record"
		}
		m.Files = append(m.Files, ManifestFile{Name: f.Name, Rows: len(f.Rows), Description: f.Description, Level: level,
			SmallNumbersSuppressed: f.SuppressedSmall, SHA256: hex.EncodeToString(sum[:])})
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	if err := os.WriteFile(filepath.Join(tmp, ManifestName), append(data, '\n'), 0o600); err != nil {
		return m, err
	}
	if existing {
		if err := os.Remove(dir); err != nil {
			return m, fmt.Errorf("replace the empty directory: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return m, err
	}
	return m, nil
}

// CheckDir checks that dir can take a return: it must not exist (its parent
// must) or be an empty directory. existing says whether it exists.
func CheckDir(dir string) (existing bool, err error) {
	if dir == "" {
		return false, invalidDir("is required")
	}
	dir = filepath.Clean(dir)
	switch st, err := os.Stat(dir); {
	case err == nil && !st.IsDir():
		return false, invalidDir("is a file, not a directory")
	case err == nil:
		ents, err := os.ReadDir(dir)
		if err != nil {
			return false, invalidDir("cannot be read")
		}
		if len(ents) > 0 {
			return false, invalidDir("is not empty: returns are written to a new or empty directory and never overwrite")
		}
		existing = true
	case !errors.Is(err, fs.ErrNotExist):
		return false, invalidDir("cannot be read")
	}
	if st, err := os.Stat(filepath.Dir(dir)); err != nil || !st.IsDir() {
		return false, invalidDir("its parent directory does not exist")
	}
	return existing, nil
}

func invalidDir(problem string) error {
	return &mash.Error{Kind: mash.KindInvalid, Msg: "the output directory is not usable", Fields: map[string]string{"out": problem}}
}
