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
	"openmash.org/mash/internal/notify"
	"openmash.org/mash/internal/notify/notifytest"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// BenchmarkJobsTwoInstances measures the runner as a two-instance
// deployment runs it: two store handles (separate connection pools, as two
// `mash serve` processes have) on one database, each with two runners, on
// every engine (PostgreSQL when MASH_TEST_POSTGRES_URL is set).
//
//   - noop: as BenchmarkJobs/noop (b.N one-row jobs all due at once, and
//     b.N/100 probe jobs falling due while the backlog drains, whose
//     lateness is reported), but through two instances.
//   - email: b.N emails through a local SMTP server (real SMTP
//     conversations over loopback), all due at once.
//
// MASH_TEST_POSTGRES_URL=… go test ./internal/jobs -run '^$' -bench BenchmarkJobsTwoInstances -benchtime 2000x
func BenchmarkJobsTwoInstances(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(e.Name+"/noop", func(b *testing.B) { benchTwoNoop(b, freshEngine(b, e.Name)) })
		b.Run(e.Name+"/email", func(b *testing.B) { benchTwoEmail(b, freshEngine(b, e.Name)) })
	}
}

// freshEngine is a new, empty database of the named engine: each run of a
// benchmark function (b.N grows) needs its own.
func freshEngine(b *testing.B, name string) storetest.Engine {
	for _, e := range storetest.Engines(b) {
		if e.Name == name {
			return e
		}
	}
	b.Fatalf("no engine %s", name)
	return storetest.Engine{}
}

// twoHandles opens the benchmark's store and a second handle on it.
func twoHandles(b *testing.B, e storetest.Engine) (*store.DB, *store.DB) {
	a := storetest.Open(b, e)
	second, err := store.Open(context.Background(), e.URL, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { second.Close() })
	return a, second
}

// runBoth starts two runners on each handle until the returned stop.
func runBoth(dbs ...*store.DB) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i, db := range dbs {
		r := &jobs.Runner{Queue: db, Owner: fmt.Sprint("bench-", i)}
		wg.Go(func() { r.RunN(ctx, 2) })
	}
	return func() { cancel(); wg.Wait() }
}

func benchTwoNoop(b *testing.B, e storetest.Engine) {
	ctx := context.Background()
	a, second := twoHandles(b, e)
	if _, err := a.SQL().ExecContext(ctx, `CREATE TABLE bench_runs (job_id TEXT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	var noops, probesRun, lastNoop atomic.Int64
	var mu sync.Mutex
	var late []time.Duration
	for _, db := range []*store.DB{a, second} {
		db.HandleJob("bench.noop", func(ctx context.Context, tx *sql.Tx, j *mash.Job) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO bench_runs (job_id) VALUES ($1)`, j.ID)
			if noops.Add(1) >= int64(b.N) {
				lastNoop.CompareAndSwap(0, time.Now().UnixNano())
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
	}
	for i := range b.N {
		if _, err := a.EnqueueJob(ctx, store.NewJob{Kind: "bench.noop", Key: fmt.Sprint("noop:", i), RunAt: a.Now()}); err != nil {
			b.Fatal(err)
		}
	}
	probes := max(b.N/100, 4)
	every := time.Duration(b.N) * time.Millisecond / time.Duration(probes) / 2
	start := a.Now().Add(time.Second)
	for i := range probes {
		if _, err := a.EnqueueJob(ctx, store.NewJob{Kind: "bench.probe", Key: fmt.Sprint("probe:", i),
			RunAt: start.Add(time.Duration(i) * every)}); err != nil {
			b.Fatal(err)
		}
	}
	time.Sleep(time.Until(start))
	b.ResetTimer()
	t0 := time.Now()
	stop := runBoth(a, second)
	for lastNoop.Load() == 0 || probesRun.Load() < int64(probes) {
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	stop()
	var runs int
	a.SQL().QueryRowContext(ctx, `SELECT count(*) FROM bench_runs`).Scan(&runs)
	if runs != b.N {
		b.Fatalf("%d effects for %d jobs", runs, b.N)
	}
	b.ReportMetric(float64(b.N)/time.Unix(0, lastNoop.Load()).Sub(t0).Seconds(), "jobs/s")
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(late)
	b.ReportMetric(float64(late[len(late)/2].Milliseconds()), "p50-late-ms")
	b.ReportMetric(float64(late[len(late)*99/100].Milliseconds()), "p99-late-ms")
	b.ReportMetric(float64(late[len(late)-1].Milliseconds()), "max-late-ms")
}

func benchTwoEmail(b *testing.B, e storetest.Engine) {
	ctx := context.Background()
	a, second := twoHandles(b, e)
	f := storetest.Partnership(b, a)
	srv := notifytest.Start(b, notifytest.Options{})
	for _, db := range []*store.DB{a, second} {
		db.SetChannels(store.Channels{Mail: &notify.Mailer{Addr: srv.Addr, From: "mash@hub.example"}, PublicURL: "https://mash.example"})
	}
	// Notifications for the email jobs to send (as an alert would write them).
	for i := range b.N {
		id := fmt.Sprint("bench-n-", i)
		if _, err := a.SQL().ExecContext(ctx, `INSERT INTO notifications (id, user_id, kind, reference, link, message, job_id, created_at, read_at)
			VALUES ($1,$2,'contact.breach','MASH-2026-000001','/contacts/x','m',$1,$3,NULL)`, id, f.Users[mash.RoleManager].ID,
			a.Now().UTC()); err != nil {
			b.Fatal(err)
		}
		if _, err := a.EnqueueJob(ctx, store.NewJob{Kind: store.JobEmail, Key: "email:" + id,
			Payload: map[string]string{"notification_id": id}, RunAt: a.Now()}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	t0 := time.Now()
	stop := runBoth(a, second)
	for len(srv.Mails()) < b.N {
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(t0)
	b.StopTimer()
	stop()
	if n := len(srv.Mails()); n != b.N {
		b.Fatalf("%d emails for %d jobs", n, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "emails/s")
}
