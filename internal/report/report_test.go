package report

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/chart"
)

var (
	october   = time.Date(2026, 10, 1, 0, 0, 0, 0, london)
	generated = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
)

func count(name, title string) mash.MeasureColumn {
	return mash.MeasureColumn{Name: name, Title: title, Unit: mash.UnitCount}
}

// bySource is a month's contacts by source with a small number (3) and a
// rate worked out from it.
func bySource() *mash.MeasureResult {
	return &mash.MeasureResult{Name: mash.MeasureContactsBySource, Title: "Contacts by source",
		Definition: "Contacts received in the period, by the referral source.", Unit: mash.UnitCount,
		From: october, To: october.AddDate(0, 1, 0), Dimensions: []string{"source"},
		Columns: []mash.MeasureColumn{count("contacts", "Contacts"), count("nfa", "No further action"),
			{Name: "nfa_rate", Title: "NFA rate", Unit: mash.UnitPercent, Base: []string{"nfa", "contacts"}}},
		Rows: []mash.MeasureRow{
			{Labels: []string{"police"}, Values: []mash.MeasureCell{mash.Num(1204), mash.Num(602), mash.Num(50)}},
			{Labels: []string{"schools"}, Values: []mash.MeasureCell{mash.Num(310), mash.Num(3), mash.Num(0.9677)}},
			{Labels: []string{"health_visitor"}, Values: []mash.MeasureCell{mash.Num(0), mash.Num(0), {}}},
		}}
}

func trend() *mash.MeasureResult {
	r := &mash.MeasureResult{Name: mash.MeasureContactsByCohort, Title: "Contacts by cohort", Definition: "Contacts by cohort, per month.",
		Unit: mash.UnitCount, From: october.AddDate(0, -11, 0), To: october.AddDate(0, 1, 0), Period: mash.PeriodMonth,
		Dimensions: []string{"period", "cohort"}, Columns: []mash.MeasureColumn{count("contacts", "Contacts")}}
	for i := range 12 {
		p := october.AddDate(0, i-11, 0).Format("2006-01") // months are labelled so
		r.Rows = append(r.Rows, mash.MeasureRow{Labels: []string{p, "child"}, Values: []mash.MeasureCell{mash.Num(float64(800 + i))}},
			mash.MeasureRow{Labels: []string{p, "adult"}, Values: []mash.MeasureCell{mash.Num(float64(2 + 4*(i%2)))}}) // 2 (suppressed) or 6
	}
	return r
}

func write(t *testing.T, m *Monthly) string {
	t.Helper()
	var b bytes.Buffer
	if err := m.WritePDF(&b, Options{Uncompressed: true}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var pageRE = regexp.MustCompile(`/Type /Page\b[^s]`)

func pages(pdf string) int { return len(pageRE.FindAllString(pdf, -1)) }

// shown reports whether the PDF draws s as a text string.
func shown(pdf, s string) bool {
	return strings.Contains(pdf, "("+s+") Tj") || strings.Contains(pdf, "("+s+")Tj")
}

func TestMonthlyPDF(t *testing.T) {
	m := &Monthly{Hub: "Northshire MASH", Month: october, Generated: generated,
		Sections: []Section{{Result: trend(), Pivot: true}, {Result: bySource(), Kind: chart.HBar}}}
	pdf := write(t, m)
	if !strings.HasPrefix(pdf, "%PDF-1.") || !strings.HasSuffix(strings.TrimSpace(pdf), "%%EOF") {
		t.Fatalf("not a PDF: %.20q … %q", pdf, pdf[len(pdf)-10:])
	}
	if n := pages(pdf); n != 3 {
		t.Errorf("%d pages, want 3 (title and one per measure)", n)
	}
	for _, want := range []string{"Monthly performance report", "Northshire MASH", "October 2026",
		"Generated 2 November 2026 at 09:30 \\(UK time\\)", "Contacts by source", "Contacts by cohort", "Police", "1,204",
		"Oct 2026", "Child", "Contents"} {
		if !shown(pdf, want) {
			t.Errorf("the PDF does not show %q", want)
		}
	}
	// Small numbers leave the hub suppressed: the 3 schools NFAs, the rate
	// from them, and the adults' monthly counts (2 to 4), but not zero.
	if !shown(pdf, "[c]") {
		t.Error("no [c] in the PDF")
	}
	for _, leak := range []string{"3", "96.8%", "2", "4"} {
		if shown(pdf, leak) {
			t.Errorf("the PDF shows the small number %q", leak)
		}
	}
	if !shown(pdf, "0") {
		t.Error("zero should not be suppressed")
	}
	if !strings.Contains(pdf, "/Title (") {
		t.Error("no document title")
	}
}

func TestEmptyMonthRenders(t *testing.T) {
	empty := &mash.MeasureResult{Name: mash.MeasureFunnel, Title: "From contact to referral", Definition: "d",
		Unit: mash.UnitCount, From: october, To: october.AddDate(0, 1, 0), Dimensions: []string{"stage"},
		Columns: []mash.MeasureColumn{count("contacts", "Contacts")}}
	none := &mash.MeasureResult{Name: mash.MeasureTimeToDecision, Title: "Time to decision", Unit: mash.UnitHours,
		From: october, To: october.AddDate(0, 1, 0),
		Columns: []mash.MeasureColumn{{Name: "median", Title: "Median", Unit: mash.UnitHours, Base: []string{"n"}},
			{Name: "p90", Title: "90th percentile", Unit: mash.UnitHours, Base: []string{"n"}}, count("n", "Decisions")},
		Rows: []mash.MeasureRow{{Values: []mash.MeasureCell{{}, {}, mash.Num(0)}}}}
	for _, m := range []*Monthly{
		{Hub: "Empty hub", Month: october, Generated: generated},
		{Hub: "Quiet hub", Month: october, Generated: generated, Sections: []Section{{Result: empty, Kind: chart.Funnel}, {Result: none}}},
	} {
		pdf := write(t, m)
		if want := 1 + len(m.Sections); pages(pdf) != want {
			t.Errorf("%s: %d pages, want %d", m.Hub, pages(pdf), want)
		}
		if len(m.Sections) > 0 && (!shown(pdf, "No data for this period") || !shown(pdf, "No data for this period.")) {
			t.Errorf("%s: an empty month does not say there is no data", m.Hub)
		}
		if len(m.Sections) == 0 && !shown(pdf, "No measures.") {
			t.Error("an empty report does not say so")
		}
	}
}

// TestLongTableContinues: a table longer than a page runs on to the next
// with its header repeated.
func TestLongTableContinues(t *testing.T) {
	r := &mash.MeasureResult{Name: "x", Title: "Contacts by agency", Unit: mash.UnitCount, From: october, To: october.AddDate(0, 1, 0),
		Dimensions: []string{"agency"}, Columns: []mash.MeasureColumn{count("contacts", "Contacts")}}
	for i := range 60 {
		r.Rows = append(r.Rows, mash.MeasureRow{Labels: []string{fmt.Sprintf("Agency %02d", i)}, Values: []mash.MeasureCell{mash.Num(float64(10 + i))}})
	}
	pdf := write(t, &Monthly{Hub: "h", Month: october, Generated: generated, Sections: []Section{{Result: r}}})
	if n := pages(pdf); n < 3 {
		t.Errorf("%d pages: the 60-row table did not continue", n)
	}
	if !shown(pdf, "Agency 59") || strings.Count(pdf, "(Agency)Tj") < 2 {
		t.Error("the last row or the repeated header is missing")
	}
}

func TestChartOf(t *testing.T) {
	c := ChartOf(mash.Suppress(trend()), "", nil)
	if c.Kind != chart.Line || len(c.Labels) != 12 || len(c.Series) != 2 || c.Labels[11] != "Oct 2026" {
		t.Fatalf("trend chart: %+v", c)
	}
	// In even months the adults' 2 is suppressed, and the children's
	// count with it (secondary suppression: the month's total is known).
	if c.Series[0].Name != "Child" || c.Series[0].Values[11] != 811 || c.Series[1].Values[11] != 6 ||
		!math.IsNaN(c.Series[1].Values[0]) || !math.IsNaN(c.Series[0].Values[0]) || c.Missing != "[c]" {
		t.Errorf("trend series: %+v", c.Series)
	}
	tt := ChartTable(c, "Month")
	if fmt.Sprint(tt.Head) != "[Month Child Adult]" || fmt.Sprint(tt.Rows[11]) != "[Oct 2026 811 6]" || fmt.Sprint(tt.Rows[10]) != "[Sep 2026 [c] [c]]" {
		t.Errorf("chart table: %v %v", tt.Head, tt.Rows)
	}
	b := ChartOf(bySource(), "", nil)
	if b.Kind != chart.Grouped || len(b.Series) != 2 || b.Series[1].Name != "No further action" {
		t.Errorf("by source: %+v", b)
	}
	tb := TableOf(mash.Suppress(bySource()), nil)
	want := []string{"Schools", "310", "[c]", "[c]"}
	if fmt.Sprint(tb.Rows[1]) != fmt.Sprint(want) || tb.Head[0] != "Source" || tb.Rows[2][3] != "–" {
		t.Errorf("table: %v %v", tb.Head, tb.Rows)
	}
}

func TestPeriodLabel(t *testing.T) {
	for _, tc := range []struct {
		p        mash.MeasurePeriod
		in, want string
	}{
		{mash.PeriodMonth, "2026-10", "Oct 2026"}, {mash.PeriodMonth, "2026-10-01", "Oct 2026"},
		{mash.PeriodWeek, "2026-10-05", "w/c 5 Oct 2026"}, {mash.PeriodDay, "2026-10-05", "5 Oct 2026"}, {mash.PeriodDay, "odd", "odd"},
	} {
		if got := PeriodLabel(tc.p, tc.in); got != tc.want {
			t.Errorf("PeriodLabel(%s, %s) = %q, want %q", tc.p, tc.in, got, tc.want)
		}
	}
}

func TestParseMonth(t *testing.T) {
	for _, s := range []string{"", "2026", "2026-13", "2026-1", "26-10", "2026/10", "1999-01", "abcd-ef"} {
		if _, ok := ParseMonth(s); ok {
			t.Errorf("ParseMonth(%q) accepted", s)
		}
	}
	m, ok := ParseMonth("2026-10")
	from, to := MonthRange(m)
	if !ok || !from.Equal(october) || !to.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, london)) {
		t.Errorf("ParseMonth(2026-10) = %v %v %v", m, from, to)
	}
}

// stub answers measures from fixed results: enough to test what Build asks
// for (the store's own tests check the numbers).
type stub struct {
	asked map[string]mash.MeasureQuery
}

func (s *stub) ListMeasures(context.Context, mash.Actor) ([]mash.MeasureDef, error) { return nil, nil }

func (s *stub) Measure(_ context.Context, _ mash.Actor, name string, q mash.MeasureQuery) (*mash.MeasureResult, error) {
	s.asked[name] = q
	if name == mash.MeasureReReferrals {
		return nil, &mash.Error{Kind: mash.KindNotFound, Msg: "no such measure"}
	}
	if name == mash.MeasureBreaches {
		return nil, &mash.Error{Kind: mash.KindForbidden, Msg: "no"}
	}
	return &mash.MeasureResult{Name: name, Title: name, From: q.From, To: q.To}, nil
}

func TestBuild(t *testing.T) {
	s := &stub{asked: map[string]mash.MeasureQuery{}}
	_, err := Build(t.Context(), s, mash.Actor{}, "h", time.Date(2026, 10, 17, 12, 0, 0, 0, time.UTC), mash.CohortChild, generated)
	if mash.KindOf(err) != mash.KindForbidden {
		t.Fatalf("Build: %v, want the hub's refusal", err)
	}
	s = &stub{asked: map[string]mash.MeasureQuery{}}
	Headlines = slicesWithout(Headlines, mash.MeasureBreaches)
	m, err := Build(t.Context(), s, mash.Actor{}, "h", time.Date(2026, 10, 17, 12, 0, 0, 0, time.UTC), mash.CohortChild, generated)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Sections) != len(Headlines)-1 {
		t.Errorf("%d sections, want every headline but the unknown one", len(m.Sections))
	}
	tq := s.asked[mash.MeasureContactsByCohort]
	if !tq.From.Equal(time.Date(2025, 11, 1, 0, 0, 0, 0, london)) || !tq.To.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, london)) ||
		tq.Period != mash.PeriodMonth || tq.Cohort != mash.CohortChild {
		t.Errorf("trend query %+v", tq)
	}
	if q := s.asked[mash.MeasureFunnel]; !q.From.Equal(october) || q.Period != "" {
		t.Errorf("month query %+v", q)
	}
}

func slicesWithout(hs []Headline, name string) []Headline {
	var out []Headline
	for _, h := range hs {
		if h.Measure != name {
			out = append(out, h)
		}
	}
	return out
}
