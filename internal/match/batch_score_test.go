package match

import (
	"bytes"
	"math"
	"testing"

	"openmash.org/mash/internal/synth"
)

// TestScoreBound checks that pruning never drops a pair the full score
// would keep, at several thresholds.
func TestScoreBound(t *testing.T) {
	var data bytes.Buffer
	if _, err := synth.WriteCSV(&data, nil, synth.Config{N: 4000, Seed: 7, DupRate: 0.4}); err != nil {
		t.Fatal(err)
	}
	recs, err := ReadRecords(&data, "", func(int, string) {})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Train(recs, TrainOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ps := prepareAll(recs)
	tf := newTermFreq(ps)
	sb := m.newScoreBound(ps, tf)
	pairs := candidatePairs(ps, nil, defaultMaxBlock, "")
	for _, th := range []float64{0.01, 0.5, 0.99} {
		minW := math.Log2(th / (1 - th))
		pruned := 0
		for _, p := range pairs {
			a, b := &ps[p.a], &ps[p.b]
			if sb.below(a, b, p.a, minW) {
				pruned++
				if s := m.score(a, b, tf, false); s.Probability >= th {
					t.Fatalf("threshold %g: pruned a pair scoring %g", th, s.Probability)
				}
			}
		}
		t.Logf("threshold %g: %d of %d pairs pruned", th, pruned, len(pairs))
	}
	// Pairs that reach the levels the bound treats specially.
	base := Record{Given: "Kayleigh", Family: "Okonkwo", DOB: "2015-04-03", Sex: "F", Address: "12 Mill Lane, Leeds", Postcode: "LS1 1AB"}
	with := func(f func(*Record)) Record { r := base; f(&r); return r }
	for _, r := range []Record{
		with(func(r *Record) { r.Given, r.Family = r.Family, r.Given }),
		with(func(r *Record) { r.Postcode = "" }),
		with(func(r *Record) { r.Address = "" }),
		with(func(r *Record) { r.Address = "12 Mill Ln Leeds"; r.Postcode = "LS1 1AD" }),
		with(func(r *Record) { r.DOB = "2015-03-04"; r.Given = "Kayley" }),
	} {
		a, b := prepare(base), prepare(r)
		ps := []prepared{a, b}
		tf := newTermFreq(ps)
		sb := m.newScoreBound(ps, tf)
		s := m.score(&ps[0], &ps[1], tf, false)
		if sb.below(&ps[0], &ps[1], 0, s.Weight) {
			t.Errorf("%+v: pruned below its own weight %.2f", r, s.Weight)
		}
	}
}
