package match

import (
	"math"
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"  Zoë  O'Brien ":   "zoe obrien",
		"SMYTH-JONES":       "smyth jones",
		"José  Müller-Łódź": "jose muller lodz",
		"":                  "",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNameTokens(t *testing.T) {
	got := NameTokens("Mrs. Kayley Smyth-Jones")
	if len(got) != 3 || got[0] != "kayley" || got[2] != "jones" {
		t.Errorf("NameTokens = %q", got)
	}
	if got := NameTokens("Rt. Hon. Henry, 4th Baronet"); len(got) != 1 || got[0] != "henry" {
		t.Errorf("NameTokens = %q", got)
	}
}

func TestAddressTokens(t *testing.T) {
	if got := strings.Join(AddressTokens("Flat 2, 12 Mill Rd, St Albans"), " "); got != "flat 2 12 mill road street albans" {
		t.Errorf("AddressTokens = %q", got)
	}
}

func TestNicknames(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"bob", "robert", true}, {"rob", "bob", true}, {"mohammed", "muhammad", true},
		{"mohamed", "mohammad", true}, {"kayleigh", "kayley", false}, {"john", "mary", false},
		{"", "", false},
	} {
		if got := NicknameMatch(c.a, c.b); got != c.want {
			t.Errorf("NicknameMatch(%q,%q) = %v", c.a, c.b, got)
		}
	}
}

func TestPostcode(t *testing.T) {
	for in, want := range map[string]Postcode{
		"sw1a1aa":  {"SW1A 1AA", "SW1A 1", "SW1A", "SW"},
		"M1 1AE":   {"M1 1AE", "M1 1", "M1", "M"},
		"B33 8TH":  {"B33 8TH", "B33 8", "B33", "B"},
		"tq13 8df": {"TQ13 8DF", "TQ13 8", "TQ13", "TQ"},
		"2119":     {Unit: "2119"},
		"":         {},
	} {
		if got := ParsePostcode(in); got != want {
			t.Errorf("ParsePostcode(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func TestNormaliseID(t *testing.T) {
	if id, ok := NormaliseID("943 476 5919"); !ok || id != "9434765919" {
		t.Errorf("valid NHS number: %q %v", id, ok)
	}
	if id, ok := NormaliseID("943 476 5918"); ok || id != "9434765918" {
		t.Errorf("bad check digit: %q %v", id, ok)
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]Date{
		"2015-04-03": {2015, 4, 3}, "03/04/2015": {2015, 4, 3}, "19560409": {1956, 4, 9},
		"2015-04": {2015, 4, 0}, "04/2015": {2015, 4, 0}, "2015": {2015, 0, 0},
		"2015-02-30": {}, "x": {}, "": {}, "1630-08-01": {1630, 8, 1},
		"c. 2015": {2015, 0, 0}, "circa 2015": {2015, 0, 0}, "est 03/2015": {2015, 0, 0},
		"12/05/2015?": {2015, 0, 0}, "~2015-05-12": {2015, 0, 0}, "2015 (estimated)": {2015, 0, 0},
		"Approx. 2011": {2011, 0, 0}, "est": {}, "cat": {}, "c. unknown": {},
	} {
		if got := ParseDate(in); got != want {
			t.Errorf("ParseDate(%q) = %v, want %v", in, got, want)
		}
	}
	if !Transposed(ParseDate("03/04/2015"), ParseDate("04/03/2015")) {
		t.Error("transposition not detected")
	}
	if Transposed(ParseDate("03/03/2015"), ParseDate("03/03/2015")) {
		t.Error("equal dates are not transposed")
	}
	if !OneDigitTypo(ParseDate("2015-04-03"), ParseDate("2016-04-03")) || OneDigitTypo(ParseDate("2015-04-03"), ParseDate("2016-05-03")) {
		t.Error("one digit typo")
	}
}

func TestJaroWinkler(t *testing.T) {
	// Reference values from jellyfish.jaro_winkler_similarity.
	for _, c := range []struct {
		a, b string
		want float64
	}{
		{"martha", "marhta", 0.9611111}, {"dwayne", "duane", 0.84}, {"dixon", "dicksonx", 0.8133333},
		{"kayleigh", "kayley", 0.8916667}, {"", "x", 0}, {"abc", "abc", 1},
	} {
		if got := JaroWinkler(c.a, c.b); math.Abs(got-c.want) > 1e-4 {
			t.Errorf("JaroWinkler(%q,%q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestSoundex(t *testing.T) {
	for in, want := range map[string]string{"robert": "R163", "rupert": "R163", "smith": "S530", "smyth": "S530", "ashcraft": "A261", "tymczak": "T522", "": ""} {
		if got := Soundex(in); got != want {
			t.Errorf("Soundex(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEditDistance1(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{{"1234", "1234", true}, {"1234", "1244", true}, {"1234", "1324", true}, {"1234", "123", true}, {"1234", "12345", true}, {"1234", "4321", false}, {"", "1", true}} {
		if got := editDistanceAtMost1(c.a, c.b); got != c.want {
			t.Errorf("editDistanceAtMost1(%q,%q) = %v", c.a, c.b, got)
		}
	}
}

func FuzzNormalise(f *testing.F) {
	for _, s := range []string{"Mrs Zoë Smyth-Jones", "sw1a1aa", "03/04/2015", "2015-02", "943 476 5919"} {
		f.Add(s, "x")
	}
	f.Fuzz(func(t *testing.T, s, u string) {
		folded := Fold(s)
		if Fold(folded) != folded {
			t.Errorf("Fold not idempotent on %q", s)
		}
		p := ParsePostcode(s)
		if p.Unit != "" && ParsePostcode(p.Unit) != p {
			t.Errorf("postcode not idempotent on %q: %+v", s, p)
		}
		d := ParseDate(s)
		if d.Known() && ParseDate(d.String()) != d {
			t.Errorf("date round trip %q → %v", s, d)
		}
		NormaliseID(s)
		_ = editDistanceAtMost1(s, u)
		jw := JaroWinkler(s, u)
		if jw < 0 || jw > 1.0000001 || math.Abs(jw-JaroWinkler(u, s)) > 1e-9 && len(s) == len(u) {
			t.Errorf("JaroWinkler(%q,%q) = %v", s, u, jw)
		}
		Soundex(s)
	})
}
