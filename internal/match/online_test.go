package match

import (
	"strings"
	"testing"
)

func TestDefaultModelFits(t *testing.T) {
	m := DefaultModel() // panics if default_model.json no longer fits the comparisons
	if !(m.ReviewThreshold > 0 && m.ReviewThreshold < m.LinkThreshold && m.LinkThreshold < 1) {
		t.Fatalf("thresholds: review %v, link %v", m.ReviewThreshold, m.LinkThreshold)
	}
}

func TestOnlineKeysAndScore(t *testing.T) {
	kayleigh := Record{Given: "Kayleigh", Family: "Smith", DOB: "2015-04-03", Sex: "F", Address: "1 Church Road, Leeds", Postcode: "LS1 4AP"}
	keys := Keys(kayleigh)
	if len(keys) < 4 {
		t.Fatalf("keys: %v", keys)
	}
	for _, k := range keys {
		if strings.HasPrefix(k, "F|") {
			t.Errorf("the family-name-only key is filed online: %v", keys)
		}
	}
	m := DefaultModel()
	q := m.NewQuery(Record{Given: "Kayley", Family: "Smith", DOB: "2015-03-04", Sex: "F", Postcode: "LS1 4AP"})
	s, rel := q.Score(kayleigh, true)
	if rel || s.Probability < m.LinkThreshold {
		t.Errorf("the same child: p=%v related=%v", s.Probability, rel)
	}
	var swapped bool
	for _, f := range s.Fields {
		swapped = swapped || strings.Contains(f.Wording, "day and month swapped")
	}
	if !swapped {
		t.Errorf("no explanation of the swapped date: %+v", s.Fields)
	}
	twin := Record{Given: "Olivia", Family: "Smith", DOB: "2015-04-03", Sex: "F", Address: "1 Church Road, Leeds", Postcode: "LS1 4AP"}
	if _, rel := m.NewQuery(twin).Score(kayleigh, false); !rel || !Related(twin, kayleigh) {
		t.Errorf("twins not recognised")
	}
}

func TestHouseholdKey(t *testing.T) {
	for _, c := range []struct{ addr, pc, want string }{
		{"12 Mill Lane, York", "YO1 7HH", "12|YO1 7HH"},
		{"12 Mill Ln York", "yo17hh", "12|YO1 7HH"},
		{"Rose Cottage", "YO1 7HH", "rose cottage|YO1 7HH"},
		{"", "YO1 7HH", ""},
		{"12 Mill Lane", "", ""},
		{"12 Mill Lane, York", "", "12 mill lane york"},
		{"", "", ""},
	} {
		if got := HouseholdKey(c.addr, c.pc); got != c.want {
			t.Errorf("HouseholdKey(%q, %q) = %q, want %q", c.addr, c.pc, got, c.want)
		}
	}
}
