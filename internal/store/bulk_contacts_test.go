package store_test

import (
	"context"
	"testing"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestBulkLoadContactsIsForTheSystemOnly: no user, an administrator
// included, can write contacts past intake's rules; a refused load writes
// nothing.
func TestBulkLoadContactsIsForTheSystemOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := storetest.Partnership(t, db)
		b := &store.ContactBatch{Persons: []mash.PersonRecord{{PersonID: "p1", GivenName: "A", FamilyName: "B"}}}
		for _, r := range []mash.Role{mash.RoleAdmin, mash.RoleManager, mash.RoleScreener} {
			if err := db.BulkLoadContacts(ctx, f.Actor(r), b); mash.KindOf(err) != mash.KindForbidden {
				t.Errorf("%s: %v, want Forbidden", r, err)
			}
		}
		var n int
		db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM persons WHERE id = 'p1'`).Scan(&n)
		if n != 0 {
			t.Error("a refused bulk load wrote a person")
		}
		if err := db.BulkLoadContacts(ctx, store.System, b); err != nil {
			t.Fatal(err)
		}
		db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM persons WHERE id = 'p1'`).Scan(&n)
		if n != 1 {
			t.Errorf("persons loaded: %d, want 1", n)
		}
	})
}
