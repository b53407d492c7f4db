package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/chart"
	"openmash.org/mash/internal/report"
)

// Dashboards: the hub's measures as charts, each with its data table beside
// it and a CSV download of the table. Managers have "today and this week";
// managers and analysts the twelve-month trends, every measure with
// filters, and the monthly report as a PDF. Every figure comes from the
// hub's Measure (aggregates only; the hub checks the role and audits the
// read); what leaves the hub as a file is suppressed (mash.Suppress).

// mayReadMeasures reports whether a may read the hub's measures.
func mayReadMeasures(a mash.Actor) bool { return mash.Can(a, mash.ActionMeasureRead, mash.Resource{}) }

// today is for those who run the hub's queue.
func mayToday(a mash.Actor) bool { return mayReadMeasures(a) && a.HubWide() }

// dashboardNav is the dashboards' link in the navigation, for those who
// may read measures.
func dashboardNav(a mash.Actor, current string) []navItem {
	if !mayReadMeasures(a) {
		return nil
	}
	return []navItem{{Href: "/dashboards", Label: "Dashboards",
		Current: current == "/dashboards" || strings.HasPrefix(current, "/dashboards/") || strings.HasPrefix(current, "/reports/")}}
}

// panel is one measure on a page: its chart and the table beside it.
type panel struct {
	ID         string
	Title      string
	Definition string
	Span       string // what it covers: a range, or "now"
	SVG        template.HTML
	Table      report.Table
	CSV        string // the table's download
	Err        string // why it could not be shown
}

// dashFilter is a page's filter form, as typed.
type dashFilter struct {
	Action                   string
	Measure                  string // the measure page's choice
	From, To, Cohort, Period string
	Range, ByPeriod          bool // whether the form offers a range, and a period
	Cohorts, Periods         []option
}

type dashData struct {
	Heading  string
	Lead     string
	Filter   *dashFilter
	Panels   []panel
	Links    []navItem         // the index's dashboards
	Measures []mash.MeasureDef // the measures page's list
	Chosen   *mash.MeasureDef
	Month    string   // the PDF form's month
	Months   []option // the months to choose from
	Cohorts  []option
}

// dashArgs is what the dashboard's partial templates get: the filter, the
// field problems and the page's data.
type dashArgs struct {
	F  *dashFilter
	FE map[string]string
	D  dashData
}

func init() {
	viewFuncs["dashArgs"] = func(f *dashFilter, fe map[string]string, d dashData) dashArgs { return dashArgs{f, fe, d} }
}

var dashCohorts = []option{{"", "Children and adults"}, {string(mash.CohortChild), "Children"}, {string(mash.CohortAdult), "Adults"}}
var dashPeriods = []option{{"", "Totals for the range"}, {string(mash.PeriodDay), "By day"}, {string(mash.PeriodWeek), "By week"},
	{string(mash.PeriodMonth), "By month"}}

// dimNames are the words for a result's dimensions.
var dimNames = map[string]string{
	"period": "Period", "source": "Referral source", "channel": "Channel", "cohort": "Cohort", "concern": "Concern",
	"agency": "Agency", "outcome": "Outcome", "stage": "Stage", "rag": "RAG rating", "state": "State", "worker": "Worker",
}

// measureNames turns a measure's codes into the words the pages use.
func measureNames(dim, code string) string {
	switch dim {
	case "dimension":
		if n, ok := dimNames[code]; ok {
			return n
		}
	case "state":
		return statusLabel(mash.Status(code))
	case "rag":
		if code == "unrated" || code == "" {
			return "Not rated"
		}
		return ragLabel(code)
	}
	if code == "" {
		return "Not recorded"
	}
	return label(code)
}

func (h *Handler) refuseMeasures(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	h.problemFor(w, r, a, http.StatusForbidden, "You cannot use this page",
		"The dashboards are for the hub's managers and analysts.")
}

// day is midnight (UK time) of the date s, "2026-10-01".
func parseDay(s string) (time.Time, bool) {
	t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(s), london)
	return t, err == nil
}

func dayOf(t time.Time) string { return t.In(london).Format(time.DateOnly) }

// midnight is the start of t's day, UK time.
func midnight(t time.Time) time.Time {
	t = t.In(london)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, london)
}

// readFilter reads a page's filter from the query, with defaults for what
// is not given, and the query it asks for. Problems go to p's error
// summary, each linked to its field; the query is then not to be run.
func readFilter(p *page, f *dashFilter, q url.Values, defFrom, defTo time.Time) mash.MeasureQuery {
	f.From, f.To, f.Cohort, f.Period = q.Get("from"), q.Get("to"), q.Get("cohort"), q.Get("period")
	f.Cohorts, f.Periods = dashCohorts, dashPeriods
	if !f.Range {
		f.From, f.To = "", ""
	}
	if f.From == "" {
		f.From = dayOf(defFrom)
	}
	if f.To == "" {
		f.To = dayOf(defTo)
	}
	mq := mash.MeasureQuery{Cohort: mash.Cohort(f.Cohort), Period: mash.MeasurePeriod(f.Period)}
	from, okFrom := parseDay(f.From)
	to, okTo := parseDay(f.To)
	if !okFrom {
		p.addError("from", "Enter the start date as a real date, for example 2026-10-01")
	}
	if !okTo {
		p.addError("to", "Enter the end date as a real date, for example 2026-10-31")
	}
	if okFrom && okTo {
		mq.From, mq.To = from, to.AddDate(0, 0, 1) // the end date is included
		if to.Before(from) {
			p.addError("to", "The end date must be the same as or after the start date")
		}
	}
	switch mq.Cohort {
	case "", mash.CohortChild, mash.CohortAdult:
	default:
		p.addError("cohort", "Choose children, adults or both")
		f.Cohort = ""
	}
	if !f.ByPeriod {
		mq.Period, f.Period = "", ""
	}
	switch mq.Period {
	case "", mash.PeriodDay, mash.PeriodWeek, mash.PeriodMonth:
	default:
		p.addError("period", "Choose totals, or by day, week or month")
		f.Period = ""
	}
	if len(p.Errors) == 0 {
		// The hub's own limits (the longest range, days by day), on the
		// field they are about.
		var e *mash.Error
		if err := mq.Validate(); errors.As(err, &e) {
			for _, field := range []string{"from", "to", "cohort", "period"} {
				if msg, ok := e.Fields[field]; ok {
					p.addError(field, fieldMessage(field, msg))
				}
			}
		}
	}
	return mq
}

// fieldMessage words the hub's problem with a filter field for the page.
func fieldMessage(field, msg string) string {
	names := map[string]string{"from": "The start date", "to": "The end date", "cohort": "Who the figures are about", "period": "The period"}
	if strings.HasPrefix(msg, "the ") || strings.HasPrefix(msg, "by ") {
		return capitalise(msg)
	}
	return names[field] + " " + msg
}

// csvLink is the address of a measure's CSV with the query that made it.
func csvLink(name string, q mash.MeasureQuery) string {
	v := url.Values{}
	v.Set("from", dayOf(q.From))
	v.Set("to", dayOf(q.To.Add(-time.Nanosecond)))
	if q.Cohort != "" {
		v.Set("cohort", string(q.Cohort))
	}
	if q.Period != "" {
		v.Set("period", string(q.Period))
	}
	return "/dashboards/measures/" + url.PathEscape(name) + ".csv?" + v.Encode()
}

// want is one panel to compute: a measure, its query and how to chart it.
type want struct {
	measure string
	q       mash.MeasureQuery
	kind    chart.Kind
	cols    []string
	table   []string // the table's columns, if not all
	pivot   bool     // the table is the chart's data: a row per period, a column per line
	title   string   // instead of the measure's own
}

// panels computes the wanted measures, at the same time (each is its own
// read), and draws them. A refusal stops the page; any other failure of
// one measure is shown in its place.
func (h *Handler) panels(ctx context.Context, a mash.Actor, ws []want) ([]panel, error) {
	out := make([]panel, len(ws))
	errs := make([]error, len(ws))
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Go(func() {
			r, err := h.hub.Measure(ctx, a, w.measure, w.q)
			if err != nil {
				errs[i] = err
				return
			}
			out[i] = drawPanel(r, w, i)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			continue
		}
		switch mash.KindOf(err) {
		case mash.KindForbidden, mash.KindUnauthenticated, mash.KindInvalid:
			return nil, err
		default:
			h.log.Error("measure failed", "measure", ws[i].measure, "err", err)
			out[i] = panel{ID: "panel-" + ws[i].measure, Title: ws[i].title, Err: "This measure could not be computed. Try again later."}
			if out[i].Title == "" {
				out[i].Title = label(ws[i].measure)
			}
		}
	}
	return out, nil
}

func drawPanel(r *mash.MeasureResult, w want, i int) panel {
	c := report.ChartOf(r, w.kind, measureNames, w.cols...)
	title := r.Title
	if w.title != "" {
		title, c.Title = w.title, w.title
	}
	span := "Now, as at " + when(r.AsAt)
	if !r.From.IsZero() && r.From.Before(r.To) && !snapshot(r) {
		first, last := dayOf(r.From), dayOf(r.To.Add(-time.Nanosecond))
		span = day(first)
		if last != first {
			span += " to " + day(last)
		}
		if r.Period != "" {
			span += ", by " + string(r.Period)
		}
	}
	if r.Cohort != "" {
		span += ", " + strings.ToLower(label(string(r.Cohort))) + "ren only"
		if r.Cohort == mash.CohortAdult {
			span = strings.TrimSuffix(span, "ren only") + "s only"
		}
	}
	if r.Stored {
		// Pre-aggregated: say how old the figures are.
		span += "; worked out at " + r.AsAt.In(london).Format("15:04")
	}
	id := "panel-" + strings.ReplaceAll(r.Name, "_", "-") + "-" + string(rune('a'+i))
	t := report.TableOf(r, measureNames, w.table...)
	if w.pivot {
		t = report.ChartTable(c, measureNames("dimension", "period"))
	}
	return panel{ID: id, Title: title, Definition: r.Definition, Span: span, SVG: c.SVG(id + "-chart"),
		Table: t, CSV: csvLink(r.Name, w.q)}
}

// snapshot reports whether r is "as at now" (the workload measures).
func snapshot(r *mash.MeasureResult) bool {
	switch r.Name {
	case mash.MeasureWorkloadByState, mash.MeasureWorkloadByWorker, mash.MeasureQueueByRAG:
		return true
	}
	return false
}

func (h *Handler) dashPage(w http.ResponseWriter, r *http.Request, a mash.Actor, title string, d dashData, p page) {
	p.Title, p.Actor, p.Data = title, &a, d
	if p.Agency == "" {
		p.Agency = h.agencyName(r, a)
	}
	status := http.StatusOK
	if len(p.Errors) > 0 {
		status = http.StatusBadRequest
	}
	h.render(w, r, status, "dashboard", p)
}

// handleDashboards lists the dashboards the reader has, and the monthly
// report's form.
func (h *Handler) handleDashboards(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if !mayReadMeasures(a) {
		h.refuseMeasures(w, r, a)
		return
	}
	d := dashData{Heading: "Dashboards", Lead: "The hub's figures: every chart has its data table beside it and a CSV download."}
	if mayToday(a) {
		d.Links = append(d.Links, navItem{Href: "/dashboards/today", Label: "Today and this week"})
	}
	d.Links = append(d.Links, navItem{Href: "/dashboards/trends", Label: "Trends over 12 months"},
		navItem{Href: "/dashboards/measures", Label: "All measures"})
	d.Month, d.Months = monthChoices(h.now())
	d.Cohorts = dashCohorts
	h.dashPage(w, r, a, "Dashboards", d, page{})
}

// monthChoices are the last 24 complete months, newest first, the first
// chosen.
func monthChoices(now time.Time) (string, []option) {
	from, _ := report.MonthRange(now)
	var out []option
	for i := 1; i <= 24; i++ {
		m := from.AddDate(0, -i, 0)
		out = append(out, option{m.Format("2006-01"), m.Format("January 2006")})
	}
	return out[0].Value, out
}

// handleToday is the manager's dashboard: the queue now by state and RAG
// (with what is past its deadline), today's decisions, this week's missed
// deadlines and partner agencies' returns still outstanding.
func (h *Handler) handleToday(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if !mayToday(a) {
		h.problemFor(w, r, a, http.StatusForbidden, "You cannot use this page",
			"Today's dashboard is for the hub's managers.")
		return
	}
	now := h.now()
	today := midnight(now)
	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	f := &dashFilter{Action: "/dashboards/today"}
	var p page
	readFilter(&p, f, r.URL.Query(), today, today)
	d := dashData{Heading: "Today and this week", Filter: f,
		Lead: "The queue as it is now, today's decisions and this week's missed deadlines. Figures update when you reload the page."}
	if len(p.Errors) == 0 {
		coh := mash.Cohort(f.Cohort)
		day := mash.MeasureQuery{From: today, To: today.AddDate(0, 0, 1), Cohort: coh}
		week := mash.MeasureQuery{From: monday, To: today.AddDate(0, 0, 1), Cohort: coh}
		month := mash.MeasureQuery{From: today.AddDate(0, 0, -27), To: today.AddDate(0, 0, 1), Cohort: coh}
		var err error
		d.Panels, err = h.panels(r.Context(), a, []want{
			{measure: mash.MeasureQueueByRAG, q: day, kind: chart.Grouped, cols: []string{"open", "overdue"},
				title: "Waiting for screening or a decision, by RAG, and past deadline"},
			{measure: mash.MeasureWorkloadByState, q: day, kind: chart.Bar, cols: []string{"open"}},
			{measure: mash.MeasureDecidedInOneDay, q: day, kind: chart.Grouped, cols: []string{"decided", "in_one_day"},
				title: "Decisions today"},
			{measure: mash.MeasureBreaches, q: week, kind: chart.Grouped, cols: []string{"breaches", "unexplained"},
				title: "Missed deadlines this week"},
			{measure: mash.MeasureAgencyReturns, q: month, kind: chart.Grouped, cols: []string{"requests", "returned", "overdue"},
				table: []string{"requests", "returned", "overdue", "on_time_rate"},
				title: "Partner agencies' returns outstanding (requests of the last 4 weeks)"},
		})
		if err != nil {
			h.failFor(w, r, a, err)
			return
		}
	}
	h.dashPage(w, r, a, "Today and this week", d, p)
}

// trendsQuery is the trends page's query: the filter's range, by default
// the twelve months to today, by month.
func trendsQuery(p *page, f *dashFilter, v url.Values, now time.Time) mash.MeasureQuery {
	this, _ := report.MonthRange(now)
	q := readFilter(p, f, v, this.AddDate(0, -11, 0), now)
	q.Period = mash.PeriodMonth
	return q
}

// trendsPanels are the trends page's measures over q.
func trendsPanels(q mash.MeasureQuery) []want {
	return []want{
		{measure: mash.MeasureContactsByCohort, q: q, kind: chart.Line, pivot: true, title: "Demand: contacts per month"},
		{measure: mash.MeasureFunnel, q: q, kind: chart.Line, cols: []string{"of_received"}, pivot: true,
			title: "Conversion: % of contacts reaching each stage"},
		{measure: mash.MeasureTimelinessByRAG, q: q, kind: chart.Line, cols: []string{"in_time_rate"}, pivot: true,
			title: "Timeliness: % of decisions within the RAG timescale"},
		{measure: mash.MeasureReReferrals, q: q, kind: chart.Line, cols: []string{"re_referral_rate"},
			title: "Re-referrals within 12 months"},
	}
}

// StandingMeasures are the measures the dashboards ask for by default over
// long ranges at now: the trends page for everyone, children and adults.
// The hub's refresh job keeps them worked out (store.DB.Standing), so even
// the day's first look at the trends finds them stored.
func StandingMeasures(now time.Time) []mash.MeasureRequest {
	var out []mash.MeasureRequest
	for _, coh := range dashCohorts {
		var p page
		q := trendsQuery(&p, &dashFilter{Range: true}, url.Values{"cohort": {coh.Value}}, now)
		for _, w := range trendsPanels(q) {
			out = append(out, mash.MeasureRequest{Name: w.measure, Query: w.q})
		}
	}
	return out
}

// handleTrends is the head of service's view: twelve months of demand,
// conversion, timeliness and re-referrals, by month.
func (h *Handler) handleTrends(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if !mayReadMeasures(a) {
		h.refuseMeasures(w, r, a)
		return
	}
	f := &dashFilter{Action: "/dashboards/trends", Range: true}
	var p page
	q := trendsQuery(&p, f, r.URL.Query(), h.now())
	d := dashData{Heading: "Trends", Filter: f,
		Lead: "Demand, conversion, timeliness and re-referrals by month. The last month is to date."}
	if len(p.Errors) == 0 {
		if err := q.Validate(); err != nil {
			p.addError("to", "By month the range must be at most 10 years")
		}
	}
	if len(p.Errors) == 0 {
		var err error
		d.Panels, err = h.panels(r.Context(), a, trendsPanels(q))
		if err != nil {
			h.failFor(w, r, a, err)
			return
		}
	}
	h.dashPage(w, r, a, "Trends", d, p)
}

// handleMeasures lists every measure; with one chosen, it shows it with
// the filters.
func (h *Handler) handleMeasures(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if !mayReadMeasures(a) {
		h.refuseMeasures(w, r, a)
		return
	}
	defs, err := h.hub.ListMeasures(r.Context(), a)
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	d := dashData{Heading: "All measures", Measures: defs, Lead: "Choose a measure, the dates and who it is about."}
	name := r.URL.Query().Get("measure")
	var p page
	f := &dashFilter{Action: "/dashboards/measures", Measure: name, Range: true, ByPeriod: true}
	if name != "" {
		for i := range defs {
			if defs[i].Name == name {
				d.Chosen = &defs[i]
			}
		}
		if d.Chosen == nil {
			p.addError("measure", "Choose a measure from the list")
			f.Measure = ""
		}
	}
	if d.Chosen != nil {
		f.ByPeriod = d.Chosen.ByPeriod
		f.Range = !d.Chosen.Snapshot
	}
	now := h.now()
	this, _ := report.MonthRange(now)
	q := readFilter(&p, f, r.URL.Query(), this.AddDate(0, -11, 0), now)
	d.Filter = f
	if d.Chosen != nil && len(p.Errors) == 0 {
		d.Panels, err = h.panels(r.Context(), a, []want{{measure: name, q: q}})
		if mash.KindOf(err) == mash.KindInvalid {
			var e *mash.Error
			if errors.As(err, &e) {
				for field, msg := range e.Fields {
					p.addError(field, fieldMessage(field, msg))
				}
			}
			err = nil
		}
		if err != nil {
			h.failFor(w, r, a, err)
			return
		}
	}
	order := map[string]int{"measure": 0, "from": 1, "to": 2, "cohort": 3, "period": 4}
	sort.SliceStable(p.Errors, func(i, j int) bool { return order[p.Errors[i].Field] < order[p.Errors[j].Field] })
	title := "All measures"
	if d.Chosen != nil {
		title = d.Chosen.Title
	}
	h.dashPage(w, r, a, title, d, p)
}
