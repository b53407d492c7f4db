package report

import (
	"context"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/chart"
)

// Headline is a measure the monthly report shows, and how.
type Headline struct {
	Measure string
	Kind    chart.Kind // "" to choose from the result's shape
	Trend   bool       // the twelve months to the report's month, by month
	Table   []string   // the table's columns, if not all (a page is only so wide)
}

// Headlines are the monthly report's measures, in its order: demand (a
// year's trend, then the month by source), conversion, timeliness, partner
// agencies, feedback and re-referrals.
var Headlines = []Headline{
	{Measure: mash.MeasureContactsByCohort, Trend: true},
	{Measure: mash.MeasureContactsBySource, Kind: chart.HBar},
	{Measure: mash.MeasureFunnel, Kind: chart.Funnel},
	{Measure: mash.MeasureNFARateBySource, Kind: chart.HBar},
	{Measure: mash.MeasureTimelinessByRAG},
	{Measure: mash.MeasureTimeToDecision},
	{Measure: mash.MeasureDecidedInOneDay},
	{Measure: mash.MeasureBreaches, Kind: chart.HBar},
	{Measure: mash.MeasureAgencyReturns, Table: []string{"on_time_rate", "requests", "returned", "late", "overdue",
		"median_lateness_hours", "nothing_held_share", "declined_share"}},
	{Measure: mash.MeasureFeedbackTimeliness},
	{Measure: mash.MeasureReReferrals},
}

// Monthly is a month's performance report, its figures computed.
type Monthly struct {
	Hub       string    // the hub's name, for the title page
	Month     time.Time // the month's first day in Europe/London
	Generated time.Time
	Cohort    mash.Cohort // "" for both
	Sections  []Section
}

// Section is one measure of the report.
type Section struct {
	Result *mash.MeasureResult
	Kind   chart.Kind
	Pivot  bool     // the table is the chart's data: a row per period, a column per line
	Table  []string // the table's columns, if not all
}

// Build computes the report's measures for the month containing month: each
// headline over the month (a trend over the twelve months to it). The hub
// checks the reader may read measures. A headline measure the hub does not
// define is left out rather than failing the whole report.
func Build(ctx context.Context, m mash.Measures, by mash.Actor, hub string, month time.Time, cohort mash.Cohort, now time.Time) (*Monthly, error) {
	from, to := MonthRange(month)
	rep := &Monthly{Hub: hub, Month: from, Generated: now, Cohort: cohort}
	for _, h := range Headlines {
		q := mash.MeasureQuery{From: from, To: to, Cohort: cohort}
		if h.Trend {
			q.From, q.Period = from.AddDate(0, -11, 0), mash.PeriodMonth
		}
		r, err := m.Measure(ctx, by, h.Measure, q)
		if mash.KindOf(err) == mash.KindNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		rep.Sections = append(rep.Sections, Section{Result: r, Kind: h.Kind, Pivot: h.Trend, Table: h.Table})
	}
	return rep, nil
}
