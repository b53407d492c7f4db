package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/returns"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

func rt(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestReturnContactsKnownYear stores a hand-made year (bulk loaded with
// exact dates, plus one contact through intake and screening) and checks
// the extract's files to the byte: the store reads the right contacts
// (received in the year, or decided in it), how screening ended, decisions,
// the people by their surviving person after a merge.
func TestReturnContactsKnownYear(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := storetest.Partnership(t, db)
		by := f.Users[mash.RoleScreener].ID
		// The counters continue after the hand-made references, as intake needs.
		b := &store.ContactBatch{Counters: map[int]int{2024: 1, 2025: 101, 2026: 10}}
		n := 0
		person := func(id, dob, sex string) {
			b.Persons = append(b.Persons, mash.PersonRecord{PersonID: id, GivenName: "Test", FamilyName: "Person " + id, DOB: dob, Sex: sex, CreatedAt: rt("2025-01-01T00:00:00Z")})
		}
		for _, p := range []string{"P1", "P2", "P2B", "P3", "P4", "P5"} {
			person(p, "2015-01-01", "F")
		}
		person("A1", "1940-06-01", "F")
		add := func(ref, received string, cohort mash.Cohort, source string, concerns []string, screenedTo mash.Status, closure string, persons []string, d *mash.Decision) {
			n++
			c := mash.Contact{ID: fmt.Sprintf("c%02d", n), Reference: ref, Version: 1, Status: mash.StatusClosed, ReceivedAt: rt(received),
				Channel: "phone", Cohort: cohort, Referrer: mash.Referrer{Name: "R", Source: source}, Concerns: concerns,
				ConcernCodeVersion: "2025-26", Narrative: "test", Consent: mash.Consent{Status: mash.ConsentGiven},
				ClosureReason: closure, CreatedBy: by, CreatedAt: rt(received), UpdatedAt: rt(received)}
			for i, p := range persons {
				c.Subjects = append(c.Subjects, mash.Subject{ID: fmt.Sprintf("%s-s%d", c.ID, i), PersonID: p, Role: mash.SubjectMain, GivenName: "Test", FamilyName: p})
			}
			// A parent is never a row of the extract.
			c.Subjects = append(c.Subjects, mash.Subject{ID: c.ID + "-parent", PersonID: "P5", Role: mash.SubjectParentCarer, GivenName: "Parent", FamilyName: "P5"})
			b.Transitions = append(b.Transitions,
				store.BulkTransition{ContactID: c.ID, Transition: mash.Transition{To: mash.StatusReceived, By: by, At: c.ReceivedAt, Reason: "received"}},
				store.BulkTransition{ContactID: c.ID, Transition: mash.Transition{From: mash.StatusReceived, To: mash.StatusScreening, By: by, At: c.ReceivedAt, Reason: "screening started"}})
			if screenedTo != "" {
				b.Transitions = append(b.Transitions, store.BulkTransition{ContactID: c.ID, Transition: mash.Transition{From: mash.StatusScreening, To: screenedTo, By: by, At: c.ReceivedAt.Add(time.Hour), Reason: "screened"}})
			} else {
				c.Status = mash.StatusScreening
			}
			if d != nil {
				d.ContactID, d.Rationale, d.DecidedBy = c.ID, "test", by
				b.Decisions = append(b.Decisions, *d)
			}
			b.Contacts = append(b.Contacts, c)
		}
		dec := func(at string, o ...mash.Outcome) *mash.Decision {
			return &mash.Decision{DecidedAt: rt(at), ThresholdLevel: 3, Outcomes: o}
		}
		add("MASH-2025-000001", "2025-03-31T23:30:00Z", mash.CohortChild, "6", []string{"16A"}, mash.StatusClosed, "nfa", []string{"P1"}, nil)
		add("MASH-2025-000002", "2025-06-10T10:00:00Z", mash.CohortChild, "2A", []string{"3B", "16A"}, mash.StatusInMASH, "", []string{"P2B", "P3"},
			dec("2025-06-11T09:00:00Z", mash.OutcomeStrategyDiscussionS47, mash.OutcomeMARAC))
		add("MASH-2025-000000", "2025-03-20T10:00:00Z", mash.CohortChild, "3A", []string{"18A"}, mash.StatusInMASH, "", []string{"P4"},
			dec("2025-04-02T10:00:00Z", mash.OutcomeCINAssessmentS17))
		add("MASH-2024-000001", "2024-12-20T10:00:00Z", mash.CohortChild, "6", []string{"21"}, mash.StatusClosed, "nfa", []string{"P4"}, nil)
		add("MASH-2026-000010", "2026-03-31T23:30:00Z", mash.CohortChild, "6", []string{"21"}, "", "", []string{"P1"}, nil)
		add("MASH-2026-000001", "2026-01-05T09:00:00Z", mash.CohortChild, "ZZ", []string{"4B"}, mash.StatusPassedSingleAgency, "", []string{"P4"}, nil)
		add("MASH-2026-000002", "2026-02-01T09:00:00Z", mash.CohortChild, "9", []string{"17A"}, "", "", []string{"P1"}, nil)
		add("MASH-2025-000101", "2025-05-01T09:00:00Z", mash.CohortAdult, "3F", []string{"neglect", "financial"}, mash.StatusInMASH, "", []string{"A1"},
			dec("2025-05-03T09:00:00Z", mash.OutcomeAdultS42Enquiry))
		if err := db.BulkLoadContacts(ctx, store.System, b); err != nil {
			t.Fatal(err)
		}
		// P2B is the same child as P2: merged, the extract names the survivor.
		if _, err := db.SQL().ExecContext(ctx, `UPDATE persons SET merged_into = 'P2' WHERE id = 'P2B'`); err != nil {
			t.Fatal(err)
		}
		// One contact the ordinary way: intake, then screened out with advice.
		db.Now = func() time.Time { return rt("2025-12-01T10:05:00Z") }
		c := storetest.NewContact(rt("2025-12-01T10:00:00Z"))
		c.Referrer.Source = "2A"
		if _, err := db.CreateContact(ctx, f.Actor(mash.RoleScreener), c, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Screen(ctx, f.Actor(mash.RoleScreener), c.ID, mash.Screening{Decision: mash.ScreenAdvice, Reason: "advice given", Version: c.Version}); err != nil {
			t.Fatal(err)
		}
		db.Now = func() time.Time { return time.Now().UTC() }

		y, _ := returns.ParseYear("2026")
		from, to := y.Period()
		for _, r := range []mash.Role{mash.RoleManager, mash.RoleScreener, mash.RoleAnalyst, mash.RoleAuditor} {
			if _, err := db.ReturnContacts(ctx, f.Actor(r), from, to, "test"); mash.KindOf(err) != mash.KindForbidden {
				t.Errorf("%s: %v, want Forbidden", r, err)
			}
		}
		if _, err := db.ReturnContacts(ctx, store.System, to, from, "test"); mash.KindOf(err) != mash.KindInvalid {
			t.Errorf("an empty period: %v, want Invalid", err)
		}
		var before int
		db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM audit_events WHERE action = 'returns.export'`).Scan(&before)
		cs, err := db.ReturnContacts(ctx, store.System, from, to, "statutory returns 2025-26")
		if err != nil {
			t.Fatal(err)
		}
		var after int
		db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM audit_events WHERE action = 'returns.export'`).Scan(&after)
		if before != 0 || after != 1 {
			t.Errorf("audit events of the export: %d before, %d after; want 0 and 1", before, after)
		}
		if len(cs) != 7 {
			t.Errorf("read %d contacts, want 7 (5 bulk loaded received in the year, 1 decided in it, 1 by intake)", len(cs))
		}
		lists, _ := returns.ListsFor(y)
		ret := returns.Build(y, lists, cs)
		personOf := c.Subjects[0].PersonID
		wantContacts := "la_child_id,contact_id,contact_date,contact_source,contact_outcome,new_referral_flag,cp_enquiry_flag,nfa_flag,advice_flag,ola_cp_flag,other_outcomes_exist_flag\r\n" +
			"P1,MASH-2025-000001,2025-04-01,6,NFA,0,0,1,0,0,0\r\n" +
			"P2,MASH-2025-000002,2025-06-10,2A,CP_ENQUIRY,1,1,0,0,0,1\r\n" +
			"P3,MASH-2025-000002,2025-06-10,2A,CP_ENQUIRY,1,1,0,0,0,1\r\n" +
			personOf + "," + c.Reference + ",2025-12-01,2A,ADVICE,0,0,0,1,0,0\r\n" +
			"P4,MASH-2026-000001,2026-01-05,ZZ,OTHER,0,0,0,0,0,1\r\n" +
			"P1,MASH-2026-000002,2026-02-01,9,PENDING,0,0,0,0,0,0\r\n"
		if got := string(ret.Files[0].CSV()); got != wantContacts {
			t.Errorf("cin_contacts.csv:\n%s\nwant:\n%s", got, wantContacts)
		}
		wantReferrals := "la_child_id,referral_id,referral_date,referral_source,primary_need_code,assessment_factors,referral_nfa,single_assessment_flag,strategy_discussion_flag,other_outcomes_exist_flag\r\n" +
			"P4,MASH-2025-000000,2025-04-02,3A,,18A,0,1,0,0\r\n" +
			"P2,MASH-2025-000002,2025-06-11,2A,,3B;16A,0,0,1,1\r\n" +
			"P3,MASH-2025-000002,2025-06-11,2A,,3B;16A,0,0,1,1\r\n"
		if got := string(ret.Files[1].CSV()); got != wantReferrals {
			t.Errorf("cin_referrals.csv:\n%s\nwant:\n%s", got, wantReferrals)
		}
		sac := map[string]string{}
		for _, r := range ret.Files[2].Rows {
			sac[r[0]+"/"+r[1]+"/"+r[2]] = r[3]
		}
		if sac["concerns/all/all"] != returns.Suppressed || sac["concerns/type_of_risk/sexual"] != "0" || sac["s42_enquiries/all/all"] != returns.Suppressed {
			t.Errorf("sac counts: %v", sac)
		}
	})
}
