package store

import (
	"context"
	"fmt"

	"openmash.org/mash"
)

// Follow-up: the pattern alerts the hub raised and whether screeners
// acknowledged them, and professional disagreements by escalation stage.

func init() {
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasurePatternAlerts, Title: "Pattern alerts raised and acknowledged",
			Definition: "The cumulative-concern alerts raised in the range (by the time raised, UK time), per pattern rule, and how many of " +
				"them a screener or manager has acknowledged so far. An alert's cohort is that of the contacts that made its pattern.",
			Unit: mash.UnitCount, Dimensions: []string{"rule"},
			Columns: []mash.MeasureColumn{countCol("raised", "Raised"), countCol("acknowledged", "Acknowledged"),
				countCol("open", "Not yet acknowledged"), pctCol("acknowledged_rate", "% acknowledged", "acknowledged", "raised")},
			ByPeriod: true},
		run: runPatternAlerts,
	})
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasureDisagreements, Title: "Professional disagreements by stage",
			Definition: "The professional disagreements raised in the range (by the time raised, UK time): per escalation stage, how many " +
				"reached it, how many were resolved there (agreed, decision changed or withdrawn) and how many are still open there; " +
				"\"all\" counts each disagreement once.",
			Unit: mash.UnitCount, Dimensions: []string{"stage"},
			Columns: []mash.MeasureColumn{countCol("reached", "Reached the stage"), countCol("resolved", "Resolved at the stage"),
				countCol("open", "Open at the stage"), pctCol("resolved_rate", "% resolved at the stage", "resolved", "reached")},
			ByPeriod: true},
		run: runDisagreements,
	})
}

func runPatternAlerts(ctx context.Context, db *DB, m *mrun) error {
	where, args := m.rangeWhere("a.raised_at", "c.cohort")
	join := m.cohortJoin("(SELECT MIN(pc.contact_id) FROM pattern_alert_contacts pc WHERE pc.alert_id = a.id)")
	q := fmt.Sprintf(`SELECT %s, a.rule_id, COUNT(*), SUM(CASE WHEN a.acknowledged_at IS NOT NULL THEN 1 ELSE 0 END)
		FROM pattern_alerts a%s WHERE %s GROUP BY 1, 2`, m.periodSQL(db, "a.raised_at"), join, where)
	return m.countRows(ctx, db, q, args, func(v []float64) []float64 { return v }, func(s []float64) []mash.MeasureCell {
		return []mash.MeasureCell{mash.Num(s[0]), mash.Num(s[1]), mash.Num(s[0] - s[1]), pctCell(s[1], s[0])}
	})
}

func runDisagreements(ctx context.Context, db *DB, m *mrun) error {
	where, args := m.rangeWhere("d.raised_at", "c.cohort")
	q := fmt.Sprintf(`SELECT %s, s.stage, COUNT(*),
		SUM(CASE WHEN d.status = 'resolved' AND d.stage = s.stage THEN 1 ELSE 0 END),
		SUM(CASE WHEN d.status = 'open' AND d.stage = s.stage THEN 1 ELSE 0 END)
		FROM disagreement_steps s JOIN disagreements d ON d.id = s.disagreement_id%s WHERE %s GROUP BY 1, 2`,
		m.periodSQL(db, "d.raised_at"), m.cohortJoin("d.contact_id"), where)
	// A disagreement is resolved or open at exactly one stage: counted
	// once in "all", where it reached its first stage.
	once := func(v []float64) []float64 { return []float64{v[1] + v[2], v[1], v[2]} }
	return m.countRows(ctx, db, q, args, once, func(s []float64) []mash.MeasureCell {
		return []mash.MeasureCell{mash.Num(s[0]), mash.Num(s[1]), mash.Num(s[2]), pctCell(s[1], s[0])}
	})
}

// countRows fills the table from q's rows of (hour key, dimension,
// counts…): each row's counts under its dimension, and what toAll makes of
// them under "all"; cells finishes every table row from its sums.
func (m *mrun) countRows(ctx context.Context, db *DB, q string, args []any, toAll func([]float64) []float64,
	cells func(sums []float64) []mash.MeasureCell) error {
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return dbErr(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return dbErr(err)
	}
	n := len(cols) - 2
	for rows.Next() {
		var hour, dim string
		vals := make([]float64, n)
		dest := []any{&hour, &dim}
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return dbErr(err)
		}
		at, err := parseHourKey(hour)
		if err != nil {
			return err
		}
		i := m.tab.row(m.labels(at, dim)...)
		for c, v := range vals {
			m.tab.add(i, c, v)
		}
		all := m.tab.row(m.labels(at, allLevels)...)
		for c, v := range toAll(vals) {
			m.tab.add(all, c, v)
		}
	}
	if err := rows.Err(); err != nil {
		return dbErr(err)
	}
	if m.q.Period == mash.PeriodNone {
		m.tab.row(allLevels)
	}
	m.fillPeriods([]string{allLevels})
	m.tab.finish = func(_ []string, s []float64, _ map[string][]float64) []mash.MeasureCell { return cells(s) }
	return nil
}
