package jobs_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/jobs"
)

// The runner's timing on a fake clock (testing/synctest): when an idle
// runner wakes, how a backlog drains, and that it neither spins nor lingers.

// schedQueue is a memQueue that can say when its next job falls due, as the
// store does (jobs.Scheduler).
type schedQueue struct{ *memQueue }

func (q schedQueue) NextJobAt(ctx context.Context) (time.Time, bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var at time.Time
	ok := false
	for _, j := range q.jobs {
		if j.State == mash.JobQueued && (!ok || j.RunAt.Before(at)) {
			at, ok = j.RunAt, true
		}
	}
	return at, ok, nil
}

func newQueue(due ...time.Time) *memQueue {
	q := &memQueue{jobs: map[string]*mash.Job{}, run: func(*mash.Job) error { return nil }}
	for i, at := range due {
		id := fmt.Sprint("j", i)
		q.jobs[id] = &mash.Job{ID: id, Kind: "k", State: mash.JobQueued, RunAt: at, MaxAttempts: 3}
	}
	return q
}

// runFor runs r for d of fake time, then stops it and waits for it.
func runFor(r *jobs.Runner, d time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	time.Sleep(d)
	cancel()
	<-done
}

// TestRunnerWakesWhenDue: an idle runner whose queue can say when the next
// job is due wakes at that moment, not at its next poll; one whose queue
// cannot waits for the poll. (Time is fake, so "on time" is exact.)
func TestRunnerWakesWhenDue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		due := []time.Time{start.Add(2500 * time.Millisecond), start.Add(7 * time.Second), start.Add(3 * time.Minute)}
		q := newQueue(due...)
		runFor(&jobs.Runner{Queue: schedQueue{q}, Owner: "a", Poll: time.Minute}, 5*time.Minute)
		if len(q.ran) != 3 {
			t.Fatalf("ran %d jobs", len(q.ran))
		}
		for i, at := range q.ran {
			if !at.Equal(due[i]) {
				t.Errorf("job %d ran %v after it was due", i, at.Sub(due[i]))
			}
		}

		start = time.Now()
		q = newQueue(start.Add(2500 * time.Millisecond))
		runFor(&jobs.Runner{Queue: q, Owner: "a", Poll: time.Minute}, 5*time.Minute)
		if len(q.ran) != 1 || !q.ran[0].Equal(start.Add(time.Minute)) {
			t.Errorf("without a scheduler the job ran at %v, want at the first poll (1m)", q.ran[0].Sub(start))
		}
	})
}

// TestRunnerDrainsBacklog: a full batch is followed at once by another
// claim, so a backlog of 50 due jobs drains without waiting for polls.
func TestRunnerDrainsBacklog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var due []time.Time
		for range 50 {
			due = append(due, start)
		}
		q := newQueue(due...)
		var claims atomic.Int32
		counted := countingQueue{q, &claims}
		runFor(&jobs.Runner{Queue: counted, Owner: "a", Poll: time.Hour, Batch: 16}, 10*time.Second)
		if len(q.ran) != 50 {
			t.Fatalf("ran %d of 50", len(q.ran))
		}
		for _, at := range q.ran {
			if !at.Equal(start) {
				t.Fatalf("a job waited %v", at.Sub(start))
			}
		}
		if n := claims.Load(); n != 4 { // 16+16+16+2; a part batch means none is left, so then it waits
			t.Errorf("%d claims, want 4", n)
		}
	})
}

type countingQueue struct {
	*memQueue
	n *atomic.Int32
}

func (q countingQueue) ClaimJobs(ctx context.Context, owner string, lease time.Duration, max int) ([]mash.Job, error) {
	q.n.Add(1)
	return q.memQueue.ClaimJobs(ctx, owner, lease, max)
}

// busyQueue has a job due that another instance holds: NextJobAt says it is
// due, but a claim gets nothing.
type busyQueue struct{ claims *atomic.Int32 }

func (q busyQueue) ClaimJobs(context.Context, string, time.Duration, int) ([]mash.Job, error) {
	q.claims.Add(1)
	return nil, nil
}
func (busyQueue) RunJob(context.Context, *mash.Job, string) error { return nil }
func (busyQueue) FailJob(context.Context, *mash.Job, string, string, time.Duration, bool) error {
	return nil
}
func (busyQueue) NextJobAt(context.Context) (time.Time, bool, error) {
	return time.Now().Add(-time.Second), true, nil
}

// TestRunnerDoesNotSpin: a job that is due but held by another instance
// does not make the runner claim in a tight loop: at most one look per
// 10ms.
func TestRunnerDoesNotSpin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var claims atomic.Int32
		runFor(&jobs.Runner{Queue: busyQueue{&claims}, Owner: "a", Poll: time.Second}, time.Second)
		if n := claims.Load(); n < 50 || n > 101 {
			t.Errorf("%d claims in a second", n)
		}
	})
}

// TestRunnerStopsPromptly: an idle runner returns as soon as its context
// ends, without waiting for its poll.
func TestRunnerStopsPromptly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newQueue()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		start := time.Now()
		go func() { (&jobs.Runner{Queue: q, Owner: "a", Poll: time.Hour}).Run(ctx); close(done) }()
		time.Sleep(time.Minute)
		cancel()
		synctest.Wait()
		select {
		case <-done:
		default:
			t.Fatal("the runner did not stop")
		}
		if d := time.Since(start); d != time.Minute {
			t.Errorf("stopping took fake time: %v", d-time.Minute)
		}
	})
}

// TestBackoffSchedule: the default schedule a failing job follows: 10s,
// doubling, capped at an hour; the retry times of a job's eight attempts.
func TestBackoffSchedule(t *testing.T) {
	b := jobs.Exponential(10*time.Second, time.Hour)
	var total time.Duration
	var got []time.Duration
	for n := 1; n < 8; n++ {
		got = append(got, b(n))
		total += b(n)
	}
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second,
		320 * time.Second, 640 * time.Second}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("schedule %v, want %v", got, want)
	}
	// A job that keeps failing gives up about 21 minutes after its first try.
	if total != 1270*time.Second {
		t.Errorf("total %v", total)
	}
	if b(20) != time.Hour {
		t.Errorf("cap: %v", b(20))
	}
}
