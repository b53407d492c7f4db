package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/jobs"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// who is a synthetic person in a chronology; key names them in the test.
type who struct {
	key, given, family, dob, addr, postcode string
	role                                    mash.SubjectRole
}

// family makes a child, a sibling and a parent sharing an address, distinct
// from every other family of the test.
func family(n int, surname string) (child, sibling, parent who) {
	addr, pc := fmt.Sprintf("%d Mill Lane, Leeds", n), fmt.Sprintf("LS%d 2AB", n%9+1)
	child = who{surname + "1", "Robin", surname, "2015-04-03", addr, pc, mash.SubjectMain}
	sibling = who{surname + "2", "Ash", surname, "2017-09-12", addr, pc, mash.SubjectMain}
	parent = who{surname + "P", "Jo", surname, "1988-11-20", addr, pc, mash.SubjectParentCarer}
	return
}

// scene records chronologies: each person is created once (as a new person,
// so families never merge by chance) and named by id afterwards.
type scene struct {
	t       *testing.T
	db      *store.DB
	f       *storetest.Fixture
	clock   *testClock
	r       *jobs.Runner
	persons map[string]string
}

func newScene(t *testing.T, db *store.DB) *scene {
	f, clock, r := alertsFixture(t, db)
	return &scene{t, db, f, clock, r, map[string]string{}}
}

func (s *scene) contact(daysAgo int, codes []string, subjects ...who) *mash.Contact {
	s.t.Helper()
	c := storetest.NewContact(s.clock.Now().Add(-time.Duration(daysAgo) * 24 * time.Hour))
	c.Concerns, c.Subjects = slices.Clone(codes), nil
	for _, w := range subjects {
		sub := mash.Subject{Role: w.role, GivenName: w.given, FamilyName: w.family, DOB: w.dob, Address: w.addr, Postcode: w.postcode}
		if id := s.persons[w.key]; id != "" {
			sub.PersonID = id
		} else {
			sub.NewPerson = true
		}
		c.Subjects = append(c.Subjects, sub)
	}
	if _, err := s.db.CreateContact(context.Background(), s.f.Actor(mash.RoleReferrer), c, ""); err != nil {
		s.t.Fatalf("create contact: %v", err)
	}
	for i, w := range subjects {
		s.persons[w.key] = c.Subjects[i].PersonID
	}
	return c
}

// run lets the intake evaluations fall due and runs every due job.
func (s *scene) run() int {
	s.t.Helper()
	s.clock.Add(store.IntakePatternsAfter)
	return drain(s.t, s.r)
}

// alerts lists every alert by the person's key, as "rule" or "rule(ack)".
func (s *scene) alerts() map[string][]string {
	s.t.Helper()
	list, err := s.db.ListPatternAlerts(context.Background(), s.f.Actor(mash.RoleManager), mash.AlertFilter{Limit: 1000})
	if err != nil {
		s.t.Fatal(err)
	}
	key := map[string]string{}
	for k, id := range s.persons {
		key[id] = k
	}
	out := map[string][]string{}
	for _, a := range list {
		r := a.RuleID
		if !a.Open() {
			r += "(ack)"
		}
		out[key[a.PersonID]] = append(out[key[a.PersonID]], r)
	}
	for k := range out {
		slices.Sort(out[k])
	}
	return out
}

func (s *scene) alert(personKey, rule string) mash.PatternAlert {
	s.t.Helper()
	list, err := s.db.ListPatternAlerts(context.Background(), s.f.Actor(mash.RoleManager), mash.AlertFilter{Open: true})
	if err != nil {
		s.t.Fatal(err)
	}
	for _, a := range list {
		if a.PersonID == s.persons[personKey] && a.RuleID == rule {
			return a
		}
	}
	s.t.Fatalf("no open %s alert for %s", rule, personKey)
	return mash.PatternAlert{}
}

func refs(cs ...*mash.Contact) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Reference)
	}
	return strings.Join(out, ", ")
}

// TestPatternRulesAtIntake: each default rule fires at intake on its
// chronology, and each near miss does not.
func TestPatternRulesAtIntake(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newScene(t, db)
		nfa := []string{"16A"}

		// (a) Three contacts in 62 days fires; three in 91 days does not.
		a, _, aP := family(1, "Alder")
		a1 := s.contact(62, nfa, a, aP)
		a2 := s.contact(30, nfa, a)
		a3 := s.contact(0, nfa, a)
		b, _, _ := family(2, "Birch")
		s.contact(91, nfa, b)
		s.contact(45, nfa, b)
		s.contact(0, nfa, b)
		// Two people who share a name and nothing else never count together.
		c := who{"Cedar1", "Kayleigh", "Smith", "2015-04-03", "9 Elm Street, York", "YO1 7HH", mash.SubjectMain}
		c2 := who{"Cedar2", "Kayleigh", "Smith", "2016-08-09", "4 Oak Row, Hull", "HU1 2AA", mash.SubjectMain}
		s.contact(20, nfa, c)
		s.contact(10, nfa, c2)
		s.contact(1, nfa, c)

		// (b) Two domestic abuse notifications in the household in 190 days
		// fires (sibling at the same address); 366 days apart does not.
		e, e2, eP := family(3, "Elm")
		s.contact(200, []string{"3B"}, e, eP)
		s.contact(10, []string{"3A"}, e2, eP)
		f, _, fP := family(4, "Fir")
		s.contact(370, []string{"3A"}, f, fP)
		s.contact(4, []string{"3B"}, f, fP)

		// (d) The toxic trio across the household within 90 days fires; with
		// one element missing, or one outside the window, it does not.
		g, g2, gP := family(5, "Gorse")
		g1 := s.contact(100, []string{"3A"}, g, gP)
		g2c := s.contact(50, []string{"4B"}, g2, gP)
		g3 := s.contact(10, []string{"2B", "16A"}, g, gP)
		h, _, hP := family(6, "Hazel")
		s.contact(100, []string{"3A"}, h, hP)
		s.contact(50, []string{"4B"}, h, hP)
		s.contact(5, []string{"16A"}, h, hP) // and 95 days: not three in 90 either
		i, _, iP := family(7, "Ivy")
		s.contact(390, []string{"3A"}, i, iP)
		s.contact(20, []string{"4B"}, i, iP)
		s.contact(10, []string{"2B"}, i, iP)

		// (e) A missing episode then criminal exploitation fires; missing
		// without exploitation does not.
		j, _, _ := family(8, "Juniper")
		j1 := s.contact(30, []string{"10A"}, j)
		j2 := s.contact(5, []string{"24A"}, j)
		k, _, _ := family(9, "Kale")
		s.contact(30, []string{"10A"}, k)
		s.contact(5, []string{"16A"}, k)

		if n := s.run(); n == 0 {
			t.Fatal("intake queued no jobs")
		}
		want := map[string][]string{
			"Alder1":   {"repeat_contacts"},
			"Elm1":     {"repeat_domestic_abuse"},
			"Elm2":     {"repeat_domestic_abuse"},
			"Gorse1":   {"toxic_trio"},
			"Gorse2":   {"toxic_trio"},
			"Juniper1": {"missing_exploitation"},
		}
		if got := s.alerts(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("alerts by person:\n got %v\nwant %v", got, want)
		}
		al := s.alert("Alder1", "repeat_contacts")
		if al.Summary != "3 contacts in 62 days" || al.Why != "3 contacts in 62 days: "+refs(a1, a2, a3) || len(al.Contacts) != 3 ||
			al.HiddenContacts != 0 || al.PersonName != "Robin Alder" || al.Scope != mash.ScopePerson {
			t.Fatalf("repeat contacts alert: %+v", al)
		}
		trio := s.alert("Gorse1", "toxic_trio")
		if trio.Why != "domestic abuse, parental mental ill-health and parental substance misuse within 90 days: "+refs(g1, g2c, g3) {
			t.Fatalf("toxic trio: %q", trio.Why)
		}
		if trio.Contacts[1].PersonID != s.persons["Gorse2"] && trio.Contacts[1].PersonID != s.persons["GorseP"] {
			t.Fatalf("the sibling's contact names %s", trio.Contacts[1].PersonID)
		}
		if m := s.alert("Juniper1", "missing_exploitation"); m.Why != "missing and exploitation within 25 days: "+refs(j1, j2) {
			t.Fatalf("missing and exploitation: %q", m.Why)
		}

		// A fourth contact adds to the open alert: still one alert.
		a4 := s.contact(0, nfa, a)
		s.run()
		al = s.alert("Alder1", "repeat_contacts")
		if got := s.alerts()["Alder1"]; len(got) != 1 || len(al.Contacts) != 4 || al.Contacts[3].ContactID != a4.ID {
			t.Fatalf("after a fourth contact: %v %+v", got, al)
		}
	})
}

// decide screens a contact into the hub and decides it.
func (s *scene) decide(c *mash.Contact, receiving string, outcomes ...mash.Outcome) {
	s.t.Helper()
	ctx := context.Background()
	got, err := s.db.Screen(ctx, s.f.Actor(mash.RoleScreener), c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: "amber",
		ThresholdLevel: 3, Reason: "Needs a multi-agency look", Version: c.Version})
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.db.Decide(ctx, s.f.Actor(mash.RoleManager), c.ID, &mash.Decision{ThresholdLevel: 3, Outcomes: outcomes,
		Rationale: "Assessment needed", ReceivingAgencyID: receiving, Version: got.Version}); err != nil {
		s.t.Fatal(err)
	}
}

// TestPatternNightly: a re-referral that only becomes one when the earlier
// contact is decided is raised by the nightly run (today's, missed, runs at
// start), which schedules itself once per night however often it is asked,
// and raises nothing twice.
func TestPatternNightly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newScene(t, db)
		r, _, rP := family(1, "Rowan")
		first := s.contact(200, []string{"16A"}, r, rP)
		second := s.contact(100, []string{"17A"}, r)
		// Near miss: the earlier contact was decided, but not as a referral.
		q, _, _ := family(2, "Quince")
		qFirst := s.contact(200, []string{"16A"}, q)
		s.contact(100, []string{"17A"}, q)
		s.run()
		if got := s.alerts(); len(got) != 0 {
			t.Fatalf("alerts before any decision: %v", got)
		}
		s.decide(first, "", mash.OutcomeCINAssessmentS17)
		s.decide(qFirst, "", mash.OutcomeEarlyHelp)
		for range 2 { // every instance asks at start: one job
			if err := db.SchedulePatterns(ctx); err != nil {
				t.Fatal(err)
			}
		}
		nightly := func() []mash.Job {
			list, err := db.ListJobs(ctx, s.f.Actor(mash.RoleManager), mash.JobFilter{Kind: store.JobPatternsNightly, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			return list
		}
		jobs := nightly()
		// The clock reads Monday 2 March 2026 10:00 UTC: today's run (02:00
		// GMT) has not happened, so it runs at once.
		if len(jobs) != 1 || !jobs[0].RunAt.Equal(time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)) {
			t.Fatalf("nightly jobs: %+v", jobs)
		}
		s.run()
		want := map[string][]string{"Rowan1": {"re_referral"}}
		if got := s.alerts(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("after the night: %v, want %v", got, want)
		}
		if a := s.alert("Rowan1", "re_referral"); a.Why != "a new contact 100 days after a referral (cin assessment s17): "+refs(first, second) {
			t.Fatalf("re-referral: %q", a.Why)
		}
		jobs = nightly()
		if len(jobs) != 2 || jobs[1].State != mash.JobQueued || !jobs[1].RunAt.Equal(time.Date(2026, 3, 3, 2, 0, 0, 0, time.UTC)) {
			t.Fatalf("the next night is not queued: %+v", jobs)
		}
		if err := db.SchedulePatterns(ctx); err != nil { // a restart the same day: nothing more
			t.Fatal(err)
		}
		if n := len(nightly()); n != 2 {
			t.Fatalf("%d nightly jobs after a restart", n)
		}
		// The next night finds the same pattern: no duplicate.
		s.clock.Set(jobs[1].RunAt)
		s.run()
		if got := s.alerts(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("after the second night: %v, want %v", got, want)
		}
		if jobs = nightly(); len(jobs) != 3 || jobs[1].State != mash.JobDone || !jobs[2].RunAt.Equal(time.Date(2026, 3, 4, 2, 0, 0, 0, time.UTC)) {
			t.Fatalf("nightly jobs after the second night: %+v", jobs)
		}
	})
}

// TestPatternAcknowledgeAndScope: acknowledging is for screeners and
// managers, with a note, once, and audited; an acknowledged pattern is not
// raised again until a new contact adds to it. A reader outside the hub
// sees only the references of contacts they may open.
func TestPatternAcknowledgeAndScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newScene(t, db)
		a, _, _ := family(1, "Aspen")
		a1 := s.contact(60, []string{"16A"}, a)
		a2 := s.contact(30, []string{"16A"}, a)
		a3 := s.contact(1, []string{"16A"}, a)
		s.run()
		al := s.alert("Aspen1", "repeat_contacts")

		// Scope: the early help team, passed the latest contact, sees that
		// one's reference and a count of the others.
		s.decide(a3, s.f.EarlyHelp.ID, mash.OutcomeEarlyHelp)
		receiver := s.f.Actor(mash.RoleReceiver)
		got, err := db.ContactAlerts(ctx, receiver, a3.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || len(got[0].Contacts) != 1 || got[0].Contacts[0].ContactID != a3.ID || got[0].HiddenContacts != 2 {
			t.Fatalf("receiver's alerts: %+v", got)
		}
		if w := got[0].Why; strings.Contains(w, a1.Reference) || strings.Contains(w, a2.Reference) ||
			w != "3 contacts in 59 days: "+a3.Reference+" and 2 others you may not open" {
			t.Fatalf("receiver's why: %q", w)
		}
		if _, err := db.ContactAlerts(ctx, receiver, a1.ID); mash.KindOf(err) != mash.KindNotFound {
			t.Fatalf("receiver on a contact they may not open: %v", err)
		}
		for _, role := range []mash.Role{mash.RoleReferrer, mash.RoleResearcher, mash.RoleAnalyst, mash.RoleAdmin} {
			if _, err := db.ContactAlerts(ctx, s.f.Actor(role), a3.ID); mash.KindOf(err) != mash.KindForbidden {
				t.Fatalf("%s reads alerts: %v", role, err)
			}
			if _, err := db.ListPatternAlerts(ctx, s.f.Actor(role), mash.AlertFilter{}); mash.KindOf(err) != mash.KindForbidden {
				t.Fatalf("%s lists alerts: %v", role, err)
			}
		}

		// Acknowledgement.
		for _, role := range []mash.Role{mash.RoleReferrer, mash.RoleReceiver, mash.RoleAdmin} {
			if _, err := db.AcknowledgeAlert(ctx, s.f.Actor(role), al.ID, "Seen and considered at screening"); mash.KindOf(err) != mash.KindForbidden {
				t.Fatalf("%s acknowledges: %v", role, err)
			}
		}
		if _, err := db.AcknowledgeAlert(ctx, s.f.Actor(mash.RoleScreener), al.ID, "ok"); mash.KindOf(err) != mash.KindInvalid {
			t.Fatalf("acknowledgement without a real note: %v", err)
		}
		if _, err := db.AcknowledgeAlert(ctx, s.f.Actor(mash.RoleScreener), "no-such-alert", "Seen and considered at screening"); mash.KindOf(err) != mash.KindNotFound {
			t.Fatalf("acknowledging no alert: %v", err)
		}
		s.clock.Add(time.Hour)
		screener := s.f.Actor(mash.RoleScreener)
		ack, err := db.AcknowledgeAlert(ctx, screener, al.ID, "Seen; the strategy meeting covers all three")
		if err != nil {
			t.Fatal(err)
		}
		if ack.Open() || ack.AcknowledgedBy != screener.UserID || ack.AckByName != "Test Screener" || !ack.AcknowledgedAt.Equal(s.clock.Now()) ||
			ack.AckNote != "Seen; the strategy meeting covers all three" {
			t.Fatalf("acknowledged: %+v", ack)
		}
		if _, err := db.AcknowledgeAlert(ctx, s.f.Actor(mash.RoleManager), al.ID, "Seen and considered again"); mash.KindOf(err) != mash.KindConflict {
			t.Fatalf("acknowledged twice: %v", err)
		}
		if n := countRows(t, db, `SELECT count(*) FROM audit_events WHERE action = 'pattern_alert.acknowledge' AND entity_id = $1 AND actor_id = $2`,
			al.ID, screener.UserID); n != 1 {
			t.Fatalf("%d audit events of the acknowledgement", n)
		}
		if open, _ := db.ListPatternAlerts(ctx, s.f.Actor(mash.RoleManager), mash.AlertFilter{Open: true}); len(open) != 0 {
			t.Fatalf("open alerts after acknowledgement: %+v", open)
		}

		// The nightly run finds the same pattern: nothing new.
		if err := db.SchedulePatterns(ctx); err != nil {
			t.Fatal(err)
		}
		s.clock.Set(time.Date(2026, 3, 3, 2, 0, 0, 0, time.UTC))
		s.run()
		if got := s.alerts()["Aspen1"]; fmt.Sprint(got) != "[repeat_contacts(ack)]" {
			t.Fatalf("after the night: %v", got)
		}
		// A new contact makes the pattern again: a new alert.
		a4 := s.contact(0, []string{"16A"}, a)
		s.run()
		if got := s.alerts()["Aspen1"]; fmt.Sprint(got) != "[repeat_contacts repeat_contacts(ack)]" {
			t.Fatalf("after a new contact: %v", got)
		}
		if again := s.alert("Aspen1", "repeat_contacts"); again.ID == al.ID || again.Contacts[len(again.Contacts)-1].ContactID != a4.ID {
			t.Fatalf("new alert: %+v", again)
		}
		// The screener's view of the contact lists the open alert first.
		list, err := db.ContactAlerts(ctx, screener, a4.ID)
		if err != nil || len(list) != 2 || !list[0].Open() || list[1].Open() {
			t.Fatalf("screener's alerts: %+v %v", list, err)
		}
	})
}

// TestPatternRulesSet: admins replace the rules; bad rules and stale
// versions change nothing; disabled rules raise nothing.
func TestPatternRulesSet(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newScene(t, db)
		admin := s.f.Actor(mash.RoleAdmin)
		rs, err := db.PatternRules(ctx, admin)
		if err != nil || rs.Version != 0 || len(rs.Rules) != 5 {
			t.Fatalf("default rules: %+v %v", rs, err)
		}
		bad := mash.DefaultPatternRules()
		bad.Rules[0].WindowDays = 0
		bad.Rules[3].Groups[1].Codes = []string{"4Z"}
		_, err = db.SetPatternRules(ctx, admin, bad)
		var e *mash.Error
		if mash.KindOf(err) != mash.KindInvalid || !asErr(err, &e) || e.Fields["rules[0].window_days"] == "" ||
			e.Fields["rules[3].groups[1].codes[0]"] == "" {
			t.Fatalf("bad rules: %v", err)
		}
		if _, err := db.SetPatternRules(ctx, s.f.Actor(mash.RoleManager), mash.DefaultPatternRules()); mash.KindOf(err) != mash.KindForbidden {
			t.Fatalf("manager replaces the rules: %v", err)
		}
		off := mash.DefaultPatternRules()
		for i := range off.Rules {
			off.Rules[i].Disabled = true
		}
		off.Version = 3
		if _, err := db.SetPatternRules(ctx, admin, off); mash.KindOf(err) != mash.KindConflict {
			t.Fatalf("stale version: %v", err)
		}
		if rs, _ := db.PatternRules(ctx, admin); rs.Version != 0 || rs.Rules[0].WindowDays != 90 || rs.Rules[0].Disabled {
			t.Fatalf("rules changed by refused writes: %+v", rs)
		}
		off.Version = 0
		saved, err := db.SetPatternRules(ctx, admin, off)
		if err != nil || saved.Version != 1 {
			t.Fatalf("replace: %+v %v", saved, err)
		}
		a, _, _ := family(1, "Alder")
		for _, d := range []int{20, 10, 0} {
			s.contact(d, []string{"16A"}, a)
		}
		s.run()
		if got := s.alerts(); len(got) != 0 {
			t.Fatalf("disabled rules raised %v", got)
		}
	})
}

func asErr(err error, e **mash.Error) bool {
	x, ok := err.(*mash.Error)
	*e = x
	return ok
}

// BenchmarkPatternsEvaluate measures the nightly evaluation: one job of 100
// persons, each the subject of three contacts (with a parent) in 60 days, all
// with their alerts already raised, so each run reads and finds nothing new
// (the steady state of a night).
func BenchmarkPatternsEvaluate(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			// A fresh database each time the framework runs this.
			for _, fresh := range storetest.Engines(b) {
				if fresh.Name == e.Name {
					e = fresh
				}
			}
			db := storetest.Open(b, e)
			f := storetest.Partnership(b, db)
			ctx := context.Background()
			now := time.Now().UTC()
			clock := &testClock{t: now}
			db.Now = clock.Now
			var persons []string
			for i := range 100 {
				child := mash.Subject{Role: mash.SubjectMain, GivenName: "Robin", FamilyName: fmt.Sprintf("Bench%03d", i), DOB: "2015-04-03",
					Address: fmt.Sprintf("%d Mill Lane, Leeds", i), Postcode: "LS1 2AB", NewPerson: true}
				parent := mash.Subject{Role: mash.SubjectParentCarer, GivenName: "Jo", FamilyName: fmt.Sprintf("Bench%03d", i), DOB: "1988-11-20",
					Address: child.Address, Postcode: child.Postcode, NewPerson: true}
				for d := range 3 {
					c := storetest.NewContact(now.Add(-time.Duration(60-25*d) * 24 * time.Hour))
					c.Subjects, c.Concerns = []mash.Subject{child, parent}, []string{"16A", "3A"}
					if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), c, ""); err != nil {
						b.Fatal(err)
					}
					child.PersonID, child.NewPerson = c.Subjects[0].PersonID, false
					parent.PersonID, parent.NewPerson = c.Subjects[1].PersonID, false
				}
				persons = append(persons, child.PersonID)
			}
			r := &jobs.Runner{Queue: db, Owner: "bench"}
			run := func() {
				for {
					n, err := r.RunOnce(ctx)
					if err != nil {
						b.Fatal(err)
					}
					if n == 0 {
						return
					}
				}
			}
			clock.Add(store.IntakePatternsAfter)
			run() // the intake evaluations raise the alerts
			var n int
			if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM pattern_alerts`).Scan(&n); err != nil || n != 200 {
				b.Fatalf("%d alerts (%v), want 200: two rules for each person", n, err)
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if _, err := db.EnqueueJob(ctx, store.NewJob{Kind: store.JobPatternsEvaluate, Key: fmt.Sprint("bench-", i),
					Payload: map[string]any{"person_ids": persons}, RunAt: now}); err != nil {
					b.Fatal(err)
				}
				run()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/100, "µs/person")
		})
	}
}
