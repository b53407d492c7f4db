package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/jobs"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// testClock is a settable clock shared by the store handles of a test.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *testClock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// drain runs due jobs until none is left.
func drain(t *testing.T, r *jobs.Runner) int {
	t.Helper()
	total := 0
	for {
		n, err := r.RunOnce(context.Background())
		if err != nil {
			t.Fatalf("run jobs: %v", err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

func countRows(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// secondHandle opens another store on the same database, as a second
// instance of the hub would.
func secondHandle(t *testing.T, e storetest.Engine) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), e.URL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestJobsExactlyOnceTwoInstances: two store handles on one database (two
// hub instances), each with two runners, work through many jobs; every job's
// effect commits exactly once and every handler call is for a live claim.
func TestJobsExactlyOnceTwoInstances(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			a := storetest.Open(t, e)
			b := secondHandle(t, e)
			if _, err := a.SQL().ExecContext(ctx, `CREATE TABLE test_runs (job_id TEXT NOT NULL, owner TEXT NOT NULL)`); err != nil {
				t.Fatal(err)
			}
			var calls sync.Map // job id → *atomic.Int32
			for _, db := range []*store.DB{a, b} {
				db.HandleJob("test.count", func(ctx context.Context, tx *sql.Tx, j *mash.Job) error {
					n, _ := calls.LoadOrStore(j.ID, new(atomic.Int32))
					n.(*atomic.Int32).Add(1)
					_, err := tx.ExecContext(ctx, `INSERT INTO test_runs (job_id, owner) VALUES ($1, $2)`, j.ID, j.LeaseOwner)
					return err
				})
			}
			const n = 400
			for i := range n {
				if _, err := a.EnqueueJob(ctx, store.NewJob{Kind: "test.count", Key: fmt.Sprint("count:", i), Payload: i, RunAt: a.Now()}); err != nil {
					t.Fatal(err)
				}
			}
			runCtx, stop := context.WithCancel(ctx)
			var wg sync.WaitGroup
			for i, db := range []*store.DB{a, b} {
				r := &jobs.Runner{Queue: db, Owner: fmt.Sprint("instance-", i), Poll: 5 * time.Millisecond, Batch: 8}
				wg.Go(func() { r.RunN(runCtx, 2) })
			}
			deadline := time.Now().Add(60 * time.Second)
			for countRows(t, a, `SELECT count(*) FROM jobs WHERE state = 'done'`) < n {
				if time.Now().After(deadline) {
					t.Fatalf("jobs not done in time: %d of %d", countRows(t, a, `SELECT count(*) FROM jobs WHERE state = 'done'`), n)
				}
				time.Sleep(20 * time.Millisecond)
			}
			stop()
			wg.Wait()
			if got := countRows(t, a, `SELECT count(*) FROM test_runs`); got != n {
				t.Errorf("%d effects committed for %d jobs", got, n)
			}
			if got := countRows(t, a, `SELECT count(DISTINCT job_id) FROM test_runs`); got != n {
				t.Errorf("%d distinct jobs ran, want %d", got, n)
			}
			calls.Range(func(k, v any) bool {
				if c := v.(*atomic.Int32).Load(); c != 1 {
					t.Errorf("job %s: handler called %d times", k, c)
				}
				return true
			})
			for i := range 2 {
				t.Logf("instance-%d ran %d jobs", i, countRows(t, a, `SELECT count(*) FROM test_runs WHERE owner = $1`, fmt.Sprint("instance-", i)))
			}
		})
	}
}

// TestJobsLeaseExpiry: a job whose runner died is claimed again once its
// lease runs out; the dead runner's late attempt does nothing; a job whose
// runners keep dying fails with the reason.
func TestJobsLeaseExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := &testClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
		db.Now = clock.Now
		var ran atomic.Int32
		db.HandleJob("test.once", func(ctx context.Context, tx *sql.Tx, j *mash.Job) error { ran.Add(1); return nil })
		if _, err := db.EnqueueJob(ctx, store.NewJob{Kind: "test.once", Key: "once", RunAt: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		dead, err := db.ClaimJobs(ctx, "dead", time.Minute, 10)
		if err != nil || len(dead) != 1 {
			t.Fatalf("claim: %v %v", dead, err)
		}
		// While the lease holds, no one else gets the job.
		clock.Add(59 * time.Second)
		if got, err := db.ClaimJobs(ctx, "alive", time.Minute, 10); err != nil || len(got) != 0 {
			t.Fatalf("claimed a leased job: %v %v", got, err)
		}
		clock.Add(2 * time.Second)
		alive, err := db.ClaimJobs(ctx, "alive", time.Minute, 10)
		if err != nil || len(alive) != 1 || alive[0].Attempts != 2 || alive[0].LeaseOwner != "alive" {
			t.Fatalf("re-claim after the lease: %+v %v", alive, err)
		}
		if err := db.RunJob(ctx, &dead[0], "dead"); !errors.Is(err, mash.ErrLeaseLost) {
			t.Fatalf("the dead runner's late run: %v, want lease lost", err)
		}
		if err := db.RunJob(ctx, &alive[0], "alive"); err != nil {
			t.Fatal(err)
		}
		if ran.Load() != 1 {
			t.Fatalf("handler ran %d times", ran.Load())
		}
		list, err := db.ListJobs(ctx, store.System, mash.JobFilter{State: mash.JobDone})
		if err != nil || len(list) != 1 || list[0].LeaseOwner != "alive" {
			t.Fatalf("done jobs: %+v %v", list, err)
		}

		// A job handed back unstarted is claimable at once, the claim not
		// counted.
		if _, err := db.EnqueueJob(ctx, store.NewJob{Kind: "test.once", Key: "handed-back", RunAt: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		got, err := db.ClaimJobs(ctx, "stopping", time.Minute, 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("claim: %v %v", got, err)
		}
		if err := db.ReleaseJob(ctx, &got[0], "stopping"); err != nil {
			t.Fatal(err)
		}
		if got, err = db.ClaimJobs(ctx, "next", time.Minute, 10); err != nil || len(got) != 1 || got[0].Attempts != 1 {
			t.Fatalf("claim after release: %+v %v", got, err)
		}
		if err := db.RunJob(ctx, &got[0], "next"); err != nil {
			t.Fatal(err)
		}

		// A job whose runner dies on every attempt fails, saying so.
		if _, err := db.EnqueueJob(ctx, store.NewJob{Kind: "test.once", Key: "doomed", RunAt: clock.Now(), MaxAttempts: 2}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if got, err := db.ClaimJobs(ctx, "dies", time.Minute, 10); err != nil || len(got) != 1 {
				t.Fatalf("claim: %v %v", got, err)
			}
			clock.Add(2 * time.Minute)
		}
		if got, err := db.ClaimJobs(ctx, "next", time.Minute, 10); err != nil || len(got) != 0 {
			t.Fatalf("claimed a job out of attempts: %v %v", got, err)
		}
		failed, err := db.ListJobs(ctx, store.System, mash.JobFilter{State: mash.JobFailed})
		if err != nil || len(failed) != 1 || !strings.Contains(failed[0].LastError, "lease expired") {
			t.Fatalf("failed jobs: %+v %v", failed, err)
		}
	})
}

// TestJobsRetryBackoff: a failing job is retried with exponential backoff
// and then fails with its reason; a kind with no handler fails at once;
// enqueueing a key twice makes one job.
func TestJobsRetryBackoff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		clock := &testClock{t: start}
		db.Now = clock.Now
		db.HandleJob("test.fail", func(ctx context.Context, tx *sql.Tx, j *mash.Job) error {
			return errors.New("partner system unavailable")
		})
		for i, want := range []bool{true, false} {
			created, err := db.EnqueueJob(ctx, store.NewJob{Kind: "test.fail", Key: "webhook:1", RunAt: start, MaxAttempts: 3})
			if err != nil || created != want {
				t.Fatalf("enqueue %d: created=%v %v", i, created, err)
			}
		}
		if _, err := db.EnqueueJob(ctx, store.NewJob{Kind: "test.nobody", RunAt: start}); err != nil {
			t.Fatal(err)
		}
		r := &jobs.Runner{Queue: db, Owner: "r", Backoff: jobs.Exponential(time.Minute, time.Hour)}
		job := func(key string) mash.Job {
			t.Helper()
			list, err := db.ListJobs(ctx, store.System, mash.JobFilter{Kind: "test.fail"})
			if err != nil || len(list) != 1 {
				t.Fatalf("jobs: %+v %v", list, err)
			}
			return list[0]
		}
		if n := drain(t, r); n != 2 {
			t.Fatalf("ran %d jobs, want 2", n)
		}
		// Retried after 1 minute, then 2; then it fails for good.
		for i, wait := range []time.Duration{time.Minute, 2 * time.Minute} {
			j := job("webhook:1")
			if j.State != mash.JobQueued || j.Attempts != i+1 || !j.RunAt.Equal(clock.Now().Add(wait)) || j.LastError != "partner system unavailable" {
				t.Fatalf("after attempt %d: %+v", i+1, j)
			}
			clock.Add(wait - time.Second)
			if n := drain(t, r); n != 0 {
				t.Fatalf("ran %d jobs before the backoff was over", n)
			}
			clock.Add(time.Second)
			if n := drain(t, r); n != 1 {
				t.Fatalf("ran %d jobs after the backoff, want 1", n)
			}
		}
		if j := job("webhook:1"); j.State != mash.JobFailed || j.Attempts != 3 || j.LastError != "partner system unavailable" {
			t.Fatalf("after the last attempt: %+v", j)
		}
		failed, err := db.ListJobs(ctx, store.System, mash.JobFilter{State: mash.JobFailed, Kind: "test.nobody"})
		if err != nil || len(failed) != 1 || failed[0].Attempts != 1 || !strings.Contains(failed[0].LastError, "no handler") {
			t.Fatalf("job with no handler: %+v %v", failed, err)
		}
	})
}

// alertsFixture is a partnership, a clock and a runner.
func alertsFixture(t *testing.T, db *store.DB) (*storetest.Fixture, *testClock, *jobs.Runner) {
	f := storetest.Partnership(t, db)
	clock := &testClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)} // a Monday
	db.Now = clock.Now
	return f, clock, &jobs.Runner{Queue: db, Owner: "test"}
}

func kinds(t *testing.T, db *store.DB, a mash.Actor) []string {
	t.Helper()
	ns, err := db.Notifications(context.Background(), a, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range ns.Items {
		out = append(out, n.Kind)
		for _, private := range []string{"Kayleigh", "Smith", "hungry", "Teacher"} {
			if strings.Contains(n.Message, private) {
				t.Errorf("notification %q holds case details", n.Message)
			}
		}
	}
	return out
}

// TestContactBreach: a contact left untouched is alerted before its deadline
// and breaches at it: the breach is recorded and the managers are told. A
// contact closed in time does not breach.
func TestContactBreach(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clock, r := alertsFixture(t, db)
		manager := f.Actor(mash.RoleManager)
		left := storetest.NewContact(clock.Now())
		if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), left, ""); err != nil {
			t.Fatal(err)
		}
		closed := storetest.NewContact(clock.Now())
		if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), closed, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Screen(ctx, f.Actor(mash.RoleScreener), closed.ID, mash.Screening{Decision: mash.ScreenNFA,
			ThresholdLevel: 1, Reason: "No safeguarding concern", Version: closed.Version}); err != nil {
			t.Fatal(err)
		}
		due := *left.DueAt
		if n := drain(t, r); n != 0 {
			t.Fatalf("%d jobs ran before any was due", n)
		}
		clock.Set(mash.PointInTime(left.CreatedAt, due, mash.ContactApproaching))
		drain(t, r)
		if got := kinds(t, db, manager); len(got) != 1 || got[0] != "contact.approaching" {
			t.Fatalf("manager notified of %v, want one approaching alert", got)
		}
		clock.Set(due)
		drain(t, r)
		list, err := db.ListBreaches(ctx, manager, mash.BreachFilter{Unexplained: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ContactID != left.ID || !list[0].DueAt.Equal(due) || !list[0].BreachedAt.Equal(due) ||
			list[0].Reason != "" || list[0].Reference != left.Reference {
			t.Fatalf("breaches: %+v", list)
		}
		got := kinds(t, db, manager)
		if len(got) != 2 || got[0] != "contact.breach" {
			t.Fatalf("manager notified of %v, want the breach first", got)
		}
		ns, _ := db.Notifications(ctx, manager, 0)
		if ns.Unread != 2 || ns.Items[0].Reference != left.Reference || ns.Items[0].Link != "/contacts/"+left.ID {
			t.Fatalf("notifications: %+v", ns)
		}
		// Reading one: the unread count falls; no one else can read it.
		if _, err := db.MarkNotificationRead(ctx, f.Actor(mash.RoleScreener), ns.Items[0].ID); mash.KindOf(err) != mash.KindNotFound {
			t.Fatalf("another user marked it read: %v", err)
		}
		n, err := db.MarkNotificationRead(ctx, manager, ns.Items[0].ID)
		if err != nil || n.ReadAt == nil {
			t.Fatalf("mark read: %+v %v", n, err)
		}
		if ns, _ := db.Notifications(ctx, manager, 0); ns.Unread != 1 {
			t.Fatalf("unread after reading one: %d", ns.Unread)
		}
		// The manager gives the reason, once; no one else may.
		if _, err := db.ExplainBreach(ctx, f.Actor(mash.RoleScreener), list[0].ID, "Screener off sick, no cover"); mash.KindOf(err) != mash.KindForbidden {
			t.Fatalf("screener explains: %v", err)
		}
		if _, err := db.ExplainBreach(ctx, manager, list[0].ID, "short"); mash.KindOf(err) != mash.KindInvalid {
			t.Fatalf("too short a reason: %v", err)
		}
		b, err := db.ExplainBreach(ctx, manager, list[0].ID, "Screener off sick, no cover arranged")
		if err != nil || b.Reason != "Screener off sick, no cover arranged" || b.ReasonBy != manager.UserID || b.ReasonAt == nil {
			t.Fatalf("explain: %+v %v", b, err)
		}
		if _, err := db.ExplainBreach(ctx, manager, list[0].ID, "A different reason later on"); mash.KindOf(err) != mash.KindConflict {
			t.Fatalf("second reason: %v", err)
		}
		if open, err := db.ListBreaches(ctx, f.Actor(mash.RoleAnalyst), mash.BreachFilter{Unexplained: true}); err != nil || len(open) != 0 {
			t.Fatalf("unexplained after the reason: %+v %v", open, err)
		}
		if got := countRows(t, db, `SELECT count(*) FROM jobs WHERE state <> 'done'`); got != 0 {
			t.Fatalf("%d jobs not done", got)
		}
		if got := countRows(t, db, `SELECT count(*) FROM audit_events WHERE action = 'contact.breach' AND entity_id = $1`, left.ID); got != 1 {
			t.Fatalf("%d breach audit events", got)
		}
	})
}

// TestRequestChasedThenAnswered: the asked agency's researchers are reminded
// at 50% of the time, the chase is logged; once answered, no more reminders
// and no overdue alert.
func TestRequestChasedThenAnswered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clock, r := alertsFixture(t, db)
		c := storetest.NewContact(clock.Now())
		if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), c, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Screen(ctx, f.Actor(mash.RoleScreener), c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: "amber",
			ThresholdLevel: 3, Reason: "Neglect indicators", Version: c.Version}); err != nil {
			t.Fatal(err)
		}
		clock.Add(10 * time.Minute)
		req, err := db.CreateRequest(ctx, f.Actor(mash.RoleScreener), c.ID, mash.NewRequest{AgencyID: f.Police.ID, Question: "Any call-outs?"})
		if err != nil {
			t.Fatal(err)
		}
		police, health := storetest.ActorOf(f.PoliceResearcher), storetest.ActorOf(f.HealthResearcher)
		clock.Set(mash.PointInTime(req.RequestedAt, req.DueAt, 50))
		drain(t, r)
		if got := kinds(t, db, police); len(got) != 1 || got[0] != "request.reminder" {
			t.Fatalf("police researcher notified of %v", got)
		}
		if got := kinds(t, db, health); len(got) != 0 {
			t.Fatalf("health researcher notified of %v", got)
		}
		if got := countRows(t, db, `SELECT count(*) FROM request_chases WHERE contact_id = $1`, c.ID); got != 1 {
			t.Fatalf("%d chases logged", got)
		}
		if _, err := db.SubmitReturn(ctx, police, req.ID, &mash.AgencyReturn{Outcome: mash.ReturnNothingHeld}, req.Version); err != nil {
			t.Fatal(err)
		}
		clock.Set(req.DueAt.Add(time.Hour))
		drain(t, r)
		if got := kinds(t, db, police); len(got) != 1 {
			t.Fatalf("after the answer, police researcher notified of %v", got)
		}
		for _, k := range kinds(t, db, f.Actor(mash.RoleManager)) {
			if strings.HasPrefix(k, "request.") {
				t.Errorf("manager alerted (%s) about an answered request", k)
			}
		}
		if got := countRows(t, db, `SELECT count(*) FROM request_chases WHERE contact_id = $1`, c.ID); got != 1 {
			t.Fatalf("%d chases logged after the answer", got)
		}
		if got := countRows(t, db, `SELECT count(*) FROM audit_events WHERE action = 'request.chase' AND entity_id = $1`, req.ID); got != 1 {
			t.Fatalf("%d chase audit events", got)
		}
		if got := countRows(t, db, `SELECT count(*) FROM jobs WHERE kind LIKE 'request.%' AND state = 'done'`); got != 3 {
			t.Fatalf("%d request jobs done, want 3 (two reminders, one overdue check)", got)
		}
	})
}

// TestTwoInstancesOneReminder: two instances schedule the same reminders and
// run them at once; each researcher is reminded once per reminder, and the
// overdue alert goes once to the agency and the managers.
func TestTwoInstancesOneReminder(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			a := storetest.Open(t, e)
			f, clock, _ := alertsFixture(t, a)
			b := secondHandle(t, e)
			b.Now = clock.Now
			c := storetest.NewContact(clock.Now())
			if _, err := a.CreateContact(ctx, f.Actor(mash.RoleReferrer), c, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Screen(ctx, f.Actor(mash.RoleScreener), c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: "amber",
				ThresholdLevel: 3, Reason: "Neglect indicators", Version: c.Version}); err != nil {
				t.Fatal(err)
			}
			req, err := a.CreateRequest(ctx, f.Actor(mash.RoleScreener), c.ID, mash.NewRequest{AgencyID: f.Police.ID, Question: "Any call-outs?"})
			if err != nil {
				t.Fatal(err)
			}
			// The second instance schedules the same reminder: no new job.
			if created, err := b.EnqueueJob(ctx, store.NewJob{Kind: store.JobRequestReminder, Key: fmt.Sprintf("remind:%s:50", req.ID),
				Payload: map[string]any{"request_id": req.ID, "percent": 50}, RunAt: req.DueAt}); err != nil || created {
				t.Fatalf("second schedule: created=%v %v", created, err)
			}
			clock.Set(req.DueAt.Add(time.Minute))
			var wg sync.WaitGroup
			for i, db := range []*store.DB{a, b} {
				for range 2 {
					r := &jobs.Runner{Queue: db, Owner: fmt.Sprint("instance-", i), Batch: 1}
					wg.Go(func() {
						for {
							n, err := r.RunOnce(ctx)
							if err != nil {
								t.Errorf("run jobs: %v", err)
							}
							if n == 0 || err != nil {
								return
							}
						}
					})
				}
			}
			wg.Wait()
			police := map[string]int{}
			for _, k := range kinds(t, a, storetest.ActorOf(f.PoliceResearcher)) {
				police[k]++
			}
			if police["request.reminder"] != 2 || police["request.overdue"] != 1 || len(police) != 2 {
				t.Fatalf("police researcher notified of %v", police)
			}
			n := map[string]int{}
			for _, k := range kinds(t, a, f.Actor(mash.RoleManager)) {
				n[k]++
			}
			if n["request.overdue"] != 1 || n["request.reminder"] != 0 {
				t.Fatalf("manager notified of %v", n)
			}
			if got := countRows(t, a, `SELECT count(*) FROM request_chases WHERE request_id = $1`, req.ID); got != 3 {
				t.Fatalf("%d chases, want 3", got)
			}
		})
	}
}
