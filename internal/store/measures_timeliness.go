package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"openmash.org/mash"
)

// Timeliness: decisions against the RAG timescales, time to decision,
// breaches, feedback to referrers and partner agencies' returns. All use the
// hub's RAG policy and working calendar as they are now.

const allLevels = "all"

func init() {
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasureTimelinessByRAG, Title: "Decisions within the RAG timescale",
			Definition: "Of the MASH decisions made in the range (by decision time, UK time), the percentage made by the deadline of the contact's " +
				"RAG rating at the time of the decision (the deadline of its last rating or re-rating before the decision). " +
				"A decision exactly at the deadline is in time. By RAG level, and for all levels.",
			Unit: mash.UnitPercent, Dimensions: []string{"rag"},
			Columns: []mash.MeasureColumn{pctCol("in_time_rate", "% in time", "in_time", "decided"),
				countCol("decided", "Decisions"), countCol("in_time", "In time"), countCol("late", "Late")},
			ByPeriod: true},
		run: func(ctx context.Context, db *DB, m *mrun) error {
			return db.runDecisions(ctx, m, func(i int, d decidedContact) {
				m.tab.add(i, 1, 1)
				if !d.decided.After(d.due) {
					m.tab.add(i, 2, 1)
				} else {
					m.tab.add(i, 3, 1)
				}
			}, func(_ []string, s []float64, _ map[string][]float64) []mash.MeasureCell {
				return []mash.MeasureCell{pctCell(s[2], s[1]), mash.Num(s[1]), mash.Num(s[2]), mash.Num(s[3])}
			})
		},
	})
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasureTimeToDecision, Title: "Time to decision",
			Definition: "For the MASH decisions made in the range (by decision time, UK time): the median and 90th percentile time from receipt " +
				"of the contact to the decision, in elapsed clock hours and in working hours of the hub's calendar. Percentiles are nearest-rank: " +
				"the smallest time that at least half (or 90%) of the decisions took no longer than. By RAG level at decision, and for all levels.",
			Unit: mash.UnitHours, Dimensions: []string{"rag"},
			Columns: []mash.MeasureColumn{hoursCol("median_hours", "Median (hours)", mash.UnitHours, "decided"),
				hoursCol("p90_hours", "90th percentile (hours)", mash.UnitHours, "decided"),
				hoursCol("median_working_hours", "Median (working hours)", mash.UnitWorkingHours, "decided"),
				hoursCol("p90_working_hours", "90th percentile (working hours)", mash.UnitWorkingHours, "decided"),
				countCol("decided", "Decisions")},
			ByPeriod: true},
		run: func(ctx context.Context, db *DB, m *mrun) error {
			return db.runDecisions(ctx, m, func(i int, d decidedContact) {
				m.tab.add(i, 4, 1)
				m.tab.sample(i, "h", d.decided.Sub(d.received).Hours())
				m.tab.sample(i, "wh", m.cal.WorkingBetween(d.received, d.decided).Hours())
			}, func(_ []string, s []float64, x map[string][]float64) []mash.MeasureCell {
				return []mash.MeasureCell{pctlCell(x["h"], 50), pctlCell(x["h"], 90), pctlCell(x["wh"], 50), pctlCell(x["wh"], 90), mash.Num(s[4])}
			})
		},
	})
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasureDecidedInOneDay, Title: "Decisions within one working day",
			Definition: "Of the MASH decisions made in the range (by decision time, UK time), the percentage made within one working day of " +
				"receipt of the contact on the hub's working calendar (a working day is the length of the working day, so a contact received " +
				"on Friday at 10:30 is in time if decided by Monday 10:30; exactly at that time is in time). By RAG level at decision, and for all levels.",
			Unit: mash.UnitPercent, Dimensions: []string{"rag"},
			Columns: []mash.MeasureColumn{pctCol("in_one_day_rate", "% within 1 working day", "in_one_day", "decided"),
				countCol("decided", "Decisions"), countCol("in_one_day", "Within 1 working day")},
			ByPeriod: true},
		run: func(ctx context.Context, db *DB, m *mrun) error {
			return db.runDecisions(ctx, m, func(i int, d decidedContact) {
				m.tab.add(i, 1, 1)
				if !d.decided.After(m.cal.AddWorkingDays(d.received, 1)) {
					m.tab.add(i, 2, 1)
				}
			}, func(_ []string, s []float64, _ map[string][]float64) []mash.MeasureCell {
				return []mash.MeasureCell{pctCell(s[2], s[1]), mash.Num(s[1]), mash.Num(s[2])}
			})
		},
	})
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasureBreaches, Title: "Missed deadlines",
			Definition: "The contacts whose RAG deadline (or, before rating, the screening target of one working day) passed before they were " +
				"decided or closed, counted when the deadline passed (UK time); how many a manager has given a reason for and how many are " +
				"still unexplained. The reasons themselves are free text and are read in the list of breaches, not counted here. " +
				"By the RAG level missed (\"unrated\" for the screening target).",
			Unit: mash.UnitCount, Dimensions: []string{"rag"},
			Columns: []mash.MeasureColumn{countCol("breaches", "Missed deadlines"), countCol("explained", "Reason given"),
				countCol("unexplained", "No reason yet"), pctCol("explained_rate", "% with a reason", "explained", "breaches")},
			ByPeriod: true},
		run: runBreaches,
	})
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasureFeedbackTimeliness, Title: "Feedback to referrers within one working day",
			Definition: "For the MASH decisions made in the range (by decision time, UK time): the feedback owed to the referrer, due one working day " +
				"after the decision; how much was sent in time (at or before the due time), sent late, is unsent and overdue, or is unsent and not yet due; " +
				"and the percentage sent in time of all feedback that is sent or overdue.",
			Unit: mash.UnitPercent, Dimensions: []string{},
			Columns: []mash.MeasureColumn{pctCol("in_time_rate", "% sent within 1 working day", "in_time", "due"),
				countCol("owed", "Feedback owed"), countCol("due", "Sent or overdue"), countCol("in_time", "Sent in time"),
				countCol("late", "Sent late"), countCol("overdue", "Unsent, overdue"), countCol("not_yet_due", "Unsent, not yet due")},
			ByPeriod: true},
		run: runFeedback,
	})
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasureAgencyReturns, Title: "Partner agencies' returns",
			Definition: "For the information requests made in the range (by request time, UK time), per agency asked: how many were returned, " +
				"the percentage returned by the due time of all requests returned or overdue, the median lateness of late returns in elapsed hours, " +
				"and the shares of returns that said nothing is held or declined to share.",
			Unit: mash.UnitPercent, Dimensions: []string{"agency"},
			Columns: []mash.MeasureColumn{pctCol("on_time_rate", "% returned on time", "on_time", "due"),
				countCol("requests", "Requests"), countCol("returned", "Returned"), countCol("due", "Returned or overdue"),
				countCol("on_time", "Returned on time"), countCol("late", "Returned late"), countCol("overdue", "Open, overdue"),
				hoursCol("median_lateness_hours", "Median lateness of late returns (hours)", mash.UnitHours, "late"),
				countCol("nothing_held", "Nothing held"), countCol("declined", "Declined"),
				pctCol("nothing_held_share", "% of returns: nothing held", "nothing_held", "returned"),
				pctCol("declined_share", "% of returns: declined", "declined", "returned")},
			ByPeriod: true},
		run: runAgencyReturns,
	})
}

type decidedContact struct {
	received, decided, due time.Time
	rag                    string
}

// runDecisions reads the decisions made in the range with the receipt time
// and the RAG rating in force at the decision, and gives each to add twice:
// under its level and under "all".
func (db *DB) runDecisions(ctx context.Context, m *mrun, add func(row int, d decidedContact),
	finish func([]string, []float64, map[string][]float64) []mash.MeasureCell) error {
	where, args := m.rangeWhere("d.decided_at", "c.cohort")
	// The rating in force is read from the covering index
	// rag_changes_rating (contact, at, id, rag, due) rather than by finding
	// its id and then fetching the row. SQLite reads rating and deadline in
	// one lookup, as "rag|due", and hands times over as text, which
	// parseUTCText reads faster than the driver.
	const inForce = `FROM rag_changes r2 WHERE r2.contact_id = d.contact_id AND r2.at <= d.decided_at ORDER BY r2.at DESC, r2.id DESC LIMIT 1`
	cols := `c.received_at, d.decided_at, COALESCE((SELECT r2.to_rag ` + inForce + `), ''), (SELECT r2.due_at ` + inForce + `)`
	if db.dialect == SQLite {
		cols = db.timeText("c.received_at") + ", " + db.timeText("d.decided_at") + `, '', (SELECT r2.to_rag || '|' || r2.due_at ` + inForce + `)`
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+cols+`
		FROM decisions d JOIN contacts c ON c.id = d.contact_id
		WHERE `+where, args...)
	if err != nil {
		return dbErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var d decidedContact
		var received, decided, due nullTimeScan
		var rating sql.NullString
		last := any(&due)
		if db.dialect == SQLite {
			last = &rating
		}
		if err := rows.Scan(&received, &decided, &d.rag, last); err != nil {
			return dbErr(err)
		}
		d.received, d.decided = received.Time, decided.Time
		if rating.Valid {
			cut := strings.LastIndexByte(rating.String, '|')
			if cut < 0 {
				return fmt.Errorf("measure: unexpected rating %q", rating.String)
			}
			r, t := rating.String[:cut], rating.String[cut+1:]
			d.rag = r
			if err := due.Scan(t); err != nil {
				return err
			}
		}
		if !due.Valid { // decided without a rating: cannot happen through Screen; count against the decision itself
			d.due, d.rag = d.decided, "unrated"
		} else {
			d.due = due.Time
		}
		add(m.tab.row(m.labels(d.decided, d.rag)...), d)
		add(m.tab.row(m.labels(d.decided, allLevels)...), d)
	}
	if err := rows.Err(); err != nil {
		return dbErr(err)
	}
	m.ragRows()
	m.tab.finish = finish
	return nil
}

// ragRows puts a row for every level of the policy, and "all", in order.
func (m *mrun) ragRows() {
	var order []string
	legend := map[string]string{allLevels: "All levels", "unrated": "Not rated"}
	for _, l := range m.policy.Levels {
		order = append(order, l.Code)
		legend[l.Code] = l.Label
	}
	order = append(order, "unrated", allLevels)
	m.tab.order[m.dim(0)] = order
	m.legend["rag"] = legend
	var defaults [][]string
	for _, l := range m.policy.Levels {
		defaults = append(defaults, []string{l.Code})
	}
	defaults = append(defaults, []string{allLevels})
	if m.q.Period == mash.PeriodNone {
		for _, d := range defaults {
			m.tab.row(d...)
		}
	}
	m.fillPeriods(defaults...)
}

func runBreaches(ctx context.Context, db *DB, m *mrun) error {
	where, args := m.rangeWhere("b.breached_at", "c.cohort")
	rows, err := db.r.QueryContext(ctx, fmt.Sprintf(`SELECT %s, b.rag, COUNT(*), SUM(CASE WHEN b.reason <> '' THEN 1 ELSE 0 END)
		FROM contact_breaches b%s WHERE %s GROUP BY 1, 2`, m.periodSQL(db, "b.breached_at"), m.cohortJoin("b.contact_id"), where), args...)
	if err != nil {
		return dbErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var hour, rag string
		var n, explained float64
		if err := rows.Scan(&hour, &rag, &n, &explained); err != nil {
			return dbErr(err)
		}
		at, err := parseHourKey(hour)
		if err != nil {
			return err
		}
		if rag == "" {
			rag = "unrated"
		}
		for _, r := range []string{rag, allLevels} {
			i := m.tab.row(m.labels(at, r)...)
			m.tab.add(i, 0, n)
			m.tab.add(i, 1, explained)
		}
	}
	if err := rows.Err(); err != nil {
		return dbErr(err)
	}
	m.ragRows()
	m.tab.finish = func(_ []string, s []float64, _ map[string][]float64) []mash.MeasureCell {
		return []mash.MeasureCell{mash.Num(s[0]), mash.Num(s[1]), mash.Num(s[0] - s[1]), pctCell(s[1], s[0])}
	}
	return nil
}

func runFeedback(ctx context.Context, db *DB, m *mrun) error {
	where, args := m.rangeWhere("d.decided_at", "c.cohort")
	rows, err := db.r.QueryContext(ctx, `SELECT `+db.timeText("d.decided_at")+`, `+db.timeText("f.due_at")+`, `+db.timeText("f.sent_at")+`
		FROM decisions d JOIN feedback f ON f.contact_id = d.contact_id`+m.cohortJoin("d.contact_id")+` WHERE `+where, args...)
	if err != nil {
		return dbErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var decidedAt, dueAt, sent nullTimeScan
		if err := rows.Scan(&decidedAt, &dueAt, &sent); err != nil {
			return dbErr(err)
		}
		decided, due := decidedAt.Time, dueAt.Time
		i := m.tab.row(m.labels(decided)...)
		m.tab.add(i, 1, 1)
		switch {
		case sent.Valid && !sent.Time.After(due):
			m.tab.add(i, 3, 1)
		case sent.Valid:
			m.tab.add(i, 4, 1)
		case m.now.After(due):
			m.tab.add(i, 5, 1)
		default:
			m.tab.add(i, 6, 1)
		}
	}
	if err := rows.Err(); err != nil {
		return dbErr(err)
	}
	if m.q.Period == mash.PeriodNone {
		m.tab.row()
	}
	m.fillPeriods([]string{})
	m.tab.finish = func(_ []string, s []float64, _ map[string][]float64) []mash.MeasureCell {
		due := s[3] + s[4] + s[5]
		return []mash.MeasureCell{pctCell(s[3], due), mash.Num(s[1]), mash.Num(due), mash.Num(s[3]), mash.Num(s[4]), mash.Num(s[5]), mash.Num(s[6])}
	}
	return nil
}

func runAgencyReturns(ctx context.Context, db *DB, m *mrun) error {
	names, _, err := db.agencyNames(ctx)
	if err != nil {
		return err
	}
	where, args := m.rangeWhere("r.requested_at", "c.cohort")
	rows, err := db.r.QueryContext(ctx, `SELECT `+m.periodSQL(db, "r.requested_at")+`, r.agency_id, `+db.timeText("r.due_at")+`, COALESCE(ar.outcome, ''), `+db.timeText("ar.returned_at")+`
		FROM info_requests r LEFT JOIN agency_returns ar ON ar.request_id = r.id`+m.cohortJoin("r.contact_id")+`
		WHERE `+where, args...)
	if err != nil {
		return dbErr(err)
	}
	defer rows.Close()
	// Requests are tallied by hour and agency here, keys read as raw
	// bytes, and put in the table per group: a year is tens of thousands
	// of requests and a few hundred groups.
	type tally struct {
		hour, agency string
		sums         [10]float64
		late         []float64
	}
	index := map[string]int{}
	var tallies []*tally
	var key []byte
	for rows.Next() {
		var hour, agency, outcome sql.RawBytes
		var dueAt, returned nullTimeScan
		if err := rows.Scan(&hour, &agency, &dueAt, &outcome, &returned); err != nil {
			return dbErr(err)
		}
		key = append(append(append(key[:0], hour...), 0), agency...)
		i, ok := index[string(key)]
		if !ok {
			i = len(tallies)
			index[string(key)] = i
			tallies = append(tallies, &tally{hour: string(hour), agency: string(agency)})
		}
		t, due := tallies[i], dueAt.Time
		t.sums[1]++
		switch {
		case returned.Valid && !returned.Time.After(due):
			t.sums[2]++
			t.sums[4]++
		case returned.Valid:
			t.sums[2]++
			t.sums[5]++
			t.late = append(t.late, returned.Time.Sub(due).Hours())
		case m.now.After(due):
			t.sums[6]++
		}
		switch mash.ReturnOutcome(outcome) {
		case mash.ReturnNothingHeld:
			t.sums[8]++
		case mash.ReturnDeclined:
			t.sums[9]++
		}
	}
	if err := rows.Err(); err != nil {
		return dbErr(err)
	}
	for _, t := range tallies {
		name, ok := names[t.agency]
		if !ok {
			name = "(unknown)"
		}
		period := ""
		if m.q.Period != mash.PeriodNone {
			if period, err = m.hourLabel([]byte(t.hour)); err != nil {
				return err
			}
		}
		i := m.tab.row(m.periodLabels(period, name)...)
		for c, v := range t.sums {
			if v != 0 {
				m.tab.add(i, c, v)
			}
		}
		for _, h := range t.late {
			m.tab.sample(i, "late", h)
		}
	}
	m.fillPeriods()
	m.tab.finish = func(_ []string, s []float64, x map[string][]float64) []mash.MeasureCell {
		due := s[2] + s[6]
		return []mash.MeasureCell{pctCell(s[4], due), mash.Num(s[1]), mash.Num(s[2]), mash.Num(due), mash.Num(s[4]), mash.Num(s[5]),
			mash.Num(s[6]), pctlCell(x["late"], 50), mash.Num(s[8]), mash.Num(s[9]), pctCell(s[8], s[2]), pctCell(s[9], s[2])}
	}
	return nil
}

// nullTimeScan scans a nullable timestamp on both engines (SQLite hands
// back text for NULL-able expressions in some drivers' paths).
type nullTimeScan struct {
	Time  time.Time
	Valid bool
}

func (n *nullTimeScan) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		n.Valid = false
		return nil
	case time.Time:
		n.Time, n.Valid = x.UTC(), true
		return nil
	case string:
		return n.parse(x)
	case []byte:
		return n.parse(string(x))
	}
	return fmt.Errorf("measure: cannot scan %T as a time", v)
}

func (n *nullTimeScan) parse(s string) error {
	if t, ok := parseUTCText(s); ok {
		n.Time, n.Valid = t, true
		return nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999 -0700 MST", "2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			n.Time, n.Valid = t.UTC(), true
			return nil
		}
	}
	return fmt.Errorf("measure: cannot read time %q", s)
}

// parseUTCText reads the text SQLite keeps a UTC time as, "2006-01-02
// 15:04:05.999999999 +0000 UTC", without time.Parse's general machinery (a
// measure reads tens of thousands); anything else is not ok.
func parseUTCText(s string) (time.Time, bool) {
	const suffix = " +0000 UTC"
	if len(s) < 19+len(suffix) || s[len(s)-len(suffix):] != suffix || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(from, to int) (int, bool) {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	var v [6]int
	for i, f := range [6][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}} {
		x, ok := num(f[0], f[1])
		if !ok {
			return time.Time{}, false
		}
		v[i] = x
	}
	ns := 0
	if frac := s[19 : len(s)-len(suffix)]; frac != "" {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		x, ok := num(20, 19+len(frac))
		if !ok {
			return time.Time{}, false
		}
		for range 10 - len(frac) {
			x *= 10
		}
		ns = x
	}
	if v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 59 {
		return time.Time{}, false
	}
	t := time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], ns, time.UTC)
	if t.Day() != v[2] { // 31 February and the like
		return time.Time{}, false
	}
	return t, true
}

// timeText selects a time column as SQLite's text for nullTimeScan, which
// reads it faster than the driver's general parsing; PostgreSQL's come as
// times.
func (db *DB) timeText(col string) string {
	if db.dialect == SQLite {
		return col + " || ''"
	}
	return col
}
