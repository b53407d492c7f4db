package store_test

import (
	"context"
	"testing"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

var challenge = mash.NewDisagreement{Reason: "The family need a statutory assessment, not early help.",
	OutcomeSought: "A child and family assessment (s17)"}

// TestDisagreementFullEscalation: a referrer's challenge climbs all four
// stages, each owner told and each step on the contact's history, and is
// resolved at the last; wrong responders, stale versions and escalation past
// the last stage are refused.
func TestDisagreementFullEscalation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clock, _ := alertsFixture(t, db)
		c := challengedContact(t, db, f, false)
		referrer, screener, manager := f.Actor(mash.RoleReferrer), f.Actor(mash.RoleScreener), f.Actor(mash.RoleManager)
		policy, err := db.Policy(ctx)
		if err != nil {
			t.Fatal(err)
		}
		d, err := db.RaiseDisagreement(ctx, referrer, c.ID, challenge)
		if err != nil {
			t.Fatal(err)
		}
		cur := d.Current()
		if d.Stage != 1 || d.Status != mash.DisagreementOpen || cur.OwnerRole != mash.RoleScreener ||
			!cur.DueAt.Equal(policy.Calendar.AddWorkingDays(clock.Now(), 2)) {
			t.Fatalf("raised: %+v", d)
		}
		if got := kinds(t, db, screener); len(got) != 1 || got[0] != "disagreement.stage" {
			t.Fatalf("screener notified of %v", got)
		}
		// Only the stage's owners resolve; the raiser may only withdraw or escalate.
		if _, err := db.RespondDisagreement(ctx, referrer, d.ID, mash.DisagreementResponse{Response: mash.DisagreementAgreed,
			Note: "Fine", Version: d.Version}); mash.KindOf(err) != mash.KindForbidden {
			t.Fatalf("raiser resolves: %v", err)
		}
		if _, err := db.RespondDisagreement(ctx, manager, d.ID, mash.DisagreementResponse{Response: mash.DisagreementAgreed,
			Note: "Discussed", Version: d.Version}); mash.KindOf(err) != mash.KindForbidden {
			t.Fatalf("manager resolves stage 1 (owned by practitioners): %v", err)
		}
		steps := []mash.Actor{screener, manager, manager}
		for i, by := range steps {
			clock.Add(30 * 60e9)
			next, err := db.RespondDisagreement(ctx, by, d.ID, mash.DisagreementResponse{Response: mash.DisagreementEscalated,
				Note: "Could not agree at this level", Version: d.Version})
			if err != nil {
				t.Fatalf("escalate from stage %d: %v", i+1, err)
			}
			if next.Stage != i+2 || next.Version != d.Version+1 || len(next.Steps) != i+2 || next.Steps[i].Response != mash.DisagreementEscalated {
				t.Fatalf("after escalating from stage %d: %+v", i+1, next)
			}
			if _, err := db.RespondDisagreement(ctx, by, d.ID, mash.DisagreementResponse{Response: mash.DisagreementEscalated,
				Note: "Again", Version: d.Version}); mash.KindOf(err) != mash.KindConflict {
				t.Fatalf("stale version: %v", err)
			}
			d = next
		}
		if d.Current().Name != "Partnership leads" {
			t.Fatalf("stage 4: %+v", d.Current())
		}
		if _, err := db.RespondDisagreement(ctx, manager, d.ID, mash.DisagreementResponse{Response: mash.DisagreementEscalated,
			Note: "Further", Version: d.Version}); mash.KindOf(err) != mash.KindInvalid {
			t.Fatalf("escalating past the last stage: %v", err)
		}
		d, err = db.RespondDisagreement(ctx, manager, d.ID, mash.DisagreementResponse{Response: mash.DisagreementDecisionChanged,
			Note: "Partnership leads agreed an assessment is needed", Version: d.Version})
		if err != nil || d.Status != mash.DisagreementResolved || d.Resolution != mash.DisagreementDecisionChanged || d.ResolvedAt == nil {
			t.Fatalf("resolve: %+v %v", d, err)
		}
		if _, err := db.RespondDisagreement(ctx, manager, d.ID, mash.DisagreementResponse{Response: mash.DisagreementAgreed,
			Note: "Again", Version: d.Version}); mash.KindOf(err) != mash.KindConflict {
			t.Fatalf("responding to a resolved disagreement: %v", err)
		}
		if got := kinds(t, db, referrer); len(got) == 0 || got[0] != "disagreement.resolved" {
			t.Fatalf("referrer notified of %v", got)
		}
		h, err := db.History(ctx, manager, c.ID)
		if err != nil || len(h.Disagreements) != 1 || len(h.Disagreements[0].Steps) != 4 ||
			h.Disagreements[0].Steps[3].RespondedBy != manager.UserID {
			t.Fatalf("history: %+v %v", h.Disagreements, err)
		}
		if open, err := db.ListDisagreements(ctx, manager, mash.DisagreementFilter{Open: true}); err != nil || len(open) != 0 {
			t.Fatalf("open after resolution: %+v %v", open, err)
		}
		if got := countRows(t, db, `SELECT count(*) FROM audit_events WHERE action = 'disagreement.respond' AND entity_id = $1`, c.ID); got != 4 {
			t.Fatalf("%d responses audited", got)
		}
	})
}

// TestDisagreementImmediateRiskStartsHigher: a challenge flagged as
// immediate risk, or about a Red contact, starts at the policy's stage.
func TestDisagreementImmediateRiskStartsHigher(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, _, _ := alertsFixture(t, db)
		red := challengedContact(t, db, f, true)
		amber := challengedContact(t, db, f, false)
		d, err := db.RaiseDisagreement(ctx, f.Actor(mash.RoleReferrer), red.ID, challenge)
		if err != nil || d.Stage != 2 || len(d.Steps) != 1 || d.Current().OwnerRole != mash.RoleManager {
			t.Fatalf("red contact: %+v %v", d, err)
		}
		flagged := challenge
		flagged.ImmediateRisk = true
		if d, err = db.RaiseDisagreement(ctx, f.Actor(mash.RoleReferrer), amber.ID, flagged); err != nil || d.Stage != 2 {
			t.Fatalf("flagged challenge: %+v %v", d, err)
		}
		// Configured higher, it starts higher.
		p := mash.DefaultDisagreementPolicy()
		p.ImmediateRiskStage = 3
		if err := db.SetDisagreementPolicy(ctx, f.Actor(mash.RoleAdmin), &p); err != nil {
			t.Fatal(err)
		}
		if d, err = db.RaiseDisagreement(ctx, f.Actor(mash.RoleReferrer), amber.ID, flagged); err != nil || d.Stage != 3 {
			t.Fatalf("after the policy change: %+v %v", d, err)
		}
		if d, err = db.RaiseDisagreement(ctx, f.Actor(mash.RoleReferrer), amber.ID, challenge); err != nil || d.Stage != 1 {
			t.Fatalf("an ordinary challenge: %+v %v", d, err)
		}
	})
}

// TestDisagreementOverdueOnce: a stage not answered by its deadline alerts
// its owners once, however often the job is run or enqueued.
func TestDisagreementOverdueOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clock, r := alertsFixture(t, db)
		c := challengedContact(t, db, f, false)
		d, err := db.RaiseDisagreement(ctx, f.Actor(mash.RoleReferrer), c.ID, challenge)
		if err != nil {
			t.Fatal(err)
		}
		screener := f.Actor(mash.RoleScreener)
		drain(t, r)
		clock.Set(d.Current().DueAt)
		drain(t, r)
		if created, err := db.EnqueueJob(ctx, store.NewJob{Kind: store.JobDisagreementOverdue, Key: "disagreement:" + d.ID + ":1",
			Payload: map[string]any{"disagreement_id": d.ID, "stage": 1}, RunAt: clock.Now()}); err != nil || created {
			t.Fatalf("the same alert enqueued twice: %v %v", created, err)
		}
		if _, err := db.EnqueueJob(ctx, store.NewJob{Kind: store.JobDisagreementOverdue, Key: "another",
			Payload: map[string]any{"disagreement_id": d.ID, "stage": 1}, RunAt: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		drain(t, r)
		got := kinds(t, db, screener)
		overdue := 0
		for _, k := range got {
			if k == "disagreement.overdue" {
				overdue++
			}
		}
		if overdue != 1 {
			t.Fatalf("screener notified of %v", got)
		}
		clock.Add(60e9)
		d, err = db.GetDisagreement(ctx, screener, d.ID)
		if err != nil || !d.Overdue || d.Current().OverdueAt == nil {
			t.Fatalf("after the deadline: %+v %v", d, err)
		}
		// Escalated, the next stage has its own clock and is not overdue.
		d, err = db.RespondDisagreement(ctx, screener, d.ID, mash.DisagreementResponse{Response: mash.DisagreementEscalated, Note: "Late, passing up", Version: d.Version})
		if err != nil || d.Overdue {
			t.Fatalf("escalated: %+v %v", d, err)
		}
	})
}

// TestDisagreementScope: who cannot see the contact cannot raise, list or
// read a challenge about it (NotFound, as for the contact); bad input and
// undecided contacts change nothing.
func TestDisagreementScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clock, _ := alertsFixture(t, db)
		c := challengedContact(t, db, f, false)
		health, police := storetest.ActorOf(f.HealthResearcher), storetest.ActorOf(f.PoliceResearcher)
		if _, err := db.RaiseDisagreement(ctx, health, c.ID, challenge); mash.KindOf(err) != mash.KindNotFound {
			t.Fatalf("health (not asked) raises: %v", err)
		}
		if _, err := db.RaiseDisagreement(ctx, f.Actor(mash.RoleManager), c.ID, challenge); mash.KindOf(err) != mash.KindForbidden {
			t.Fatalf("the deciding manager raises: %v", err)
		}
		d, err := db.RaiseDisagreement(ctx, f.Actor(mash.RoleReferrer), c.ID, challenge)
		if err != nil {
			t.Fatal(err)
		}
		// The police (asked, so they see the contact) may raise their own,
		// and so may the receiving team; neither sees the referrer's.
		pd, err := db.RaiseDisagreement(ctx, police, c.ID, challenge)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.RaiseDisagreement(ctx, f.Actor(mash.RoleReceiver), c.ID, challenge); err != nil {
			t.Fatal(err)
		}
		for _, a := range []mash.Actor{health, police} {
			if _, err := db.GetDisagreement(ctx, a, d.ID); mash.KindOf(err) != mash.KindNotFound {
				t.Fatalf("%s reads the referrer's: %v", a.Name, err)
			}
		}
		if list, err := db.ListDisagreements(ctx, police, mash.DisagreementFilter{}); err != nil || len(list) != 1 || list[0].ID != pd.ID {
			t.Fatalf("police list: %+v %v", list, err)
		}
		if list, err := db.ListDisagreements(ctx, health, mash.DisagreementFilter{}); err != nil || len(list) != 0 {
			t.Fatalf("health list: %+v %v", list, err)
		}
		if list, err := db.ListDisagreements(ctx, f.Actor(mash.RoleManager), mash.DisagreementFilter{Open: true, ContactID: c.ID}); err != nil || len(list) != 3 {
			t.Fatalf("manager list: %d %v", len(list), err)
		}
		if _, err := db.ListDisagreements(ctx, f.Actor(mash.RoleAnalyst), mash.DisagreementFilter{}); mash.KindOf(err) != mash.KindForbidden {
			t.Fatalf("analyst lists: %v", err)
		}
		if _, err := db.RespondDisagreement(ctx, health, d.ID, mash.DisagreementResponse{Response: mash.DisagreementWithdrawn,
			Note: "x", Version: d.Version}); mash.KindOf(err) != mash.KindNotFound {
			t.Fatalf("health responds: %v", err)
		}

		// Bad input changes nothing.
		before := countRows(t, db, `SELECT count(*) FROM disagreements`)
		steps := countRows(t, db, `SELECT count(*) FROM disagreement_steps`)
		jobs := countRows(t, db, `SELECT count(*) FROM jobs`)
		err = func() error {
			_, err := db.RaiseDisagreement(ctx, f.Actor(mash.RoleReferrer), c.ID, mash.NewDisagreement{Reason: "  no  "})
			return err
		}()
		if fe := fieldsOf(err); mash.KindOf(err) != mash.KindInvalid || fe["reason"] == "" || fe["outcome_sought"] == "" {
			t.Fatalf("bad challenge: %v %v", err, fe)
		}
		if got := countRows(t, db, `SELECT count(*) FROM jobs`); got != jobs {
			t.Fatalf("a bad challenge made %d jobs", got-jobs)
		}
		undecided := storetest.NewContact(clock.Now())
		if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), undecided, ""); err != nil {
			t.Fatal(err)
		}
		jobs = countRows(t, db, `SELECT count(*) FROM jobs`)
		if _, err := db.RaiseDisagreement(ctx, f.Actor(mash.RoleReferrer), undecided.ID, challenge); mash.KindOf(err) != mash.KindConflict {
			t.Fatalf("challenge before a decision: %v", err)
		}
		for _, in := range []mash.DisagreementResponse{
			{Response: "shrug", Note: "x", Version: d.Version},
			{Response: mash.DisagreementWithdrawn, Note: "  ", Version: d.Version},
			{Response: mash.DisagreementWithdrawn, Note: "Changed my mind"},
		} {
			if _, err := db.RespondDisagreement(ctx, f.Actor(mash.RoleReferrer), d.ID, in); mash.KindOf(err) != mash.KindInvalid {
				t.Fatalf("bad response %+v: %v", in, err)
			}
		}
		if got := countRows(t, db, `SELECT count(*) FROM disagreements`); got != before {
			t.Fatalf("disagreements %d, want %d", got, before)
		}
		if got := countRows(t, db, `SELECT count(*) FROM disagreement_steps WHERE response <> ''`); got != 0 || countRows(t, db, `SELECT count(*) FROM disagreement_steps`) != steps {
			t.Fatalf("steps changed by bad input")
		}
		if got := countRows(t, db, `SELECT count(*) FROM jobs`); got != jobs {
			t.Fatalf("jobs %d, want %d", got, jobs)
		}
		if got, err := db.GetDisagreement(ctx, f.Actor(mash.RoleReferrer), d.ID); err != nil || got.Version != d.Version || got.Status != mash.DisagreementOpen {
			t.Fatalf("after bad input: %+v %v", got, err)
		}
		// The raiser withdraws.
		if w, err := db.RespondDisagreement(ctx, f.Actor(mash.RoleReferrer), d.ID, mash.DisagreementResponse{Response: mash.DisagreementWithdrawn,
			Note: "Discussed with the screener; content with early help", Version: d.Version}); err != nil || w.Resolution != mash.DisagreementWithdrawn {
			t.Fatalf("withdraw: %+v %v", w, err)
		}
	})
}

// TestDisagreementAnonymised: anonymising a contact blanks its
// disagreements' free text with the rest of its personal data.
func TestDisagreementAnonymised(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, _, _ := alertsFixture(t, db)
		c := challengedContact(t, db, f, false)
		d, err := db.RaiseDisagreement(ctx, f.Actor(mash.RoleReferrer), c.ID, challenge)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.RespondDisagreement(ctx, f.Actor(mash.RoleScreener), d.ID, mash.DisagreementResponse{Response: mash.DisagreementAgreed,
			Note: "Spoke to the teacher about Kayleigh", Version: d.Version}); err != nil {
			t.Fatal(err)
		}
		if err := db.Anonymise(ctx, store.System, mash.RetentionCandidate{ContactID: c.ID, Reference: c.Reference}, "test"); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, `SELECT count(*) FROM disagreements WHERE reason = $1 OR outcome_sought = $2`, challenge.Reason, challenge.OutcomeSought); n != 0 {
			t.Fatalf("%d disagreements keep their text", n)
		}
		if n := countRows(t, db, `SELECT count(*) FROM disagreement_steps WHERE note LIKE '%Kayleigh%'`); n != 0 {
			t.Fatalf("%d steps keep their note", n)
		}
	})
}
