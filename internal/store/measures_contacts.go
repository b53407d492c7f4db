package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"openmash.org/mash"
)

// Demand: contacts received, counted by what they came with. A contact
// counts in the period in which the hub received it (received_at, in the
// hub's time zone).

const demandNote = " Counted by the time the hub received the contact (received_at), in UK time; from is inclusive, to exclusive."

func init() {
	sources, sourceLegend := codeLegend(mash.ReferralSources())
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasureContactsBySource, Title: "Contacts by referral source",
			Definition: "The number of contacts received, by referral source (the Children in Need census source of referral code, " +
				mash.ReferralSources().Version + "; recorded at intake, or defaulted from the recording user's agency: anonymous 9, police notification 6, " +
				"otherwise the agency's kind, hub staff 10 unknown)." + demandNote,
			Unit: mash.UnitCount, Dimensions: []string{"source"}, Columns: []mash.MeasureColumn{countCol("contacts", "Contacts")}, ByPeriod: true},
		run: func(ctx context.Context, db *DB, m *mrun) error {
			m.legend["source"] = sourceLegend
			m.tab.order[m.dim(0)] = sources
			return db.countContacts(ctx, m, "contacts c", "CASE WHEN c.source = '' THEN '10' ELSE c.source END", nil)
		},
	})
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasureContactsByChannel, Title: "Contacts by channel",
			Definition: "The number of contacts received, by how they arrived (phone, email, online form, police notification…)." + demandNote,
			Unit:       mash.UnitCount, Dimensions: []string{"channel"}, Columns: []mash.MeasureColumn{countCol("contacts", "Contacts")}, ByPeriod: true},
		run: func(ctx context.Context, db *DB, m *mrun) error {
			m.tab.order[m.dim(0)] = mash.Channels
			return db.countContacts(ctx, m, "contacts c", "c.channel", nil)
		},
	})
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasureContactsByCohort, Title: "Contacts by cohort",
			Definition: "The number of contacts received about children and about adults at risk." + demandNote,
			Unit:       mash.UnitCount, Dimensions: []string{"cohort"}, Columns: []mash.MeasureColumn{countCol("contacts", "Contacts")}, ByPeriod: true},
		run: func(ctx context.Context, db *DB, m *mrun) error {
			m.tab.order[m.dim(0)] = []string{string(mash.CohortChild), string(mash.CohortAdult)}
			return db.countContacts(ctx, m, "contacts c", "c.cohort", nil)
		},
	})
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasureContactsByConcern, Title: "Contacts by concern",
			Definition: "The number of contacts received that record each concern code (Children in Need assessment factors for children, " +
				"Care Act 2014 abuse types for adults). A contact with two codes counts once under each, so the rows add up to more than the contacts." + demandNote,
			Unit: mash.UnitCount, Dimensions: []string{"concern"}, Columns: []mash.MeasureColumn{countCol("contacts", "Contacts")}, ByPeriod: true},
		run: func(ctx context.Context, db *DB, m *mrun) error {
			legend := map[string]string{}
			var order []string
			for _, l := range []mash.CodeList{mash.CINFactors2025, mash.CareActTypes2014} {
				o, lg := codeLegend(l)
				order = append(order, o...)
				for k, v := range lg {
					legend[k] = v
				}
			}
			m.legend["concern"] = legend
			m.tab.order[m.dim(0)] = order
			if db.dialect == Postgres {
				return db.countContacts(ctx, m, "contacts c CROSS JOIN LATERAL jsonb_array_elements_text(c.concerns::jsonb) AS j(value)", "j.value", nil)
			}
			// SQLite groups by the whole list (read from the covering
			// index; a few thousand distinct lists) and the lists are split
			// here, once each: unnesting with json_each before grouping
			// sorts three times the rows.
			split := map[string][]string{}
			return db.countContacts(ctx, m, "contacts c", "c.concerns", func(v string) []string {
				if codes, ok := split[v]; ok {
					return codes
				}
				var codes []string
				if err := json.Unmarshal([]byte(v), &codes); err != nil {
					codes = nil // not a list: counted under no code, as json_each would
				}
				split[v] = codes
				return codes
			})
		},
	})
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasureContactsByAgency, Title: "Contacts by referring agency",
			Definition: "The number of contacts received, by the agency of the hub user who recorded them (a contact phoned in to the hub counts under the hub's own agency)." + demandNote,
			Unit:       mash.UnitCount, Dimensions: []string{"agency"}, Columns: []mash.MeasureColumn{countCol("contacts", "Contacts")}, ByPeriod: true},
		run: func(ctx context.Context, db *DB, m *mrun) error {
			_, byUser, err := db.agencyNames(ctx)
			if err != nil {
				return err
			}
			return db.countContacts(ctx, m, "contacts c", "c.created_by", func(v string) []string {
				if n, ok := byUser[v]; ok {
					return []string{n}
				}
				return []string{"(unknown)"}
			})
		},
	})
}

// dim returns the table index of the measure's i-th own dimension (after
// the period, when there is one).
func (m *mrun) dim(i int) int {
	if m.q.Period == mash.PeriodNone {
		return i
	}
	return i + 1
}

// countContacts counts contacts received in the range by one SQL
// expression, mapped through labels (if not nil) to the labels the contact
// counts under.
func (db *DB) countContacts(ctx context.Context, m *mrun, from, dimSQL string, labels func(string) []string) error {
	where, args := m.rangeWhere("c.received_at", "c.cohort")
	err := db.sumRows(ctx, m, []string{m.periodSQL(db, "c.received_at"), dimSQL}, []string{"1"}, from+" WHERE "+where, args,
		func(k []string, n []int64) error {
			if labels == nil {
				m.tab.add(m.tab.row(m.periodLabels(k[0], k[1])...), 0, float64(n[0]))
				return nil
			}
			for _, l := range labels(k[1]) {
				m.tab.add(m.tab.row(m.periodLabels(k[0], l)...), 0, float64(n[0]))
			}
			return nil
		})
	if err != nil {
		return err
	}
	m.fillPeriods()
	return nil
}

// referralOutcomes are the decision outcomes that make a contact a referral
// to statutory social care: a child and family assessment (s17), a strategy
// discussion (s47), immediate protection, or an adult safeguarding enquiry
// (Care Act s42).
var referralOutcomes = []mash.Outcome{mash.OutcomeCINAssessmentS17, mash.OutcomeStrategyDiscussionS47,
	mash.OutcomeImmediateProtection, mash.OutcomeAdultS42Enquiry}

// referralSQL is true when the decision d (outcomes kept as a JSON array)
// has a referral outcome.
func referralSQL() string {
	var or []string
	for _, o := range referralOutcomes {
		or = append(or, fmt.Sprintf(`d.outcomes LIKE '%%"%s"%%'`, o))
	}
	return "(" + strings.Join(or, " OR ") + ")"
}

func referralNote() string {
	var s []string
	for _, o := range referralOutcomes {
		s = append(s, string(o))
	}
	return strings.Join(s, ", ")
}
