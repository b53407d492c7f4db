package store

import (
	"testing"
	"time"
)

// parseUTCText must read what the SQLite driver writes exactly as
// time.Parse does, and refuse anything else.
func TestParseUTCText(t *testing.T) {
	for _, want := range []time.Time{
		time.Date(2026, 3, 29, 0, 59, 59, 0, time.UTC),
		time.Date(2026, 3, 29, 1, 0, 0, 500_000_000, time.UTC),
		time.Date(2025, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2024, 2, 29, 12, 0, 0, 120_000, time.UTC),
		time.Date(2026, 11, 26, 11, 59, 7, 1, time.UTC),
	} {
		s := want.String()
		got, ok := parseUTCText(s)
		if !ok || !got.Equal(want) {
			t.Errorf("parseUTCText(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, bad := range []string{"", "2026-03-29 00:59:59", "2026-03-29 00:59:59 +0100 BST", "2026-02-30 00:00:00 +0000 UTC",
		"2026-03-29 00:59:5x +0000 UTC", "2026-03-29 00:59:59. +0000 UTC", "2026-03-29T00:59:59 +0000 UTC", "2026-03-29 00:59:59.1234567890 +0000 UTC"} {
		if got, ok := parseUTCText(bad); ok {
			t.Errorf("parseUTCText(%q) = %v, want refused", bad, got)
		}
	}
}
