package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// decidedContact takes a contact through to closure with a police return
// that names a protected third party.
func decidedContact(t *testing.T, db *store.DB, f *storetest.Fixture, clk *clock) *mash.Contact {
	t.Helper()
	ctx := context.Background()
	c := storetest.NewContact(clk.Now().Add(-time.Hour))
	if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), c, ""); err != nil {
		t.Fatal(err)
	}
	got, err := db.Screen(ctx, f.Actor(mash.RoleScreener), c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: "amber", ThresholdLevel: 3, Reason: "r", Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	req, err := db.CreateRequest(ctx, f.Actor(mash.RoleScreener), c.ID, mash.NewRequest{AgencyID: f.Police.ID, Question: "q"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SubmitReturn(ctx, storetest.ActorOf(f.PoliceResearcher), req.ID, &mash.AgencyReturn{Outcome: mash.ReturnInformation, Items: []mash.ReturnItem{
		{Summary: "Call-out reported by Olive Neighbour", Marking: mash.MarkingMASHOnly, ProtectedNames: []string{"Olive Neighbour"}},
	}}, 1); err != nil {
		t.Fatal(err)
	}
	got, err = db.Decide(ctx, f.Actor(mash.RoleManager), c.ID, &mash.Decision{ThresholdLevel: 3, Outcomes: []mash.Outcome{mash.OutcomeEarlyHelp},
		Rationale: "Kayleigh needs early help", Version: got.Version})
	if err != nil {
		t.Fatal(err)
	}
	if got, err = db.SendFeedback(ctx, f.Actor(mash.RoleScreener), c.ID, "Early help offered", got.Version); err != nil {
		t.Fatal(err)
	}
	if _, err = db.CloseContact(ctx, f.Actor(mash.RoleScreener), c.ID, "done", got.Version); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSubjectAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		f, clk := setup(t, db, now)
		c := decidedContact(t, db, f, clk)
		if _, err := db.GetContact(context.Background(), storetest.ActorOf(f.PoliceResearcher), c.ID); err != nil {
			t.Fatal(err)
		}
		// The police index holds her too: identity data held for them.
		if res, err := db.ImportAgencyRecords(context.Background(), store.System, f.Police.ID, []mash.PersonRecord{{SourceRef: "NPOL-5",
			GivenName: c.Subjects[0].GivenName, FamilyName: c.Subjects[0].FamilyName, DOB: c.Subjects[0].DOB, Postcode: c.Subjects[0].Postcode}}); err != nil || res.Linked != 1 {
			t.Fatalf("import: %+v %v", res, err)
		}
		rep, err := db.SubjectAccess(context.Background(), store.System, c.Subjects[0].PersonID)
		if err != nil {
			t.Fatal(err)
		}
		var index bool
		for _, it := range rep.Items {
			index = index || strings.Contains(it.Source, "NPOL-5") && it.Owner == "Northshire Police"
		}
		if !index {
			t.Errorf("the police index record is missing from the report: %+v", rep.Items)
		}
		if rep.Person.FamilyName != "Smith" || rep.Accesses["Northshire Police"] != 1 {
			t.Fatalf("report: %+v", rep)
		}
		var item *mash.SARItem
		for i := range rep.Items {
			if strings.Contains(rep.Items[i].Text, "Call-out") {
				item = &rep.Items[i]
			}
		}
		if item == nil || item.Owner != "Northshire Police" || item.Marking != "mash_only" ||
			!strings.Contains(item.Review, "mash_only") || !strings.Contains(item.Review, "third parties") {
			t.Fatalf("police item: %+v", item)
		}
		if _, err := db.SubjectAccess(context.Background(), store.System, "no-such-person"); mash.KindOf(err) != mash.KindNotFound {
			t.Fatalf("unknown person: %v", err)
		}
		if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'person.sar_export'`); n != 1 {
			t.Fatalf("%d SAR exports audited", n)
		}
	})
}

func TestRetention(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		f, clk := setup(t, db, now)
		gone, held := decidedContact(t, db, f, clk), decidedContact(t, db, f, clk)
		open := storetest.NewContact(now.Add(-time.Hour))
		if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), open, ""); err != nil {
			t.Fatal(err)
		}
		if due, err := db.RetentionDue(ctx, mash.DefaultRetention); err != nil || len(due) != 0 {
			t.Fatalf("due now: %+v %v", due, err)
		}
		if err := db.PlaceHold(ctx, store.System, held.Reference, "Litigation: care proceedings pending"); err != nil {
			t.Fatal(err)
		}
		clk.Set(now.AddDate(7, 0, 0))
		due, err := db.RetentionDue(ctx, mash.DefaultRetention)
		if err != nil || len(due) != 2 {
			t.Fatalf("due after 7 years: %+v %v", due, err)
		}
		// Unsent work about both: the anonymised contact's goes with it.
		for _, c := range []*mash.Contact{gone, held} {
			d := &mash.Draft{Kind: mash.DraftFeedback, Key: c.ID, Version: c.Version, Values: map[string][]string{"text": {"Synthetic: Kayleigh is safe."}}}
			if err := db.SaveDraft(ctx, f.Actor(mash.RoleManager), d); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range due {
			err := db.Anonymise(ctx, store.System, c, "test")
			if c.ContactID == held.ID {
				if mash.KindOf(err) != mash.KindConflict {
					t.Fatalf("held contact: %v", err)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := count(t, db, `SELECT count(*) FROM drafts WHERE form_key = $1`, gone.ID); n != 0 {
			t.Errorf("%d drafts about the anonymised contact remain", n)
		}
		if n := count(t, db, `SELECT count(*) FROM drafts WHERE form_key = $1`, held.ID); n != 1 {
			t.Errorf("%d drafts about the held contact; want its 1", n)
		}
		// No personal data of the anonymised contact is left in any table.
		for _, q := range []string{
			`SELECT count(*) FROM contact_subjects WHERE contact_id = $1 AND (family_name <> '' OR dob <> '' OR nhs_number <> '')`,
			`SELECT count(*) FROM contacts WHERE id = $1 AND (narrative LIKE '%hungry%' OR referrer LIKE '%Teacher%')`,
			`SELECT count(*) FROM decisions WHERE contact_id = $1 AND rationale LIKE '%Kayleigh%'`,
			`SELECT count(*) FROM return_items i JOIN agency_returns a ON a.id = i.return_id JOIN info_requests r ON r.id = a.request_id
				WHERE r.contact_id = $1 AND (i.summary LIKE '%Olive%' OR i.protected_names LIKE '%Olive%')`,
			`SELECT count(*) FROM feedback WHERE contact_id = $1 AND text <> ''`,
			// Its subjects leave the identity index: no keys, no names on their records.
			`SELECT count(*) FROM person_keys WHERE record_id IN (SELECT id FROM contact_subjects WHERE contact_id = $1)`,
			`SELECT count(*) FROM person_records WHERE id IN (SELECT id FROM contact_subjects WHERE contact_id = $1) AND (family_name <> '' OR dob <> '')`,
		} {
			if n := count(t, db, q, gone.ID); n != 0 {
				t.Errorf("left behind: %s", q)
			}
		}
		// What the statistics need stays; the held and the open contact are untouched.
		if n := count(t, db, `SELECT count(*) FROM contacts WHERE id = $1 AND status = 'closed' AND concerns LIKE '%16A%'`, gone.ID); n != 1 {
			t.Error("the anonymised contact lost its statistics")
		}
		if n := count(t, db, `SELECT count(*) FROM contact_subjects WHERE contact_id IN ($1, $2) AND family_name = 'Smith'`, held.ID, open.ID); n != 4 {
			t.Errorf("held or open contacts touched: %d subjects left named", n)
		}
		due, _ = db.RetentionDue(ctx, mash.DefaultRetention)
		if len(due) != 1 || due[0].ContactID != held.ID || due[0].Held == "" {
			t.Fatalf("after the run: %+v", due)
		}
		if err := db.ReleaseHold(ctx, store.System, held.Reference, "Proceedings concluded in court"); err != nil {
			t.Fatal(err)
		}
		if err := mash.ValidateRetention([]mash.RetentionRule{{RecordType: mash.RecordDecided, KeepDays: 30}}); mash.KindOf(err) != mash.KindInvalid {
			t.Fatalf("30-day retention accepted: %v", err)
		}
	})
}
