package demo

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
)

// TestScenarios checks the built-in texts against the domain's rules, so a
// rarely drawn scenario cannot fail a seed.
func TestScenarios(t *testing.T) {
	for _, s := range scenarios {
		list := mash.ConcernCodes(s.cohort)
		for _, codes := range s.codes {
			for _, c := range codes {
				if !list.Has(c) {
					t.Errorf("%s: code %q is not in %s", s.key, c, list.Name)
				}
			}
		}
		for rag, sets := range s.outcomes {
			for _, os := range sets {
				d := mash.Decision{ThresholdLevel: 3, Outcomes: os, Rationale: "x"}
				if err := d.Validate(s.cohort); err != nil {
					t.Errorf("%s %s: %v: %v", s.key, rag, os, err)
				}
				for _, o := range os {
					if outcomeRationale[o] == "" || outcomeFeedback[o] == "" || outcomeClose[o] == "" {
						t.Errorf("%s: no texts for outcome %s", s.key, o)
					}
				}
			}
		}
		if s.rag[0]+s.rag[1]+s.rag[2] == 0 || len(s.narratives) == 0 || len(s.refs) == 0 {
			t.Errorf("%s: incomplete", s.key)
		}
		for _, n := range s.narratives {
			v := map[string]string{}
			for _, k := range []string{"subj", "subjFull", "age", "he", "He", "his", "His", "him", "carer", "perp",
				"perpGiven", "perpAge", "address", "street", "town", "school", "gp", "day", "amount", "att", "dash", "relation"} {
				v[k] = "x"
			}
			if out := fill(n, v); strings.ContainsAny(out, "{}") {
				t.Errorf("%s: unfilled placeholder in %q", s.key, out)
			}
		}
	}
}

func TestSyntheticIdentifiers(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		n := nhsNumber(r)
		if !strings.HasPrefix(n, "999") {
			t.Fatalf("NHS number %s is outside the 999 test range", n)
		}
		if _, err := mash.NormaliseNHSNumber(n); err != nil {
			t.Fatalf("NHS number %s: %v", n, err)
		}
		h := newHome(r)
		if pc, err := mash.NormalisePostcode(h.postcode); err != nil || pc != h.postcode {
			t.Fatalf("postcode %q: %v (%q)", h.postcode, err, pc)
		}
	}
	// A child's family: DOBs fit the cohort.
	ref := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for range 200 {
		f := newChildFamily(r, ref, 4, 12)
		if a := f.kids[0].age(ref); a < 4 || a > 12 {
			t.Fatalf("child aged %d, want 4–12", a)
		}
		for _, k := range f.kids {
			if a := k.age(ref); a < 0 || a > 17 {
				t.Fatalf("sibling aged %d", a)
			}
		}
		if a := f.carer.age(ref) - f.kids[0].age(ref); a < 17 {
			t.Fatalf("carer only %d years older than the child", a)
		}
	}
}
