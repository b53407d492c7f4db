package mash

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultPatternRulesValid(t *testing.T) {
	rs := DefaultPatternRules()
	if err := rs.Validate(); err != nil {
		t.Fatalf("default rules: %v", err)
	}
	if len(rs.Rules) != 5 {
		t.Fatalf("want the five rules of the issue, got %d", len(rs.Rules))
	}
}

func TestParsePatternRulesRefusesBadInput(t *testing.T) {
	for _, c := range []struct {
		name, json string
		field      string // a field the error must name ("" for a JSON error)
	}{
		{"not JSON", `{"rules": [`, ""},
		{"unknown field", `{"rules": [{"id": "a", "nme": "x"}]}`, ""},
		{"two values", `{"rules": []} {}`, ""},
		{"bad id", `{"rules": [{"id": "Bad Id", "name": "x", "kind": "contacts_in_window", "scope": "person", "window_days": 90, "min_count": 3}]}`, "rules[0].id"},
		{"duplicate id", `{"rules": [{"id": "a", "name": "x", "kind": "contacts_in_window", "scope": "person", "window_days": 90, "min_count": 3},
			{"id": "a", "name": "y", "kind": "contacts_in_window", "scope": "person", "window_days": 90, "min_count": 3}]}`, "rules[1].id"},
		{"unknown kind", `{"rules": [{"id": "a", "name": "x", "kind": "vibes", "scope": "person", "window_days": 90}]}`, "rules[0].kind"},
		{"bad scope", `{"rules": [{"id": "a", "name": "x", "kind": "contacts_in_window", "scope": "street", "window_days": 90, "min_count": 3}]}`, "rules[0].scope"},
		{"no window", `{"rules": [{"id": "a", "name": "x", "kind": "contacts_in_window", "scope": "person", "min_count": 3}]}`, "rules[0].window_days"},
		{"count of one", `{"rules": [{"id": "a", "name": "x", "kind": "contacts_in_window", "scope": "person", "window_days": 9, "min_count": 1}]}`, "rules[0].min_count"},
		{"unknown code", `{"rules": [{"id": "a", "name": "x", "kind": "codes_in_window", "scope": "person", "window_days": 9, "min_count": 2, "codes": ["99Z"]}]}`, "rules[0].codes[0]"},
		{"one group", `{"rules": [{"id": "a", "name": "x", "kind": "all_of_in_window", "scope": "person", "window_days": 9, "groups": [{"name": "g", "codes": ["10A"]}]}]}`, "rules[0].groups"},
		{"bad outcome", `{"rules": [{"id": "a", "name": "x", "kind": "re_referral", "scope": "person", "window_days": 9, "outcomes": ["jail"]}]}`, "rules[0].outcomes[0]"},
		{"bad role", `{"rules": [{"id": "a", "name": "x", "kind": "contacts_in_window", "scope": "person", "window_days": 9, "min_count": 2, "roles": ["cat"]}]}`, "rules[0].roles[0]"},
		{"codes on wrong kind", `{"rules": [{"id": "a", "name": "x", "kind": "contacts_in_window", "scope": "person", "window_days": 9, "min_count": 2, "codes": ["10A"]}]}`, "rules[0].codes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParsePatternRules([]byte(c.json))
			if KindOf(err) != KindInvalid {
				t.Fatalf("want Invalid, got %v", err)
			}
			if c.field != "" {
				var e *Error
				if !asError(err, &e) || e.Fields[c.field] == "" {
					t.Fatalf("want a problem with %s, got %v", c.field, err)
				}
			}
		})
	}
}

func asError(err error, e **Error) bool {
	x, ok := err.(*Error)
	*e = x
	return ok
}

var day0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func entry(id string, days int, codes ...string) ChronEntry {
	return ChronEntry{ContactID: id, Reference: "REF-" + id, ReceivedAt: day0.AddDate(0, 0, days), PersonID: "p", Role: SubjectMain, Codes: codes}
}

// TestPatternWindowEdges: a window holds at exactly its length and not a day more.
func TestPatternWindowEdges(t *testing.T) {
	r := DefaultPatternRules().Rules[0] // 3 contacts in 90 days
	now := day0.AddDate(0, 0, 100)
	if m := r.Evaluate([]ChronEntry{entry("a", 0), entry("b", 30), entry("c", 90)}, now); m == nil || m.Summary != "3 contacts in 90 days" {
		t.Fatalf("3 contacts in exactly 90 days: %+v", m)
	}
	if m := r.Evaluate([]ChronEntry{entry("a", 0), entry("b", 30), entry("c", 91)}, now); m != nil {
		t.Fatalf("3 contacts in 91 days fired: %+v", m)
	}
	// The pattern long past the horizon is history.
	if m := r.Evaluate([]ChronEntry{entry("a", 0), entry("b", 1), entry("c", 2)}, day0.AddDate(0, 0, 400)); m != nil {
		t.Fatalf("a pattern 400 days old fired: %+v", m)
	}
	// A contact in another role does not count.
	other := entry("c", 2)
	other.Role = SubjectParentCarer
	if m := r.Evaluate([]ChronEntry{entry("a", 0), entry("b", 1), other}, now); m != nil {
		t.Fatalf("a contact naming the person as a parent counted: %+v", m)
	}
}

func TestPatternSummaries(t *testing.T) {
	rs := DefaultPatternRules().Rules
	now := day0.AddDate(0, 0, 200)
	trio := rs[3].Evaluate([]ChronEntry{entry("a", 0, "3A"), entry("b", 10, "16A"), entry("c", 40, "4B", "2B")}, now)
	if trio == nil || trio.Summary != "domestic abuse, parental mental ill-health and parental substance misuse within 40 days" ||
		strings.Join(trio.ContactIDs, ",") != "a,c" {
		t.Fatalf("toxic trio: %+v", trio)
	}
	one := rs[4].Evaluate([]ChronEntry{entry("a", 0, "10A", "24A")}, now)
	if one == nil || one.Summary != "missing and exploitation in one contact" {
		t.Fatalf("missing and exploitation in one contact: %+v", one)
	}
	if Days(0) != "1 day" || Days(61*24*time.Hour+time.Hour) != "62 days" {
		t.Fatalf("Days: %q %q", Days(0), Days(61*24*time.Hour+time.Hour))
	}
}
