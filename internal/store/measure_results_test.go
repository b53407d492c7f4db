package store_test

import (
	"context"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestStoredMeasures: a measure over a long range is worked out once and
// served from the stored result until it is MeasureMaxAge old (so a new
// contact shows only when the result is worked out again), the refresh job
// works out again the results in use and queues its next run, short ranges
// are always live, and MeasuresLive turns the store off.
func TestStoredMeasures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clk, runner := alertsFixture(t, db)
		manager, screener := f.Actor(mash.RoleManager), f.Actor(mash.RoleScreener)
		start := clk.Now()
		add := func(ago time.Duration) {
			t.Helper()
			if _, err := db.CreateContact(ctx, screener, storetest.NewContact(clk.Now().Add(-ago)), ""); err != nil {
				t.Fatal(err)
			}
		}
		// The trends page's query: a long range by month, to now.
		read := func(from time.Time) *mash.MeasureResult {
			t.Helper()
			r, err := db.Measure(ctx, manager, mash.MeasureContactsByCohort, mash.MeasureQuery{From: from, To: clk.Now(), Period: mash.PeriodMonth})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		total := func(r *mash.MeasureResult) (n int) {
			for _, row := range r.Rows {
				if v := row.Values[0].Value; v != nil {
					n += int(*v)
				}
			}
			return n
		}
		year := start.AddDate(-1, 0, 0)
		add(40 * 24 * time.Hour)
		add(time.Hour)

		r := read(year)
		if r.Stored || total(r) != 2 || !r.AsAt.Equal(start) {
			t.Fatalf("first read: stored %v, %d contacts, as at %v; want worked out now, 2", r.Stored, total(r), r.AsAt)
		}
		clk.Set(start.Add(time.Minute))
		add(time.Second)
		r = read(year)
		if !r.Stored || total(r) != 2 || !r.AsAt.Equal(start) {
			t.Fatalf("a minute later: stored %v, %d contacts, as at %v; want the stored result of %v (2)", r.Stored, total(r), r.AsAt, start)
		}
		// A short range, and the same query with the store off: live.
		week, err := db.Measure(ctx, manager, mash.MeasureContactsByCohort, mash.MeasureQuery{From: clk.Now().AddDate(0, 0, -7), To: clk.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if week.Stored || total(week) != 2 {
			t.Errorf("the last week: stored %v, %d contacts; want live, 2", week.Stored, total(week))
		}
		db.MeasuresLive = true
		if r := read(year); r.Stored || total(r) != 3 {
			t.Errorf("with MeasuresLive: stored %v, %d contacts; want live, 3", r.Stored, total(r))
		}
		db.MeasuresLive = false

		// The refresh job, five minutes on, works it out again and queues
		// its next run.
		if err := db.ScheduleMeasures(ctx); err != nil {
			t.Fatal(err)
		}
		clk.Set(start.Add(6 * time.Minute))
		drain(t, runner)
		r = read(year)
		if !r.Stored || total(r) != 3 || !r.AsAt.Equal(clk.Now()) {
			t.Fatalf("after the refresh: stored %v, %d contacts, as at %v; want stored, 3, as at %v", r.Stored, total(r), r.AsAt, clk.Now())
		}
		queued, err := db.ListJobs(ctx, store.System, mash.JobFilter{Kind: store.JobMeasuresRefresh, State: mash.JobQueued})
		if err != nil {
			t.Fatal(err)
		}
		if len(queued) != 1 || !queued[0].RunAt.Equal(clk.Now().Add(mash.MeasureMaxAge/2)) {
			t.Fatalf("after a refresh the queue holds %+v; want one refresh in %v", queued, mash.MeasureMaxAge/2)
		}

		// Past MeasureMaxAge with no refresh: worked out on reading.
		add(0)
		clk.Set(start.Add(6*time.Minute + mash.MeasureMaxAge + time.Second))
		if r := read(year); r.Stored || total(r) != 4 {
			t.Errorf("a stale result: stored %v, %d contacts; want worked out again, 4", r.Stored, total(r))
		}
		// Results no one read for three days are left alone.
		clk.Set(clk.Now().Add(73 * time.Hour))
		if n, err := db.RefreshMeasures(ctx); err != nil || n != 0 {
			t.Errorf("refreshing after a day unread: %d results (%v); want none", n, err)
		}
	})
}
