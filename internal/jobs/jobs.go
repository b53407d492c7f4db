// Package jobs runs the hub's background work: reminders, escalations and
// alerts that must happen on time and exactly once, however many instances
// of the hub share one store.
//
// The queue lives in the store (see store.ClaimJobs and store.RunJob), which
// claims jobs under a lease and commits each job's effects together with
// marking it done. A Runner polls the queue, runs what is due, retries
// failures with exponential backoff and stops cleanly when its context ends.
package jobs

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"openmash.org/mash"
)

// Queue is the store side of the runner.
type Queue interface {
	// ClaimJobs leases up to max due jobs to owner.
	ClaimJobs(ctx context.Context, owner string, lease time.Duration, max int) ([]mash.Job, error)
	// RunJob runs a claimed job and marks it done, in one transaction; it
	// changes nothing if owner's claim has been lost.
	RunJob(ctx context.Context, j *mash.Job, owner string) error
	// FailJob records a failed attempt: queued again after retryIn, or
	// failed for good when final or out of attempts.
	FailJob(ctx context.Context, j *mash.Job, owner, reason string, retryIn time.Duration, final bool) error
}

// Scheduler is a Queue that can tell when its next queued job falls due, so
// an idle runner wakes for it rather than at its next poll.
type Scheduler interface {
	NextJobAt(ctx context.Context) (at time.Time, ok bool, err error)
}

// Releaser is a Queue that can hand back claimed jobs a stopping runner
// will not start, so they need not wait for their leases to run out.
type Releaser interface {
	ReleaseJob(ctx context.Context, j *mash.Job, owner string) error
}

// Runner polls a queue and runs due jobs.
type Runner struct {
	Queue Queue
	// Owner names this instance in leases; give each instance its own
	// (see InstanceID). Goroutines of one instance may share it.
	Owner string
	// Poll is how long an idle runner waits before looking again (default 1s):
	// the most a job runs late when the runner is not busy.
	Poll time.Duration
	// Lease is how long a claimed job is reserved (default 1 minute); if the
	// runner dies, another claims it once the lease runs out.
	Lease time.Duration
	// Batch is how many jobs one claim takes (default 16).
	Batch int
	// Parallel is how many jobs of a batch run at once (default 4). On
	// SQLite their transactions share group commits, which is most of the
	// runner's throughput.
	Parallel int
	// Backoff is the wait before retry n (1-based) of a failed job (default
	// Exponential(10s, 1h)).
	Backoff func(attempt int) time.Duration
	// Log gets failures; never personal data (jobs carry ids and reasons).
	Log *slog.Logger
}

// Exponential returns a backoff of base·2^(n-1), at most max.
func Exponential(base, max time.Duration) func(int) time.Duration {
	return func(n int) time.Duration {
		d := base
		for i := 1; i < n; i++ {
			d *= 2
			if d >= max {
				return max
			}
		}
		return min(d, max)
	}
}

// InstanceID returns an id for this process: host name, process id and a
// random suffix, so a restarted instance never reuses a dead one's leases.
func InstanceID() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "mash"
	}
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), rand.Text()[:6])
}

func (r *Runner) defaults() {
	if r.Poll <= 0 {
		r.Poll = time.Second
	}
	if r.Lease <= 0 {
		r.Lease = time.Minute
	}
	if r.Batch <= 0 {
		r.Batch = 16
	}
	if r.Parallel <= 0 {
		r.Parallel = 4
	}
	if r.Backoff == nil {
		r.Backoff = Exponential(10*time.Second, time.Hour)
	}
	if r.Log == nil {
		r.Log = slog.New(slog.DiscardHandler)
	}
	if r.Owner == "" {
		r.Owner = InstanceID()
	}
}

// Run runs due jobs until ctx ends. A job already started when ctx ends is
// finished; jobs claimed but not started are handed back (if the queue is a
// Releaser), or else claimed again when their lease runs out.
func (r *Runner) Run(ctx context.Context) {
	r.defaults()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := r.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			r.Log.Warn("jobs: claim", "owner", r.Owner, "err", err)
		}
		wait := r.Poll
		if n == r.Batch && err == nil {
			wait = 0 // more may be due
		} else if s, ok := r.Queue.(Scheduler); ok && err == nil {
			if at, ok, err := s.NextJobAt(ctx); err == nil && ok {
				wait = max(min(wait, time.Until(at)), 0)
				if n == 0 {
					// Due but not claimable (another instance is claiming
					// it): do not spin.
					wait = max(wait, 10*time.Millisecond)
				}
			}
		}
		t.Reset(wait)
	}
}

// RunN runs n runners in goroutines until ctx ends, and returns when all
// have stopped.
func (r *Runner) RunN(ctx context.Context, n int) {
	r.defaults()
	var wg sync.WaitGroup
	for range max(n, 1) {
		wg.Go(func() {
			c := *r
			c.Run(ctx)
		})
	}
	wg.Wait()
}

// RunOnce claims one batch of due jobs and runs them, returning how many it
// claimed.
func (r *Runner) RunOnce(ctx context.Context) (int, error) {
	r.defaults()
	list, err := r.Queue.ClaimJobs(ctx, r.Owner, r.Lease, r.Batch)
	if err != nil {
		return 0, err
	}
	sem := make(chan struct{}, r.Parallel)
	var wg sync.WaitGroup
	for i := range list {
		sem <- struct{}{}
		if ctx.Err() != nil {
			<-sem
			r.release(list[i:])
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			r.run(context.WithoutCancel(ctx), &list[i])
		})
	}
	wg.Wait()
	return len(list), nil
}

// release hands back jobs claimed but not started, if the queue can.
func (r *Runner) release(list []mash.Job) {
	q, ok := r.Queue.(Releaser)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := range list {
		if err := q.ReleaseJob(ctx, &list[i], r.Owner); err != nil {
			r.Log.Warn("jobs: release", "job", list[i].ID, "err", err)
		}
	}
}

// run runs one job and records a failure.
func (r *Runner) run(ctx context.Context, j *mash.Job) {
	err := r.Queue.RunJob(ctx, j, r.Owner)
	if err == nil {
		return
	}
	if errors.Is(err, mash.ErrLeaseLost) {
		// Another runner has the job now; this attempt did nothing.
		r.Log.Warn("jobs: lease lost", "job", j.ID, "kind", j.Kind, "owner", r.Owner)
		return
	}
	final := mash.KindOf(err) == mash.KindInvalid
	retry := r.Backoff(j.Attempts)
	if ferr := r.Queue.FailJob(ctx, j, r.Owner, err.Error(), retry, final); ferr != nil {
		r.Log.Error("jobs: record failure", "job", j.ID, "kind", j.Kind, "err", ferr)
	}
	if final || j.Attempts >= j.MaxAttempts {
		r.Log.Error("jobs: failed", "job", j.ID, "kind", j.Kind, "attempts", j.Attempts, "err", err)
		return
	}
	r.Log.Warn("jobs: attempt failed", "job", j.ID, "kind", j.Kind, "attempt", j.Attempts, "retry_in", retry, "err", err)
}
