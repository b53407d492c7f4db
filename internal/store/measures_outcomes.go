package store

import (
	"context"
	"strings"

	"openmash.org/mash"
)

// What became of contacts: screening decisions, the funnel from contact to
// referral, and no further action by source.

func init() {
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasureScreeningOutcomes, Title: "Screening outcomes",
			Definition: "The screening decisions made in the range (by the time of the decision, UK time): accepted into the MASH, " +
				"no further action, advice or signposting, passed to a single agency, or passed to the worker of an open case; " +
				"and each as a percentage of all screening decisions in the same period.",
			Unit: mash.UnitCount, Dimensions: []string{"outcome"},
			Columns:  []mash.MeasureColumn{countCol("contacts", "Contacts"), pctCol("share", "% of screening decisions", "contacts")},
			ByPeriod: true},
		run: runScreeningOutcomes,
	})
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasureFunnel, Title: "From contact to referral",
			Definition: "Of the contacts received in the range (by receipt, UK time): how many were screened, accepted into the MASH, " +
				"decided by a manager, and decided with a referral to statutory social care (an outcome of " + referralNote() + "); " +
				"each stage also as a percentage of the contacts received. Contacts still in progress count at the stage they have reached.",
			Unit: mash.UnitCount, Dimensions: []string{"stage"},
			Columns:  []mash.MeasureColumn{countCol("contacts", "Contacts"), pctCol("of_received", "% of contacts received", "contacts")},
			ByPeriod: true},
		run: runFunnel,
	})
	sources, sourceLegend := codeLegend(mash.ReferralSources())
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasureNFARateBySource, Title: "No further action by referral source",
			Definition: "Of the contacts received in the range (by receipt, UK time) that have an outcome (screened out, passed on, or decided), " +
				"the percentage that ended in no further action: closed at screening as no further action, or decided with no further action as the only outcome. " +
				"Advice and signposting is not counted as no further action. By referral source code.",
			Unit: mash.UnitPercent, Dimensions: []string{"source"},
			Columns: []mash.MeasureColumn{pctCol("nfa_rate", "% no further action", "nfa", "with_outcome"),
				countCol("contacts", "Contacts received"), countCol("with_outcome", "With an outcome"), countCol("nfa", "No further action")},
			ByPeriod: true},
		run: func(ctx context.Context, db *DB, m *mrun) error {
			m.legend["source"] = sourceLegend
			m.tab.order[m.dim(0)] = sources
			return runNFA(ctx, db, m)
		},
	})
}

var screeningLabels = []string{string(mash.ScreenAccept), string(mash.ScreenNFA), string(mash.ScreenAdvice),
	string(mash.ScreenSingleAgency), string(mash.ScreenOpenCase)}

func runScreeningOutcomes(ctx context.Context, db *DB, m *mrun) error {
	where, args := m.rangeWhere("t.at", "c.cohort")
	totals := map[string]float64{}
	err := db.sumRows(ctx, m, []string{m.periodSQL(db, "t.at"), "t.to_status", "c.closure_reason"}, []string{"1"},
		`transitions t JOIN contacts c ON c.id = t.contact_id WHERE t.from_status = 'screening' AND `+where, args,
		func(k []string, v []int64) error {
			var outcome string
			switch mash.Status(k[1]) {
			case mash.StatusInMASH:
				outcome = string(mash.ScreenAccept)
			case mash.StatusPassedSingleAgency:
				outcome = string(mash.ScreenSingleAgency)
			case mash.StatusPassedOpenCase:
				outcome = string(mash.ScreenOpenCase)
			default: // closed at screening: the closure reason is the decision
				outcome = k[2]
			}
			l := m.periodLabels(k[0], outcome)
			m.tab.add(m.tab.row(l...), 0, float64(v[0]))
			totals[strings.Join(l[:len(l)-1], "\x00")] += float64(v[0])
			return nil
		})
	if err != nil {
		return err
	}
	m.tab.order[m.dim(0)] = screeningLabels
	for _, o := range screeningLabels {
		m.tab.row(m.labels(m.q.From, o)...)
	}
	m.fillPeriods()
	m.tab.finish = func(labels []string, sums []float64, _ map[string][]float64) []mash.MeasureCell {
		return []mash.MeasureCell{mash.Num(sums[0]), pctCell(sums[0], totals[strings.Join(labels[:len(labels)-1], "\x00")])}
	}
	return nil
}

var funnelStages = []string{"received", "screened", "accepted_into_mash", "decided", "referral"}

func runFunnel(ctx context.Context, db *DB, m *mrun) error {
	where, args := m.rangeWhere("c.received_at", "c.cohort")
	err := db.sumRows(ctx, m, []string{m.periodSQL(db, "c.received_at")}, []string{"1",
		"CASE WHEN c.screened_at IS NOT NULL THEN 1 ELSE 0 END",
		"CASE WHEN c.status = 'in_mash' OR d.id IS NOT NULL THEN 1 ELSE 0 END",
		"CASE WHEN d.id IS NOT NULL THEN 1 ELSE 0 END",
		"CASE WHEN d.id IS NOT NULL AND " + referralSQL() + " THEN 1 ELSE 0 END"},
		"contacts c LEFT JOIN decisions d ON d.contact_id = c.id WHERE "+where, args,
		func(k []string, v []int64) error {
			for i, s := range funnelStages {
				m.tab.add(m.tab.row(m.periodLabels(k[0], s)...), 0, float64(v[i]))
			}
			return nil
		})
	if err != nil {
		return err
	}
	m.tab.order[m.dim(0)] = funnelStages
	var defaults [][]string
	for _, s := range funnelStages {
		defaults = append(defaults, []string{s})
		if m.q.Period == mash.PeriodNone {
			m.tab.row(s)
		}
	}
	m.fillPeriods(defaults...)
	received := map[string]float64{}
	for i, l := range m.tab.labels {
		if l[len(l)-1] == "received" {
			received[strings.Join(l[:len(l)-1], "\x00")] = m.tab.sums[i][0]
		}
	}
	m.tab.finish = func(labels []string, sums []float64, _ map[string][]float64) []mash.MeasureCell {
		return []mash.MeasureCell{mash.Num(sums[0]), pctCell(sums[0], received[strings.Join(labels[:len(labels)-1], "\x00")])}
	}
	return nil
}

func runNFA(ctx context.Context, db *DB, m *mrun) error {
	where, args := m.rangeWhere("c.received_at", "c.cohort")
	err := db.sumRows(ctx, m, []string{m.periodSQL(db, "c.received_at"), "CASE WHEN c.source = '' THEN '10' ELSE c.source END"}, []string{"1",
		"CASE WHEN d.id IS NOT NULL OR (c.screened_at IS NOT NULL AND c.status <> 'in_mash') THEN 1 ELSE 0 END",
		`CASE WHEN (d.id IS NULL AND c.status = 'closed' AND c.closure_reason = 'nfa') OR d.outcomes = '["nfa"]' THEN 1 ELSE 0 END`},
		"contacts c LEFT JOIN decisions d ON d.contact_id = c.id WHERE "+where, args,
		func(k []string, v []int64) error {
			i := m.tab.row(m.periodLabels(k[0], k[1])...)
			m.tab.add(i, 1, float64(v[0]))
			m.tab.add(i, 2, float64(v[1]))
			m.tab.add(i, 3, float64(v[2]))
			return nil
		})
	if err != nil {
		return err
	}
	m.fillPeriods()
	m.tab.finish = func(_ []string, s []float64, _ map[string][]float64) []mash.MeasureCell {
		return []mash.MeasureCell{pctCell(s[3], s[2]), mash.Num(s[1]), mash.Num(s[2]), mash.Num(s[3])}
	}
	return nil
}
