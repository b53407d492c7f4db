package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"openmash.org/mash"
)

// Re-referrals and repeat contacts are counted per person, using identity
// resolution: the person record each contact's main subject is linked to
// (contact_subjects.person_id), following merges to the surviving record. Two
// children with the same name are different people unless the hub linked or
// merged them.

func init() {
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasureReReferrals, Title: "Re-referrals within 12 months",
			Definition: "Of the referrals in the range (by receipt of the contact, UK time), the number and percentage that were re-referrals: " +
				"a referral of a child (or adult) who had a previous referral within 12 months before it (DfE Children in Need definition). " +
				"A referral is a contact decided with a referral to statutory social care (an outcome of " + referralNote() + "), " +
				"counted once for each main subject of the contact. Within 12 months means the previous referral was received on or after " +
				"the same calendar date one year earlier (UK dates). People are matched by the hub's person records, following merges, not by name.",
			Unit: mash.UnitPercent, Dimensions: []string{},
			Columns: []mash.MeasureColumn{pctCol("re_referral_rate", "% re-referrals", "re_referrals", "referrals"),
				countCol("referrals", "Referrals"), countCol("re_referrals", "Re-referrals within 12 months")},
			ByPeriod: true},
		run: func(ctx context.Context, db *DB, m *mrun) error {
			return db.runRepeats(ctx, m, `JOIN decisions d ON d.contact_id = c.id AND `+referralSQL())
		},
	})
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasureRepeatContacts, Title: "Repeat contacts within 12 months",
			Definition: "Of the contacts in the range (by receipt, UK time), counted once for each main subject, the number and percentage " +
				"about a person who was the main subject of another contact received within 12 months before (on or after the same calendar " +
				"date one year earlier, UK dates). People are matched by the hub's person records, following merges, not by name.",
			Unit: mash.UnitPercent, Dimensions: []string{},
			Columns: []mash.MeasureColumn{pctCol("repeat_rate", "% repeat contacts", "repeats", "contacts"),
				countCol("contacts", "Contacts (per main subject)"), countCol("repeats", "Repeat contacts within 12 months")},
			ByPeriod: true},
		run: func(ctx context.Context, db *DB, m *mrun) error { return db.runRepeats(ctx, m, "") },
	})
}

// runRepeats reads each main subject's contacts (joined through join, to
// keep only referrals) from a year before the range to its end, and counts
// those in the range that had an earlier one within 12 months.
func (db *DB) runRepeats(ctx context.Context, m *mrun, join string) error {
	merged, err := db.mergedPersons(ctx)
	if err != nil {
		return err
	}
	look := m.q.From.AddDate(-1, 0, -2) // a little more than a year: dates are compared in UK time below
	args := []any{look, m.q.To}
	cohort := ""
	if m.q.Cohort != "" {
		cohort = " AND c.cohort = $3"
		args = append(args, string(m.q.Cohort))
	}
	rows, err := db.r.QueryContext(ctx, fmt.Sprintf(`SELECT cs.person_id, %s FROM contacts c
		JOIN contact_subjects cs ON cs.contact_id = c.id AND cs.role = 'subject' %s
		WHERE c.received_at >= $1 AND c.received_at < $2%s`, db.timeText("c.received_at"), join, cohort), args...)
	if err != nil {
		return dbErr(err)
	}
	defer rows.Close()
	// Person ids are read as raw bytes and copied only for a person not
	// seen before; a person's times are kept behind a pointer so adding
	// one does not store the key again.
	byPerson := make(map[string]*[]time.Time, 1<<14) // a large hub sees tens of thousands a year: spare the early growth
	for rows.Next() {
		var raw sql.RawBytes
		var at nullTimeScan
		if err := rows.Scan(&raw, &at); err != nil {
			return dbErr(err)
		}
		ts, ok := byPerson[string(raw)]
		if _, isMerged := merged[string(raw)]; isMerged {
			person := resolvePerson(merged, string(raw))
			ts, ok = byPerson[person]
			if !ok {
				ts = new([]time.Time)
				byPerson[person] = ts
			}
		} else if !ok {
			ts = new([]time.Time)
			byPerson[string(raw)] = ts
		}
		*ts = append(*ts, at.Time)
	}
	if err := rows.Err(); err != nil {
		return dbErr(err)
	}
	for _, p := range byPerson {
		ts := *p
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
		for i, t := range ts {
			if t.Before(m.q.From) || !t.Before(m.q.To) {
				continue
			}
			row := m.tab.row(m.labels(t)...)
			m.tab.add(row, 1, 1)
			if i > 0 && m.withinYear(ts[i-1], t) {
				m.tab.add(row, 2, 1)
			}
		}
	}
	if m.q.Period == mash.PeriodNone {
		m.tab.row()
	}
	m.fillPeriods([]string{})
	m.tab.finish = func(_ []string, s []float64, _ map[string][]float64) []mash.MeasureCell {
		return []mash.MeasureCell{pctCell(s[2], s[1]), mash.Num(s[1]), mash.Num(s[2])}
	}
	return nil
}

// withinYear reports whether prev (not after t) fell on or after the same UK
// calendar date one year before t. 29 February looks back to 1 March.
func (m *mrun) withinYear(prev, t time.Time) bool {
	l := t.In(m.loc)
	start := time.Date(l.Year()-1, l.Month(), l.Day(), 0, 0, 0, 0, m.loc)
	return !prev.Before(start)
}

// mergedPersons maps each merged person record to the one it was merged into.
func (db *DB) mergedPersons(ctx context.Context) (map[string]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, merged_into FROM persons WHERE merged_into IS NOT NULL`)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, into string
		if err := rows.Scan(&id, &into); err != nil {
			return nil, dbErr(err)
		}
		out[id] = into
	}
	return out, dbErr(rows.Err())
}

// resolvePerson follows merges to the surviving record (at most a few
// steps; the bound guards against a cycle in bad data).
func resolvePerson(merged map[string]string, id string) string {
	for range 32 {
		next, ok := merged[id]
		if !ok {
			return id
		}
		id = next
	}
	return id
}
