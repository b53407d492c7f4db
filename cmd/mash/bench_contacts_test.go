package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestGenContacts fills each engine with a small synthetic history and
// checks it is whole: the counts, every reference valid, the hub opening
// generated contacts through its normal read path, and the realistic mix.
func TestGenContacts(t *testing.T) {
	const n = 3000
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			var out, errb bytes.Buffer
			args := []string{"bench", "gen-contacts", "--contacts", "3000", "--years", "3", "--seed", "7", "--batch", "700",
				"--db", e.URL, "--now", "2026-11-26T12:00:00Z"}
			if err := run(ctx, args, func(string) string { return "" }, nil, &out, &errb); err != nil {
				t.Fatalf("gen-contacts: %v\n%s", err, errb.String())
			}
			var rep genReport
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("report: %v\n%s", err, out.String())
			}
			db := storetest.Open(t, e)
			count := func(q string) int {
				t.Helper()
				var k int
				if err := db.SQL().QueryRowContext(ctx, q).Scan(&k); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				return k
			}
			if got := count(`SELECT count(*) FROM contacts`); got != n || rep.Contacts != n {
				t.Fatalf("contacts: %d stored, %d reported, want %d", got, rep.Contacts, n)
			}
			if got := count(`SELECT count(*) FROM persons`); got != rep.Persons || got < n*8/10 {
				t.Errorf("persons: %d stored, %d reported", got, rep.Persons)
			}
			if got := count(`SELECT count(*) FROM contact_subjects`); got != rep.Subjects || got < n {
				t.Errorf("subjects: %d stored, %d reported", got, rep.Subjects)
			}
			// Every reference resolves (the engines enforce the foreign keys;
			// this checks the generator did not rely on that being on).
			for _, q := range []string{
				`SELECT count(*) FROM contact_subjects s LEFT JOIN persons p ON p.id = s.person_id WHERE p.id IS NULL`,
				`SELECT count(*) FROM contact_subjects s LEFT JOIN person_records r ON r.id = s.id WHERE r.id IS NULL`,
				`SELECT count(*) FROM contacts c LEFT JOIN users u ON u.id = c.created_by WHERE u.id IS NULL`,
				`SELECT count(*) FROM transitions t LEFT JOIN contacts c ON c.id = t.contact_id WHERE c.id IS NULL`,
				`SELECT count(*) FROM agency_returns r LEFT JOIN info_requests q ON q.id = r.request_id WHERE q.id IS NULL`,
				`SELECT count(*) FROM decisions d JOIN contacts c ON c.id = d.contact_id WHERE c.status NOT IN ('decided','feedback_sent','closed')`,
				`SELECT count(*) FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM contact_subjects s WHERE s.contact_id = c.id AND s.role = 'subject')`,
				`SELECT count(*) FROM contacts WHERE source = ''`,
				`SELECT count(*) FROM (SELECT reference FROM contacts GROUP BY reference HAVING count(*) > 1) x`,
			} {
				if got := count(q); got != 0 {
					t.Errorf("%s: %d rows", q, got)
				}
			}
			// The mix: about four in five about children, some people seen again,
			// most closed, a few still at work, some deadlines missed.
			child := count(`SELECT count(*) FROM contacts WHERE cohort = 'child'`)
			if child < n*75/100 || child > n*85/100 {
				t.Errorf("child contacts: %d of %d", child, n)
			}
			repeat := count(`SELECT count(*) FROM (SELECT person_id FROM contact_subjects WHERE role = 'subject' GROUP BY person_id HAVING count(*) > 1) x`)
			if repeat < n/20 {
				t.Errorf("people the subject of more than one contact: %d", repeat)
			}
			closed := count(`SELECT count(*) FROM contacts WHERE status = 'closed'`)
			if closed < n*9/10 || closed == n {
				t.Errorf("closed: %d of %d", closed, n)
			}
			if rep.Breaches == 0 || rep.Decisions < n/5 || count(`SELECT count(*) FROM agency_returns WHERE outcome = 'declined'`) == 0 {
				t.Errorf("breaches %d, decisions %d", rep.Breaches, rep.Decisions)
			}
			if got := count(`SELECT count(*) FROM contacts WHERE source = '6'`); got < n/5 {
				t.Errorf("police as the source: %d", got)
			}

			// The hub opens generated contacts as it opens any other.
			var ids []string
			rows, err := db.SQL().QueryContext(ctx, `SELECT id FROM contacts ORDER BY received_at DESC LIMIT 40`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id string
				rows.Scan(&id)
				ids = append(ids, id)
			}
			rows.Close()
			manager := storetest.ActorOf(userByEmail(t, db, "gen-manager-1@gen.example"))
			for _, id := range ids {
				d, err := db.GetContact(ctx, manager, id)
				if err != nil {
					t.Fatalf("open generated contact: %v", err)
				}
				if len(d.Subjects) == 0 || !mash.ReferralSources().Has(d.Referrer.Source) || !strings.HasPrefix(d.Reference, "MASH-") {
					t.Errorf("contact %s: subjects %d, source %q, reference %q", id, len(d.Subjects), d.Referrer.Source, d.Reference)
				}
			}

			// A second run adds to the database only when asked.
			args[len(args)-1] = "2026-11-27T12:00:00Z"
			if err := run(ctx, args, func(string) string { return "" }, nil, &out, &errb); err == nil {
				t.Error("a second run without --append filled a database that holds contacts")
			}
		})
	}
}

func userByEmail(t *testing.T, db *store.DB, email string) mash.User {
	t.Helper()
	u, err := db.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return *u
}
