package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"openmash.org/mash"
	"openmash.org/mash/internal/store/storetest"
)

// TestPatternsCommand: the rules are shown as JSON and replaced with edited
// JSON; bad rules and stale versions are refused and change nothing.
func TestPatternsCommand(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			show := func() (string, mash.PatternRules) {
				out, _, err := mashCmd(t, e.URL, "", "patterns", "show")
				var rs mash.PatternRules
				if err != nil || json.Unmarshal([]byte(out), &rs) != nil {
					t.Fatalf("patterns show: %q %v", out, err)
				}
				return out, rs
			}
			out, rs := show()
			if rs.Version != 0 || len(rs.Rules) != 5 {
				t.Fatalf("default rules: %+v", rs)
			}
			_, _, err := mashCmd(t, e.URL, strings.Replace(out, `"window_days": 90`, `"window_days": 0`, 1), "patterns", "set")
			if err == nil || !strings.Contains(err.Error(), "rules[0].window_days") {
				t.Fatalf("bad window: %v", err)
			}
			_, _, err = mashCmd(t, e.URL, `{"version": 0, "rules": [{"id": "x", "nmae": "typo"}]}`, "patterns", "set")
			if err == nil || !strings.Contains(err.Error(), "nmae") {
				t.Fatalf("unknown field: %v", err)
			}
			if _, after := show(); after.Version != 0 || after.Rules[0].WindowDays != 90 {
				t.Fatalf("refused sets changed the rules: %+v", after)
			}
			edited := strings.Replace(out, `"window_days": 90`, `"window_days": 60`, 1)
			if got, _, err := mashCmd(t, e.URL, edited, "patterns", "set"); err != nil || !strings.Contains(got, "version 1") {
				t.Fatalf("patterns set: %q %v", got, err)
			}
			if _, _, err := mashCmd(t, e.URL, edited, "patterns", "set"); err == nil || !strings.Contains(err.Error(), "version") {
				t.Fatalf("stale version: %v", err)
			}
			if _, after := show(); after.Version != 1 || after.Rules[0].WindowDays != 60 {
				t.Fatalf("rules after set: %+v", after)
			}
			if _, _, err := mashCmd(t, e.URL, "", "patterns"); !errors.Is(err, errUsage) {
				t.Fatalf("no subcommand: %v", err)
			}
		})
	}
}
