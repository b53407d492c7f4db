package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// intake records a contact naming subjects as given, returning it.
func intake(t *testing.T, db *store.DB, by mash.Actor, at time.Time, subjects ...mash.Subject) *mash.Contact {
	t.Helper()
	c := storetest.NewContact(at)
	c.Subjects = subjects
	if _, err := db.CreateContact(context.Background(), by, c, ""); err != nil {
		t.Fatalf("create contact: %v", err)
	}
	return c
}

func child(given, family, dob, addr, pc string) mash.Subject {
	return mash.Subject{Role: mash.SubjectMain, GivenName: given, FamilyName: family, DOB: dob, Sex: "F", Address: addr, Postcode: pc}
}

func TestIntakeLinksTheSamePerson(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := storetest.Partnership(t, db)
		scr := f.Actor(mash.RoleScreener)
		at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		first := intake(t, db, scr, at, child("Kayleigh", "Smith", "2015-04-03", "1 Church Road, Leeds", "LS1 4AP"))
		// The school's spelling, day and month swapped, same address: one child.
		second := intake(t, db, f.Actor(mash.RoleReferrer), at.Add(time.Hour), child("Kayley", "Smith", "2015-03-04", "1 Church Rd, Leeds", "LS1 4AP"))
		if first.Subjects[0].PersonID != second.Subjects[0].PersonID {
			t.Fatalf("re-referral of the same child made a new person")
		}
		// Her twin sister, same family name, date of birth and address: never merged.
		twin := intake(t, db, scr, at.Add(2*time.Hour), child("Chloe", "Smith", "2015-04-03", "1 Church Road, Leeds", "LS1 4AP"))
		if twin.Subjects[0].PersonID == first.Subjects[0].PersonID {
			t.Fatalf("a twin was linked to her sister")
		}
		// A screener who looked and chose none of the candidates gets a new person.
		again := child("Kayleigh", "Smith", "2015-04-03", "1 Church Road, Leeds", "LS1 4AP")
		again.NewPerson = true
		chosenNew := intake(t, db, scr, at.Add(150*time.Minute), again)
		if chosenNew.Subjects[0].PersonID == first.Subjects[0].PersonID {
			t.Fatalf("new_person was ignored")
		}
		again.PersonID = first.Subjects[0].PersonID
		bad := storetest.NewContact(at)
		bad.Subjects = []mash.Subject{again}
		if _, err := db.CreateContact(ctx, scr, bad, ""); err == nil || err.(*mash.Error).Fields["subjects[0].new_person"] == "" {
			t.Fatalf("person_id with new_person: %v", err)
		}
		// A stranger is a new person.
		other := intake(t, db, scr, at.Add(3*time.Hour), child("Amara", "Okonkwo", "2012-09-17", "5 Mill Lane, York", "YO1 7HH"))
		if other.Subjects[0].PersonID == first.Subjects[0].PersonID {
			t.Fatalf("a stranger was linked")
		}
		page, err := db.GetPerson(ctx, scr, first.Subjects[0].PersonID)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Contacts) != 2 || len(page.Records) != 2 {
			t.Fatalf("person page: %d contacts, %d records, want 2 and 2", len(page.Contacts), len(page.Records))
		}
		var linked, twinSeen bool
		for _, d := range page.Decisions {
			if d.Outcome == "linked" && d.Probability > 0.9 && len(d.Fields) > 0 {
				linked = true
				if !hasWording(d.Fields, "swapped") {
					t.Errorf("the decision does not explain the swapped day and month: %+v", d.Fields)
				}
			}
			if d.Outcome == "related_not_same" && d.PersonID == twin.Subjects[0].PersonID {
				twinSeen = true
			}
		}
		if !linked || !twinSeen {
			t.Errorf("decisions not recorded (linked %v, twin %v): %+v", linked, twinSeen, page.Decisions)
		}
		// The household: the twin lives at the same address and the parent is named in the contacts.
		found := map[string]string{}
		for _, h := range page.Household {
			found[h.GivenName] = h.Link
		}
		if found["Chloe"] != "same address" || !strings.Contains(found["Dawn"], "parent") && found["Dawn"] != "" {
			t.Errorf("household: %v", found)
		}
		if len(page.HouseholdContacts) == 0 {
			t.Errorf("no household history")
		}
	})
}

func hasWording(fs []mash.MatchField, s string) bool {
	for _, f := range fs {
		if strings.Contains(f.Wording, s) {
			return true
		}
	}
	return false
}

func TestMatchPersonsRespectsAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := storetest.Partnership(t, db)
		scr := f.Actor(mash.RoleScreener)
		at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		c := intake(t, db, scr, at, child("Kayleigh", "Smith", "2015-04-03", "1 Church Road, Leeds", "LS1 4AP"))
		pid := c.Subjects[0].PersonID
		// The police index knows her as a victim in an incident.
		res, err := db.ImportAgencyRecords(ctx, store.System, f.Police.ID, []mash.PersonRecord{
			{SourceRef: "NPOL-77", GivenName: "Kayleigh", FamilyName: "Smith", DOB: "2015-04-03", Address: "1 Church Road, Leeds", Postcode: "LS1 4AP"},
		})
		if err != nil || res.Linked != 1 {
			t.Fatalf("import: %+v %v", res, err)
		}
		q := mash.PersonQuery{GivenName: "Kayley", FamilyName: "Smyth", DOB: "2015-04-03"}
		got, err := db.MatchPersons(ctx, scr, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || got[0].PersonID != pid {
			t.Fatalf("screener's search: %+v", got)
		}
		if len(got[0].KnownTo) != 1 || got[0].KnownTo[0].AgencyName != f.Police.Name || got[0].Contacts != 1 || len(got[0].VisibleContacts) != 1 {
			t.Fatalf("screener should see known to police and the contact: %+v", got[0])
		}
		// The screener's person page says police know her but shows no police record.
		page, err := db.GetPerson(ctx, scr, pid)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Records {
			if r.Kind == mash.RecordAgency {
				t.Errorf("screener sees a police record: %+v", r)
			}
		}
		// A health researcher may learn that she is known, not the contact.
		hr := storetest.ActorOf(f.HealthResearcher)
		got, err = db.MatchPersons(ctx, hr, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || got[0].Contacts != 1 || len(got[0].VisibleContacts) != 0 || len(got[0].KnownTo) != 1 {
			t.Fatalf("health researcher's search: %+v", got)
		}
		if _, err := db.GetPerson(ctx, hr, pid); mash.KindOf(err) != mash.KindNotFound {
			t.Fatalf("health researcher opened a person outside their scope: %v", err)
		}
		// The police researcher sees their own record on the page.
		page, err = db.GetPerson(ctx, storetest.ActorOf(f.PoliceResearcher), pid)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) != 1 || page.Records[0].SourceRef != "NPOL-77" || len(page.Contacts) != 0 || page.HiddenContacts != 1 {
			t.Fatalf("police researcher's page: %+v", page)
		}
		// A referrer may not search at all.
		if _, err := db.MatchPersons(ctx, f.Actor(mash.RoleReferrer), q); mash.KindOf(err) != mash.KindForbidden {
			t.Fatalf("referrer searched: %v", err)
		}
		// Bad input: a clear error naming the field.
		_, err = db.MatchPersons(ctx, scr, mash.PersonQuery{GivenName: "Kayleigh", DOB: "03/04/2015"})
		if fe, ok := err.(*mash.Error); !ok || fe.Fields["dob"] == "" {
			t.Fatalf("bad date: %v", err)
		}
		if _, err = db.MatchPersons(ctx, scr, mash.PersonQuery{GivenName: "Kayleigh"}); mash.KindOf(err) != mash.KindInvalid {
			t.Fatalf("too little to search on: %v", err)
		}
		// Searches are audited with the persons returned, without the query.
		evs, err := db.AuditEvents(ctx, f.Actor(mash.RoleAuditor), mash.AuditFilter{EntityType: "person", EntityID: pid})
		if err != nil {
			t.Fatal(err)
		}
		var audited bool
		for _, e := range evs {
			if e.Action == "person.match" && e.ActorID == scr.UserID {
				audited = true
				if strings.Contains(e.Reason+e.EntityID, "Kayley") {
					t.Errorf("the audit log holds the query: %+v", e)
				}
			}
		}
		if !audited {
			t.Errorf("search not audited")
		}
	})
}

func TestMergeAndUnmerge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := storetest.Partnership(t, db)
		scr := f.Actor(mash.RoleScreener)
		at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		a := intake(t, db, scr, at, child("Jade", "Brown", "2014-06-01", "3 Oak Street, Hull", "HU1 1AA"))
		// Known by her stepfather's name after a move, with a different
		// recorded date of birth: the matcher keeps them apart; a human who
		// checked with the school merges them.
		b := intake(t, db, scr, at.Add(time.Hour), child("Jade", "Taylor", "2014-09-21", "40 Bay Road, Scarborough", "YO11 1AA"))
		pa, pb := a.Subjects[0].PersonID, b.Subjects[0].PersonID
		if pa == pb {
			t.Fatal("the matcher linked two different descriptions")
		}
		page, err := db.GetPerson(ctx, scr, pa)
		if err != nil {
			t.Fatal(err)
		}
		// A stale version changes nothing.
		if _, err := db.MergePersons(ctx, scr, pa, mash.MergeRequest{MergeID: pb, Reason: "same school", Version: page.Person.Version + 1}); mash.KindOf(err) != mash.KindConflict {
			t.Fatalf("stale merge: %v", err)
		}
		if _, err := db.MergePersons(ctx, scr, pa, mash.MergeRequest{MergeID: pb, Version: page.Person.Version}); mash.KindOf(err) != mash.KindInvalid {
			t.Fatalf("merge without a reason: %v", err)
		}
		if _, err := db.MergePersons(ctx, f.Actor(mash.RoleReferrer), pa, mash.MergeRequest{MergeID: pb, Reason: "x", Version: 1}); mash.KindOf(err) != mash.KindForbidden {
			t.Fatalf("referrer merged: %v", err)
		}
		mg, err := db.MergePersons(ctx, scr, pa, mash.MergeRequest{MergeID: pb, Reason: "confirmed with the school", Version: page.Person.Version})
		if err != nil {
			t.Fatal(err)
		}
		page, err = db.GetPerson(ctx, scr, pa)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Contacts) != 2 || len(page.Merges) != 1 {
			t.Fatalf("after merge: %d contacts, %d merges", len(page.Contacts), len(page.Merges))
		}
		got, err := db.GetContact(ctx, scr, b.ID)
		if err != nil || got.Subjects[0].PersonID != pa {
			t.Fatalf("contact subject not moved: %v", err)
		}
		// A match now finds one person.
		cands, err := db.MatchPersons(ctx, scr, mash.PersonQuery{GivenName: "Jade", FamilyName: "Taylor", DOB: "2014-09-21", Postcode: "YO11 1AA"})
		if err != nil || len(cands) == 0 || cands[0].PersonID != pa {
			t.Fatalf("match after merge: %+v %v", cands, err)
		}
		if _, err := db.Unmerge(ctx, scr, mg.ID, ""); mash.KindOf(err) != mash.KindInvalid {
			t.Fatalf("unmerge without reason: %v", err)
		}
		if _, err := db.Unmerge(ctx, scr, mg.ID, "different children after all"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Unmerge(ctx, scr, mg.ID, "again"); mash.KindOf(err) != mash.KindConflict {
			t.Fatalf("second unmerge: %v", err)
		}
		for id, want := range map[string]int{pa: 1, pb: 1} {
			page, err := db.GetPerson(ctx, scr, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Contacts) != want || page.Person.MergedInto != "" {
				t.Fatalf("after unmerge %s: %d contacts, merged into %q", id, len(page.Contacts), page.Person.MergedInto)
			}
		}
		got, err = db.GetContact(ctx, scr, b.ID)
		if err != nil || got.Subjects[0].PersonID != pb {
			t.Fatalf("contact subject not moved back: %v", err)
		}
	})
}

func TestTwinsNeedConfirmationToMerge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := storetest.Partnership(t, db)
		scr := f.Actor(mash.RoleScreener)
		at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		a := intake(t, db, scr, at, child("Ruby", "Hall", "2016-01-09", "8 Kiln Lane, Derby", "DE1 2AB"))
		b := intake(t, db, scr, at, child("Rosie", "Hall", "2016-01-09", "8 Kiln Lane, Derby", "DE1 2AB"))
		pa, pb := a.Subjects[0].PersonID, b.Subjects[0].PersonID
		if pa == pb {
			t.Fatal("twins linked at intake")
		}
		_, err := db.MergePersons(ctx, scr, pa, mash.MergeRequest{MergeID: pb, Reason: "typo?", Version: 1})
		if mash.KindOf(err) != mash.KindConflict || !strings.Contains(err.Error(), "twins") {
			t.Fatalf("twins merged without confirmation: %v", err)
		}
		page, err := db.GetPerson(ctx, scr, pb)
		if err != nil || page.Person.MergedInto != "" {
			t.Fatalf("refused merge changed something: %v", err)
		}
	})
}

func TestReviewQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := storetest.Partnership(t, db)
		scr := f.Actor(mash.RoleScreener)
		at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		intake(t, db, scr, at, child("Liam", "Walsh", "2013-02-11", "14 Pit Lane, Wigan", "WN1 3QQ"))
		// Only part of the description: not enough to be sure.
		var reviews []mash.MatchReview
		for _, s := range []mash.Subject{
			child("Liam", "Walsh", "", "", ""),
			child("Liam", "Walsh", "2013-12-02", "", ""),
		} {
			intake(t, db, scr, at.Add(time.Hour), s)
			var err error
			if reviews, err = db.ListMatchReviews(ctx, scr, true); err != nil {
				t.Fatal(err)
			}
			if len(reviews) > 0 {
				break
			}
		}
		if len(reviews) == 0 {
			t.Fatal("no uncertain match reached the review queue")
		}
		v := reviews[0]
		if v.Record == nil || v.Record.GivenName != "Liam" || len(v.Fields) == 0 || v.Probability <= 0 {
			t.Fatalf("review lacks its evidence: %+v", v)
		}
		if _, err := db.ResolveMatchReview(ctx, scr, v.ID, "maybe", "x", v.Version); mash.KindOf(err) != mash.KindInvalid {
			t.Fatalf("bad outcome: %v", err)
		}
		if _, err := db.ListMatchReviews(ctx, f.Actor(mash.RoleReferrer), true); mash.KindOf(err) != mash.KindForbidden {
			t.Fatalf("referrer listed reviews: %v", err)
		}
		done, err := db.ResolveMatchReview(ctx, scr, v.ID, "same", "same child, checked with school", v.Version)
		if err != nil {
			t.Fatal(err)
		}
		if done.MergeID == "" || done.Status != "same" {
			t.Fatalf("resolved: %+v", done)
		}
		if _, err := db.ResolveMatchReview(ctx, scr, v.ID, "different", "x", done.Version); mash.KindOf(err) != mash.KindConflict {
			t.Fatalf("answered twice: %v", err)
		}
		page, err := db.GetPerson(ctx, scr, v.Candidate)
		if err != nil || len(page.Contacts) < 2 {
			t.Fatalf("merge by review did not move the contact: %v", err)
		}
		open, _ := db.ListMatchReviews(ctx, scr, true)
		for _, o := range open {
			if o.ID == v.ID {
				t.Fatal("resolved review still open")
			}
		}
	})
}

// TestMergeRacesIntake: intakes linking to a person while that person is
// merged into another never leave a record on the merged person.
func TestMergeRacesIntake(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := storetest.Partnership(t, db)
		scr := f.Actor(mash.RoleScreener)
		at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		a := intake(t, db, scr, at, child("Mia", "Carter", "2012-05-05", "2 Dock Road, Hull", "HU2 8AA"))
		bSubj := child("Tia", "Parker", "2010-10-10", "77 Hill Rise, Leeds", "LS6 2QQ")
		b := intake(t, db, scr, at, bSubj)
		pa, pb := a.Subjects[0].PersonID, b.Subjects[0].PersonID
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				c := storetest.NewContact(at)
				c.Subjects = []mash.Subject{bSubj}
				if _, err := db.CreateContact(ctx, scr, c, ""); err != nil && mash.KindOf(err) != mash.KindUnavailable {
					t.Errorf("intake: %v", err)
				}
			})
		}
		wg.Go(func() {
			if _, err := db.MergePersons(ctx, scr, pa, mash.MergeRequest{MergeID: pb, Reason: "test", Version: 1, ConfirmNotRelated: true}); err != nil {
				t.Errorf("merge: %v", err)
			}
		})
		wg.Wait()
		for _, q := range []string{
			`SELECT COUNT(*) FROM person_records r JOIN persons p ON p.id = r.person_id WHERE p.merged_into IS NOT NULL`,
			`SELECT COUNT(*) FROM contact_subjects s JOIN persons p ON p.id = s.person_id WHERE p.merged_into IS NOT NULL`,
		} {
			var n int
			if err := db.SQL().QueryRow(q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%d rows left on the merged person: %s", n, q)
			}
		}
	})
}

// TestMatchPersonsInACrowd finds a person whose common keys (date of birth,
// postcode, family name and year) each hold more records than a search reads
// a key: the rarer keys (full name, NHS number) must still bring them in.
func TestMatchPersonsInACrowd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := storetest.Partnership(t, db)
		scr := f.Actor(mash.RoleScreener)
		var crowd []mash.PersonRecord
		given := []string{"Amelia", "Olivia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Freya", "Florence", "Rosie", "Willow", "Evie"}
		for i := range 150 {
			crowd = append(crowd, mash.PersonRecord{SourceRef: fmt.Sprintf("C-%d", i), GivenName: given[i%len(given)],
				FamilyName: []string{"Smith", "Smyth", "Smithe"}[i%3], DOB: "2015-04-03", Sex: "F",
				Address: fmt.Sprintf("%d Church Road, Leeds", i), Postcode: "LS1 4AP"})
		}
		crowd = append(crowd, mash.PersonRecord{SourceRef: "TARGET", GivenName: "Kayleigh", FamilyName: "Smith", DOB: "2015-04-03",
			Sex: "F", Address: "200 Church Road, Leeds", Postcode: "LS1 4AP", NHSNumber: "943 476 5919"})
		persons, err := db.BulkLoadPersons(ctx, store.System, f.Police.ID, crowd, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []mash.PersonQuery{
			{GivenName: "Kayley", FamilyName: "Smith", DOB: "2015-04-03", Postcode: "LS1 4AP"},
			{NHSNumber: "9434765919", FamilyName: "Smith", DOB: "2015-04-03"},
		} {
			got, err := db.MatchPersons(ctx, scr, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || got[0].PersonID != persons["TARGET"] {
				t.Errorf("search %+v: want the target first, got %d candidates", q, len(got))
			}
		}
	})
}
