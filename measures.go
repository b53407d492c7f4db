package mash

import (
	"context"
	"encoding/csv"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Measures are the hub's figures: demand, conversion, timeliness, agency
// returns, re-referrals and workload. Each is defined once (in the store) with
// a plain-English definition; the dashboards, the API, the exports and the
// tests all read the same result.
//
// Results are aggregates only: never a name, a reference or an id of a person
// or contact. Every read is audited (entity "measure", id = the name).
type Measures interface {
	// ListMeasures returns the definitions of every measure, in display order.
	ListMeasures(ctx context.Context, by Actor) ([]MeasureDef, error)
	// Measure computes one measure. An unknown name is NotFound; a bad query
	// is Invalid with per-field problems.
	Measure(ctx context.Context, by Actor, name string, q MeasureQuery) (*MeasureResult, error)
}

// The measures, by name. The names are stable: they appear in URLs.
const (
	MeasureContactsBySource   = "contacts_by_source"  // contacts per referral source (CIN census code)
	MeasureContactsByChannel  = "contacts_by_channel" // contacts per channel
	MeasureContactsByCohort   = "contacts_by_cohort"  // contacts per cohort
	MeasureContactsByConcern  = "contacts_by_concern" // contacts per concern code
	MeasureContactsByAgency   = "contacts_by_agency"  // contacts per referring agency
	MeasureScreeningOutcomes  = "screening_outcomes"  // what screening decided
	MeasureFunnel             = "funnel"              // contact → screened → MASH → decided → referral
	MeasureNFARateBySource    = "nfa_rate_by_source"  // no further action, per source
	MeasureTimelinessByRAG    = "timeliness_by_rag"   // % decided within the RAG timescale
	MeasureTimeToDecision     = "time_to_decision"    // median and 90th percentile hours to decision
	MeasureDecidedInOneDay    = "decided_in_one_day"  // decisions within 1 working day of receipt
	MeasureBreaches           = "breaches"            // missed deadlines with their reasons
	MeasureAgencyReturns      = "agency_returns"      // returns on time, lateness, nothing held, declined
	MeasureFeedbackTimeliness = "feedback_timeliness" // feedback sent within 1 working day of decision
	MeasureReReferrals        = "re_referrals"        // DfE: referral within 12 months of a previous one
	MeasureRepeatContacts     = "repeat_contacts"     // contact within 12 months of a previous contact
	MeasureWorkloadByState    = "workload_by_state"   // open contacts per state, oldest age
	MeasureWorkloadByWorker   = "workload_by_worker"  // open contacts per assigned worker
	MeasureQueueByRAG         = "queue_by_rag"        // open contacts per RAG, overdue
	MeasurePatternAlerts      = "pattern_alerts"      // cumulative-concern alerts raised and acknowledged, per rule
	MeasureDisagreements      = "disagreements"       // professional disagreements reaching and resolved at each stage
)

// Units of a measure's values.
const (
	UnitCount        = "count"
	UnitPercent      = "percent"       // 0–100
	UnitHours        = "hours"         // elapsed clock hours
	UnitWorkingHours = "working_hours" // hours of the hub's working calendar
)

// MeasurePeriod is the width of the time buckets of a measure by period.
type MeasurePeriod string

// The periods. Buckets are calendar days, ISO weeks (Monday to Sunday, labelled
// by the Monday's date) and calendar months, in the hub's time zone
// (Europe/London).
const (
	PeriodNone  MeasurePeriod = "" // no time buckets: one total for the range
	PeriodDay   MeasurePeriod = "day"
	PeriodWeek  MeasurePeriod = "week"
	PeriodMonth MeasurePeriod = "month"
)

// MeasurePeriods lists the periods a query may ask for.
var MeasurePeriods = []MeasurePeriod{PeriodDay, PeriodWeek, PeriodMonth}

// MaxMeasureRange is the longest range a query may cover; MaxMeasureDays is
// the longest when bucketed by day (a daily chart of more is unreadable).
const (
	MaxMeasureRange = 10*366*24*time.Hour + 24*time.Hour
	MaxMeasureDays  = 367 * 24 * time.Hour
)

// MeasureDef describes a measure.
type MeasureDef struct {
	Name       string `json:"name"`
	Title      string `json:"title"`
	Definition string `json:"definition"` // plain English: what is counted, from when, to when
	Unit       string `json:"unit"`       // the unit of the headline value (the first value column)
	// Dimensions are the names of the label columns, e.g. ["source"]; a query
	// with a period adds "period" in front for measures that are ByPeriod.
	Dimensions []string        `json:"dimensions"`
	Columns    []MeasureColumn `json:"columns"`   // the value columns
	ByPeriod   bool            `json:"by_period"` // honours MeasureQuery.Period
	Snapshot   bool            `json:"snapshot"`  // as at now: ignores From and To
}

// MeasureColumn is one value column of a result.
type MeasureColumn struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	Unit  string `json:"unit"`
	// Base names the count columns this value is derived from (a rate's
	// numerator and denominator, a median's population): when any of them is
	// suppressed, so is this value.
	Base []string `json:"base,omitempty"`
}

// MeasureQuery selects what a measure covers: receipts (or decisions, per
// the definition) from From (inclusive) to To (exclusive), one cohort or
// both (empty), in buckets of Period (empty: totals only).
type MeasureQuery struct {
	From   time.Time     `json:"from"`
	To     time.Time     `json:"to"`
	Cohort Cohort        `json:"cohort,omitempty"`
	Period MeasurePeriod `json:"period,omitempty"`
}

// Validate checks a query: both ends given, from before to, the range at most
// MaxMeasureRange (MaxMeasureDays by day), a known cohort and period.
func (q MeasureQuery) Validate() error {
	fe := FieldErrors{}
	if q.From.IsZero() {
		fe.Add("from", "is required")
	}
	if q.To.IsZero() {
		fe.Add("to", "is required")
	}
	if !q.From.IsZero() && !q.To.IsZero() {
		switch {
		case q.To.Before(q.From):
			fe.Add("to", "must not be before from")
		case q.To.Sub(q.From) > MaxMeasureRange:
			fe.Add("to", "the range must be at most 10 years")
		case q.Period == PeriodDay && q.To.Sub(q.From) > MaxMeasureDays:
			fe.Add("period", "by day the range must be at most a year: use week or month")
		}
	}
	if q.Cohort != "" && !oneOf(q.Cohort, Cohorts) {
		fe.Add("cohort", "must be child or adult (or empty for both)")
	}
	if q.Period != PeriodNone && !oneOf(q.Period, MeasurePeriods) {
		fe.Add("period", "must be day, week or month (or empty for totals)")
	}
	return fe.Err("the measure query is not valid")
}

// MeasureResult is a computed measure: a table with one label per dimension
// and one cell per value column in every row, so that a table and a chart can
// be drawn from any result without knowing which measure it is.
type MeasureResult struct {
	Name       string          `json:"name"`
	Title      string          `json:"title"`
	Definition string          `json:"definition"`
	Unit       string          `json:"unit"`
	From       time.Time       `json:"from"`
	To         time.Time       `json:"to"`
	Cohort     Cohort          `json:"cohort,omitempty"`
	Period     MeasurePeriod   `json:"period,omitempty"`
	AsAt       time.Time       `json:"as_at"` // when it was computed
	Dimensions []string        `json:"dimensions"`
	Columns    []MeasureColumn `json:"columns"`
	Rows       []MeasureRow    `json:"rows"`
	// Legend gives the readable name of coded labels, by dimension then
	// code: "source" → "2A" → "Schools". Labels without an entry are shown
	// as they are.
	Legend     map[string]map[string]string `json:"legend,omitempty"`
	Suppressed bool                         `json:"suppressed"` // small numbers have been hidden (see Suppress)
	// Stored: worked out earlier, at AsAt, and kept (see MeasureMaxAge).
	Stored bool `json:"stored,omitempty"`
}

// MeasureRequest is one measure over one query, as a page asks for it.
type MeasureRequest struct {
	Name  string
	Query MeasureQuery
}

// Measures over a range longer than MeasureLiveRange are pre-aggregated:
// the hub keeps each result it works out and serves it again until it is
// MeasureMaxAge old, and a background job works out again, every half of
// that, the results read in the last three days. So a head of service's year of
// trends over twenty years of contacts opens at once, with figures at most
// MeasureMaxAge old (the result's AsAt says when). Shorter ranges (today,
// this week, the last four weeks) are worked out on every read.
const (
	MeasureLiveRange = 35 * 24 * time.Hour
	MeasureMaxAge    = 10 * time.Minute
)

// LabelTitle returns the readable name of a row's label in dimension dim.
func (r *MeasureResult) LabelTitle(dim int, label string) string {
	if dim < len(r.Dimensions) {
		if t, ok := r.Legend[r.Dimensions[dim]][label]; ok {
			return t
		}
	}
	return label
}

// MeasureRow is one row of a result. Labels are in the order of Dimensions
// (codes, not names: a source code, a state, an agency's name, a period's
// first day); Values are in the order of Columns.
type MeasureRow struct {
	Labels []string      `json:"labels"`
	Values []MeasureCell `json:"values"`
}

// MeasureCell is one value. Value is nil when there is nothing to compute
// (a rate of nothing, a median of no cases) or when it is suppressed.
type MeasureCell struct {
	Value      *float64 `json:"value"`
	Suppressed bool     `json:"suppressed,omitempty"`
}

// SuppressedMarker is shown in place of a suppressed value, as in the
// Government Statistical Service's convention.
const SuppressedMarker = "[c]"

// Num returns a cell holding v.
func Num(v float64) MeasureCell { return MeasureCell{Value: &v} }

// Float returns the cell's value and whether it has one.
func (c MeasureCell) Float() (float64, bool) {
	if c.Value == nil || c.Suppressed {
		return 0, false
	}
	return *c.Value, true
}

// String formats the cell for a table or a CSV file: the marker when
// suppressed, empty when there is no value, otherwise the number with at most
// one decimal place.
func (c MeasureCell) String() string {
	switch {
	case c.Suppressed:
		return SuppressedMarker
	case c.Value == nil:
		return ""
	}
	return strconv.FormatFloat(math.Round(*c.Value*10)/10, 'f', -1, 64)
}

// Column returns the index of the value column named name, or -1.
func (r *MeasureResult) Column(name string) int {
	for i, c := range r.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Suppress returns a copy of the result with every count from 1 to 4 replaced
// by the suppressed marker, and with every value derived from a suppressed
// count (see MeasureColumn.Base) suppressed too. Use it for anything that
// leaves the hub: CSV downloads, exports, published reports. Zero is not
// suppressed. Secondary suppression (see suppressComplements) hides a
// second count wherever one alone could be worked out from a total.
func Suppress(r *MeasureResult) *MeasureResult {
	out := *r
	out.Suppressed = true
	out.Rows = make([]MeasureRow, len(r.Rows))
	for i, row := range r.Rows {
		cells := make([]MeasureCell, len(row.Values))
		copy(cells, row.Values)
		for j, col := range r.Columns {
			if j >= len(cells) || col.Unit != UnitCount {
				continue
			}
			if v, ok := cells[j].Float(); ok && v >= 1 && v <= 4 {
				cells[j] = MeasureCell{Suppressed: true}
			}
		}
		out.Rows[i] = MeasureRow{Labels: append([]string(nil), row.Labels...), Values: cells}
	}
	suppressComplements(&out)
	for _, row := range out.Rows {
		hidden := map[string]bool{}
		for j, col := range r.Columns {
			if j < len(row.Values) && col.Unit == UnitCount && row.Values[j].Suppressed {
				hidden[col.Name] = true
			}
		}
		for j, col := range r.Columns {
			if j >= len(row.Values) {
				continue
			}
			for _, b := range col.Base {
				if hidden[b] {
					row.Values[j] = MeasureCell{Suppressed: true}
				}
			}
		}
	}
	return &out
}

// suppressComplements is secondary suppression, as statistical releases do
// it. Rows that differ only in their last dimension (the sources of one
// period's contacts, or the periods of a range) add up to a total that can
// be found elsewhere, such as the period's contacts or the same measure
// without periods; so where exactly one count of a column in such a group
// is suppressed, the smallest other non-zero count in the group is too,
// and no subtraction gives either back. Zeros are left: hiding a zero
// hides nothing. It over-protects where rows do not add up (a contact with
// two concern codes counts under each), which is the safe side.
func suppressComplements(r *MeasureResult) {
	groups := map[string][]int{}
	for i, row := range r.Rows {
		if len(row.Labels) == 0 {
			continue
		}
		k := strings.Join(row.Labels[:len(row.Labels)-1], "\x00")
		groups[k] = append(groups[k], i)
	}
	for j, col := range r.Columns {
		if col.Unit != UnitCount {
			continue
		}
		for _, rows := range groups {
			hidden, pick, least := 0, -1, 0.0
			for _, i := range rows {
				if j >= len(r.Rows[i].Values) {
					continue
				}
				c := r.Rows[i].Values[j]
				if c.Suppressed {
					hidden++
					continue
				}
				if v, ok := c.Float(); ok && v > 0 && (pick < 0 || v < least) {
					pick, least = i, v
				}
			}
			if hidden == 1 && pick >= 0 {
				r.Rows[pick].Values[j] = MeasureCell{Suppressed: true}
			}
		}
	}
}

// WriteCSV writes the result as CSV: a header of the dimension names and the
// column titles, then one line per row. Cells are as String formats them.
// A label that a spreadsheet would read as a formula is prefixed with a
// quote. Suppress the result first if the file leaves the hub.
func (r *MeasureResult) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := slices.Clone(r.Dimensions)
	for _, c := range r.Columns {
		head = append(head, c.Title)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, row := range r.Rows {
		line := make([]string, 0, len(row.Labels)+len(row.Values))
		for _, l := range row.Labels {
			if l != "" && strings.ContainsRune("=+-@\t\r", rune(l[0])) {
				l = "'" + l
			}
			line = append(line, l)
		}
		for _, c := range row.Values {
			line = append(line, c.String())
		}
		if err := cw.Write(line); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ParseMeasureQuery reads a query from the values of a URL or form: from and
// to as dates (YYYY-MM-DD, UK days; to is inclusive) or RFC 3339 times (to
// exclusive), cohort and period. Without from and to it covers the 28 days
// to the end of today (UK time, at now). Problems are reported by field and
// the result is validated.
func ParseMeasureQuery(get func(string) string, now time.Time) (MeasureQuery, error) {
	fe := FieldErrors{}
	q := MeasureQuery{Cohort: Cohort(get("cohort")), Period: MeasurePeriod(get("period"))}
	parse := func(field string, endOfDay bool) time.Time {
		v := strings.TrimSpace(get(field))
		if v == "" {
			return time.Time{}
		}
		if d, err := time.ParseInLocation(time.DateOnly, v, londonLocation); err == nil {
			if endOfDay {
				d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, londonLocation)
			}
			return d.UTC()
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t.UTC()
		}
		fe.Add(field, "must be a date (YYYY-MM-DD) or an RFC 3339 time")
		return time.Time{}
	}
	q.From, q.To = parse("from", false), parse("to", true)
	if len(fe) > 0 {
		return q, fe.Err("the measure query is not valid")
	}
	if get("from") == "" && get("to") == "" {
		l := now.In(londonLocation)
		q.To = time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, londonLocation).UTC()
		q.From = time.Date(l.Year(), l.Month(), l.Day()-27, 0, 0, 0, 0, londonLocation).UTC()
	}
	return q, q.Validate()
}
