package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestConcurrentCreatesFailAlone runs many creations at once, some failing
// inside their transaction, and checks each outcome is its own: on SQLite
// they share commits, and a failure must not undo or leak into the others.
func TestConcurrentCreatesFailAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := storetest.Partnership(t, db)
		by := f.Actor(mash.RoleReferrer)
		const n = 64
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				c := storetest.NewContact(time.Now().UTC().Add(-time.Hour))
				if i%3 == 0 {
					c.Subjects[1].PersonID = "no-such-person" // fails after the contact row is written
				}
				_, errs[i] = db.CreateContact(ctx, by, c, "")
			})
		}
		wg.Wait()
		good := 0
		for i, err := range errs {
			if i%3 == 0 {
				wantKind(t, err, mash.KindInvalid)
				continue
			}
			if err != nil {
				t.Fatalf("create %d: %v", i, err)
			}
			good++
		}
		if got := count(t, db, `SELECT COUNT(*) FROM contacts`); got != good {
			t.Errorf("contacts = %d, want %d", got, good)
		}
		if got := count(t, db, `SELECT COUNT(*) FROM audit_events WHERE action = 'contact.create'`); got != good {
			t.Errorf("audit events = %d, want %d", got, good)
		}
		if got := count(t, db, `SELECT COUNT(*) FROM contact_subjects`); got != 2*good {
			t.Errorf("subjects = %d, want %d", got, 2*good)
		}
	})
}
