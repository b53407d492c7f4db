package mash

import (
	"strings"
	"testing"
	"time"
)

func validContact(now time.Time) *Contact {
	return &Contact{
		ReceivedAt: now.Add(-time.Hour), Channel: "phone", Cohort: CohortChild,
		Referrer: Referrer{Name: "A Teacher", Email: "a@school.example"},
		Subjects: []Subject{{Role: SubjectMain, GivenName: "Kayleigh", FamilyName: "Smith", DOB: "2015-04-03",
			Postcode: "ls14ap", NHSNumber: "943 476 5919", Sex: "f"}},
		Concerns: []string{"3a", "16A"}, Narrative: "synthetic",
		Consent: Consent{FamilyAware: true, Status: ConsentGiven},
	}
}

func TestContactValidate(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	c := validContact(now)
	if err := c.Validate(now); err != nil {
		t.Fatalf("valid contact refused: %v", err)
	}
	// Normalised on the way in.
	if s := c.Subjects[0]; s.Postcode != "LS1 4AP" || s.NHSNumber != "9434765919" || s.Sex != "F" || c.Concerns[0] != "3A" || c.ConcernCodeVersion != "2025-26" {
		t.Fatalf("not normalised: %+v %v", s, c.Concerns)
	}
	cases := []struct {
		field  string
		mutate func(*Contact)
	}{
		{"received_at", func(c *Contact) { c.ReceivedAt = time.Time{} }},
		{"received_at", func(c *Contact) { c.ReceivedAt = now.Add(time.Hour) }},
		{"channel", func(c *Contact) { c.Channel = "pigeon" }},
		{"cohort", func(c *Contact) { c.Cohort = "" }},
		{"referrer.name", func(c *Contact) { c.Referrer.Name = "" }},
		{"referrer.email", func(c *Contact) { c.Referrer.Email = "not-an-email" }},
		{"subjects", func(c *Contact) { c.Subjects = nil }},
		{"subjects", func(c *Contact) { c.Subjects[0].Role = SubjectParentCarer }},
		{"subjects[0].role", func(c *Contact) { c.Subjects[0].Role = "friend" }},
		{"subjects[0].family_name", func(c *Contact) { c.Subjects[0].GivenName, c.Subjects[0].FamilyName = "", "" }},
		{"subjects[0].dob", func(c *Contact) { c.Subjects[0].DOB = "2015-02-31" }},
		{"subjects[0].dob", func(c *Contact) { c.Subjects[0].DOB = "2026-12-01" }},
		{"subjects[0].dob", func(c *Contact) { c.Subjects[0].DOB = "03/04/2015" }},
		{"subjects[0].sex", func(c *Contact) { c.Subjects[0].Sex = "Q" }},
		{"subjects[0].postcode", func(c *Contact) { c.Subjects[0].Postcode = "12345" }},
		{"subjects[0].nhs_number", func(c *Contact) { c.Subjects[0].NHSNumber = "9434765918" }},
		{"subjects[0].nhs_number", func(c *Contact) { c.Subjects[0].NHSNumber = "12345" }},
		{"concerns", func(c *Contact) { c.Concerns = nil }},
		{"concerns[0]", func(c *Contact) { c.Concerns = []string{"physical"} }},
		{"concerns[1]", func(c *Contact) { c.Concerns = []string{"16A", "16a"} }},
		{"narrative", func(c *Contact) { c.Narrative = "  " }},
		{"narrative", func(c *Contact) { c.Narrative = strings.Repeat("x", maxNarrative+1) }},
		{"consent.status", func(c *Contact) { c.Consent.Status = "" }},
		{"consent.reason", func(c *Contact) { c.Consent = Consent{Status: ConsentRefused, ApprovedBy: "TM"} }},
		{"consent.approved_by", func(c *Contact) { c.Consent = Consent{Status: ConsentNotSought, Reason: "risk"} }},
	}
	for _, tc := range cases {
		c := validContact(now)
		tc.mutate(c)
		err := c.Validate(now)
		e, ok := err.(*Error)
		if !ok || e.Kind != KindInvalid || e.Fields[tc.field] == "" {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
	// An anonymous member of the public need not give a name.
	c = validContact(now)
	c.Referrer = Referrer{Anonymous: true}
	if err := c.Validate(now); err != nil {
		t.Errorf("anonymous referrer: %v", err)
	}
	// Adults use the Care Act list.
	c = validContact(now)
	c.Cohort, c.Concerns = CohortAdult, []string{"self_neglect", "financial"}
	if err := c.Validate(now); err != nil || c.ConcernCodeVersion != "2014" {
		t.Errorf("adult contact: %v (%s)", err, c.ConcernCodeVersion)
	}
}

func TestNHSNumber(t *testing.T) {
	for in, ok := range map[string]bool{
		"9434765919": true, "943 476 5919": true, "943-476-5919": true,
		"9434765918": false, "943476591": false, "94347659190": false, "943476591X": false,
		"1111111111": true, // check digit 1
		"0000000000": true,
		"1234567890": false, // remainder gives check digit 10: never valid
	} {
		if _, err := NormaliseNHSNumber(in); (err == nil) != ok {
			t.Errorf("%q: err %v, want ok=%v", in, err, ok)
		}
	}
}

func TestPostcode(t *testing.T) {
	for in, want := range map[string]string{"ls14ap": "LS1 4AP", "SW1A 1AA": "SW1A 1AA", " m1  1ae ": "M1 1AE", "b338th": "B33 8TH", "CR2 6XH": "CR2 6XH"} {
		got, err := NormalisePostcode(in)
		if err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "12345", "LS1", "LS1 4A", "1LS 4AP", "LS1 4APX"} {
		if _, err := NormalisePostcode(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestReturnValidate(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		r     AgencyReturn
		field string
	}{
		{AgencyReturn{Outcome: ReturnNothingHeld}, ""},
		{AgencyReturn{Outcome: ReturnNothingHeld, Items: []ReturnItem{{Summary: "x", Marking: MarkingFamily}}}, "items"},
		{AgencyReturn{Outcome: ReturnInformation}, "items"},
		{AgencyReturn{Outcome: ReturnInformation, Items: []ReturnItem{{Summary: "x", Marking: "secret"}}}, "items[0].marking"},
		{AgencyReturn{Outcome: ReturnInformation, Items: []ReturnItem{{Marking: MarkingMASHOnly}}}, "items[0].summary"},
		{AgencyReturn{Outcome: ReturnInformation, Items: []ReturnItem{{Summary: "x", Marking: MarkingMASHOnly, OccurredOn: "2027-01-01"}}}, "items[0].occurred_on"},
		{AgencyReturn{Outcome: ReturnDeclined, Reason: "r"}, "legal_basis"},
		{AgencyReturn{Outcome: ReturnDeclined, LegalBasis: "b"}, "reason"},
		{AgencyReturn{Outcome: "maybe"}, "outcome"},
	}
	for i, tc := range cases {
		err := tc.r.Validate("police", now)
		if tc.field == "" {
			if err != nil {
				t.Errorf("case %d: %v", i, err)
			}
			continue
		}
		if e, ok := err.(*Error); !ok || e.Fields[tc.field] == "" {
			t.Errorf("case %d: got %v, want a problem with %s", i, err, tc.field)
		}
	}
	r := AgencyReturn{Outcome: ReturnInformation, Items: []ReturnItem{{Summary: "x", Marking: MarkingMASHOnly}}}
	if err := r.Validate("police", now); err != nil || r.Items[0].OwningAgencyID != "police" {
		t.Errorf("owner defaults to the agency asked: %+v %v", r.Items[0], err)
	}
}

func TestDecisionValidate(t *testing.T) {
	ok := Decision{ThresholdLevel: 3, Outcomes: []Outcome{OutcomeCINAssessmentS17}, Rationale: "r",
		AgencyViews: []AgencyView{{AgencyID: "p", View: "agree", Agrees: true}, {AgencyID: "h", View: "disagree"}}}
	if err := ok.Validate(CohortChild); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		cohort Cohort
		mutate func(*Decision)
		field  string
	}{
		{CohortChild, func(d *Decision) { d.ThresholdLevel = 0 }, "threshold_level"},
		{CohortChild, func(d *Decision) { d.Outcomes = nil }, "outcomes"},
		{CohortChild, func(d *Decision) { d.Outcomes = []Outcome{"adopt"} }, "outcomes[0]"},
		{CohortChild, func(d *Decision) { d.Outcomes = []Outcome{OutcomeAdultS42Enquiry} }, "outcomes[0]"},
		{CohortAdult, func(d *Decision) { d.Outcomes = []Outcome{OutcomeStrategyDiscussionS47} }, "outcomes[0]"},
		{CohortChild, func(d *Decision) { d.Outcomes = []Outcome{OutcomeMARAC, OutcomeMARAC} }, "outcomes[1]"},
		{CohortChild, func(d *Decision) { d.Rationale = "" }, "rationale"},
		{CohortChild, func(d *Decision) { d.AgencyViews[1].AgencyID = "p" }, "agency_views[1].agency_id"},
		{CohortChild, func(d *Decision) { d.AgencyViews[0].View = "" }, "agency_views[0].view"},
	}
	for i, tc := range cases {
		d := ok
		d.AgencyViews = append([]AgencyView(nil), ok.AgencyViews...)
		tc.mutate(&d)
		if e, isErr := d.Validate(tc.cohort).(*Error); !isErr || e.Fields[tc.field] == "" {
			t.Errorf("case %d: want a problem with %s, got %v", i, tc.field, d.Validate(tc.cohort))
		}
	}
}

func FuzzNHSNumber(f *testing.F) {
	for _, s := range []string{"9434765919", "943 476 5919", "", "x", "12345678901"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormaliseNHSNumber(s)
		if err != nil {
			return
		}
		if len(n) != 10 {
			t.Fatalf("%q accepted as %q", s, n)
		}
		if again, err := NormaliseNHSNumber(n); err != nil || again != n {
			t.Fatalf("not idempotent: %q → %q → %q %v", s, n, again, err)
		}
	})
}

func FuzzPostcode(f *testing.F) {
	for _, s := range []string{"LS1 4AP", "sw1a1aa", "", "ZZ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := NormalisePostcode(s)
		if err != nil {
			return
		}
		if again, err := NormalisePostcode(p); err != nil || again != p {
			t.Fatalf("not idempotent: %q → %q → %q %v", s, p, again, err)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2015-04-03", "2015-02-31", "2024-02-29", "", "03/04/2015"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if d.Format(time.DateOnly) != s {
			t.Fatalf("%q parsed as %v", s, d)
		}
	})
}
