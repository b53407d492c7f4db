package jobs_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/jobs"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// BenchmarkJobs measures jobs per second through two runners (as `mash
// serve` starts) on SQLite, and how late a job fires while a backlog is
// being worked through:
//
//   - noop: b.N jobs that each write one row, all due when the runners
//     start, and b.N/100 probe jobs falling due evenly while that backlog
//     drains and after; each probe records how late it ran (p50, p99, max).
//   - reminder: real information-request reminders and overdue alerts (each
//     reads the request, notifies the researchers, logs the chase and
//     appends an audit event), all due at once.
//
// go test ./internal/jobs -run '^$' -bench BenchmarkJobs -benchtime 3000x
func BenchmarkJobs(b *testing.B) {
	b.Run("noop", benchNoop)
	b.Run("reminder", benchReminders)
}

func benchNoop(b *testing.B) {
	ctx := context.Background()
	db := storetest.Open(b, storetest.Engines(b)[0])
	if _, err := db.SQL().ExecContext(ctx, `CREATE TABLE bench_runs (job_id TEXT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	// noops counts handler calls; the last one notes the time (its commit
	// follows within one group commit).
	var noops, probesRun atomic.Int64
	var lastNoop atomic.Int64
	var mu sync.Mutex
	var late []time.Duration
	db.HandleJob("bench.noop", func(ctx context.Context, tx *sql.Tx, j *mash.Job) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO bench_runs (job_id) VALUES ($1)`, j.ID)
		if noops.Add(1) == int64(b.N) {
			lastNoop.Store(time.Now().UnixNano())
		}
		return err
	})
	db.HandleJob("bench.probe", func(ctx context.Context, tx *sql.Tx, j *mash.Job) error {
		mu.Lock()
		late = append(late, time.Since(j.RunAt))
		mu.Unlock()
		probesRun.Add(1)
		return nil
	})
	for i := range b.N {
		if _, err := db.EnqueueJob(ctx, store.NewJob{Kind: "bench.noop", Key: fmt.Sprint("noop:", i), RunAt: db.Now()}); err != nil {
			b.Fatal(err)
		}
	}
	// Probes (stand-ins for reminders) fall due evenly from when the runners
	// start, while the backlog drains and for as long again after.
	probes := max(b.N/100, 4)
	every := time.Duration(b.N) * time.Millisecond / time.Duration(probes) / 2 // the backlog drains in about b.N/2 ms
	start := db.Now().Add(time.Second)                                         // the probes are enqueued before the timer starts
	for i := range probes {
		if _, err := db.EnqueueJob(ctx, store.NewJob{Kind: "bench.probe", Key: fmt.Sprint("probe:", i),
			RunAt: start.Add(time.Duration(i) * every)}); err != nil {
			b.Fatal(err)
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	time.Sleep(time.Until(start))
	b.ResetTimer()
	t0 := time.Now()
	r := &jobs.Runner{Queue: db, Owner: "bench"}
	go r.RunN(runCtx, 2)
	for lastNoop.Load() == 0 || probesRun.Load() < int64(probes) {
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	stop()
	elapsed := time.Unix(0, lastNoop.Load()).Sub(t0)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "jobs/s")
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(late)
	b.ReportMetric(float64(late[len(late)/2].Milliseconds()), "p50-late-ms")
	b.ReportMetric(float64(late[len(late)*99/100].Milliseconds()), "p99-late-ms")
	b.ReportMetric(float64(late[len(late)-1].Milliseconds()), "max-late-ms")
}

func benchReminders(b *testing.B) {
	ctx := context.Background()
	db := storetest.Open(b, storetest.Engines(b)[0])
	f := storetest.Partnership(b, db)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(now.UnixNano())
	db.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	// Each request makes three jobs (50%, 90%, overdue).
	var last time.Time
	for range max(b.N/3, 1) {
		c := storetest.NewContact(now)
		if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), c, ""); err != nil {
			b.Fatal(err)
		}
		if _, err := db.Screen(ctx, f.Actor(mash.RoleScreener), c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: "amber",
			ThresholdLevel: 3, Reason: "benchmark", Version: c.Version}); err != nil {
			b.Fatal(err)
		}
		req, err := db.CreateRequest(ctx, f.Actor(mash.RoleScreener), c.ID, mash.NewRequest{AgencyID: f.Police.ID, Question: "Any call-outs?"})
		if err != nil {
			b.Fatal(err)
		}
		last = req.DueAt
	}
	// Only the request jobs: the contacts' own deadline jobs are left out.
	if _, err := db.SQL().ExecContext(ctx, `DELETE FROM jobs WHERE kind NOT LIKE 'request.%'`); err != nil {
		b.Fatal(err)
	}
	var total int64
	if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM jobs`).Scan(&total); err != nil {
		b.Fatal(err)
	}
	clock.Store(last.Add(time.Minute).UnixNano())
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	b.ResetTimer()
	t0 := time.Now()
	r := &jobs.Runner{Queue: db, Owner: "bench"}
	go r.RunN(runCtx, 2)
	for {
		var n int64
		if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE state = 'done'`).Scan(&n); err == nil && n >= total {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(t0)
	b.StopTimer()
	stop()
	b.ReportMetric(float64(total)/elapsed.Seconds(), "jobs/s")
}
