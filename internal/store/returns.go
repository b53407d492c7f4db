package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/returns"
)

// The contacts a collection year's returns read: those received in the
// period, and those received before it but decided in it. $1 and $2 are the
// period's bounds.
const (
	returnsReceived = `c.received_at >= $1 AND c.received_at < $2`
	returnsDecided  = `d.decided_at >= $1 AND d.decided_at < $2 AND c.received_at < $1`
)

// ReturnContacts reads what the statutory returns need for [from, to):
// every contact received in it and every contact decided in it, with its
// decision, how screening ended and the people it is about (linked to the
// surviving person after merges). It is a system export of record-level
// data: only the administrator role (the CLI) may run it, and it is audited
// with the reason given.
func (db *DB) ReturnContacts(ctx context.Context, by mash.Actor, from, to time.Time, reason string) (out []returns.Contact, err error) {
	defer mash.Wrap(&err, "store.ReturnContacts")
	if err := may(by, mash.ActionReturnsExport); err != nil {
		return nil, err
	}
	if !from.Before(to) {
		return nil, mash.Errorf(mash.KindInvalid, "the period is empty")
	}
	from, to = from.UTC(), to.UTC()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		out = nil
		if db.dialect == Postgres {
			// The planner's cost for a year's rows crosses jit_above_cost, and
			// compiling the queries took longer than running them (2 s of 3.5).
			if _, err := tx.ExecContext(ctx, `SET LOCAL jit = off`); err != nil {
				return dbErr(err)
			}
		}
		index := map[string]int{}
		cols := `c.id, c.reference, c.received_at, c.cohort, c.source, c.status, c.closure_reason, c.concerns,
			d.decided_at, COALESCE(d.threshold_level, 0), COALESCE(d.outcomes, '[]')`
		rows, err := tx.QueryContext(ctx, `SELECT `+cols+` FROM contacts c LEFT JOIN decisions d ON d.contact_id = c.id WHERE `+returnsReceived+`
			UNION ALL
			SELECT `+cols+` FROM decisions d JOIN contacts c ON c.id = d.contact_id WHERE `+returnsDecided, from, to)
		if err != nil {
			return dbErr(err)
		}
		for rows.Next() {
			var c returns.Contact
			var concerns, outcomes string
			var decided sql.NullTime
			var level int
			if err := rows.Scan(&c.ID, &c.Reference, &c.ReceivedAt, &c.Cohort, &c.Source, &c.Status, &c.ClosureReason, &concerns,
				&decided, &level, &outcomes); err != nil {
				rows.Close()
				return dbErr(err)
			}
			c.ReceivedAt = c.ReceivedAt.UTC()
			if err := json.Unmarshal([]byte(concerns), &c.Concerns); err != nil {
				rows.Close()
				return dbErr(fmt.Errorf("contact %s concerns: %w", c.Reference, err))
			}
			if decided.Valid {
				c.Decision = &returns.Decision{DecidedAt: decided.Time.UTC(), ThresholdLevel: level}
				if err := json.Unmarshal([]byte(outcomes), &c.Decision.Outcomes); err != nil {
					rows.Close()
					return dbErr(fmt.Errorf("contact %s outcomes: %w", c.Reference, err))
				}
			}
			c.ScreenedTo = screenedTo(c.Status, c.ClosureReason, c.Decision != nil)
			index[c.ID] = len(out)
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return dbErr(err)
		}

		// The people each contact is about, by the person they are linked to.
		scols := `s.contact_id, s.person_id, COALESCE(p.merged_into, ''), s.role, p.dob, p.sex`
		join := ` JOIN contact_subjects s ON s.contact_id = c.id AND s.role = 'subject' JOIN persons p ON p.id = s.person_id`
		rows, err = tx.QueryContext(ctx, `SELECT `+scols+` FROM contacts c`+join+` WHERE `+returnsReceived+`
			UNION ALL
			SELECT `+scols+` FROM decisions d JOIN contacts c ON c.id = d.contact_id`+join+` WHERE `+returnsDecided, from, to)
		if err != nil {
			return dbErr(err)
		}
		merged := map[string]string{}
		for rows.Next() {
			var cid, merge string
			var s returns.Subject
			if err := rows.Scan(&cid, &s.PersonID, &merge, &s.Role, &s.DOB, &s.Sex); err != nil {
				rows.Close()
				return dbErr(err)
			}
			if merge != "" {
				merged[s.PersonID] = merge
			}
			if i, ok := index[cid]; ok {
				out[i].Subjects = append(out[i].Subjects, s)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return dbErr(err)
		}
		if len(merged) > 0 {
			if err := survivors(ctx, tx, merged); err != nil {
				return err
			}
			for i := range out {
				for j := range out[i].Subjects {
					if sv, ok := merged[out[i].Subjects[j].PersonID]; ok {
						out[i].Subjects[j].PersonID = sv
					}
				}
			}
		}
		return db.audit(ctx, tx, by, "returns.export", "returns", from.Format(time.DateOnly), reason)
	})
	return out, err
}

// screenedTo is where screening sent a contact, read from its state rather
// than its transitions (a lookup per contact that was a third of the
// extract's time): the procedure allows one reading. Screening closes with
// closure reason nfa or advice; any other closed contact without a decision
// was passed on first (to a single agency or an open case: the same for the
// returns); a decision means it went into MASH.
func screenedTo(st mash.Status, closure string, decided bool) mash.Status {
	switch {
	case st == mash.StatusReceived || st == mash.StatusScreening:
		return ""
	case st == mash.StatusPassedSingleAgency || st == mash.StatusPassedOpenCase:
		return st
	case st == mash.StatusClosed && !decided && (closure == string(mash.ScreenNFA) || closure == string(mash.ScreenAdvice)):
		return mash.StatusClosed
	case st == mash.StatusClosed && !decided:
		return mash.StatusPassedSingleAgency
	}
	return mash.StatusInMASH
}

// survivors replaces each merged person's merge target with the person the
// chain of merges ends at.
func survivors(ctx context.Context, tx *sql.Tx, merged map[string]string) error {
	next := func(id string) (string, error) {
		var m sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT merged_into FROM persons WHERE id = $1`, id).Scan(&m); err != nil {
			return "", dbErr(err)
		}
		return m.String, nil
	}
	for id, to := range merged {
		for hops := 0; hops < 100; hops++ {
			n, err := next(to)
			if err != nil {
				return err
			}
			if n == "" {
				break
			}
			to = n
		}
		merged[id] = to
	}
	return nil
}
