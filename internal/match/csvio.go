package match

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Formats understood by ReadRecords.
const (
	FormatStandard = "standard" // record_id, source, given_name, middle_names, family_name, dob, sex, address, postcode, nhs_number, phone (any subset; cluster or cluster_id optional)
	FormatFEBRL    = "febrl"    // rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, date_of_birth, soc_sec_id
	FormatSplink   = "splink"   // unique_id, cluster, first_name, surname, dob, postcode_fake, birth_place, gender, city, ...
)

// ReadRecords reads a CSV of records. format "" detects it from the header.
// Malformed rows (wrong number of fields, no record id, a repeated id) are
// reported through warn with their line numbers and skipped; an unreadable
// date of birth is reported and compared only digit by digit (a mistyped
// 19551192 is one digit from 19551102).
func ReadRecords(r io.Reader, format string, warn func(line int, msg string)) ([]Record, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	if format == "" {
		switch {
		case has(col, "rec_id") && has(col, "surname"):
			format = FormatFEBRL
		case has(col, "unique_id"):
			format = FormatSplink
		default:
			format = FormatStandard
		}
	}
	get := func(row []string, names ...string) string {
		var parts []string
		for _, n := range names {
			if i, ok := col[n]; ok && i < len(row) {
				if v := strings.TrimSpace(row[i]); v != "" {
					parts = append(parts, v)
				}
			}
		}
		return strings.Join(parts, " ")
	}
	var idCol string
	switch format {
	case FormatStandard:
		idCol = "record_id"
	case FormatFEBRL:
		idCol = "rec_id"
	case FormatSplink:
		idCol = "unique_id"
	default:
		return nil, fmt.Errorf("unknown format %q (standard, febrl or splink)", format)
	}
	if !has(col, idCol) {
		return nil, fmt.Errorf("%s format needs a %s column", format, idCol)
	}
	seen := map[string]int{}
	var out []Record
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				warn(pe.Line, "skipped: "+pe.Err.Error())
				continue
			}
			return nil, err
		}
		if len(row) != len(header) {
			warn(line, fmt.Sprintf("skipped: %d fields, header has %d", len(row), len(header)))
			continue
		}
		var rec Record
		switch format {
		case FormatStandard:
			rec = Record{ID: get(row, "record_id"), Source: get(row, "source"), Given: get(row, "given_name"),
				Middle: get(row, "middle_names"), Family: get(row, "family_name"), DOB: get(row, "dob"),
				Sex: get(row, "sex"), Address: get(row, "address"), Postcode: get(row, "postcode"),
				NHS: get(row, "nhs_number"), Phone: get(row, "phone"), Truth: get(row, "cluster")}
			if rec.Truth == "" {
				rec.Truth = get(row, "cluster_id") // as mash bench gen-people writes it
			}
		case FormatFEBRL:
			rec = Record{ID: get(row, "rec_id"), Given: get(row, "given_name"), Family: get(row, "surname"),
				DOB: get(row, "date_of_birth"), Address: get(row, "street_number", "address_1", "address_2", "suburb"),
				Postcode: get(row, "postcode"), NHS: get(row, "soc_sec_id")}
			if parts := strings.Split(rec.ID, "-"); len(parts) >= 2 {
				rec.Truth = parts[1]
			}
		case FormatSplink:
			rec = Record{ID: get(row, "unique_id"), Truth: get(row, "cluster"), Given: get(row, "first_name"),
				Family: get(row, "surname"), Middle: get(row, "full_name"), DOB: get(row, "dob"), Sex: get(row, "gender"),
				Address: get(row, "birth_place", "city"), Postcode: get(row, "postcode_fake")}
		}
		if rec.ID == "" {
			warn(line, "skipped: no record id")
			continue
		}
		if first, dup := seen[rec.ID]; dup {
			warn(line, fmt.Sprintf("skipped: record id %q already used on line %d", rec.ID, first))
			continue
		}
		seen[rec.ID] = line
		if rec.DOB != "" && !ParseDate(rec.DOB).Known() {
			warn(line, fmt.Sprintf("date of birth %q not understood; compared only digit by digit", rec.DOB))
		}
		out = append(out, rec)
	}
	return out, nil
}

func has(m map[string]int, k string) bool { _, ok := m[k]; return ok }

// PRF are pairwise precision, recall and F1.
type PRF struct {
	TP, FP, FN            int64
	Precision, Recall, F1 float64
}

func (p *PRF) finish() {
	if p.TP+p.FP > 0 {
		p.Precision = float64(p.TP) / float64(p.TP+p.FP)
	}
	if p.TP+p.FN > 0 {
		p.Recall = float64(p.TP) / float64(p.TP+p.FN)
	}
	if p.Precision+p.Recall > 0 {
		p.F1 = 2 * p.Precision * p.Recall / (p.Precision + p.Recall)
	}
}

func (p PRF) String() string {
	return fmt.Sprintf("precision %.4f recall %.4f F1 %.4f (tp %d fp %d fn %d)", p.Precision, p.Recall, p.F1, p.TP, p.FP, p.FN)
}

// EvalClusters compares predicted clusters with ground-truth clusters pairwise.
func EvalClusters(truth []string, cluster []int) PRF {
	c2 := func(n int64) int64 { return n * (n - 1) / 2 }
	type key struct {
		t string
		c int
	}
	both, byT, byC := map[key]int64{}, map[string]int64{}, map[int]int64{}
	for i := range truth {
		both[key{truth[i], cluster[i]}]++
		byT[truth[i]]++
		byC[cluster[i]]++
	}
	var p PRF
	for _, n := range both {
		p.TP += c2(n)
	}
	var tp, pp int64
	for _, n := range byT {
		tp += c2(n)
	}
	for _, n := range byC {
		pp += c2(n)
	}
	p.FP, p.FN = pp-p.TP, tp-p.TP
	p.finish()
	return p
}

// EvalLinks compares predicted left–right pairs with ground truth.
func EvalLinks(left, right []Record, pairs []ScoredPair) PRF {
	rightBy := map[string]int64{}
	for _, r := range right {
		rightBy[r.Truth]++
	}
	var truePairs int64
	for _, l := range left {
		truePairs += rightBy[l.Truth]
	}
	var p PRF
	for _, s := range pairs {
		if left[s.A].Truth == right[s.B].Truth {
			p.TP++
		} else {
			p.FP++
		}
	}
	p.FN = truePairs - p.TP
	p.finish()
	return p
}
