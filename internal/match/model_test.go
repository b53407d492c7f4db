package match

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
)

func synthRecords() []Record {
	given := []string{"oliver", "amelia", "mohammed", "kayleigh", "robert", "chloe", "harry", "isla", "jack", "grace", "noah", "freya"}
	family := []string{"smith", "smith", "smith", "smith", "jones", "okonkwo", "taylor", "brown", "patel", "khan"}
	var out []Record
	for i := 0; i < 240; i++ {
		r := Record{ID: fmt.Sprintf("r%d", i), Given: given[i%len(given)], Family: family[(i/len(given))%len(family)],
			DOB: fmt.Sprintf("%04d-%02d-%02d", 1950+i%60, 1+i%12, 1+i%28), Postcode: fmt.Sprintf("LS%d %dAB", 1+i%20, i%10), Truth: fmt.Sprint(i)}
		out = append(out, r)
		d := r
		d.ID += "d"
		d.DOB = fmt.Sprintf("%02d/%02d/%04d", 1+i%28, 1+i%12, 1950+i%60)
		if i%3 == 0 {
			d.Given = strings.ToUpper(d.Given[:1]) + d.Given[1:] + "e"
		}
		out = append(out, d)
	}
	return out
}

func TestModelRoundTripAndExplain(t *testing.T) {
	m, err := Train(synthRecords(), TrainOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	m2, err := ReadModel(&buf)
	if err != nil {
		t.Fatal(err)
	}
	s := m2.Explain(
		Record{Given: "Kayleigh", Family: "Smith", DOB: "03/04/2015", Postcode: "LS1 1AB"},
		Record{Given: "Kayley", Family: "Smyth-Jones", DOB: "04/03/2015", Postcode: "LS1 1AZ"})
	var words []string
	for _, f := range s.Fields {
		words = append(words, f.Wording)
	}
	all := strings.Join(words, "; ")
	for _, want := range []string{"date of birth: day and month swapped", "postcode: same sector", "given name: similar spelling", "family name:"} {
		if !strings.Contains(all, want) {
			t.Errorf("explanation lacks %q: %s", want, all)
		}
	}
	nick := m2.Explain(Record{Given: "Bob", Family: "Okonkwo"}, Record{Given: "Mr Robert", Family: "OKONKWO"})
	if nick.Fields[0].Wording != "given name: a nickname or other spelling of the same name" || nick.Fields[1].Level != "exact" {
		t.Errorf("nickname explanation %+v", nick.Fields[:2])
	}
	if _, err := ReadModel(strings.NewReader(`{"fields":[]}`)); err == nil {
		t.Error("malformed model accepted")
	}
}

func TestTermFrequency(t *testing.T) {
	recs := synthRecords()
	m, _ := Train(recs, TrainOptions{Seed: 1})
	ps := make([]prepared, len(recs))
	for i := range recs {
		ps[i] = prepare(recs[i])
	}
	tf := newTermFreq(ps)
	a, b := prepare(Record{Family: "Smith"}), prepare(Record{Family: "Okonkwo"})
	common := m.score(&a, &a, tf, false).Weight
	rare := m.score(&b, &b, tf, false).Weight
	if !(rare > common) {
		t.Errorf("Okonkwo agreement %.2f should outweigh Smith %.2f", rare, common)
	}
}

func TestTwinsNeverMerged(t *testing.T) {
	recs := synthRecords()
	recs = append(recs,
		Record{ID: "t1", Given: "Aisha", Family: "Okafor", DOB: "2015-04-03", Postcode: "M1 1AE", Truth: "t1"},
		Record{ID: "t2", Given: "Zara", Family: "Okafor", DOB: "2015-04-03", Postcode: "M1 1AE", Truth: "t2"},
		Record{ID: "t3", Given: "Aisha", Family: "Okafor", DOB: "2015-04-03", Postcode: "M1 1AE", Truth: "t1"},
		Record{ID: "f1", Given: "John", Family: "Okafor", DOB: "1980-01-01", Postcode: "M1 1AE", Truth: "f1"},
		Record{ID: "f2", Given: "John", Family: "Okafor", DOB: "2010-01-01", Postcode: "M1 1AE", Truth: "f2"},
	)
	m, _ := Train(recs, TrainOptions{Seed: 1})
	cl, _ := m.Dedupe(recs, Options{Threshold: 0.01})
	n := len(recs)
	if cl[n-5] == cl[n-4] || cl[n-4] == cl[n-3] {
		t.Error("twins merged")
	}
	if cl[n-2] == cl[n-1] {
		t.Error("parent and child merged")
	}
	truth := make([]string, n)
	for i := range recs {
		truth[i] = recs[i].Truth
	}
	if p := EvalClusters(truth, cl); p.Recall < 0.9 {
		t.Errorf("synthetic recall %v", p)
	}
}

func TestEvalClusters(t *testing.T) {
	p := EvalClusters([]string{"a", "a", "a", "b"}, []int{1, 1, 2, 2})
	if p.TP != 1 || p.FP != 1 || p.FN != 2 {
		t.Errorf("%+v", p)
	}
}

func TestReadRecordsMalformed(t *testing.T) {
	in := "record_id,given_name,dob\nr1,Ann,2001-02-03\nr2,Bob\n,Cy,2001-01-01\nr1,Dup,2001-01-01\nr5,Eve,31/02/2001\n"
	var warns []string
	recs, err := ReadRecords(strings.NewReader(in), "", func(line int, msg string) { warns = append(warns, fmt.Sprint(line, ": ", msg)) })
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || len(warns) != 4 || !strings.HasPrefix(warns[0], "3: skipped") || !strings.HasPrefix(warns[3], "6: date of birth") {
		t.Errorf("records %v, warnings %q", recs, warns)
	}
}

func FuzzCompare(f *testing.F) {
	f.Add("Kayleigh", "Smith", "03/04/2015", "LS1 1AB", "9434765919", "Kayley", "Smyth-Jones", "04/03/2015", "ls11ab", "943 476 5919")
	f.Add("", "", "", "", "", "a", "b", "2015", "x", "1")
	m, err := Train(synthRecords(), TrainOptions{Seed: 1, RandomPairs: 5000})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, g1, f1, d1, p1, n1, g2, f2, d2, p2, n2 string) {
		a := Record{Given: g1, Family: f1, DOB: d1, Postcode: p1, NHS: n1, Address: g2 + " " + p1}
		b := Record{Given: g2, Family: f2, DOB: d2, Postcode: p2, NHS: n2, Address: f1}
		s := m.Explain(a, b)
		if math.IsNaN(s.Weight) || s.Probability < 0 || s.Probability > 1 || len(s.Fields) != len(comparisons) {
			t.Fatalf("score %+v", s)
		}
		pa, pb := prepare(a), prepare(b)
		if twinsOrRelatives(&pa, &pb) != twinsOrRelatives(&pb, &pa) {
			t.Fatalf("twin rule not symmetric for %+v %+v", a, b)
		}
		blockingKeys(&pa)
	})
}

func TestTwinRule(t *testing.T) {
	base := Record{Given: "Ava", Family: "Clark", DOB: "2014-04-26", Postcode: "BD8 2HU"}
	with := func(f func(*Record)) Record { r := base; f(&r); return r }
	for _, c := range []struct {
		name string
		b    Record
		want bool
	}{
		{"twin", with(func(r *Record) { r.Given = "Jayden" }), true},
		{"same person", with(func(r *Record) { r.Given = "AVA" }), false},
		{"nickname", with(func(r *Record) { r.Given = "Ava"; r.DOB = "26/04/2014" }), false},
		{"twin, family typo", with(func(r *Record) { r.Given = "Jayden"; r.Family = "Clarke" }), true},
		{"twin, names swapped", with(func(r *Record) { r.Given = "Clark"; r.Family = "Jayden" }), true},
		{"twin, names swapped with a typo", with(func(r *Record) { r.Given = "Clarck"; r.Family = "Jayden" }), true},
		{"twin, day and month swapped", with(func(r *Record) { r.Given = "Noah"; r.DOB = "2014-04-26"; r.Postcode = "bd82hu" }), true},
		{"sibling, birth date unknown", with(func(r *Record) { r.Given = "Mia"; r.DOB = "" }), true},
		{"twins apart, sexes not recorded", with(func(r *Record) { r.Given = "Jayden"; r.Postcode = "LS1 1AA" }), true},
		{"one name spelt two ways, apart", with(func(r *Record) { r.Given = "Eva"; r.Postcode = "LS1 1AA" }), false},
		{"same NHS number", with(func(r *Record) { r.Given = "Jayden" }), true},
		{"parent and child", with(func(r *Record) { r.DOB = "1984-01-02" }), true},
	} {
		a := base
		if c.name == "same NHS number" {
			a.NHS, c.b.NHS = "943 476 5919", "9434765919"
			c.want = false
		}
		pa, pb := prepare(a), prepare(c.b)
		if got := twinsOrRelatives(&pa, &pb); got != c.want {
			t.Errorf("%s: twinsOrRelatives = %v, want %v", c.name, got, c.want)
		}
	}
	a, b := prepare(Record{Given: "Ann", NHS: "9434765919"}), prepare(Record{Given: "Ann", NHS: "9434765803"})
	if !twinsOrRelatives(&a, &b) {
		t.Error("two different valid NHS numbers must keep records apart")
	}
	home := Record{Family: "Khan", DOB: "2012-10-05", Postcode: "HD5 3RF", Address: "115 Manor Rise, Huddersfield"}
	rec := func(given, sex string, f func(*Record)) Record {
		r := home
		r.Given, r.Sex = given, sex
		if f != nil {
			f(&r)
		}
		return r
	}
	for _, c := range []struct {
		name string
		a, b Record
		want bool
	}{
		{"boy and girl twins with names alike", rec("Oliver", "M", nil), rec("Olivia", "F", nil), true},
		{"sister twins with names alike", rec("Samina", "F", nil), rec("Sana", "F", nil), true},
		{"sister twins, names a first letter apart", rec("Samina", "F", nil), rec("Amina", "F", nil), true},
		{"first letter mistyped, same sound", rec("Katie", "F", nil), rec("Catie", "F", nil), false},
		{"sisters whose names share only a sound code", rec("Kayleigh", "", nil), rec("Chloe", "F", nil), true},
		{"brothers born two years apart", rec("Callum", "M", func(r *Record) { r.DOB = "2019-12-03" }), rec("Isaac", "M", func(r *Record) { r.DOB = "2017-11-29" }), true},
		{"one boy, his birth date wrong and a nickname", rec("Alexander", "M", func(r *Record) { r.DOB = "2019-12-03" }), rec("Alex", "M", func(r *Record) { r.DOB = "2017-11-29" }), false},
		{"father and son, his birth date not recorded", rec("Owen", "M", func(r *Record) { r.DOB = "" }), rec("John", "M", nil), true},
		{"spelling variants", rec("Stephen", "M", nil), rec("Steven", "M", nil), false},
		{"short form", rec("Arthur", "M", nil), rec("Art", "", nil), false},
		{"a town is no household", rec("Zara", "", func(r *Record) { r.Postcode, r.Address = "", "Bradford" }),
			rec("Zain", "", func(r *Record) { r.Postcode, r.Address = "", "Bradford" }), false},
		{"same address, abbreviated", rec("Zara", "", func(r *Record) { r.Postcode, r.Address = "", "115 Manor Road, Huddersfield" }),
			rec("Zain", "", func(r *Record) { r.Postcode, r.Address = "", "115 Manor Rd Huddersfield" }), true},
		{"next door", rec("Zara", "", func(r *Record) { r.Postcode, r.Address = "", "115 Manor Road, Huddersfield" }),
			rec("Zain", "", func(r *Record) { r.Postcode, r.Address = "", "117 Manor Rd Huddersfield" }), false},
		{"twins, one moved", rec("Ruby", "F", nil), rec("Laila", "F", func(r *Record) { r.Postcode, r.Address = "LS28 1AN", "" }), true},
		{"shared phone", rec("Tyler", "M", func(r *Record) { r.Postcode, r.Address, r.Phone = "", "", "01632 960001" }),
			rec("George", "M", func(r *Record) { r.Postcode, r.Address, r.Phone = "", "", "01632960001" }), true},
		{"birth year mistyped, not a parent", rec("Yusuf", "M", func(r *Record) { r.DOB = "1952-10-05" }), rec("Yusuf", "M", func(r *Record) { r.DOB = "1982-10-05" }), false},
		{"double-barrelled name mistyped", rec("Rowan", "M", func(r *Record) { r.Family = "Jones-Robinson" }), rec("Theo", "M", func(r *Record) { r.Family = "Jnes" }), true},
	} {
		pa, pb := prepare(c.a), prepare(c.b)
		if got := twinsOrRelatives(&pa, &pb); got != c.want || twinsOrRelatives(&pb, &pa) != got {
			t.Errorf("%s: twinsOrRelatives = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestLoneFamilyName(t *testing.T) {
	a, b := prepare(Record{Given: "Pollard"}), prepare(Record{Given: "Tom", Family: "Pollard"})
	fam, giv := comparisons[fieldIndex("family_name")], comparisons[fieldIndex("given_name")]
	if l := fam.compare(&a, &b); l != 0 || fam.compare(&b, &a) != 0 {
		t.Errorf("family level %d, want exact", l)
	}
	if l := giv.compare(&a, &b); l != -1 {
		t.Errorf("given level %d, want not compared", l)
	}
}

func TestImpossibleDateTypo(t *testing.T) {
	a, b := prepare(Record{DOB: "19551192"}), prepare(Record{DOB: "1955-11-02"})
	dob := comparisons[fieldIndex("dob")]
	if l := dob.compare(&a, &b); dob.Levels[l].Label != "one_digit" {
		t.Errorf("level %d, want one_digit", l)
	}
	c := prepare(Record{DOB: "nonsense"})
	if l := dob.compare(&a, &c); l != -1 {
		t.Errorf("unknown date compared: level %d", l)
	}
}

func TestEstimatedDateLevels(t *testing.T) {
	dob := comparisons[fieldIndex("dob")]
	for _, c := range []struct{ a, b, want string }{
		{"2015-01-01", "2015-06-12", "partial"}, // 1 January stands in for the year
		{"c. 2015", "2015-06-12", "partial"},
		{"est 03/2014", "2015-06-12", "within_1y"},
		{"2015-01-01", "2015-01-01", "exact"},
		{"2015-02-01", "2015-06-12", "within_1y"},
	} {
		a, b := prepare(Record{DOB: c.a}), prepare(Record{DOB: c.b})
		if l := dob.compare(&a, &b); l < 0 || dob.Levels[l].Label != c.want {
			t.Errorf("%s, %s: level %d, want %s", c.a, c.b, l, c.want)
		}
	}
}

// TestConflictShare checks that one mistyped record does not keep a person's
// records apart, while twins' records stay apart.
func TestConflictShare(t *testing.T) {
	rec := func(given string) prepared {
		return prepare(Record{Given: given, Family: "Clark", DOB: "2014-04-26", Sex: "F", Postcode: "BD8 2HU"})
	}
	ps := []prepared{rec("Ava"), rec("Ava"), rec("Ava"), rec("Ava"), rec("Eja"), rec("Ava"), rec("Jayden"), rec("Jayden")}
	if !twinsOrRelatives(&ps[4], &ps[5]) {
		t.Fatal("the mistyped record should look like another person")
	}
	if conflict(ps, []int{0, 1, 2, 3, 4}, []int{5}) {
		t.Error("one mistyped record in five kept a person's records apart")
	}
	if !conflict(ps, []int{0, 1, 2, 3, 4, 5}, []int{6, 7}) {
		t.Error("twins joined")
	}
}
