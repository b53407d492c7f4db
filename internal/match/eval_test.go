package match

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

const sharedData = "../../../shared/data/linkage"

func loadShared(t testing.TB, name string) []Record {
	t.Helper()
	p := filepath.Join(sharedData, name)
	if filepath.IsAbs(name) {
		p = name
	}
	f, err := os.Open(p)
	if err != nil {
		t.Skipf("shared data not available: %v", err)
	}
	defer f.Close()
	recs, err := ReadRecords(f, "", func(line int, msg string) {})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func evalDedupe(t testing.TB, name string) PRF {
	recs := loadShared(t, name)
	start := time.Now()
	m, err := Train(recs, TrainOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	trained := time.Since(start)
	cl, _ := m.Dedupe(recs, Options{})
	truth := make([]string, len(recs))
	for i := range recs {
		truth[i] = recs[i].Truth
	}
	p := EvalClusters(truth, cl)
	t.Logf("%s dedupe: %d records, %v; train %v, total %v", name, len(recs), p, trained.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	return p
}

func evalLink(t testing.TB, a, b string) PRF {
	left, right := loadShared(t, a), loadShared(t, b)
	start := time.Now()
	m, err := Train(append(append([]Record{}, left...), right...), TrainOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	pairs := m.Link(left, right, Options{OneToOne: true})
	p := EvalLinks(left, right, pairs)
	t.Logf("%s + %s link: %v; %v", a, b, p, time.Since(start).Round(time.Millisecond))
	return p
}

func TestFEBRL3Dedupe(t *testing.T) {
	if p := evalDedupe(t, "febrl/dataset3.csv"); p.F1 < 0.992 {
		t.Errorf("F1 %.4f below floor", p.F1)
	}
}

func TestFEBRL4Link(t *testing.T) {
	if p := evalLink(t, "febrl/dataset4a.csv", "febrl/dataset4b.csv"); p.F1 < 0.997 {
		t.Errorf("F1 %.4f below floor", p.F1)
	}
}

func TestSplinkFake1000(t *testing.T) {
	if p := evalDedupe(t, "splink/fake_1000.csv"); p.F1 < 0.86 {
		t.Errorf("F1 %.4f below floor", p.F1)
	}
}

func TestSplinkHistorical50k(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	if p := evalDedupe(t, "splink/historical_figures_with_errors_50k.csv"); p.F1 < 0.89 {
		t.Errorf("F1 %.4f below floor", p.F1)
	}
}
