package store_test

import (
	"context"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestStoreChecksRoles: the store refuses what the role table does not
// allow even when a caller skips the handler's check, and changes nothing.
func TestStoreChecksRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := storetest.Partnership(t, db)
		c := storetest.NewContact(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
		if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), c, ""); err != nil {
			t.Fatal(err)
		}
		ref, analyst := f.Actor(mash.RoleReferrer), f.Actor(mash.RoleAnalyst)
		checks := map[string]error{}
		_, checks["analyst creates"] = db.CreateContact(ctx, analyst, storetest.NewContact(c.ReceivedAt), "")
		_, checks["referrer screens"] = db.Screen(ctx, ref, c.ID, mash.Screening{Decision: "mash", RAG: "amber", Reason: "x", Version: c.Version})
		_, checks["referrer rates"] = db.Rate(ctx, ref, c.ID, "red", "x", c.Version)
		_, checks["referrer overrides consent"] = db.OverrideConsent(ctx, ref, c.ID, "x", "x", c.Version)
		_, checks["referrer closes"] = db.CloseContact(ctx, ref, c.ID, "x", c.Version)
		_, checks["referrer asks"] = db.CreateRequest(ctx, ref, c.ID, mash.NewRequest{AgencyID: f.Police.ID, Question: "x"})
		_, checks["referrer sends feedback"] = db.SendFeedback(ctx, ref, c.ID, "x", c.Version)
		for what, err := range checks {
			if mash.KindOf(err) != mash.KindForbidden {
				t.Errorf("%s: %v, want forbidden", what, err)
			}
		}
		got, err := db.GetContact(ctx, f.Actor(mash.RoleScreener), c.ID)
		if err != nil || got.Version != c.Version || got.Status != mash.StatusReceived {
			t.Fatalf("refused calls changed the contact: %+v %v", got, err)
		}
	})
}

func TestQueueFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := storetest.Partnership(t, db)
		scr := f.Actor(mash.RoleScreener)
		c := storetest.NewContact(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
		if _, err := db.CreateContact(ctx, scr, c, ""); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			f    mash.ContactFilter
			want int
		}{
			{mash.ContactFilter{Cohort: mash.CohortChild}, 1},
			{mash.ContactFilter{Cohort: mash.CohortAdult}, 0},
			{mash.ContactFilter{Open: true}, 1},
		} {
			got, err := db.ListContacts(ctx, scr, tc.f)
			if err != nil || len(got) != tc.want {
				t.Errorf("%+v: %d contacts, %v; want %d", tc.f, len(got), err, tc.want)
			}
		}
		if _, err := db.Screen(ctx, scr, c.ID, mash.Screening{Decision: mash.ScreenNFA, Reason: "no role for the hub", Version: c.Version}); err != nil {
			t.Fatal(err)
		}
		if got, err := db.ListContacts(ctx, scr, mash.ContactFilter{Open: true}); err != nil || len(got) != 0 {
			t.Errorf("a closed contact is on the open queue: %d, %v", len(got), err)
		}
		_, err := db.ListContacts(ctx, scr, mash.ContactFilter{Cohort: "teen"})
		if e, ok := err.(*mash.Error); !ok || e.Fields["cohort"] == "" {
			t.Errorf("unknown cohort: %v", err)
		}
	})
}
