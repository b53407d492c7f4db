package audit

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Origin is the first line of every checkpoint, and the name of the keys
// this package generates.
const Origin = "openmash.org/mash/audit"

// checkpointExt ends the name of every checkpoint file.
const checkpointExt = ".checkpoint"

// maxCheckpointBytes bounds what is read of a checkpoint file: a real one is
// a few hundred bytes.
const maxCheckpointBytes = 64 << 10

// Checkpoint is a signed statement of the tree's size and root hash.
type Checkpoint struct {
	Size int64
	Root tlog.Hash
	// File is the file it was read from or written to.
	File string
}

// formatCheckpoint is the checkpoint's note text (see the package comment).
func formatCheckpoint(size int64, root tlog.Hash) string {
	return fmt.Sprintf("%s\n%d\n%s\n", Origin, size, base64.StdEncoding.EncodeToString(root[:]))
}

// OpenCheckpoint checks that msg is a checkpoint note signed by v and parses
// it.
func OpenCheckpoint(msg []byte, v note.Verifier) (Checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		if _, ok := errors.AsType[*note.UnverifiedNoteError](err); ok {
			return Checkpoint{}, fmt.Errorf("not signed by key %s+%08x", v.Name(), v.KeyHash())
		}
		return Checkpoint{}, err
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) != 4 || lines[0] != Origin || lines[3] != "" {
		return Checkpoint{}, errors.New("malformed checkpoint text")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || lines[1] != strconv.FormatInt(size, 10) {
		return Checkpoint{}, fmt.Errorf("malformed tree size %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("malformed root hash %q", lines[2])
	}
	return Checkpoint{Size: size, Root: tlog.Hash(root)}, nil
}

// ReadCheckpoints reads every checkpoint file (*.checkpoint) in dir, ordered
// by tree size. A file that is not a well-formed checkpoint signed by v is an
// error, never skipped: it is either damage or forgery. A missing dir holds
// no checkpoints.
func ReadCheckpoints(dir string, v note.Verifier) ([]Checkpoint, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit: read checkpoints: %w", err)
	}
	var out []Checkpoint
	for _, ent := range entries {
		if !strings.HasSuffix(ent.Name(), checkpointExt) {
			continue
		}
		file := filepath.Join(dir, ent.Name())
		msg, err := readLimited(file, maxCheckpointBytes)
		if err != nil {
			return nil, fmt.Errorf("audit: checkpoint %s: %w", file, err)
		}
		cp, err := OpenCheckpoint(msg, v)
		if err != nil {
			return nil, fmt.Errorf("audit: checkpoint %s refused: %w", file, err)
		}
		cp.File = file
		out = append(out, cp)
	}
	slices.SortStableFunc(out, func(a, b Checkpoint) int { return cmp.Compare(a.Size, b.Size) })
	return out, nil
}

func readLimited(file string, limit int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(b)) > limit {
		err = fmt.Errorf("larger than %d bytes", limit)
	}
	return b, err
}

// WriteCheckpoint verifies the log against the checkpoints already in dir
// and, if the log is intact and has grown since the newest of them, signs and
// writes a new checkpoint there. It never signs a log that fails
// verification, and never overwrites a file. It returns the newest
// checkpoint, new or not, and whether it wrote it. It reads the whole log, so
// it takes as long as Verify; a hub can call it periodically.
func WriteCheckpoint(ctx context.Context, src Source, dir string, key *Key) (Checkpoint, bool, error) {
	cps, err := ReadCheckpoints(dir, key.Verifier)
	if err != nil {
		return Checkpoint{}, false, err
	}
	rep, err := Verify(ctx, src, cps)
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("audit: not signing a checkpoint: %w", err)
	}
	if n := len(cps); n > 0 && cps[n-1].Size == rep.TreeSize {
		return cps[n-1], false, nil
	}
	msg, err := note.Sign(&note.Note{Text: formatCheckpoint(rep.TreeSize, rep.Root)}, key.Signer)
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("audit: sign checkpoint: %w", err)
	}
	// Names sort by tree size, then time; the time keeps them unique.
	name := fmt.Sprintf("%020d-%s%s", rep.TreeSize, time.Now().UTC().Format("20060102T150405.000000000Z"), checkpointExt)
	if err := writeNew(dir, name, msg, 0o644); err != nil {
		return Checkpoint{}, false, fmt.Errorf("audit: write checkpoint: %w", err)
	}
	return Checkpoint{Size: rep.TreeSize, Root: rep.Root, File: filepath.Join(dir, name)}, true, nil
}

// writeNew writes a file that must not exist yet, all or nothing: the data
// goes to a temporary file that is synced and then hard-linked into place,
// which fails rather than replace an existing file.
func writeNew(dir, name string, data []byte, perm fs.FileMode) (err error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if e := tmp.Close(); err == nil {
		err = e
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Key is a checkpoint signing key and its verifier.
type Key struct {
	Signer   note.Signer
	Verifier note.Verifier
	// VerifierKey is the encoded verifier key, as in the .pub file.
	VerifierKey string
}

// VerifierFile is where the verifier key for the signing key in keyFile is
// kept: beside it, with .pub in place of .key.
func VerifierFile(keyFile string) string {
	return strings.TrimSuffix(keyFile, ".key") + ".pub"
}

// LoadOrCreateKey reads the note signer key in keyFile. If there is none it
// generates one (mode 0600), and it writes the verifier key to
// VerifierFile(keyFile) when that is missing. It refuses to generate a key
// beside an existing verifier key: that would orphan every checkpoint signed
// with the lost one.
func LoadOrCreateKey(keyFile string) (*Key, error) {
	pubFile := VerifierFile(keyFile)
	skey, err := readLimited(keyFile, 4<<10)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createKey(keyFile, pubFile); err != nil {
			return nil, err
		}
		skey, err = readLimited(keyFile, 4<<10)
	}
	if err != nil {
		return nil, fmt.Errorf("audit: read signing key: %w", err)
	}
	k, err := parseKey(string(bytes.TrimSpace(skey)))
	if err != nil {
		return nil, fmt.Errorf("audit: signing key %s: %w", keyFile, err)
	}
	pub, err := readLimited(pubFile, 4<<10)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		err = writeNew(filepath.Dir(pubFile), filepath.Base(pubFile), []byte(k.VerifierKey+"\n"), 0o644)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("audit: write verifier key: %w", err)
		}
	case err != nil:
		return nil, fmt.Errorf("audit: read verifier key: %w", err)
	case string(bytes.TrimSpace(pub)) != k.VerifierKey:
		return nil, fmt.Errorf("audit: verifier key %s is not the signing key %s's", pubFile, keyFile)
	}
	return k, nil
}

// createKey generates a signing key into keyFile.
func createKey(keyFile, pubFile string) error {
	if _, err := os.Stat(pubFile); err == nil {
		return fmt.Errorf("audit: signing key %s is missing but its verifier key %s exists: restore the key, or move the .pub aside to start a new one", keyFile, pubFile)
	}
	skey, _, err := note.GenerateKey(rand.Reader, Origin)
	if err != nil {
		return fmt.Errorf("audit: generate signing key: %w", err)
	}
	err = writeNew(filepath.Dir(keyFile), filepath.Base(keyFile), []byte(skey+"\n"), 0o600)
	if err != nil && !errors.Is(err, fs.ErrExist) { // another process may have just made one
		return fmt.Errorf("audit: create signing key: %w", err)
	}
	return nil
}

// parseKey makes a Key from an encoded note signer key, deriving the
// verifier key from the Ed25519 seed in it.
func parseKey(skey string) (*Key, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, err
	}
	// PRIVATE+KEY+name+hash+base64(0x01 || seed); NewSigner checked the
	// form, and base64 may itself hold a +.
	raw, err := base64.StdEncoding.DecodeString(strings.SplitN(skey, "+", 5)[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize {
		return nil, errors.New("not an Ed25519 key")
	}
	vkey, err := note.NewEd25519VerifierKey(s.Name(), ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	return &Key{Signer: s, Verifier: v, VerifierKey: vkey}, nil
}

// LoadVerifier reads an encoded note verifier key from file.
func LoadVerifier(file string) (note.Verifier, error) {
	b, err := readLimited(file, 4<<10)
	if err != nil {
		return nil, fmt.Errorf("audit: read verifier key: %w", err)
	}
	v, err := note.NewVerifier(string(bytes.TrimSpace(b)))
	if err != nil {
		return nil, fmt.Errorf("audit: verifier key %s: %w", file, err)
	}
	return v, nil
}
