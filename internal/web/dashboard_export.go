package web

import (
	"bytes"
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/report"
)

// handleMeasureFile serves /dashboards/measures/{name}.csv: the table of a
// measure for the query's range, cohort and period, with small numbers
// suppressed because the file leaves the hub. /dashboards/measures/{name}
// without the extension goes to the measure's page.
func (h *Handler) handleMeasureFile(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if !mayReadMeasures(a) {
		h.refuseMeasures(w, r, a)
		return
	}
	name, isCSV := strings.CutSuffix(r.PathValue("name"), ".csv")
	if !isCSV {
		q := r.URL.Query()
		q.Set("measure", name)
		http.Redirect(w, r, "/dashboards/measures?"+q.Encode(), http.StatusSeeOther)
		return
	}
	var p page
	f := &dashFilter{Range: true, ByPeriod: true}
	now := h.now()
	this, _ := report.MonthRange(now)
	q := readFilter(&p, f, r.URL.Query(), this.AddDate(0, -11, 0), now)
	if len(p.Errors) > 0 {
		// A download has no page to show the form on: say what is wrong
		// and link back to the measure's page with the same filter.
		msgs := make([]string, len(p.Errors))
		for i, e := range p.Errors {
			msgs[i] = e.Msg
		}
		h.problemFor(w, r, a, http.StatusBadRequest, "There is a problem with the download", strings.Join(msgs, ". ")+".")
		return
	}
	res, err := h.hub.Measure(r.Context(), a, name, q)
	if err != nil {
		var e *mash.Error
		if mash.KindOf(err) == mash.KindInvalid && errors.As(err, &e) {
			var msgs []string
			for field, msg := range e.Fields {
				msgs = append(msgs, fieldMessage(field, msg))
			}
			h.problemFor(w, r, a, http.StatusBadRequest, "There is a problem with the download", strings.Join(msgs, ". ")+".")
			return
		}
		h.failFor(w, r, a, err)
		return
	}
	body := measureCSV(mash.Suppress(res))
	hd := w.Header()
	hd.Set("Content-Type", "text/csv; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Disposition", `attachment; filename="`+res.Name+"_"+dayOf(q.From)+"_"+dayOf(q.To.Add(-time.Nanosecond))+`.csv"`)
	w.Write(body)
}

// measureCSV writes a result as CSV: a column per dimension (with the
// code's name beside it where the hub names codes) and per value, headed by
// their stable names; values as numbers, "[c]" where suppressed, empty
// where there is none.
func measureCSV(r *mash.MeasureResult) []byte {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	var head []string
	named := make([]bool, len(r.Dimensions))
	for i, d := range r.Dimensions {
		head = append(head, d)
		if len(r.Legend[d]) > 0 {
			named[i] = true
			head = append(head, d+"_name")
		}
	}
	for _, c := range r.Columns {
		head = append(head, c.Name)
	}
	cw.Write(head)
	for _, row := range r.Rows {
		var rec []string
		for i, l := range row.Labels {
			rec = append(rec, cell(l))
			if i < len(named) && named[i] {
				rec = append(rec, cell(r.LabelTitle(i, l)))
			}
		}
		for _, v := range row.Values {
			rec = append(rec, v.String())
		}
		cw.Write(rec)
	}
	cw.Flush()
	return b.Bytes()
}

// cell keeps a text from being read as a formula by a spreadsheet: one
// starting with = + - @ or a control character gets a leading apostrophe.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return "'" + s
		}
	}
	return s
}

// handleMonthlyPDF serves /reports/monthly.pdf?month=2026-10: the monthly
// performance report, suppressed. A bad month shows the dashboards page
// with the problem at the month field.
func (h *Handler) handleMonthlyPDF(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if !mayReadMeasures(a) {
		h.refuseMeasures(w, r, a)
		return
	}
	q := r.URL.Query()
	month, ok := report.ParseMonth(q.Get("month"))
	cohort := mash.Cohort(q.Get("cohort"))
	var p page
	if !ok {
		p.addError("month", "Choose the month of the report")
	}
	if cohort != "" && cohort != mash.CohortChild && cohort != mash.CohortAdult {
		p.addError("report-cohort", "Choose children, adults or both")
	}
	if len(p.Errors) > 0 {
		d := dashData{Heading: "Dashboards", Lead: "The hub's figures: every chart has its data table beside it and a CSV download."}
		if mayToday(a) {
			d.Links = append(d.Links, navItem{Href: "/dashboards/today", Label: "Today and this week"})
		}
		d.Links = append(d.Links, navItem{Href: "/dashboards/trends", Label: "Trends over 12 months"},
			navItem{Href: "/dashboards/measures", Label: "All measures"})
		_, d.Months = monthChoices(h.now())
		d.Cohorts = dashCohorts
		d.Month = q.Get("month")
		h.dashPage(w, r, a, "Dashboards", d, p)
		return
	}
	hub := "OpenMASH"
	if ag, err := h.hub.FindAgency(r.Context(), a.AgencyID); err == nil {
		hub = ag.Name
	}
	rep, err := report.Build(r.Context(), h.hub, a, hub, month, cohort, h.now())
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	var b bytes.Buffer
	if err := rep.WritePDF(&b, report.Options{Names: measureNames}); err != nil {
		h.failFor(w, r, a, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/pdf")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Disposition", `attachment; filename="mash-monthly-report-`+month.Format("2006-01")+`.pdf"`)
	w.Write(b.Bytes())
}
