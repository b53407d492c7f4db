package store_test

import (
	"context"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestAssign: a screener takes a contact for themselves, not for others; a
// manager gives it to anyone on the hub's staff; stale versions, bad users,
// closed contacts and other roles are refused and change nothing; the board
// filters by worker.
func TestAssign(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := storetest.Partnership(t, db)
		scr, mgr := f.Actor(mash.RoleScreener), f.Actor(mash.RoleManager)
		c := storetest.NewContact(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
		if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), c, ""); err != nil {
			t.Fatal(err)
		}
		other := storetest.NewContact(c.ReceivedAt.Add(time.Minute))
		if _, err := db.CreateContact(ctx, scr, other, ""); err != nil {
			t.Fatal(err)
		}
		want := func(what string, err error, kind mash.Kind) {
			t.Helper()
			if mash.KindOf(err) != kind {
				t.Fatalf("%s: %v, want %s", what, err, kind)
			}
		}
		_, err := db.Assign(ctx, f.Actor(mash.RoleReferrer), c.ID, f.Users[mash.RoleReferrer].ID, c.Version)
		want("referrer assigns", err, mash.KindForbidden)
		_, err = db.Assign(ctx, f.Actor(mash.RoleAdmin), c.ID, f.Users[mash.RoleScreener].ID, c.Version)
		want("admin assigns", err, mash.KindForbidden)
		_, err = db.Assign(ctx, scr, c.ID, f.Users[mash.RoleManager].ID, c.Version)
		want("screener gives to someone else", err, mash.KindForbidden)
		_, err = db.Assign(ctx, mgr, c.ID, f.Users[mash.RoleAuditor].ID, c.Version)
		want("assign to an auditor", err, mash.KindInvalid)
		_, err = db.Assign(ctx, mgr, c.ID, "no-such-user", c.Version)
		want("assign to nobody known", err, mash.KindInvalid)
		_, err = db.Assign(ctx, mgr, c.ID, "", c.Version)
		want("unassign the unassigned", err, mash.KindConflict)
		if d, _ := db.GetContact(ctx, scr, c.ID); d.Version != c.Version || d.AssignedTo != "" {
			t.Fatalf("refused assignments changed the contact: %+v", d)
		}

		got, err := db.Assign(ctx, scr, c.ID, scr.UserID, c.Version)
		if err != nil || got.Version != c.Version+1 {
			t.Fatalf("screener takes the contact: %+v %v", got, err)
		}
		_, err = db.Assign(ctx, mgr, c.ID, mgr.UserID, c.Version)
		want("stale version", err, mash.KindConflict)
		d, err := db.GetContact(ctx, mgr, c.ID)
		if err != nil || d.AssignedTo != scr.UserID || d.AssignedName != "Test Screener" {
			t.Fatalf("assignee on the contact: %q %q %v", d.AssignedTo, d.AssignedName, err)
		}
		if ref, err := db.GetContact(ctx, f.Actor(mash.RoleReferrer), c.ID); err == nil && ref.AssignedTo != "" {
			t.Fatalf("the referrer sees the assignee")
		}
		_, err = db.Assign(ctx, f.Actor(mash.RoleScreener), c.ID, "", got.Version)
		if err != nil {
			t.Fatalf("screener gives up their own contact: %v", err)
		}
		got, err = db.Assign(ctx, mgr, c.ID, scr.UserID, got.Version+1)
		if err != nil {
			t.Fatalf("manager gives the contact to the screener: %v", err)
		}

		count := func(fl mash.ContactFilter, by mash.Actor) int {
			t.Helper()
			rows, err := db.ListContacts(ctx, by, fl)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if r.ID == c.ID && (r.AssignedTo != scr.UserID || r.AssignedName != "Test Screener") {
					t.Fatalf("summary's assignee: %+v", r)
				}
			}
			return len(rows)
		}
		if n := count(mash.ContactFilter{AssignedTo: mash.AssignedToMe}, scr); n != 1 {
			t.Errorf("assigned to me (screener): %d, want 1", n)
		}
		if n := count(mash.ContactFilter{AssignedTo: mash.AssignedToMe}, mgr); n != 0 {
			t.Errorf("assigned to me (manager): %d, want 0", n)
		}
		if n := count(mash.ContactFilter{AssignedTo: scr.UserID}, mgr); n != 1 {
			t.Errorf("assigned to the screener: %d, want 1", n)
		}
		if n := count(mash.ContactFilter{AssignedTo: mash.AssignedToNone}, mgr); n != 1 {
			t.Errorf("unassigned: %d, want 1", n)
		}
		_, err = db.ListContacts(ctx, f.Actor(mash.RoleReferrer), mash.ContactFilter{AssignedTo: mash.AssignedToMe})
		want("referrer filters by worker", err, mash.KindForbidden)
		if rows, err := db.ListContacts(ctx, f.Actor(mash.RoleReferrer), mash.ContactFilter{}); err != nil || len(rows) == 0 || rows[0].AssignedTo != "" {
			t.Fatalf("the referrer's list shows the assignee: %+v %v", rows, err)
		}
		if _, err = db.Assign(ctx, scr, c.ID, "", got.Version); err != nil {
			t.Fatalf("the screener gives it up: %v", err)
		}
	})
}

// TestQueueByAgency: the agency filter keeps contacts with an open request
// to that agency, and drops them once the agency answers.
func TestQueueByAgency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := storetest.Partnership(t, db)
		scr := f.Actor(mash.RoleScreener)
		c := storetest.NewContact(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
		if _, err := db.CreateContact(ctx, scr, c, ""); err != nil {
			t.Fatal(err)
		}
		c, err := db.Screen(ctx, scr, c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: "amber", ThresholdLevel: 3, Reason: "DA indicators", Version: c.Version})
		if err != nil {
			t.Fatal(err)
		}
		req, err := db.CreateRequest(ctx, scr, c.ID, mash.NewRequest{AgencyID: f.Police.ID, Question: "Any call-outs?"})
		if err != nil {
			t.Fatal(err)
		}
		n := func(agency string) int {
			rows, err := db.ListContacts(ctx, scr, mash.ContactFilter{Agency: agency})
			if err != nil {
				t.Fatal(err)
			}
			return len(rows)
		}
		if n(f.Police.ID) != 1 || n(f.Health.ID) != 0 {
			t.Fatalf("by agency: police %d, health %d", n(f.Police.ID), n(f.Health.ID))
		}
		if _, err := db.SubmitReturn(ctx, storetest.ActorOf(f.PoliceResearcher), req.ID, &mash.AgencyReturn{Outcome: mash.ReturnNothingHeld}, req.Version); err != nil {
			t.Fatal(err)
		}
		if n(f.Police.ID) != 0 {
			t.Fatal("an answered request still counts as open")
		}
	})
}

// TestChaseRequest: the hub's staff chase an open request; the asked
// agency's researchers are told in the app; the chase shows on the contact;
// a second chase within the hour, an answered request and other roles are
// refused.
func TestChaseRequest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		f := storetest.Partnership(t, db)
		scr := f.Actor(mash.RoleScreener)
		c := storetest.NewContact(now)
		if _, err := db.CreateContact(ctx, scr, c, ""); err != nil {
			t.Fatal(err)
		}
		c, err := db.Screen(ctx, scr, c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: "amber", ThresholdLevel: 3, Reason: "DA indicators", Version: c.Version})
		if err != nil {
			t.Fatal(err)
		}
		req, err := db.CreateRequest(ctx, scr, c.ID, mash.NewRequest{AgencyID: f.Police.ID, Question: "Any call-outs?"})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []mash.Role{mash.RoleReferrer, mash.RoleResearcher, mash.RoleAuditor, mash.RoleAdmin} {
			if _, err := db.ChaseRequest(ctx, f.Actor(r), req.ID); mash.KindOf(err) != mash.KindForbidden {
				t.Errorf("%s chases: %v, want forbidden", r, err)
			}
		}
		if _, err := db.ChaseRequest(ctx, scr, "no-such-request"); mash.KindOf(err) != mash.KindNotFound {
			t.Errorf("chase of nothing: %v", err)
		}
		now = now.Add(time.Hour)
		ch, err := db.ChaseRequest(ctx, scr, req.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Kind != mash.ChaseManual || ch.Notified != 1 || ch.RequestID != req.ID {
			t.Fatalf("chase: %+v", ch)
		}
		if _, err := db.ChaseRequest(ctx, f.Actor(mash.RoleManager), req.ID); mash.KindOf(err) != mash.KindConflict {
			t.Errorf("second chase within the hour: %v", err)
		}
		n, err := db.Notifications(ctx, storetest.ActorOf(f.PoliceResearcher), 10)
		if err != nil || n.Unread != 1 || n.Items[0].Kind != "request.chase" || n.Items[0].Reference != c.Reference {
			t.Fatalf("the researcher's notifications: %+v %v", n, err)
		}
		if h, _ := db.Notifications(ctx, storetest.ActorOf(f.HealthResearcher), 10); h.Unread != 0 {
			t.Fatal("another agency's researcher was told")
		}
		list, err := db.Chases(ctx, scr, c.ID)
		if err != nil || len(list) != 1 || list[0].ID != ch.ID {
			t.Fatalf("the contact's chases: %+v %v", list, err)
		}
		if _, err := db.Chases(ctx, storetest.ActorOf(f.PoliceResearcher), c.ID); mash.KindOf(err) != mash.KindForbidden {
			t.Errorf("researcher lists chases: %v", err)
		}
		if _, err := db.SubmitReturn(ctx, storetest.ActorOf(f.PoliceResearcher), req.ID, &mash.AgencyReturn{Outcome: mash.ReturnNothingHeld}, req.Version); err != nil {
			t.Fatal(err)
		}
		now = now.Add(2 * time.Hour)
		if _, err := db.ChaseRequest(ctx, scr, req.ID); mash.KindOf(err) != mash.KindConflict {
			t.Errorf("chase of an answered request: %v", err)
		}
	})
}
