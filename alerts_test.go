package mash

import (
	"testing"
	"time"
)

// TestAlertPermissions: admins and managers see the job queue; everyone
// signed in reads their own notifications; managers and analysts see missed
// deadlines, and only managers give their reasons.
func TestAlertPermissions(t *testing.T) {
	for _, r := range Roles {
		wantJobs := r == RoleAdmin || r == RoleManager
		if got := Can(Actor{Role: r}, ActionJobsRead, Resource{}); got != wantJobs {
			t.Errorf("Can(%s, %s) = %v, want %v", r, ActionJobsRead, got, wantJobs)
		}
		if !Can(Actor{Role: r}, ActionNotificationRead, Resource{}) {
			t.Errorf("%s may not read their notifications", r)
		}
		if got, want := Can(Actor{Role: r}, ActionBreachRead, Resource{}), r == RoleManager || r == RoleAnalyst; got != want {
			t.Errorf("Can(%s, %s) = %v, want %v", r, ActionBreachRead, got, want)
		}
		if got, want := Can(Actor{Role: r}, ActionBreachExplain, Resource{}), r == RoleManager; got != want {
			t.Errorf("Can(%s, %s) = %v, want %v", r, ActionBreachExplain, got, want)
		}
	}
}

func TestPointInTime(t *testing.T) {
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	due := start.Add(10 * time.Hour)
	for pct, want := range map[int]time.Time{0: start, 50: start.Add(5 * time.Hour), 90: start.Add(9 * time.Hour), 100: due} {
		if got := PointInTime(start, due, pct); !got.Equal(want) {
			t.Errorf("PointInTime(%d%%) = %v, want %v", pct, got, want)
		}
	}
	if got := PointInTime(due, start, 50); !got.Equal(start) {
		t.Errorf("a due time already passed: %v, want the due time", got)
	}
}
