package web

import (
	"encoding/json"
	"os"
	"testing"
	"time"
)

// TestTimeLeft: the board's words for the time to a deadline. The same
// table (testdata/timeleft.json) checks the page's countdown in app.js, in
// the browser tests, so the words do not change when the clock ticks.
func TestTimeLeft(t *testing.T) {
	b, err := os.ReadFile("testdata/timeleft.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Seconds int64
		Want    string
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for _, c := range cases {
		due := now.Add(time.Duration(c.Seconds) * time.Second)
		if got := timeLeft(&due, now); got != c.Want {
			t.Errorf("%ds: %q, want %q", c.Seconds, got, c.Want)
		}
	}
}
