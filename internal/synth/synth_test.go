package synth

import (
	"bytes"
	"encoding/csv"
	"io"
	"math"
	"regexp"
	"strings"
	"testing"

	"openmash.org/mash"
)

func generate(t testing.TB, cfg Config) []Record {
	t.Helper()
	g := New(cfg)
	var recs []Record
	for {
		r, ok := g.Next()
		if !ok {
			break
		}
		recs = append(recs, r)
	}
	if len(recs) != cfg.N {
		t.Fatalf("got %d records, want %d", len(recs), cfg.N)
	}
	return recs
}

func TestDeterministic(t *testing.T) {
	var a, b, c bytes.Buffer
	cfg := Config{N: 5000, Seed: 7, DupRate: 0.3}
	if _, err := WriteCSV(&a, nil, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteCSV(&b, nil, cfg); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same seed gave different output")
	}
	cfg.Seed = 8
	if _, err := WriteCSV(&c, nil, cfg); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Fatal("different seeds gave the same output")
	}
}

var postcodeRE = regexp.MustCompile(`^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$`)

func TestFieldsValid(t *testing.T) {
	recs := generate(t, Config{N: 50000, Seed: 1, DupRate: 0.3})
	ids := map[string]bool{}
	nhsOwner := map[string]string{}
	phoneRE := regexp.MustCompile(`^(07700 900\d{3}|0\d{3} 49[68] 0\d{3}|0\d{2} \d{4} \d{4})$`)
	dobRE := regexp.MustCompile(`^(\d{4}|\d{4}-\d{2}-\d{2})$`)
	for _, r := range recs {
		if ids[r.ID] {
			t.Fatalf("record id %s repeated", r.ID)
		}
		ids[r.ID] = true
		if r.NHS != "" {
			n, err := mash.NormaliseNHSNumber(r.NHS)
			if err != nil || !strings.HasPrefix(n, "999") {
				t.Fatalf("NHS number %q: %v", r.NHS, err)
			}
			if o, ok := nhsOwner[n]; ok && o != r.Cluster {
				t.Fatalf("NHS number %s given to two people", n)
			}
			nhsOwner[n] = r.Cluster
		}
		if r.Postcode != "" {
			if !postcodeRE.MatchString(r.Postcode) {
				t.Fatalf("postcode %q", r.Postcode)
			}
			if _, err := mash.NormalisePostcode(r.Postcode); err != nil {
				t.Fatalf("postcode %q: %v", r.Postcode, err)
			}
		}
		if r.Phone != "" && !phoneRE.MatchString(r.Phone) {
			t.Fatalf("phone %q", r.Phone)
		}
		if r.DOB != "" && !dobRE.MatchString(r.DOB) {
			t.Fatalf("dob %q", r.DOB)
		}
		if r.Given == "" || r.Family == "" || r.Source == "" || r.Cluster == "" || r.Household == "" {
			t.Fatalf("record missing a name, source or truth: %+v", r)
		}
	}
}

// TestTruth checks the ground truth hangs together: twins and same-name
// parent/child pairs are different people who look alike, and duplicates
// are the same person.
func TestTruth(t *testing.T) {
	for _, heavy := range []bool{false, true} {
		recs := generate(t, Config{N: 40000, Seed: 3, DupRate: 0.3, TwinsHeavy: heavy})
		type info struct{ twin, same, hh, dob string }
		people := map[string]info{}
		for _, r := range recs {
			i := info{r.TwinOf, r.SameNameAs, r.Household, ""}
			if p, ok := people[r.Cluster]; ok {
				if p.twin != i.twin || p.same != i.same || p.hh != i.hh {
					t.Fatalf("records of %s disagree on truth: %+v vs %+v", r.Cluster, p, i)
				}
				continue
			}
			people[r.Cluster] = i
		}
		twins, same := 0, 0
		for id, p := range people {
			if p.twin != "" {
				twins++
				if p.twin == id {
					t.Fatalf("%s is its own twin", id)
				}
				if q, ok := people[p.twin]; ok && (q.twin != id || q.hh != p.hh) {
					t.Fatalf("twins %s and %s do not point at each other in one household", id, p.twin)
				}
			}
			if p.same != "" {
				same++
				if q, ok := people[p.same]; ok && q.hh != p.hh {
					t.Fatalf("same-name pair %s, %s in different households", id, p.same)
				}
			}
		}
		t.Logf("twins-heavy=%v: %d people, %d twins, %d in same-name pairs", heavy, len(people), twins, same)
		if heavy && (twins < len(people)/10 || same < len(people)/20) {
			t.Errorf("twins-heavy set has %d twins and %d same-name among %d people", twins, same, len(people))
		}
	}
}

// TestTwinsLookAlike: a clean first record of each twin has the same family
// name, birth date and address and a different given name.
func TestTwinsLookAlike(t *testing.T) {
	g := New(Config{N: 20000, Seed: 5, TwinsHeavy: true})
	pairs, alike := 0, 0
	for i := 0; i < 200; i++ {
		g.pending = g.pending[:0]
		g.household()
		byCluster := map[string]Record{}
		for _, r := range g.pending {
			if !r.Duplicate {
				byCluster[r.Cluster] = r
			}
		}
		for _, r := range byCluster {
			if r.TwinOf == "" {
				continue
			}
			tw := byCluster[r.TwinOf]
			pairs++
			if r.Household != tw.Household {
				t.Errorf("twins in different households: %+v %+v", r, tw)
			}
			if strings.EqualFold(r.Family, tw.Family) && r.DOB == tw.DOB && len(r.DOB) == 10 {
				alike++
			}
			if strings.EqualFold(strings.TrimSpace(r.Given), strings.TrimSpace(tw.Given)) {
				t.Errorf("twins share a given name: %+v %+v", r, tw)
			}
		}
	}
	if pairs == 0 || alike < pairs*6/10 {
		t.Fatalf("%d twins, %d with the same family name and date of birth on record", pairs, alike)
	}
	t.Logf("%d twins, %d alike on record", pairs, alike)
}

func TestRates(t *testing.T) {
	for _, dup := range []float64{0, 0.3, 0.6} {
		recs := generate(t, Config{N: 60000, Seed: 11, DupRate: dup})
		var dups, nhs, children, twins, people, noDOB int
		seen := map[string]bool{}
		for _, r := range recs {
			seen[r.Cluster] = true
			if r.Duplicate {
				dups++
			} else {
				people++
				if r.Child {
					children++
					if r.TwinOf != "" {
						twins++
					}
				}
			}
			if r.NHS != "" {
				nhs++
			}
			if r.DOB == "" {
				noDOB++
			}
		}
		n := float64(len(recs))
		if got := float64(dups) / n; math.Abs(got-dup) > 0.02 {
			t.Errorf("dup-rate %v: %.3f of records are duplicates", dup, got)
		}
		if len(seen) != people {
			t.Errorf("%d clusters, %d first records", len(seen), people)
		}
		if got := float64(nhs) / n; math.Abs(got-0.7) > 0.02 {
			t.Errorf("%.3f of records have an NHS number, want about 0.7", got)
		}
		if got := float64(twins) / float64(children); got < 0.005 || got > 0.03 {
			t.Errorf("%.4f of children are twins, want about 0.015", got)
		}
		if got := float64(children) / float64(people); got < 0.15 || got > 0.35 {
			t.Errorf("%.3f of people are children", got)
		}
		if dup > 0 && noDOB == 0 {
			t.Error("no record lacks a date of birth")
		}
	}
}

func TestCSV(t *testing.T) {
	for _, withTruth := range []bool{false, true} {
		var out, truth bytes.Buffer
		var tw io.Writer
		if withTruth {
			tw = &truth
		}
		st, err := WriteCSV(&out, tw, Config{N: 3000, Seed: 2, DupRate: 0.3})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&out).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := append([]string(nil), Columns...)
		if !withTruth {
			want = append(want, "cluster_id")
		}
		if strings.Join(rows[0], ",") != strings.Join(want, ",") || len(rows) != 3001 || st.Records != 3000 {
			t.Fatalf("header %v, %d rows, stats %+v", rows[0], len(rows), st)
		}
		if withTruth {
			trows, err := csv.NewReader(&truth).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(trows) != 3001 || strings.Join(trows[0], ",") != strings.Join(TruthColumns, ",") {
				t.Fatalf("truth: header %v, %d rows", trows[0], len(trows))
			}
			for i := 1; i < len(rows); i++ {
				if rows[i][0] != trows[i][0] {
					t.Fatalf("row %d: record %s, truth %s", i, rows[i][0], trows[i][0])
				}
			}
		}
	}
}

func TestErrors(t *testing.T) {
	g := New(Config{N: 1, Seed: 1})
	for i := 0; i < 1000; i++ {
		if s := g.typo("Kayleigh"); s == "" || s[0] != 'K' {
			t.Fatalf("typo %q", s)
		}
		d := g.dobTypo(2015, 4, 3)
		if d == "2015-04-03" || len(d) != 10 {
			t.Fatalf("dob typo %q", d)
		}
	}
	if !sameName(g, "William", "Bill") || !sameName(g, "Mohamed", "Muhammad") || sameName(g, "Oliver", "Jack") {
		t.Error("sameName")
	}
}

func BenchmarkGenerate(b *testing.B) {
	g := New(Config{N: math.MaxInt, Seed: 1, DupRate: 0.3})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, ok := g.Next(); !ok {
			b.Fatal("ran out")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkWriteCSV(b *testing.B) {
	const n = 100000
	for b.Loop() {
		if _, err := WriteCSV(io.Discard, nil, Config{N: n, Seed: 1, DupRate: 0.3}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}
