package store_test

import (
	"context"
	"testing"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestListRequestsOfContacts: the board asks for the open requests of the
// contacts it shows, and gets those and no others.
func TestListRequestsOfContacts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clock, _ := alertsFixture(t, db)
		a, qa := requestedContact(t, db, f, clock.Now())
		_, qb := requestedContact(t, db, f, clock.Now())
		scr := f.Actor(mash.RoleScreener)
		got, err := db.ListRequests(ctx, scr, mash.RequestFilter{ContactIDs: []string{a.ID}, Status: mash.RequestOpen})
		if err != nil || len(got) != 1 || got[0].ID != qa.ID {
			t.Fatalf("requests of the first contact: %+v %v", got, err)
		}
		all, err := db.ListRequests(ctx, scr, mash.RequestFilter{Status: mash.RequestOpen})
		if err != nil || len(all) != 2 || (all[0].ID != qb.ID && all[1].ID != qb.ID) {
			t.Fatalf("all open requests: %+v %v", all, err)
		}
	})
}
