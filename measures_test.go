package mash

import (
	"errors"
	"testing"
	"time"
)

func TestMeasureQueryValidate(t *testing.T) {
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ok := []MeasureQuery{
		{From: from, To: from},
		{From: from, To: from.AddDate(1, 0, 0), Period: PeriodDay},
		{From: from, To: from.AddDate(10, 0, 0), Period: PeriodMonth, Cohort: CohortAdult},
	}
	for _, q := range ok {
		if err := q.Validate(); err != nil {
			t.Errorf("%+v: %v", q, err)
		}
	}
	bad := map[string]MeasureQuery{
		"from":   {To: from},
		"to":     {From: from, To: from.Add(-time.Second)},
		"cohort": {From: from, To: from, Cohort: "teen"},
		"period": {From: from, To: from.AddDate(1, 1, 0), Period: PeriodDay},
	}
	for field, q := range bad {
		err := q.Validate()
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindInvalid || e.Fields[field] == "" {
			t.Errorf("%s: %v", field, err)
		}
	}
	if err := (MeasureQuery{From: from, To: from.AddDate(11, 0, 0)}).Validate(); err == nil {
		t.Error("an 11-year range was accepted")
	}
}

// TestSuppress: counts 1–4 are hidden, 0 and 5 are not, and a rate or
// median derived from a hidden count is hidden with it. The input is unchanged.
func TestSuppress(t *testing.T) {
	r := &MeasureResult{
		Dimensions: []string{"source"},
		Columns: []MeasureColumn{{Name: "n", Unit: UnitCount}, {Name: "k", Unit: UnitCount},
			{Name: "rate", Unit: UnitPercent, Base: []string{"k", "n"}}, {Name: "median", Unit: UnitHours, Base: []string{"n"}}},
		Rows: []MeasureRow{
			{Labels: []string{"2A"}, Values: []MeasureCell{Num(10), Num(0), Num(0), Num(3.5)}},
			{Labels: []string{"6"}, Values: []MeasureCell{Num(5), Num(4), Num(80), Num(2)}},
			{Labels: []string{"9"}, Values: []MeasureCell{Num(1), Num(1), Num(100), Num(7)}},
			{Labels: []string{"10"}, Values: []MeasureCell{Num(0), Num(0), {}, {}}},
		},
	}
	s := Suppress(r)
	// n: 1 is suppressed, and so is 5, the smallest other count, or 1
	// would be the total (16, found elsewhere) less the rest; k: 4 and 1
	// hide each other already.
	want := []string{"10,0,0,3.5", "[c],[c],[c],[c]", "[c],[c],[c],[c]", "0,0,,"}
	for i, row := range s.Rows {
		got := ""
		for j, c := range row.Values {
			if j > 0 {
				got += ","
			}
			got += c.String()
		}
		if got != want[i] {
			t.Errorf("row %d: %s, want %s", i, got, want[i])
		}
	}
	if !s.Suppressed || r.Suppressed || r.Rows[2].Values[0].Suppressed {
		t.Error("Suppress changed its input or did not mark its output")
	}
	if v, ok := s.Rows[1].Values[1].Float(); ok || v != 0 {
		t.Error("a suppressed cell gives its value")
	}
}

// TestSuppressComplements: secondary suppression works within each group
// of rows that differ in the last dimension only (here each period), and
// never picks a zero.
func TestSuppressComplements(t *testing.T) {
	row := func(period, source string, n float64) MeasureRow {
		return MeasureRow{Labels: []string{period, source}, Values: []MeasureCell{Num(n)}}
	}
	r := &MeasureResult{Dimensions: []string{"period", "source"}, Columns: []MeasureColumn{{Name: "n", Unit: UnitCount}},
		Rows: []MeasureRow{
			row("Jan", "A", 3), row("Jan", "B", 10), row("Jan", "C", 20), // one hidden: B too
			row("Feb", "A", 3), row("Feb", "B", 2), row("Feb", "C", 40), // two hidden already
			row("Mar", "A", 0), row("Mar", "B", 3), row("Mar", "C", 7), // not the zero: C
			row("Apr", "A", 8), row("Apr", "B", 9), // none hidden
			row("May", "A", 2), // alone: nothing to pair with
		}}
	want := []string{"[c]", "[c]", "20", "[c]", "[c]", "40", "0", "[c]", "[c]", "8", "9", "[c]"}
	for i, row := range Suppress(r).Rows {
		if got := row.Values[0].String(); got != want[i] {
			t.Errorf("%v: %s, want %s", row.Labels, got, want[i])
		}
	}
}

func TestReferralSources(t *testing.T) {
	c := validContact(time.Now())
	c.Referrer.Source = " 5d "
	if err := c.Validate(time.Now()); err != nil || c.Referrer.Source != "5D" {
		t.Errorf("5D: %v %q", err, c.Referrer.Source)
	}
	c.Referrer.Source = "5E"
	var e *Error
	if err := c.Validate(time.Now()); !errors.As(err, &e) || e.Fields["referrer.source"] == "" {
		t.Errorf("5E accepted: %v", err)
	}
	for kind, want := range map[AgencyKind]string{AgencyPolice: "6", AgencyEducation: "2A", AgencyHealth: "3F",
		AgencyHousing: "4", AgencyProbation: "7", AgencyChildrensSocialCare: "10", AgencyOther: "8"} {
		c := validContact(time.Now())
		if got := DefaultReferralSource(kind, c); got != want || !ReferralSources().Has(got) {
			t.Errorf("%s: %s, want %s", kind, got, want)
		}
	}
	c = validContact(time.Now())
	c.Referrer.Anonymous = true
	if got := DefaultReferralSource(AgencyPolice, c); got != "9" {
		t.Errorf("anonymous: %s", got)
	}
	c.Referrer.Anonymous, c.Channel = false, "police_notification"
	if got := DefaultReferralSource(AgencyChildrensSocialCare, c); got != "6" {
		t.Errorf("police notification: %s", got)
	}
	if n := len(CINReferralSources2025.Codes); n != 22 {
		t.Errorf("%d referral source codes, want 22", n)
	}
}
