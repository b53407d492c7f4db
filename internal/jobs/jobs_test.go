package jobs_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/jobs"
)

// memQueue is an in-memory queue with the store's claim rules, on the real
// (in a synctest bubble, fake) clock.
type memQueue struct {
	mu   sync.Mutex
	jobs map[string]*mash.Job
	run  func(j *mash.Job) error
	ran  []time.Time
}

func (q *memQueue) ClaimJobs(ctx context.Context, owner string, lease time.Duration, max int) ([]mash.Job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	var out []mash.Job
	for _, j := range q.jobs {
		due := j.State == mash.JobQueued && !j.RunAt.After(now) ||
			j.State == mash.JobRunning && j.LeaseUntil.Before(now)
		if due && len(out) < max {
			until := now.Add(lease)
			j.State, j.Attempts, j.LeaseOwner, j.LeaseUntil = mash.JobRunning, j.Attempts+1, owner, &until
			out = append(out, *j)
		}
	}
	return out, nil
}

func (q *memQueue) RunJob(ctx context.Context, j *mash.Job, owner string) error {
	q.mu.Lock()
	cur := q.jobs[j.ID]
	if cur.State != mash.JobRunning || cur.LeaseOwner != owner || cur.Attempts != j.Attempts {
		q.mu.Unlock()
		return mash.ErrLeaseLost
	}
	q.ran = append(q.ran, time.Now())
	q.mu.Unlock()
	if err := q.run(j); err != nil {
		return err
	}
	q.mu.Lock()
	cur.State = mash.JobDone
	q.mu.Unlock()
	return nil
}

func (q *memQueue) FailJob(ctx context.Context, j *mash.Job, owner, reason string, retryIn time.Duration, final bool) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	cur := q.jobs[j.ID]
	if cur.State != mash.JobRunning || cur.LeaseOwner != owner || cur.Attempts != j.Attempts {
		return nil
	}
	cur.LastError, cur.LeaseUntil = reason, nil
	if final || cur.Attempts >= cur.MaxAttempts {
		cur.State = mash.JobFailed
		return nil
	}
	cur.State, cur.RunAt = mash.JobQueued, time.Now().Add(retryIn)
	return nil
}

// TestRunnerBackoff: a failing job is retried after 1, 2 and 4 minutes (on the
// fake clock, with the runner polling every second) and then fails with its
// reason; the runner stops when its context ends.
func TestRunnerBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		q := &memQueue{jobs: map[string]*mash.Job{
			"j1": {ID: "j1", Kind: "k", State: mash.JobQueued, RunAt: start.Add(time.Minute), MaxAttempts: 4},
		}, run: func(*mash.Job) error { return errors.New("partner system unavailable") }}
		r := &jobs.Runner{Queue: q, Owner: "a", Poll: time.Second, Backoff: jobs.Exponential(time.Minute, time.Hour)}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		time.Sleep(time.Hour)
		synctest.Wait()
		q.mu.Lock()
		ran, j := append([]time.Time(nil), q.ran...), *q.jobs["j1"]
		q.mu.Unlock()
		want := []time.Duration{time.Minute, time.Minute, 2 * time.Minute, 4 * time.Minute} // due, then backoff 1, 2, 4
		if len(ran) != len(want) {
			t.Fatalf("ran %d times, want %d", len(ran), len(want))
		}
		at := start
		for i, w := range want {
			at = at.Add(w)
			// The runner looks once a second, so it is at most a second late.
			if late := ran[i].Sub(at); late < 0 || late > time.Second {
				t.Errorf("attempt %d ran %v after it was due", i+1, late)
			}
			at = ran[i]
		}
		if j.State != mash.JobFailed || j.LastError != "partner system unavailable" || j.Attempts != 4 {
			t.Errorf("job after its attempts: %+v", j)
		}
		cancel()
		<-done
	})
}

// TestRunnerPermanentAndLeaseLost: an Invalid error fails the job at once;
// a lost lease is left to the runner that holds it now.
func TestRunnerPermanentAndLeaseLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &memQueue{jobs: map[string]*mash.Job{
			"bad": {ID: "bad", Kind: "k", State: mash.JobQueued, RunAt: time.Now(), MaxAttempts: 5},
		}, run: func(*mash.Job) error { return mash.Errorf(mash.KindInvalid, "no handler") }}
		r := &jobs.Runner{Queue: q, Owner: "a"}
		if n, err := r.RunOnce(t.Context()); n != 1 || err != nil {
			t.Fatalf("RunOnce = %d, %v", n, err)
		}
		if j := q.jobs["bad"]; j.State != mash.JobFailed || j.Attempts != 1 {
			t.Errorf("invalid job: %+v", j)
		}
		q.jobs["x"] = &mash.Job{ID: "x", Kind: "k", State: mash.JobQueued, RunAt: time.Now(), MaxAttempts: 5}
		q.run = func(j *mash.Job) error {
			// Meanwhile the lease ran out and another runner claimed it.
			q.mu.Lock()
			q.jobs[j.ID].Attempts++
			q.jobs[j.ID].LeaseOwner = "b"
			q.mu.Unlock()
			return mash.ErrLeaseLost
		}
		r.RunOnce(t.Context())
		if j := q.jobs["x"]; j.State != mash.JobRunning || j.LeaseOwner != "b" || j.LastError != "" {
			t.Errorf("a lost lease changed the job: %+v", j)
		}
	})
}

func TestExponential(t *testing.T) {
	b := jobs.Exponential(10*time.Second, time.Minute)
	for n, want := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second, 4: time.Minute, 30: time.Minute} {
		if got := b(n); got != want {
			t.Errorf("backoff(%d) = %v, want %v", n, got, want)
		}
	}
}
