package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// The measures are tested on a small hand-made hub whose every figure is
// worked out by hand in the comments. Times are UTC; in early March UK time
// is UTC too. The week of Monday 2 March 2026 is the range of most queries.

var (
	mWeekFrom = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	mWeekTo   = time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	mEnd      = time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC) // Friday noon: the clock when the measures are read
)

func mAt(day, hour, min int) time.Time { return time.Date(2026, 3, day, hour, min, 0, 0, time.UTC) }

// child returns a main subject; people with the same NHS number are one
// person to the matcher, people with only the same name are not.
func mChild(given, family, dob, nhs string) []mash.Subject {
	return []mash.Subject{{Role: mash.SubjectMain, GivenName: given, FamilyName: family, DOB: dob, Sex: "F", NHSNumber: nhs}}
}

// measureHub builds the hub. See the comments of TestMeasures for what it holds.
type measureHub struct {
	f          *storetest.Fixture
	clk        *testClock
	c          map[string]*mash.Contact
	amyPerson  string
	amy2Person string
}

func buildMeasureHub(t *testing.T, db *store.DB) *measureHub {
	t.Helper()
	ctx := context.Background()
	f, clk, runner := alertsFixture(t, db)
	h := &measureHub{f: f, clk: clk, c: map[string]*mash.Contact{}}
	referrer, screener, manager := f.Actor(mash.RoleReferrer), f.Actor(mash.RoleScreener), f.Actor(mash.RoleManager)
	step := func(when time.Time) { t.Helper(); clk.Set(when); drain(t, runner) }
	create := func(name string, by mash.Actor, when time.Time, edit func(c *mash.Contact)) *mash.Contact {
		t.Helper()
		clk.Set(when)
		c := storetest.NewContact(when)
		edit(c)
		if _, err := db.CreateContact(ctx, by, c, ""); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		h.c[name] = c
		return c
	}
	screen := func(name string, when time.Time, d mash.ScreeningDecision, rag string) {
		t.Helper()
		clk.Set(when)
		c := h.c[name]
		s := mash.Screening{Decision: d, RAG: rag, ThresholdLevel: 2, Reason: "Screened for the measures test", Version: c.Version}
		got, err := db.Screen(ctx, screener, c.ID, s)
		if err != nil {
			t.Fatalf("screen %s: %v", name, err)
		}
		*c = *got
	}
	decide := func(name string, when time.Time, outcomes ...mash.Outcome) {
		t.Helper()
		clk.Set(when)
		c := h.c[name]
		got, err := db.Decide(ctx, manager, c.ID, &mash.Decision{ThresholdLevel: 3, Outcomes: outcomes,
			Rationale: "Decided for the measures test", Version: c.Version})
		if err != nil {
			t.Fatalf("decide %s: %v", name, err)
		}
		*c = *got
	}
	feedback := func(name string, when time.Time) {
		t.Helper()
		clk.Set(when)
		c := h.c[name]
		got, err := db.SendFeedback(ctx, manager, c.ID, "Thank you: the hub has decided what happens next.", c.Version)
		if err != nil {
			t.Fatalf("feedback %s: %v", name, err)
		}
		*c = *got
	}
	closeC := func(name string, when time.Time) {
		t.Helper()
		clk.Set(when)
		c := h.c[name]
		got, err := db.CloseContact(ctx, manager, c.ID, "Work finished", c.Version)
		if err != nil {
			t.Fatalf("close %s: %v", name, err)
		}
		*c = *got
	}
	request := func(name string, when time.Time, agency string, due *time.Time) *mash.InfoRequest {
		t.Helper()
		clk.Set(when)
		r, err := db.CreateRequest(ctx, screener, h.c[name].ID, mash.NewRequest{AgencyID: agency, Question: "What do you hold about this child?", DueAt: due})
		if err != nil {
			t.Fatalf("request on %s: %v", name, err)
		}
		return r
	}
	answer := func(r *mash.InfoRequest, by mash.User, when time.Time, ret *mash.AgencyReturn) {
		t.Helper()
		clk.Set(when)
		if _, err := db.SubmitReturn(ctx, storetest.ActorOf(by), r.ID, ret, r.Version); err != nil {
			t.Fatalf("return: %v", err)
		}
	}
	const amyNHS = "9434765919"

	// A year before: Amy's referral (364 days before C1), Ben's referral
	// (366 days before C6) and Eve's contact (366 days before C4).
	create("R1", referrer, time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC), func(c *mash.Contact) {
		c.Subjects = mChild("Amy", "Brown", "2014-01-01", amyNHS)
	})
	screen("R1", time.Date(2025, 3, 3, 10, 30, 0, 0, time.UTC), mash.ScreenAccept, "green")
	decide("R1", time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC), mash.OutcomeCINAssessmentS17)
	feedback("R1", time.Date(2025, 3, 3, 13, 0, 0, 0, time.UTC))
	closeC("R1", time.Date(2025, 3, 3, 14, 0, 0, 0, time.UTC))
	create("RB", referrer, time.Date(2025, 3, 2, 10, 0, 0, 0, time.UTC), func(c *mash.Contact) {
		c.Subjects = mChild("Ben", "Green", "2013-05-05", "")
	})
	screen("RB", time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC), mash.ScreenAccept, "green")
	decide("RB", time.Date(2025, 3, 3, 11, 0, 0, 0, time.UTC), mash.OutcomeStrategyDiscussionS47)
	feedback("RB", time.Date(2025, 3, 3, 13, 0, 0, 0, time.UTC))
	closeC("RB", time.Date(2025, 3, 3, 14, 0, 0, 0, time.UTC))
	create("E1", referrer, time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), func(c *mash.Contact) {
		c.Subjects = mChild("Eve", "Gray", "2012-02-02", "")
	})
	screen("E1", time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC), mash.ScreenNFA, "")

	// Monday 2 March.
	create("C1", referrer, mAt(2, 9, 0), func(c *mash.Contact) { c.Subjects = mChild("Amy", "Brown", "2014-01-01", amyNHS) })
	create("C2", referrer, mAt(2, 10, 0), func(c *mash.Contact) {
		c.Subjects = mChild("Amy", "Brown", "2016-07-07", "") // the same name, another child
		c.Referrer.Source = "1a"                              // given at intake (normalised to 1A)
		c.Concerns = []string{"17A"}
	})
	create("C3", screener, mAt(2, 11, 0), func(c *mash.Contact) {
		c.Subjects = mChild("Dan", "Black", "2011-03-03", "")
		c.Channel = "police_notification"
	})
	create("C4", screener, mAt(2, 12, 0), func(c *mash.Contact) {
		c.Subjects = mChild("Eve", "Gray", "2012-02-02", "")
		c.Referrer = mash.Referrer{Anonymous: true}
	})
	screen("C1", mAt(2, 9, 30), mash.ScreenAccept, "amber") // due 17:00 (8 working hours from receipt)
	screen("C2", mAt(2, 10, 30), mash.ScreenAccept, "red")  // due 14:00 (4 hours)
	screen("C3", mAt(2, 12, 0), mash.ScreenNFA, "")
	screen("C4", mAt(2, 13, 0), mash.ScreenAdvice, "")
	step(mAt(2, 14, 0))                                       // C2 breaches (red)
	decide("C2", mAt(2, 15, 0), mash.OutcomeNFA)              // late; 5 hours
	decide("C1", mAt(2, 17, 0), mash.OutcomeCINAssessmentS17) // exactly at the deadline: in time; 8 hours
	step(mAt(2, 17, 0))

	// Tuesday 3 March.
	create("C5", referrer, mAt(3, 9, 0), func(c *mash.Contact) {
		c.Cohort, c.Channel, c.Concerns = mash.CohortAdult, "email", []string{"neglect"}
		c.Subjects = []mash.Subject{{Role: mash.SubjectMain, GivenName: "Fay", FamilyName: "Hill", DOB: "1950-01-01", Sex: "F"}}
	})
	create("C6", referrer, mAt(3, 10, 0), func(c *mash.Contact) { c.Subjects = mChild("Ben", "Green", "2013-05-05", "") })
	screen("C5", mAt(3, 10, 0), mash.ScreenSingleAgency, "")
	screen("C6", mAt(3, 10, 0), mash.ScreenAccept, "green")        // due Thursday 10:00
	request("C6", mAt(3, 10, 30), f.Health.ID, new(mAt(4, 10, 0))) // never answered: overdue
	feedback("C1", mAt(3, 10, 0))                                  // due Tuesday 17:00: in time
	step(mAt(3, 17, 0))

	// Wednesday 4 March.
	create("C7", referrer, mAt(4, 9, 0), func(c *mash.Contact) { c.Subjects = mChild("Amy", "Brown", "2014-01-01", amyNHS) })
	create("C8", screener, mAt(4, 11, 0), func(c *mash.Contact) { c.Subjects = mChild("Gus", "King", "2010-10-10", "") })
	screen("C8", mAt(4, 11, 30), mash.ScreenAccept, "amber") // due Thursday 11:00
	policeC8 := request("C8", mAt(4, 11, 30), f.Police.ID, nil)
	healthC8 := request("C8", mAt(4, 11, 30), f.Health.ID, nil)
	decide("C6", mAt(4, 16, 0), mash.OutcomeStrategyDiscussionS47) // in time; 30 hours, 14 working hours
	step(mAt(4, 17, 0))

	// Thursday 5 March.
	step(mAt(5, 9, 0))                                                                                       // C7 misses its screening target (unrated)
	answer(policeC8, f.PoliceResearcher, mAt(5, 11, 0), &mash.AgencyReturn{Outcome: mash.ReturnNothingHeld}) // exactly on time
	step(mAt(5, 11, 0))                                                                                      // C8 breaches (amber)
	answer(healthC8, f.HealthResearcher, mAt(5, 13, 0), &mash.AgencyReturn{Outcome: mash.ReturnDeclined,
		LegalBasis: "Duty of confidence", Reason: "The patient's consent is needed before we share."}) // 2 hours late
	breaches, err := db.ListBreaches(ctx, manager, mash.BreachFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range breaches {
		if b.ContactID == h.c["C8"].ID {
			clk.Set(mAt(5, 12, 0))
			if _, err := db.ExplainBreach(ctx, manager, b.ID, "Two staff off sick on the day"); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Friday 6 March.
	feedback("C6", mAt(6, 9, 0)) // due Thursday 16:00: late
	clk.Set(mAt(6, 10, 0))
	if _, err := db.Assign(ctx, manager, h.c["C8"].ID, f.Users[mash.RoleScreener].ID, h.c["C8"].Version); err != nil {
		t.Fatalf("assign: %v", err)
	}
	step(mEnd)

	// The two Amy Browns are different people; Amy's contacts are one person.
	persons := func(name string) string {
		var p string
		if err := db.SQL().QueryRowContext(ctx, `SELECT person_id FROM contact_subjects WHERE contact_id = $1 AND role = 'subject'`, h.c[name].ID).Scan(&p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	h.amyPerson, h.amy2Person = persons("C1"), persons("C2")
	if h.amyPerson == h.amy2Person || persons("R1") != h.amyPerson || persons("C7") != h.amyPerson || persons("C6") != persons("RB") || persons("C4") != persons("E1") {
		t.Fatalf("identity resolution is not as the test expects")
	}
	return h
}

// TestMeasures checks every measure against the hand-made hub. In the week
// of 2 March 2026 it received eight contacts:
//
//	C1 Mon 09:00 referrer (2A) Amy     amber, decided 17:00 (at the deadline) s17, feedback in time
//	C2 Mon 10:00 referrer (1A) Amy*    red (due 14:00), breached, decided 15:00 nfa, feedback overdue
//	C3 Mon 11:00 screener, police notification (6): screened nfa
//	C4 Mon 12:00 screener, anonymous (9) Eve: advice (Eve's earlier contact was 366 days before)
//	C5 Tue 09:00 referrer (2A) adult, email: single agency
//	C6 Tue 10:00 referrer (2A) Ben green, decided Wed 16:00 s47, feedback late (Ben's earlier referral 366 days before)
//	C7 Wed 09:00 referrer (2A) Amy: never screened, breached its screening target
//	C8 Wed 11:00 screener (10) Gus amber, breached (explained), police returned on time, health late (declined)
//
// *another child with the same name. Amy's referral R1 was 364 days before C1.
func TestMeasures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := buildMeasureHub(t, db)
		analyst := h.f.Actor(mash.RoleAnalyst)
		week := mash.MeasureQuery{From: mWeekFrom, To: mWeekTo}
		get := func(name string, q mash.MeasureQuery) *mash.MeasureResult {
			t.Helper()
			r, err := db.Measure(ctx, analyst, name, q)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return r
		}
		check := func(name string, q mash.MeasureQuery, want string) {
			t.Helper()
			if got := mRender(get(name, q)); got != want {
				t.Errorf("%s:\n got: %s\nwant: %s", name, got, want)
			}
		}

		check(mash.MeasureContactsBySource, week, "1A=1 | 2A=4 | 6=1 | 9=1 | 10=1")
		check(mash.MeasureContactsBySource, mash.MeasureQuery{From: mWeekFrom, To: mWeekTo, Cohort: mash.CohortAdult}, "2A=1")
		check(mash.MeasureContactsByChannel, week, "phone=6 | email=1 | police_notification=1")
		check(mash.MeasureContactsByCohort, week, "child=7 | adult=1")
		check(mash.MeasureContactsByConcern, week, "3A=6 | 16A=6 | 17A=1 | neglect=1")
		check(mash.MeasureContactsByAgency, week, "Northshire Children's Services=3 | Northshire Schools=5")
		// By day: every day of the range, zeros included (7 days × 5 sources).
		byDay := get(mash.MeasureContactsBySource, mash.MeasureQuery{From: mWeekFrom, To: mWeekTo, Period: mash.PeriodDay})
		if len(byDay.Rows) != 35 || strings.Join(byDay.Dimensions, ",") != "period,source" {
			t.Errorf("by day: %d rows, dimensions %v", len(byDay.Rows), byDay.Dimensions)
		}
		for _, want := range []string{"2026-03-02,1A=1", "2026-03-02,2A=1", "2026-03-02,6=1", "2026-03-02,9=1", "2026-03-02,10=0",
			"2026-03-03,2A=2", "2026-03-04,2A=1", "2026-03-04,10=1", "2026-03-08,2A=0"} {
			if !strings.Contains(" | "+mRender(byDay)+" | ", " | "+want+" | ") {
				t.Errorf("by day: no %s in %s", want, mRender(byDay))
			}
		}
		if byDay.Rows[0].Labels[0] != "2026-03-02" || byDay.Rows[34].Labels[0] != "2026-03-08" || byDay.LabelTitle(1, "2A") != "Schools" {
			t.Errorf("by day: order or legend wrong: %v … %v", byDay.Rows[0].Labels, byDay.Rows[34].Labels)
		}
		check(mash.MeasureContactsByChannel, mash.MeasureQuery{From: mWeekFrom, To: mWeekTo, Period: mash.PeriodWeek},
			"2026-03-02,phone=6 | 2026-03-02,email=1 | 2026-03-02,police_notification=1")

		check(mash.MeasureScreeningOutcomes, week, "accept=4,57.1 | nfa=1,14.3 | advice=1,14.3 | single_agency=1,14.3 | open_case=0,0")
		check(mash.MeasureFunnel, week, "received=8,100 | screened=7,87.5 | accepted_into_mash=4,50 | decided=3,37.5 | referral=2,25")
		check(mash.MeasureNFARateBySource, week, "1A=100,1,1,1 | 2A=0,4,3,0 | 6=100,1,1,1 | 9=0,1,1,0 | 10=,1,0,0")

		// Decisions in the week: C1 amber at its deadline, C2 red late, C6 green in time.
		check(mash.MeasureTimelinessByRAG, week, "red=0,1,0,1 | amber=100,1,1,0 | green=100,1,1,0 | all=66.7,3,2,1")
		// Hours 8 (C1), 5 (C2), 30 (C6); working hours 8, 5, 14. Nearest rank: median the 2nd of 3, p90 the 3rd.
		check(mash.MeasureTimeToDecision, week, "red=5,5,5,5,1 | amber=8,8,8,8,1 | green=30,30,14,14,1 | all=8,30,8,14,3")
		check(mash.MeasureDecidedInOneDay, week, "red=100,1,1 | amber=100,1,1 | green=0,1,0 | all=66.7,3,2")
		check(mash.MeasureBreaches, week, "red=1,0,1,0 | amber=1,1,0,100 | green=0,0,0, | unrated=1,0,1,0 | all=3,1,2,33.3")
		check(mash.MeasureFeedbackTimeliness, week, "=33.3,3,3,1,1,1,0")
		check(mash.MeasureAgencyReturns, week,
			"Northshire Community Health=0,2,1,2,0,1,1,2,0,1,0,100 | Northshire Police=100,1,1,1,1,0,0,,1,0,100,0")

		// The cohort joins the contact: every one of these is about a child.
		child, adult := week, week
		child.Cohort, adult.Cohort = mash.CohortChild, mash.CohortAdult
		check(mash.MeasureBreaches, child, "red=1,0,1,0 | amber=1,1,0,100 | green=0,0,0, | unrated=1,0,1,0 | all=3,1,2,33.3")
		check(mash.MeasureBreaches, adult, "red=0,0,0, | amber=0,0,0, | green=0,0,0, | all=0,0,0,")
		check(mash.MeasureFeedbackTimeliness, child, "=33.3,3,3,1,1,1,0")
		check(mash.MeasureFeedbackTimeliness, adult, "=,0,0,0,0,0,0")
		check(mash.MeasureAgencyReturns, adult, "")
		check(mash.MeasureTimelinessByRAG, adult, "red=,0,0,0 | amber=,0,0,0 | green=,0,0,0 | all=,0,0,0")

		// Re-referrals: C1 (Amy, 364 days after R1) is one, C6 (Ben, 366 days after RB) is not.
		check(mash.MeasureReReferrals, week, "=50,2,1")
		// Repeat contacts: C1 (364 days after R1) and C7 (2 days after C1); not C2 (another Amy
		// Brown), not C4 (366 days after E1), not C6 (366 days after RB).
		check(mash.MeasureRepeatContacts, week, "=25,8,2")
		check(mash.MeasureRepeatContacts, mash.MeasureQuery{From: mWeekFrom, To: mWeekTo, Period: mash.PeriodMonth}, "2026-03=25,8,2")

		// Now (Friday noon): open are C1, C6 (feedback sent), C2 (decided), C5, C7, C8.
		age := func(d time.Time) string { return fmt.Sprint(mRound1(mEnd.Sub(d).Hours())) }
		check(mash.MeasureWorkloadByState, week, "received=1,"+age(mAt(4, 9, 0))+" | screening=0, | passed_single_agency=1,"+age(mAt(3, 9, 0))+
			" | passed_open_case=0, | in_mash=1,"+age(mAt(4, 11, 0))+" | decided=1,"+age(mAt(2, 10, 0))+" | feedback_sent=2,"+age(mAt(2, 9, 0)))
		check(mash.MeasureWorkloadByWorker, week, "(unassigned)=5,"+age(mAt(2, 9, 0))+" | Test Screener=1,"+age(mAt(4, 11, 0)))
		check(mash.MeasureQueueByRAG, week, "red=0,0, | amber=1,1,"+age(mAt(4, 11, 0))+" | green=0,0, | unrated=1,1,"+age(mAt(4, 9, 0)))

		// The stored source: given, defaulted, and in the referrer's JSON.
		for name, want := range map[string]string{"C1": "2A", "C2": "1A", "C3": "6", "C4": "9", "C8": "10"} {
			var col string
			if err := db.SQL().QueryRowContext(ctx, `SELECT source FROM contacts WHERE id = $1`, h.c[name].ID).Scan(&col); err != nil {
				t.Fatal(err)
			}
			got, err := db.GetContact(ctx, h.f.Actor(mash.RoleManager), h.c[name].ID)
			if err != nil {
				t.Fatal(err)
			}
			if col != want || got.Referrer.Source != want {
				t.Errorf("%s: source column %q, referrer.source %q, want %q", name, col, got.Referrer.Source, want)
			}
		}

		// Nothing in a result names a person or a contact.
		for _, d := range mList(t, db, analyst) {
			r := get(d.Name, week)
			b, _ := json.Marshal(r)
			for _, private := range []string{"Amy", "Brown", "Kayleigh", "MASH-", h.c["C1"].ID, h.amyPerson} {
				if strings.Contains(string(b), private) {
					t.Errorf("%s: result holds %q", d.Name, private)
				}
			}
		}
	})
}

// TestMeasureBucketsInUKTime: a contact received at 23:30 UTC on 1 June is
// received on 2 June in UK summer time, and counts on that day.
func TestMeasureBucketsInUKTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clk := setup(t, db, time.Date(2026, 6, 3, 9, 0, 0, 0, time.UTC))
		c := storetest.NewContact(time.Date(2026, 6, 1, 23, 30, 0, 0, time.UTC))
		if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), c, ""); err != nil {
			t.Fatal(err)
		}
		_ = clk
		r, err := db.Measure(ctx, f.Actor(mash.RoleManager), mash.MeasureContactsByCohort, mash.MeasureQuery{
			From: time.Date(2026, 5, 31, 23, 0, 0, 0, time.UTC), To: time.Date(2026, 6, 2, 23, 0, 0, 0, time.UTC), Period: mash.PeriodDay})
		if err != nil {
			t.Fatal(err)
		}
		if got := mRender(r); got != "2026-06-01,child=0 | 2026-06-02,child=1" {
			t.Errorf("by UK day: %s", got)
		}
	})
}

// TestMeasureRefusals: only managers and analysts read measures; a bad
// query or an unknown name is refused and writes nothing; a read is audited.
func TestMeasureRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, _ := setup(t, db, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
		q := mash.MeasureQuery{From: mWeekFrom, To: mWeekTo}
		for _, role := range []mash.Role{mash.RoleReferrer, mash.RoleScreener, mash.RoleResearcher, mash.RoleReceiver, mash.RoleAuditor, mash.RoleAdmin} {
			if _, err := db.ListMeasures(ctx, f.Actor(role)); mash.KindOf(err) != mash.KindForbidden {
				t.Errorf("%s lists measures: %v", role, err)
			}
			if _, err := db.Measure(ctx, f.Actor(role), mash.MeasureFunnel, q); mash.KindOf(err) != mash.KindForbidden {
				t.Errorf("%s reads a measure: %v", role, err)
			}
		}
		manager := f.Actor(mash.RoleManager)
		before := count(t, db, `SELECT COUNT(*) FROM audit_events`)
		bad := []struct {
			q     mash.MeasureQuery
			field string
		}{
			{mash.MeasureQuery{To: mWeekTo}, "from"},
			{mash.MeasureQuery{From: mWeekTo, To: mWeekFrom}, "to"},
			{mash.MeasureQuery{From: mWeekFrom, To: mWeekFrom.AddDate(11, 0, 0)}, "to"},
			{mash.MeasureQuery{From: mWeekFrom, To: mWeekFrom.AddDate(2, 0, 0), Period: mash.PeriodDay}, "period"},
			{mash.MeasureQuery{From: mWeekFrom, To: mWeekTo, Cohort: "teen"}, "cohort"},
			{mash.MeasureQuery{From: mWeekFrom, To: mWeekTo, Period: "year"}, "period"},
		}
		for _, b := range bad {
			_, err := db.Measure(ctx, manager, mash.MeasureFunnel, b.q)
			var me *mash.Error
			if mash.KindOf(err) != mash.KindInvalid || !mAsError(err, &me) || me.Fields[b.field] == "" {
				t.Errorf("query %+v: %v, want invalid %s", b.q, err, b.field)
			}
		}
		if _, err := db.Measure(ctx, manager, "no_such_measure", q); mash.KindOf(err) != mash.KindNotFound {
			t.Errorf("unknown measure: %v", err)
		}
		if after := count(t, db, `SELECT COUNT(*) FROM audit_events`); after != before {
			t.Errorf("refused reads wrote %d audit events", after-before)
		}
		if _, err := db.Measure(ctx, f.Actor(mash.RoleAnalyst), mash.MeasureFunnel, q); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_events WHERE entity_type = 'measure' AND entity_id = $1 AND actor_id = $2 AND action = 'measure.read'`,
			mash.MeasureFunnel, f.Users[mash.RoleAnalyst].ID); n != 1 {
			t.Errorf("%d audit events for the read, want 1", n)
		}
		defs := mList(t, db, manager)
		if len(defs) < 19 {
			t.Errorf("%d measures listed", len(defs))
		}
		for _, d := range defs {
			if d.Name == "" || d.Title == "" || len(d.Definition) < 40 || len(d.Columns) == 0 {
				t.Errorf("measure %q is not fully defined: %+v", d.Name, d)
			}
		}
	})
}

// TestReferralSourceAtIntake: an unknown code is refused with a field error
// and nothing is stored.
func TestReferralSourceAtIntake(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, _ := setup(t, db, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
		c := storetest.NewContact(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		c.Referrer.Source = "11"
		before := count(t, db, `SELECT COUNT(*) FROM contacts`)
		_, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), c, "")
		var me *mash.Error
		if mash.KindOf(err) != mash.KindInvalid || !mAsError(err, &me) || me.Fields["referrer.source"] == "" {
			t.Fatalf("unknown source: %v", err)
		}
		if count(t, db, `SELECT COUNT(*) FROM contacts`) != before {
			t.Error("a refused contact was stored")
		}
	})
}

func mList(t *testing.T, db *store.DB, by mash.Actor) []mash.MeasureDef {
	t.Helper()
	defs, err := db.ListMeasures(context.Background(), by)
	if err != nil {
		t.Fatal(err)
	}
	return defs
}

func mAsError(err error, target **mash.Error) bool {
	for e := err; e != nil; {
		if me, ok := e.(*mash.Error); ok && me.Fields != nil {
			*target = me
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}

// render writes a result compactly: rows "label,label=cell,cell" joined by
// " | ", numbers to one decimal place, no value as empty.
func mRender(r *mash.MeasureResult) string {
	var rows []string
	for _, row := range r.Rows {
		cells := make([]string, len(row.Values))
		for i, c := range row.Values {
			cells[i] = c.String()
		}
		rows = append(rows, strings.Join(row.Labels, ",")+"="+strings.Join(cells, ","))
	}
	return strings.Join(rows, " | ")
}

func mRound1(v float64) float64 { return math.Round(v*10) / 10 }
