package demo_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/auth"
	"openmash.org/mash/internal/demo"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// wednesday is a working afternoon; sunday is out of hours.
var (
	wednesday = time.Date(2026, 3, 18, 14, 30, 0, 0, time.UTC)
	sunday    = time.Date(2026, 3, 22, 20, 0, 0, 0, time.UTC)
)

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func statuses(t *testing.T, db *store.DB) map[mash.Status]int {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT status, count(*) FROM contacts GROUP BY status`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[mash.Status]int{}
	for rows.Next() {
		var s mash.Status
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		out[s] = n
	}
	return out
}

// checkStages checks that the seed shows every stage of the procedure.
func checkStages(t *testing.T, db *store.DB, n int) {
	t.Helper()
	got := statuses(t, db)
	total := 0
	for _, c := range got {
		total += c
	}
	if total != n {
		t.Errorf("seeded %d contacts, want %d", total, n)
	}
	for _, s := range mash.Statuses {
		if s == mash.StatusScreening {
			continue // only passed through within Screen
		}
		if got[s] == 0 {
			t.Errorf("no contact in status %s (have %v)", s, got)
		}
	}
	if got[mash.StatusClosed] < n/2 {
		t.Errorf("only %d of %d contacts closed: older contacts should be finished", got[mash.StatusClosed], n)
	}
}

func TestSeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const n = 60
		start := time.Now()
		logins, err := demo.Seed(ctx, db, demo.Options{Now: wednesday, Contacts: n, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seeded %d contacts in %s", n, time.Since(start).Round(time.Millisecond))
		if d := time.Since(db.Now()); d < -time.Minute || d > time.Minute {
			t.Errorf("db.Now not restored to real time: %s", db.Now())
		}
		checkStages(t, db, n)

		// People recur across contacts.
		if k := count(t, db, `SELECT count(*) FROM (SELECT person_id FROM contact_subjects GROUP BY person_id HAVING count(*) > 1) x`); k == 0 {
			t.Error("no person appears on more than one contact")
		}
		if k := count(t, db, `SELECT count(DISTINCT cohort) FROM contacts`); k != 2 {
			t.Errorf("%d cohorts, want child and adult", k)
		}

		// Every sign-in works, and every role has one.
		var screener mash.Actor
		roles := map[string]bool{}
		for _, l := range logins {
			key, _ := auth.DecodeTOTPSecret(demo.TOTPSecret)
			tok, err := db.SignIn(ctx, mash.Actor{}, l.Email, l.Password, auth.TOTPCode(key, auth.TOTPStep(db.Now())), time.Hour)
			if err != nil {
				t.Errorf("login %s: %v", l.Email, err)
				continue
			}
			u, err := db.ActorForToken(ctx, tok.Token)
			if err != nil {
				t.Errorf("login %s: %v", l.Email, err)
				continue
			}
			if string(u.Role) != l.Role {
				t.Errorf("login %s: role %s, listed as %s", l.Email, u.Role, l.Role)
			}
			if a, err := db.FindAgency(ctx, u.AgencyID); err != nil || a.Name != l.Agency {
				t.Errorf("login %s: agency %v (%v), listed as %s", l.Email, a, err, l.Agency)
			}
			roles[l.Role] = true
			if screener.UserID == "" && u.Role == mash.RoleScreener {
				screener = u
			}
		}
		for _, r := range mash.Roles {
			if !roles[string(r)] {
				t.Errorf("no login for role %s", r)
			}
		}
		if len(logins) == 0 || logins[0].Role != string(mash.RoleScreener) {
			t.Errorf("first login should be a screener: %v", logins)
		}
		if agencies, _ := db.ListAgencies(ctx); len(agencies) < 10 {
			t.Errorf("%d agencies, want about 10", len(agencies))
		}

		// The live queue, as the screener sees it at the demo's now.
		db.Now = func() time.Time { return wednesday }
		yes := true
		overdue, err := db.ListContacts(ctx, screener, mash.ContactFilter{Overdue: &yes})
		if err != nil {
			t.Fatal(err)
		}
		if len(overdue) == 0 {
			t.Error("no overdue contacts in the queue")
		}
		for status, want := range map[mash.RequestStatus]bool{mash.RequestOpen: true, mash.RequestOverdue: true, mash.RequestReturned: true} {
			rs, err := db.ListRequests(ctx, screener, mash.RequestFilter{Status: status})
			if err != nil {
				t.Fatal(err)
			}
			if want && len(rs) == 0 {
				t.Errorf("no %s information requests", status)
			}
		}

		// Returns of every kind, items of every marking, re-ratings, overrides, dissent.
		for _, o := range mash.ReturnOutcomes {
			if count(t, db, `SELECT count(*) FROM agency_returns WHERE outcome = $1`, string(o)) == 0 {
				t.Errorf("no %s return", o)
			}
		}
		for _, m := range mash.Markings {
			if count(t, db, `SELECT count(*) FROM return_items WHERE marking = $1`, string(m)) == 0 {
				t.Errorf("no item marked %s", m)
			}
		}
		for what, q := range map[string]string{
			"re-rating":        `SELECT count(*) FROM rag_changes WHERE from_rag <> ''`,
			"consent override": `SELECT count(*) FROM contacts WHERE consent_override IS NOT NULL`,
			"dissent":          `SELECT count(*) FROM decisions WHERE agency_views LIKE '%"agrees":false%'`,
			"feedback sent":    `SELECT count(*) FROM feedback WHERE status = 'sent'`,
			"immediate risk":   `SELECT count(*) FROM contacts WHERE immediate_risk`,
			"referrer's own":   `SELECT count(*) FROM contacts c JOIN users u ON u.id = c.created_by WHERE u.role = 'referrer'`,
		} {
			if count(t, db, q) == 0 {
				t.Errorf("no %s", what)
			}
		}
		// Decisions fit the cohort (the store validates this; check it held).
		if k := count(t, db, `SELECT count(*) FROM decisions d JOIN contacts c ON c.id = d.contact_id
			WHERE c.cohort = 'child' AND d.outcomes LIKE '%adult_s42%'`); k != 0 {
			t.Errorf("%d child decisions with an adult s42 enquiry", k)
		}
	})
}

// TestSeedOutOfHours seeds with "now" on a Sunday evening: the queue still
// shows every stage.
func TestSeedOutOfHours(t *testing.T) {
	db := storetest.Open(t, storetest.Engines(t)[0])
	if _, err := demo.Seed(context.Background(), db, demo.Options{Now: sunday, Contacts: 40, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	checkStages(t, db, 40)
}

func snapshot(t *testing.T, db *store.DB) []string {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT reference, status, cohort, rag, channel, received_at FROM contacts ORDER BY reference`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ref, status, cohort, rag, channel string
		var at time.Time
		if err := rows.Scan(&ref, &status, &cohort, &rag, &channel, &at); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %s %s %s %s %s", ref, status, cohort, rag, channel, at.UTC().Format(time.RFC3339)))
	}
	return out
}

func TestSeedDeterministic(t *testing.T) {
	ctx := context.Background()
	seed := func(s int64) []string {
		db := storetest.Open(t, storetest.Engines(t)[0])
		if _, err := demo.Seed(ctx, db, demo.Options{Now: wednesday, Contacts: 40, Seed: s}); err != nil {
			t.Fatal(err)
		}
		return snapshot(t, db)
	}
	a, b := seed(11), seed(11)
	if !slices.Equal(a, b) {
		t.Errorf("the same seed gave different data:\n%v\n%v", a, b)
	}
	if c := seed(12); slices.Equal(a, c) {
		t.Error("different seeds gave the same data")
	}
}
