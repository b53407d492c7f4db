// Package report turns measure results into what people read: a chart and
// a table for any result (used by the dashboards too), and the printable
// monthly performance report as a PDF, drawn with fpdf from the same chart
// layout the pages draw as SVG. Anything this package writes to a file
// leaves the hub, so the report suppresses small numbers itself.
package report

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/chart"
)

// Names turns a code of a dimension into words for readers ("ppn" →
// "Police notification"); dim "dimension" asks for a dimension's own name,
// and "column" for a column's. The web's labels are one; PlainNames is the
// fallback.
type Names func(dim, code string) string

// PlainNames capitalises codes and turns underscores into spaces.
func PlainNames(dim, code string) string {
	if code == "" {
		return "Not recorded"
	}
	s := strings.ReplaceAll(code, "_", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

var london = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC
	}
	return l
}()

// maxSeries caps the lines of a chart; a table beside it has them all.
const maxSeries = 6

// Table is a result as rows of text for a reader: labels, then values,
// formatted (thousands separators, "%", "[c]" where suppressed).
type Table struct {
	Head    []string
	Numeric []bool // whether each column holds numbers (right-aligned)
	Rows    [][]string
}

// TableOf formats a result: every column, or only cols if given.
func TableOf(r *mash.MeasureResult, names Names, cols ...string) Table {
	if names == nil {
		names = PlainNames
	}
	var t Table
	for _, d := range r.Dimensions {
		t.Head = append(t.Head, names("dimension", d))
		t.Numeric = append(t.Numeric, false)
	}
	var show []int
	for j, c := range r.Columns {
		if len(cols) == 0 || slices.Contains(cols, c.Name) {
			show = append(show, j)
			t.Head = append(t.Head, c.Title)
			t.Numeric = append(t.Numeric, true)
		}
	}
	for _, row := range r.Rows {
		var cells []string
		for i, l := range row.Labels {
			cells = append(cells, labelOf(r, i, l, names))
		}
		for _, j := range show {
			c := mash.MeasureCell{}
			if j < len(row.Values) {
				c = row.Values[j]
			}
			cells = append(cells, Cell(c, r.Columns[j].Unit))
		}
		t.Rows = append(t.Rows, cells)
	}
	return t
}

// Cell formats a value for a reader: "[c]" when suppressed, "–" when there
// is none, else the number with separators and its unit.
func Cell(c mash.MeasureCell, unit string) string {
	switch {
	case c.Suppressed:
		return mash.SuppressedMarker
	case c.Value == nil:
		return "–"
	}
	f := formatFor(unit)
	return f.Format(*c.Value)
}

// formatFor is how a unit's values are written.
func formatFor(unit string) chart.Chart {
	switch unit {
	case mash.UnitPercent:
		return chart.Chart{Decimals: 1, Suffix: "%"}
	case mash.UnitHours, mash.UnitWorkingHours:
		return chart.Chart{Decimals: 1, Suffix: " h"}
	}
	return chart.Chart{}
}

// labelOf is row label l of dimension i in words: a period's first day as
// the period, a code by names.
func labelOf(r *mash.MeasureResult, i int, l string, names Names) string {
	if i < len(r.Dimensions) && r.Dimensions[i] == "period" {
		return PeriodLabel(r.Period, l)
	}
	dim := ""
	if i < len(r.Dimensions) {
		dim = r.Dimensions[i]
	}
	if t, ok := r.Legend[dim][l]; ok {
		return t // the hub's own name for a code, e.g. a referral source
	}
	return names(dim, l)
}

// PeriodLabel names a bucket by its label (its first day, or its month):
// "Oct 2026", "w/c 5 Oct 2026", "5 Oct 2026".
func PeriodLabel(p mash.MeasurePeriod, first string) string {
	t, ok := periodStart(first)
	if !ok {
		return first
	}
	switch p {
	case mash.PeriodMonth:
		return t.Format("Jan 2006")
	case mash.PeriodWeek:
		return "w/c " + t.Format("2 Jan 2006")
	}
	return t.Format("2 Jan 2006")
}

// periodStart reads a period's label: its first day, "2026-10-05", or a
// month, "2026-10".
func periodStart(s string) (time.Time, bool) {
	for _, layout := range []string{time.DateOnly, "2006-01"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// shortPeriod is a period label short enough for an axis.
func shortPeriod(p mash.MeasurePeriod, first string) string {
	t, ok := periodStart(first)
	if !ok {
		return first
	}
	if p == mash.PeriodMonth {
		return t.Format("Jan 2006")
	}
	return t.Format("2 Jan")
}

// ChartOf draws a result, choosing the chart from its shape unless kind
// is given: over periods a line per category (or per headline column);
// across categories bars (horizontal when there are many or their names are
// long; grouped when there are several headline columns); a result with no
// dimension, its headline columns as horizontal bars. The headline columns
// are cols if given (in one unit), else those in the unit of the first.
func ChartOf(r *mash.MeasureResult, kind chart.Kind, names Names, cols ...string) chart.Chart {
	if names == nil {
		names = PlainNames
	}
	unit := r.Unit
	if len(r.Columns) > 0 {
		unit = r.Columns[0].Unit
	}
	if len(cols) > 0 {
		if j := r.Column(cols[0]); j >= 0 {
			unit = r.Columns[j].Unit
		}
	}
	c := formatFor(unit)
	c.Title, c.Kind = r.Title, kind
	if unit == mash.UnitPercent {
		c.Max = 100
	}
	c.Missing = "no data"
	if r.Suppressed {
		c.Missing = mash.SuppressedMarker
	}
	var head []int // the headline columns
	for j, col := range r.Columns {
		if col.Unit == unit && len(head) < maxSeries && (len(cols) == 0 || slices.Contains(cols, col.Name)) {
			head = append(head, j)
		}
	}
	first := 0 // the column a line per category shows
	if len(head) > 0 {
		first = head[0]
	}
	val := func(row mash.MeasureRow, j int) float64 {
		if j >= len(row.Values) {
			return math.NaN()
		}
		if v, ok := row.Values[j].Float(); ok {
			return v
		}
		return math.NaN()
	}
	byPeriod := len(r.Dimensions) > 0 && r.Dimensions[0] == "period"
	switch {
	case byPeriod && len(r.Dimensions) >= 2:
		// One line per category, the first column over the periods; the
		// categories with the most in all, if there are many.
		periods, idx := []string{}, map[string]int{}
		cats, total := []string{}, map[string]float64{}
		for _, row := range r.Rows {
			p := row.Labels[0]
			if _, ok := idx[p]; !ok {
				idx[p] = len(periods)
				periods = append(periods, p)
			}
			k := strings.Join(row.Labels[1:], " / ")
			if _, ok := total[k]; !ok {
				cats = append(cats, k)
			}
			if v := val(row, first); !math.IsNaN(v) {
				total[k] += v
			} else {
				total[k] += 0
			}
		}
		if len(cats) > maxSeries {
			sortByTotal(cats, total)
			cats = cats[:maxSeries]
		}
		for _, p := range periods {
			c.Labels = append(c.Labels, shortPeriod(r.Period, p))
		}
		for _, k := range cats {
			s := chart.Series{Name: labelOf(r, 1, k, names), Values: nanSlice(len(periods))}
			for _, row := range r.Rows {
				if strings.Join(row.Labels[1:], " / ") == k {
					s.Values[idx[row.Labels[0]]] = val(row, first)
				}
			}
			c.Series = append(c.Series, s)
		}
		if c.Kind == "" {
			c.Kind = chart.Line
		}
	case byPeriod:
		for _, row := range r.Rows {
			c.Labels = append(c.Labels, shortPeriod(r.Period, row.Labels[0]))
		}
		for _, j := range head {
			s := chart.Series{Name: r.Columns[j].Title}
			for _, row := range r.Rows {
				s.Values = append(s.Values, val(row, j))
			}
			c.Series = append(c.Series, s)
		}
		if c.Kind == "" {
			c.Kind = chart.Line
		}
	case len(r.Dimensions) > 0:
		long := len(r.Rows) > 6
		for _, row := range r.Rows {
			var parts []string
			for i, l := range row.Labels {
				parts = append(parts, labelOf(r, i, l, names))
			}
			l := strings.Join(parts, " / ")
			long = long || chart.TextWidth(l, 13) > 90
			c.Labels = append(c.Labels, l)
		}
		for _, j := range head {
			s := chart.Series{Name: r.Columns[j].Title}
			for _, row := range r.Rows {
				s.Values = append(s.Values, val(row, j))
			}
			c.Series = append(c.Series, s)
		}
		if c.Kind == "" {
			switch {
			case len(c.Series) > 1:
				c.Kind = chart.Grouped
			case long:
				c.Kind = chart.HBar
			default:
				c.Kind = chart.Bar
			}
		}
	default:
		s := chart.Series{Name: r.Title}
		for _, j := range head {
			c.Labels = append(c.Labels, r.Columns[j].Title)
			v := math.NaN()
			if len(r.Rows) > 0 {
				v = val(r.Rows[0], j)
			}
			s.Values = append(s.Values, v)
		}
		c.Series = []chart.Series{s}
		if c.Kind == "" {
			c.Kind = chart.HBar
		}
	}
	if (c.Kind == chart.HBar || c.Kind == chart.Funnel || c.Kind == chart.Bar) && len(c.Series) > 1 {
		c.Series = c.Series[:1]
	}
	return c
}

func nanSlice(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
}

func sortByTotal(cats []string, total map[string]float64) {
	// Insertion sort: a few dozen categories at most; ties keep their order.
	for i := 1; i < len(cats); i++ {
		for j := i; j > 0 && total[cats[j]] > total[cats[j-1]]; j-- {
			cats[j], cats[j-1] = cats[j-1], cats[j]
		}
	}
}

// ChartTable is a chart's own data as a table: a row per category, a
// column per series, each value as the chart labels it ("–" where there
// is none, "[c]" where it is suppressed). first heads the categories.
func ChartTable(c chart.Chart, first string) Table {
	t := Table{Head: []string{first}, Numeric: []bool{false}}
	for _, s := range c.Series {
		t.Head = append(t.Head, s.Name)
		t.Numeric = append(t.Numeric, true)
	}
	for i, l := range c.Labels {
		row := []string{l}
		for _, s := range c.Series {
			v := math.NaN()
			if i < len(s.Values) {
				v = s.Values[i]
			}
			if math.IsNaN(v) && c.Missing != mash.SuppressedMarker {
				row = append(row, "–")
				continue
			}
			row = append(row, c.Format(v))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// MonthRange is the month containing t in the hub's time zone: its first
// instant and the next month's.
func MonthRange(t time.Time) (from, to time.Time) {
	t = t.In(london)
	from = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, london)
	return from, from.AddDate(0, 1, 0)
}

// ParseMonth reads "2026-10".
func ParseMonth(s string) (time.Time, bool) {
	if len(s) != 7 || s[4] != '-' {
		return time.Time{}, false
	}
	y, err1 := strconv.Atoi(s[:4])
	m, err2 := strconv.Atoi(s[5:])
	if err1 != nil || err2 != nil || m < 1 || m > 12 || y < 2000 || y > 2100 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(m), 1, 0, 0, 0, 0, london), true
}
