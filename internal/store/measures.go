package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"openmash.org/mash"
)

// A measure is defined once, here: its description and how it is computed.
// The registry below is the only list of measures; the API, the dashboards,
// the exports and the tests read it.
type measure struct {
	def mash.MeasureDef
	// run computes the rows. Queries go to the read pool: a measure reads
	// many rows and must not hold up SQLite's single writer.
	run func(ctx context.Context, db *DB, m *mrun) error
}

// mrun is one computation of a measure: the query, the clock and calendar,
// and the table being filled.
type mrun struct {
	q      mash.MeasureQuery
	now    time.Time
	policy mash.RAGPolicy
	cal    *mash.Calendar
	loc    *time.Location
	tab    *table
	legend map[string]map[string]string
	// buckets caches period labels by local date (see bucket),
	// hourLabels by hour key (see hourLabel).
	buckets    map[int64]string
	hourLabels map[string]string
}

var measures []measure

func register(m measure) { measures = append(measures, m) }

func findMeasure(name string) (*measure, bool) {
	for i := range measures {
		if measures[i].def.Name == name {
			return &measures[i], true
		}
	}
	return nil, false
}

// ListMeasures returns every measure's definition, in display order.
func (db *DB) ListMeasures(ctx context.Context, by mash.Actor) (out []mash.MeasureDef, err error) {
	defer mash.Wrap(&err, "store.ListMeasures")
	if err := may(by, mash.ActionMeasureRead); err != nil {
		return nil, err
	}
	out = make([]mash.MeasureDef, len(measures))
	for i, m := range measures {
		out[i] = cloneDef(m.def)
	}
	return out, nil
}

func cloneDef(d mash.MeasureDef) mash.MeasureDef {
	d.Dimensions = slices.Clone(d.Dimensions)
	d.Columns = slices.Clone(d.Columns)
	return d
}

// Measure computes one measure, or over a long range serves its stored
// result while fresh (see mash.MeasureMaxAge), and audits the read (entity
// "measure", the name as id). The rows are computed from the read pool
// first; the audit event (with the result kept, when it is stored) is then
// written in its own transaction, and the result is returned only if that
// commits. Results hold counts and times, never a person's or a contact's
// identity.
func (db *DB) Measure(ctx context.Context, by mash.Actor, name string, q mash.MeasureQuery) (res *mash.MeasureResult, err error) {
	defer mash.Wrap(&err, "store.Measure")
	if err := may(by, mash.ActionMeasureRead); err != nil {
		return nil, err
	}
	m, ok := findMeasure(name)
	if !ok {
		return nil, mash.Errorf(mash.KindNotFound, "there is no measure called %q: GET /api/v1/measures lists them", name)
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	q = m.normalise(q)
	now := db.Now().UTC()
	// A long range is served from the stored results while they are fresh
	// (measure_results.go).
	sq, stored := storedFor(m, q, now)
	stored = stored && !db.MeasuresLive
	var touch bool
	if stored {
		if res, touch, err = db.storedMeasure(ctx, sq, now); err != nil {
			return nil, err
		}
	}
	computed := res == nil
	if computed {
		if res, err = db.computeMeasure(ctx, m, q, now); err != nil {
			return nil, err
		}
	}
	if err := db.tx(ctx, func(tx *sql.Tx) error {
		switch {
		case stored && computed:
			if err := keepMeasure(ctx, tx, sq, res, now); err != nil {
				return err
			}
		case touch:
			if _, err := tx.ExecContext(ctx, `UPDATE measure_results SET read_at = $2 WHERE key = $1`, sq.key(), now); err != nil {
				return dbErr(err)
			}
		}
		return db.audit(ctx, tx, by, "measure.read", "measure", name, measureAuditReason(q))
	}); err != nil {
		return nil, err
	}
	return res, nil
}

// normalise puts q in the form the measure is worked out and stored by:
// UTC times, and no period for a measure without one.
func (m *measure) normalise(q mash.MeasureQuery) mash.MeasureQuery {
	q.From, q.To = q.From.UTC(), q.To.UTC()
	if !m.def.ByPeriod {
		q.Period = mash.PeriodNone
	}
	return q
}

// computeMeasure works out m's rows for q at now.
func (db *DB) computeMeasure(ctx context.Context, m *measure, q mash.MeasureQuery, now time.Time) (*mash.MeasureResult, error) {
	policy, err := db.Policy(ctx)
	if err != nil {
		return nil, err
	}
	cal := policy.Calendar
	if cal == nil {
		cal = mash.DefaultCalendar()
	}
	loc := cal.Location
	if loc == nil {
		loc, _ = time.LoadLocation("Europe/London")
	}
	run := &mrun{q: q, now: now, policy: policy, cal: cal, loc: loc, legend: map[string]map[string]string{}}
	dims := m.def.Dimensions
	if q.Period != mash.PeriodNone {
		dims = append([]string{"period"}, dims...)
	}
	run.tab = newTable(len(dims), len(m.def.Columns))
	if err := m.run(ctx, db, run); err != nil {
		return nil, err
	}
	res := &mash.MeasureResult{
		Name: m.def.Name, Title: m.def.Title, Definition: m.def.Definition, Unit: m.def.Unit,
		From: q.From, To: q.To, Cohort: q.Cohort, Period: q.Period, AsAt: run.now,
		Dimensions: dims, Columns: slices.Clone(m.def.Columns), Rows: run.tab.rows(),
	}
	if len(run.legend) > 0 {
		res.Legend = run.legend
	}
	return res, nil
}

// measureAuditReason records the query, which holds no personal data.
func measureAuditReason(q mash.MeasureQuery) string {
	r := fmt.Sprintf("from %s to %s", q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	if q.Cohort != "" {
		r += " cohort " + string(q.Cohort)
	}
	if q.Period != "" {
		r += " by " + string(q.Period)
	}
	return r
}

// defaultSource is the referral source of a contact whose intake gave none
// (see mash.DefaultReferralSource): it reads the kind of the recording user's
// agency.
func (db *DB) defaultSource(ctx context.Context, by mash.Actor, c *mash.Contact) (string, error) {
	var kind string
	err := db.r.QueryRowContext(ctx, `SELECT kind FROM agencies WHERE id = $1`, by.AgencyID).Scan(&kind)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", dbErr(err)
	}
	return mash.DefaultReferralSource(mash.AgencyKind(kind), c), nil
}

// table accumulates a result: rows keyed by their labels, each with sums
// (counts, totals) and samples (for medians and percentiles).
type table struct {
	dims, cols int
	index      map[string]int
	labels     [][]string
	sums       [][]float64
	samples    []map[string][]float64
	// finish turns a row's sums and samples into its cells; nil means the
	// sums are the cells.
	finish func(labels []string, sums []float64, samples map[string][]float64) []mash.MeasureCell
	// order ranks the labels of a dimension (codes in list order); labels
	// without a rank sort after, alphabetically.
	order map[int][]string
}

func newTable(dims, cols int) *table {
	return &table{dims: dims, cols: cols, index: map[string]int{}, order: map[int][]string{}}
}

// row returns the index of the row with labels, adding it if new.
func (t *table) row(labels ...string) int {
	k := strings.Join(labels, "\x00")
	if i, ok := t.index[k]; ok {
		return i
	}
	t.index[k] = len(t.labels)
	t.labels = append(t.labels, labels)
	t.sums = append(t.sums, make([]float64, t.cols))
	t.samples = append(t.samples, nil)
	return len(t.labels) - 1
}

func (t *table) add(i, col int, v float64) { t.sums[i][col] += v }

func (t *table) sample(i int, series string, v float64) {
	if t.samples[i] == nil {
		t.samples[i] = map[string][]float64{}
	}
	t.samples[i][series] = append(t.samples[i][series], v)
}

func (t *table) rows() []mash.MeasureRow {
	idx := make([]int, len(t.labels))
	for i := range idx {
		idx[i] = i
	}
	// Ranks are looked up in maps built once: a year by day of concern
	// codes is tens of thousands of rows sorted against hundreds of labels.
	ranks := map[int]map[string]int{}
	for d, order := range t.order {
		r := make(map[string]int, len(order))
		for i, l := range order {
			if _, dup := r[l]; !dup {
				r[l] = i
			}
		}
		ranks[d] = r
	}
	rank := func(d int, label string) int {
		if i, ok := ranks[d][label]; ok {
			return i
		}
		return math.MaxInt
	}
	sort.SliceStable(idx, func(a, b int) bool {
		la, lb := t.labels[idx[a]], t.labels[idx[b]]
		for d := range la {
			ra, rb := rank(d, la[d]), rank(d, lb[d])
			if ra != rb {
				return ra < rb
			}
			if la[d] != lb[d] {
				return la[d] < lb[d]
			}
		}
		return false
	})
	out := make([]mash.MeasureRow, 0, len(idx))
	for _, i := range idx {
		var cells []mash.MeasureCell
		if t.finish != nil {
			cells = t.finish(t.labels[i], t.sums[i], t.samples[i])
		} else {
			cells = make([]mash.MeasureCell, t.cols)
			for c, v := range t.sums[i] {
				cells[c] = mash.Num(v)
			}
		}
		out = append(out, mash.MeasureRow{Labels: t.labels[i], Values: cells})
	}
	return out
}

// labels prefixes a row's labels with its period bucket when the query asks
// for one.
func (m *mrun) labels(at time.Time, rest ...string) []string {
	if m.q.Period == mash.PeriodNone {
		return rest
	}
	return append([]string{m.bucket(at)}, rest...)
}

// bucket labels the period that holds t, in the hub's time zone: a day's
// date, the Monday of an ISO week, or a month "2006-01".
//
// Labels are cached by local date, so rows are not each formatted.
func (m *mrun) bucket(t time.Time) string {
	l := t.In(m.loc)
	y, mo, d := l.Date()
	day := int64(y)*10000 + int64(mo)*100 + int64(d)
	if b, ok := m.buckets[day]; ok {
		return b
	}
	if m.buckets == nil {
		m.buckets = map[int64]string{}
	}
	b := m.formatBucket(l)
	m.buckets[day] = b
	return b
}

func (m *mrun) formatBucket(l time.Time) string {
	switch m.q.Period {
	case mash.PeriodWeek:
		wd := (int(l.Weekday()) + 6) % 7 // Monday 0
		return l.AddDate(0, 0, -wd).Format(time.DateOnly)
	case mash.PeriodMonth:
		return l.Format("2006-01")
	}
	return l.Format(time.DateOnly)
}

// fillPeriods adds a zero row for every period of the range that has none,
// for each combination of the other labels seen (or, if none was seen, for
// the given defaults), so a chart shows quiet days as zero rather than
// skipping them.
func (m *mrun) fillPeriods(defaults ...[]string) {
	if m.q.Period == mash.PeriodNone {
		return
	}
	var periods []string
	f := m.q.From.In(m.loc)
	for d := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, m.loc); d.Before(m.q.To); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, m.loc) {
		if b := m.bucket(d); len(periods) == 0 || periods[len(periods)-1] != b {
			periods = append(periods, b)
		}
	}
	rests := map[string][]string{}
	for _, l := range m.tab.labels {
		rests[strings.Join(l[1:], "\x00")] = l[1:]
	}
	if len(rests) == 0 {
		for _, d := range defaults {
			rests[strings.Join(d, "\x00")] = d
		}
	}
	for _, p := range periods {
		for _, r := range rests {
			m.tab.row(append([]string{p}, r...)...)
		}
	}
	m.tab.order[0] = periods
}

// hourKey is SQL for the UTC hour of a timestamp column, "2006-01-02 15":
// counts are keyed by hour in SQL and the hours put into local days, weeks
// and months in Go (London's offset is a whole number of hours).
func (db *DB) hourKey(col string) string {
	if db.dialect == Postgres {
		return fmt.Sprintf("to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')", col)
	}
	// SQLite keeps times as text, "2006-01-02 15:04:05.999999999 +0000 UTC".
	return fmt.Sprintf("substr(%s, 1, 13)", col)
}

func parseHourKey(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02 15", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("measure: unexpected hour key %q: %w", s, err)
	}
	return t, nil
}

// periodSQL is the hour key of col when the query has a period, else a
// constant, so one GROUP BY serves both.
func (m *mrun) periodSQL(db *DB, col string) string {
	if m.q.Period == mash.PeriodNone {
		return "''"
	}
	return db.hourKey(col)
}

// rangeArgs returns the WHERE condition on a time column and a cohort
// column, and the arguments, numbered from $1.
func (m *mrun) rangeWhere(timeCol, cohortCol string) (string, []any) {
	w := fmt.Sprintf("%s >= $1 AND %s < $2", timeCol, timeCol)
	args := []any{m.q.From, m.q.To}
	if m.q.Cohort != "" {
		w += fmt.Sprintf(" AND %s = $3", cohortCol)
		args = append(args, string(m.q.Cohort))
	}
	return w, args
}

// cohortJoin joins the contact (as c) only when the query names a cohort:
// the measures that need nothing else from it skip the lookup.
func (m *mrun) cohortJoin(contactID string) string {
	if m.q.Cohort == "" {
		return ""
	}
	return " JOIN contacts c ON c.id = " + contactID
}

// percentile is the nearest-rank percentile of xs (sorted in place): the
// smallest value with at least p percent of the values at or below it.
func percentile(xs []float64, p float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	sort.Float64s(xs)
	k := int(math.Ceil(p / 100 * float64(len(xs))))
	k = min(max(k, 1), len(xs))
	return xs[k-1], true
}

func pctCell(num, den float64) mash.MeasureCell {
	if den == 0 {
		return mash.MeasureCell{}
	}
	return mash.Num(100 * num / den)
}

func pctlCell(xs []float64, p float64) mash.MeasureCell {
	if v, ok := percentile(xs, p); ok {
		return mash.Num(v)
	}
	return mash.MeasureCell{}
}

// agencyNames maps agency ids to names, and user ids to their agency's name.
func (db *DB) agencyNames(ctx context.Context) (byAgency, byUser map[string]string, err error) {
	byAgency, byUser = map[string]string{}, map[string]string{}
	rows, err := db.r.QueryContext(ctx, `SELECT u.id, a.id, a.name FROM agencies a LEFT JOIN users u ON u.agency_id = a.id`)
	if err != nil {
		return nil, nil, dbErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var uid sql.NullString
		var aid, name string
		if err := rows.Scan(&uid, &aid, &name); err != nil {
			return nil, nil, dbErr(err)
		}
		byAgency[aid] = name
		if uid.Valid {
			byUser[uid.String] = name
		}
	}
	return byAgency, byUser, dbErr(rows.Err())
}

func codeLegend(l mash.CodeList) (order []string, legend map[string]string) {
	legend = map[string]string{}
	for _, c := range l.Codes {
		order = append(order, c.Code)
		legend[c.Code] = c.Label
	}
	return order, legend
}

// Column helpers keep the registry short.
func countCol(name, title string, base ...string) mash.MeasureColumn {
	return mash.MeasureColumn{Name: name, Title: title, Unit: mash.UnitCount, Base: base}
}

func pctCol(name, title string, base ...string) mash.MeasureColumn {
	return mash.MeasureColumn{Name: name, Title: title, Unit: mash.UnitPercent, Base: base}
}

func hoursCol(name, title, unit string, base ...string) mash.MeasureColumn {
	return mash.MeasureColumn{Name: name, Title: title, Unit: unit, Base: base}
}

// sumRows runs SELECT keys..., sums... FROM fromWhere and hands each
// distinct combination of keys, with the sums of the sum expressions over
// its rows, to fn. Each sum expression is per row (1 to count, CASE … THEN
// 1 ELSE 0 END to count some). When the query has a period, the first key
// is an hour key (periodSQL) and fn gets the period's label in its place.
// PostgreSQL groups in SQL; SQLite does not: its rows come in index order
// and summing them here, by period rather than by hour, saves the sort of
// every row that its GROUP BY does.
func (db *DB) sumRows(ctx context.Context, m *mrun, keys, sums []string, fromWhere string, args []any, fn func(keys []string, sums []int64) error) error {
	cols := slices.Clone(keys)
	for _, s := range sums {
		if db.dialect == Postgres {
			s = "SUM(" + s + ")"
		}
		cols = append(cols, s)
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM " + fromWhere
	if db.dialect == Postgres {
		var by []string
		for i := range keys {
			by = append(by, fmt.Sprint(i+1))
		}
		q += " GROUP BY " + strings.Join(by, ", ")
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return dbErr(err)
	}
	defer rows.Close()
	// Keys are scanned as raw bytes and copied only for a new group: most
	// rows add to a group already seen.
	k := make([]sql.RawBytes, len(keys))
	v := make([]int64, len(sums))
	dest := make([]any, 0, len(cols))
	for i := range k {
		dest = append(dest, &k[i])
	}
	for i := range v {
		dest = append(dest, &v[i])
	}
	index := map[string]int{}
	var groups [][]string
	var totals [][]int64
	var key []byte
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return dbErr(err)
		}
		key = key[:0]
		for j, x := range k {
			if j == 0 && m.q.Period != mash.PeriodNone {
				l, err := m.hourLabel(x)
				if err != nil {
					return err
				}
				key = append(key, l...)
			} else {
				key = append(key, x...)
			}
			key = append(key, 0)
		}
		i, ok := index[string(key)]
		if !ok {
			i = len(groups)
			index[string(key)] = i
			g := make([]string, len(k))
			for j, x := range k {
				g[j] = string(x)
			}
			if m.q.Period != mash.PeriodNone {
				g[0], _ = m.hourLabel(k[0])
			}
			groups = append(groups, g)
			totals = append(totals, make([]int64, len(sums)))
		}
		for j, x := range v {
			totals[i][j] += x
		}
	}
	if err := rows.Err(); err != nil {
		return dbErr(err)
	}
	rows.Close()
	for i, g := range groups {
		if err := fn(g, totals[i]); err != nil {
			return err
		}
	}
	return nil
}

// hourLabel is the period label of an hour key, cached by key.
func (m *mrun) hourLabel(hour []byte) (string, error) {
	if l, ok := m.hourLabels[string(hour)]; ok {
		return l, nil
	}
	at, err := parseHourKey(string(hour))
	if err != nil {
		return "", err
	}
	if m.hourLabels == nil {
		m.hourLabels = map[string]string{}
	}
	l := m.bucket(at)
	m.hourLabels[string(hour)] = l
	return l, nil
}

// periodLabels prefixes a row's labels with the period label p (from
// sumRows) when the query has a period.
func (m *mrun) periodLabels(p string, rest ...string) []string {
	if m.q.Period == mash.PeriodNone {
		return rest
	}
	return append([]string{p}, rest...)
}
