package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func setup(t *testing.T, db *store.DB, at time.Time) (*storetest.Fixture, *clock) {
	clk := &clock{t: at}
	db.Now = clk.Now
	return storetest.Partnership(t, db), clk
}

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func wantKind(t *testing.T, err error, k mash.Kind) {
	t.Helper()
	if err == nil || mash.KindOf(err) != k {
		t.Fatalf("got error %v, want kind %s", err, k)
	}
}

// TestContactJourney takes one contact from intake to closure and checks the
// deadlines, history and audit along the way, on every engine.
func TestContactJourney(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// Christmas Eve 2026, 16:00 UTC (= 16:00 London): an hour before closing.
		received := time.Date(2026, 12, 24, 16, 0, 0, 0, time.UTC)
		f, clk := setup(t, db, received.Add(5*time.Minute))
		screener, manager := f.Actor(mash.RoleScreener), f.Actor(mash.RoleManager)

		c := storetest.NewContact(received)
		created, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), c, "")
		if err != nil || !created {
			t.Fatalf("create: %v", err)
		}
		if !strings.HasPrefix(c.Reference, "MASH-2026-") || c.Status != mash.StatusReceived || c.Version != 1 {
			t.Fatalf("created contact: %+v", c)
		}
		// Screening target: one working day from receipt. 24 Dec 16:00 → the
		// hub is shut 25, 26 (Sat), 27 (Sun), 28 (substitute Boxing Day) → 29 Dec 16:00.
		if want := time.Date(2026, 12, 29, 16, 0, 0, 0, time.UTC); !c.DueAt.Equal(want) {
			t.Fatalf("screening due %v, want %v", c.DueAt, want)
		}

		// Amber: 8 working hours from receipt → 1h on 24 Dec, 7h on 29 Dec → 29 Dec 16:00.
		got, err := db.Screen(ctx, screener, c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: "amber", ThresholdLevel: 3, Reason: "Neglect and DA indicators", Version: 1})
		if err != nil {
			t.Fatalf("screen: %v", err)
		}
		if got.Status != mash.StatusInMASH || got.RAG != "amber" || got.Version != 2 {
			t.Fatalf("after screening: %+v", got)
		}
		if want := time.Date(2026, 12, 29, 16, 0, 0, 0, time.UTC); !got.DueAt.Equal(want) {
			t.Fatalf("amber due %v, want %v", got.DueAt, want)
		}
		// Stale version: refused, nothing changes.
		_, err = db.Rate(ctx, screener, c.ID, "red", "new information", 1)
		wantKind(t, err, mash.KindConflict)
		// Re-rate to Red: 4 hours round the clock from receipt.
		got, err = db.Rate(ctx, manager, c.ID, "red", "Police report weapon at address", 2)
		if err != nil {
			t.Fatalf("rate: %v", err)
		}
		if want := received.Add(4 * time.Hour); !got.DueAt.Equal(want) {
			t.Fatalf("red due %v, want %v", got.DueAt, want)
		}

		req, err := db.CreateRequest(ctx, screener, c.ID, mash.NewRequest{AgencyID: f.Police.ID, Question: "Any DA call-outs to the address?"})
		if err != nil {
			t.Fatalf("request: %v", err)
		}
		if !req.DueAt.Equal(*got.DueAt) || req.Status != mash.RequestOpen {
			t.Fatalf("request: %+v", req)
		}
		// Another agency's researcher cannot see or answer it.
		hr := storetest.ActorOf(f.HealthResearcher)
		list, err := db.ListRequests(ctx, hr, mash.RequestFilter{})
		if err != nil || len(list) != 0 {
			t.Fatalf("health sees %d requests (%v)", len(list), err)
		}
		_, err = db.SubmitReturn(ctx, hr, req.ID, &mash.AgencyReturn{Outcome: mash.ReturnNothingHeld}, 1)
		wantKind(t, err, mash.KindNotFound)
		_, err = db.GetContact(ctx, hr, c.ID)
		wantKind(t, err, mash.KindNotFound)

		// Past due, the request shows overdue.
		clk.Set(received.Add(5 * time.Hour))
		pr := storetest.ActorOf(f.PoliceResearcher)
		list, err = db.ListRequests(ctx, pr, mash.RequestFilter{Status: mash.RequestOverdue})
		if err != nil || len(list) != 1 || list[0].Status != mash.RequestOverdue {
			t.Fatalf("overdue list: %+v (%v)", list, err)
		}
		ret := &mash.AgencyReturn{Outcome: mash.ReturnInformation, Items: []mash.ReturnItem{
			{Summary: "Two DA call-outs in 2026", Detail: "Attended 3 Sept and 1 Oct.", OccurredOn: "2026-10-01", Marking: mash.MarkingMASHOnly}}}
		answered, err := db.SubmitReturn(ctx, pr, req.ID, ret, 1)
		if err != nil {
			t.Fatalf("return: %v", err)
		}
		if answered.Status != mash.RequestReturned || answered.Return.Items[0].OwningAgencyID != f.Police.ID {
			t.Fatalf("answered: %+v", answered)
		}
		_, err = db.SubmitReturn(ctx, pr, req.ID, &mash.AgencyReturn{Outcome: mash.ReturnNothingHeld}, 2)
		wantKind(t, err, mash.KindConflict)
		// Now the police researcher can see the contact.
		if _, err := db.GetContact(ctx, pr, c.ID); err != nil {
			t.Fatalf("police researcher read: %v", err)
		}

		d := &mash.Decision{ThresholdLevel: 3, Outcomes: []mash.Outcome{mash.OutcomeCINAssessmentS17}, Rationale: "Cumulative neglect and DA",
			AgencyViews: []mash.AgencyView{{AgencyID: f.Police.ID, View: "Agree", Agrees: true}, {AgencyID: f.Health.ID, View: "Early help would do", Agrees: false}}, Version: 3}
		_, err = db.Decide(ctx, screener, c.ID, d)
		wantKind(t, err, mash.KindForbidden)
		got, err = db.Decide(ctx, manager, c.ID, d)
		if err != nil {
			t.Fatalf("decide: %v", err)
		}
		if got.Status != mash.StatusDecided || got.DueAt != nil {
			t.Fatalf("decided: %+v", got)
		}
		detail, err := db.GetContact(ctx, manager, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Decided at 21:00 on 24 Dec: one working day later is the end of 29 Dec.
		if detail.Feedback == nil || detail.Feedback.Status != mash.FeedbackPending ||
			!detail.Feedback.DueAt.Equal(time.Date(2026, 12, 29, 17, 0, 0, 0, time.UTC)) {
			t.Fatalf("feedback: %+v", detail.Feedback)
		}
		if len(detail.Decision.AgencyViews) != 2 || detail.Decision.AgencyViews[1].Agrees {
			t.Fatalf("decision views: %+v", detail.Decision)
		}
		got, err = db.SendFeedback(ctx, screener, c.ID, "Thank you. A social worker will assess.", got.Version)
		if err != nil {
			t.Fatalf("feedback: %v", err)
		}
		got, err = db.CloseContact(ctx, screener, c.ID, "assessment allocated", got.Version)
		if err != nil || got.Status != mash.StatusClosed {
			t.Fatalf("close: %+v %v", got, err)
		}
		// Closed is final.
		_, err = db.CloseContact(ctx, screener, c.ID, "again", got.Version)
		wantKind(t, err, mash.KindConflict)

		h, err := db.History(ctx, manager, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var path []string
		for _, tr := range h.Transitions {
			path = append(path, string(tr.To))
		}
		if strings.Join(path, ",") != "received,screening,in_mash,decided,feedback_sent,closed" {
			t.Fatalf("transitions: %v", path)
		}
		if len(h.Ratings) != 2 || h.Ratings[1].From != "amber" || h.Ratings[1].To != "red" || h.Ratings[1].Reason == "" {
			t.Fatalf("ratings: %+v", h.Ratings)
		}
		for _, action := range []string{"contact.create", "contact.screen", "contact.rate", "request.create", "request.return", "contact.decide", "contact.feedback", "contact.close", "contact.read", "contact.history"} {
			if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = $1`, action); n == 0 {
				t.Errorf("no audit event %s", action)
			}
		}
		// The audit log refuses changes.
		if _, err := db.SQL().Exec(`UPDATE audit_events SET reason = 'x'`); err == nil {
			t.Error("audit_events accepted an UPDATE")
		}
		if _, err := db.SQL().Exec(`DELETE FROM audit_events`); err == nil {
			t.Error("audit_events accepted a DELETE")
		}
	})
}

func TestBadInputChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		f, _ := setup(t, db, now)
		before := count(t, db, `SELECT count(*) FROM audit_events`)
		bad := []func(c *mash.Contact){
			func(c *mash.Contact) { c.Subjects[0].DOB = "2015-02-31" },
			func(c *mash.Contact) { c.Subjects[0].DOB = "2027-01-01" },
			func(c *mash.Contact) { c.Subjects[0].NHSNumber = "9434765918" },
			func(c *mash.Contact) { c.Concerns = []string{"99Z"} },
			func(c *mash.Contact) { c.Cohort = "teen" },
			func(c *mash.Contact) { c.Subjects = nil },
			func(c *mash.Contact) { c.Consent = mash.Consent{Status: mash.ConsentRefused} },
			func(c *mash.Contact) { c.Subjects[0].PersonID = "no-such-person" },
		}
		for i, mutate := range bad {
			c := storetest.NewContact(now.Add(-time.Hour))
			mutate(c)
			if _, err := db.CreateContact(ctx, f.Actor(mash.RoleScreener), c, ""); mash.KindOf(err) != mash.KindInvalid {
				t.Errorf("case %d: got %v, want invalid", i, err)
			}
		}
		if n := count(t, db, `SELECT count(*) FROM contacts`); n != 0 {
			t.Fatalf("%d contacts stored from bad input", n)
		}
		if n := count(t, db, `SELECT count(*) FROM persons`); n != 0 {
			t.Fatalf("%d persons stored from bad input", n)
		}
		if n := count(t, db, `SELECT count(*) FROM audit_events`); n != before {
			t.Fatalf("audit grew from %d to %d on bad input", before, n)
		}
	})
}

func TestConsentBeforeChecks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		f, _ := setup(t, db, now)
		screener, manager := f.Actor(mash.RoleScreener), f.Actor(mash.RoleManager)
		c := storetest.NewContact(now.Add(-time.Hour))
		c.Consent = mash.Consent{FamilyAware: false, Status: mash.ConsentNotSought, Reason: "Might put the child at risk", ApprovedBy: "Team manager"}
		if _, err := db.CreateContact(ctx, screener, c, ""); err != nil {
			t.Fatal(err)
		}
		got, err := db.Screen(ctx, screener, c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: "green", ThresholdLevel: 2, Reason: "r", Version: 1})
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.CreateRequest(ctx, screener, c.ID, mash.NewRequest{AgencyID: f.Police.ID, Question: "q"})
		wantKind(t, err, mash.KindConflict)
		_, err = db.OverrideConsent(ctx, screener, c.ID, "DPA 2018 Sch 1 para 18", "r", got.Version)
		wantKind(t, err, mash.KindForbidden)
		if _, err = db.OverrideConsent(ctx, manager, c.ID, "DPA 2018 Sch 1 para 18", "Risk of significant harm if family told", got.Version); err != nil {
			t.Fatal(err)
		}
		if _, err = db.CreateRequest(ctx, screener, c.ID, mash.NewRequest{AgencyID: f.Police.ID, Question: "q"}); err != nil {
			t.Fatalf("after override: %v", err)
		}
		// A second open request to the same agency is refused.
		_, err = db.CreateRequest(ctx, screener, c.ID, mash.NewRequest{AgencyID: f.Police.ID, Question: "q"})
		wantKind(t, err, mash.KindConflict)
	})
}

func TestIdempotentCreate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		f, _ := setup(t, db, now)
		var wg sync.WaitGroup
		ids := make([]string, 8)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := storetest.NewContact(now.Add(-time.Hour))
				if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), c, "retry-key-1"); err != nil {
					t.Errorf("create: %v", err)
				}
				ids[i] = c.ID
			}()
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("same key gave different contacts: %v", ids)
			}
		}
		if n := count(t, db, `SELECT count(*) FROM contacts`); n != 1 {
			t.Fatalf("%d contacts for one idempotency key", n)
		}
	})
}

func TestScopes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		f, _ := setup(t, db, now)
		mine := storetest.NewContact(now.Add(-time.Hour))
		if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), mine, ""); err != nil {
			t.Fatal(err)
		}
		other := storetest.NewContact(now.Add(-time.Hour))
		if _, err := db.CreateContact(ctx, f.Actor(mash.RoleScreener), other, ""); err != nil {
			t.Fatal(err)
		}
		list, err := db.ListContacts(ctx, f.Actor(mash.RoleReferrer), mash.ContactFilter{})
		if err != nil || len(list) != 1 || list[0].ID != mine.ID {
			t.Fatalf("referrer queue: %+v %v", list, err)
		}
		_, err = db.GetContact(ctx, f.Actor(mash.RoleReferrer), other.ID)
		wantKind(t, err, mash.KindNotFound)
		for _, r := range []mash.Role{mash.RoleAdmin, mash.RoleAnalyst, mash.RoleAuditor} {
			list, err := db.ListContacts(ctx, f.Actor(r), mash.ContactFilter{})
			if err != nil || len(list) != 0 {
				t.Errorf("%s sees %d contacts (%v)", r, len(list), err)
			}
		}
		list, err = db.ListContacts(ctx, f.Actor(mash.RoleScreener), mash.ContactFilter{})
		if err != nil || len(list) != 2 {
			t.Fatalf("screener queue: %d %v", len(list), err)
		}
	})
}

// TestUnsafeSettingsRefused: the store will not run where an acknowledged
// commit could be lost, unless the durability harness asks it to.
func TestUnsafeSettingsRefused(t *testing.T) {
	ctx := context.Background()
	urls := []string{"file:" + t.TempDir() + "/unsafe.db?_pragma=synchronous(NORMAL)"}
	if pg := storetest.PostgresURL(t); pg != "" {
		urls = append(urls, pg+"&synchronous_commit=off")
	}
	for _, u := range urls {
		if _, err := store.Open(ctx, u, store.Options{}); err == nil || !strings.Contains(err.Error(), "unsafe") {
			t.Errorf("%s: got %v, want refusal", u, err)
		}
		db, err := store.Open(ctx, u, store.Options{AllowUnsafe: true})
		if err != nil {
			t.Errorf("%s with AllowUnsafe: %v", u, err)
			continue
		}
		db.Close()
	}
}

// TestConcurrentWritersOneWins: many screeners act on the same version at
// once; exactly one succeeds and the rest get a Conflict, on both engines.
func TestConcurrentWritersOneWins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		f, _ := setup(t, db, now)
		c := storetest.NewContact(now.Add(-time.Hour))
		if _, err := db.CreateContact(ctx, f.Actor(mash.RoleScreener), c, ""); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rag := []string{"red", "amber", "green"}[i%3]
				_, err := db.Screen(ctx, f.Actor(mash.RoleScreener), c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: rag, ThresholdLevel: 3, Reason: "r", Version: 1})
				mu.Lock()
				defer mu.Unlock()
				switch mash.KindOf(err) {
				case mash.KindInternal:
					if err == nil {
						wins++
						return
					}
					t.Errorf("screen: %v", err)
				case mash.KindConflict:
					conflicts++
				default:
					t.Errorf("screen: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 || conflicts != 7 {
			t.Fatalf("%d wins, %d conflicts; want 1 and 7", wins, conflicts)
		}
		if n := count(t, db, `SELECT count(*) FROM rag_changes WHERE contact_id = $1`, c.ID); n != 1 {
			t.Fatalf("%d ratings stored, want 1", n)
		}
	})
}
