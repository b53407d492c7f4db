package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"openmash.org/mash"
)

// Pattern alerts: the rule set (in settings) and the alerts as readers see
// them. Raising alerts is background work, in patterns_eval.go.

const patternRulesKey = "pattern_rules"

// PatternRules returns the rule set in force (the default until an admin
// replaces it).
func (db *DB) PatternRules(ctx context.Context, by mash.Actor) (rs mash.PatternRules, err error) {
	defer mash.Wrap(&err, "store.PatternRules")
	if err := may(by, mash.ActionPatternRulesRead); err != nil {
		return mash.PatternRules{}, err
	}
	return loadPatternRules(ctx, db.r)
}

func loadPatternRules(ctx context.Context, q querier) (mash.PatternRules, error) {
	return loadSetting(ctx, q, patternRulesKey, mash.DefaultPatternRules)
}

// SetPatternRules replaces the rule set (admins). rs.Version must be the
// version being replaced; the stored set gets the next. Invalid rules and a
// stale version change nothing. Open alerts of removed rules stay until
// acknowledged.
func (db *DB) SetPatternRules(ctx context.Context, by mash.Actor, rs mash.PatternRules) (out mash.PatternRules, err error) {
	defer mash.Wrap(&err, "store.SetPatternRules")
	if err := may(by, mash.ActionPatternRulesManage); err != nil {
		return mash.PatternRules{}, err
	}
	if err := rs.Validate(); err != nil {
		return mash.PatternRules{}, err
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		cur, err := loadPatternRules(ctx, tx)
		if err != nil {
			return err
		}
		if rs.Version != cur.Version {
			return staleErr(cur.Version, rs.Version)
		}
		out = rs
		out.Version = cur.Version + 1
		raw, err := json.Marshal(out)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1,$2,$3)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			patternRulesKey, string(raw), db.Now().UTC()); err != nil {
			return dbErr(err)
		}
		return db.audit(ctx, tx, by, "pattern_rules.update", "settings", patternRulesKey, fmt.Sprintf("version %d", out.Version))
	})
	return out, err
}

const alertColumns = `a.id, a.rule_id, a.rule_name, a.scope, a.rules_version, a.person_id,
	COALESCE(p.given_name, ''), COALESCE(p.family_name, ''), a.summary, a.raised_at, a.updated_at,
	COALESCE(a.acknowledged_by, ''), COALESCE(u.name, ''), a.acknowledged_at, a.ack_note`

const alertFrom = ` FROM pattern_alerts a LEFT JOIN persons p ON p.id = a.person_id LEFT JOIN users u ON u.id = a.acknowledged_by `

// loadAlerts loads the alerts a query selects, with their triggering
// contacts cut to those the actor may open.
func loadAlerts(ctx context.Context, q querier, by mash.Actor, now time.Time, where string, args ...any) ([]mash.PatternAlert, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+alertColumns+alertFrom+`WHERE `+where, args...)
	if err != nil {
		return nil, dbErr(err)
	}
	out := []mash.PatternAlert{}
	for rows.Next() {
		var a mash.PatternAlert
		var given, family string
		var ackAt sql.NullTime
		if err := rows.Scan(&a.ID, &a.RuleID, &a.RuleName, &a.Scope, &a.RulesVersion, &a.PersonID, &given, &family, &a.Summary,
			&a.RaisedAt, &a.UpdatedAt, &a.AcknowledgedBy, &a.AckByName, &ackAt, &a.AckNote); err != nil {
			rows.Close()
			return nil, dbErr(err)
		}
		a.PersonName = strings.TrimSpace(given + " " + family)
		a.RaisedAt, a.UpdatedAt, a.AcknowledgedAt = a.RaisedAt.UTC(), a.UpdatedAt.UTC(), ptrTime(ackAt)
		a.Contacts = []mash.AlertContact{}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, dbErr(err)
	}
	for i := range out {
		if err := alertContacts(ctx, q, by, now, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// alertContacts fills in the triggering contacts the actor may open and
// counts the others; Why names only the ones listed.
func alertContacts(ctx context.Context, q querier, by mash.Actor, now time.Time, a *mash.PatternAlert) error {
	args := []any{a.ID}
	scope := contactScope(by, now, &args)
	rows, err := q.QueryContext(ctx, `SELECT c.id, c.reference, c.received_at, x.person_id, CASE WHEN `+scope+` THEN 1 ELSE 0 END
		FROM pattern_alert_contacts x JOIN contacts c ON c.id = x.contact_id WHERE x.alert_id = $1
		ORDER BY c.received_at, c.id`, args...)
	if err != nil {
		return dbErr(err)
	}
	defer rows.Close()
	var refs []string
	for rows.Next() {
		var c mash.AlertContact
		var vis int
		if err := rows.Scan(&c.ContactID, &c.Reference, &c.ReceivedAt, &c.PersonID, &vis); err != nil {
			return dbErr(err)
		}
		if vis == 0 {
			a.HiddenContacts++
			continue
		}
		c.ReceivedAt = c.ReceivedAt.UTC()
		a.Contacts = append(a.Contacts, c)
		refs = append(refs, c.Reference)
	}
	if err := rows.Err(); err != nil {
		return dbErr(err)
	}
	a.Why = a.Summary
	switch {
	case len(refs) > 0 && a.HiddenContacts > 0:
		a.Why += fmt.Sprintf(": %s and %s you may not open", strings.Join(refs, ", "), plural(a.HiddenContacts, "other"))
	case len(refs) > 0:
		a.Why += ": " + strings.Join(refs, ", ")
	case a.HiddenContacts > 0:
		a.Why += fmt.Sprintf(" (%s you may not open)", plural(a.HiddenContacts, "contact"))
	}
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// ContactAlerts returns the pattern alerts about the subjects of a contact
// the actor may open (and about persons since merged into them): open ones first, then acknowledged ones, newest first
// within each. Each lists only the triggering contacts the actor may open.
func (db *DB) ContactAlerts(ctx context.Context, by mash.Actor, contactID string) (out []mash.PatternAlert, err error) {
	defer mash.Wrap(&err, "store.ContactAlerts")
	if err := may(by, mash.ActionPatternRead); err != nil {
		return nil, err
	}
	now := db.Now().UTC()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		c, _, err := visible(ctx, tx, by, contactID, now)
		if err != nil {
			return err
		}
		out, err = loadAlerts(ctx, tx, by, now, `(a.person_id IN (SELECT person_id FROM contact_subjects WHERE contact_id = $1)
			OR a.person_id IN (SELECT m.id FROM persons m JOIN contact_subjects s ON s.person_id = m.merged_into WHERE s.contact_id = $1))
			ORDER BY CASE WHEN a.acknowledged_at IS NULL THEN 0 ELSE 1 END, a.updated_at DESC, a.id LIMIT 50`, c.ID)
		if err != nil {
			return err
		}
		return db.audit(ctx, tx, by, "pattern_alert.read", "contact", c.ID, fmt.Sprintf("%d alerts", len(out)))
	})
	return out, err
}

// ListPatternAlerts lists alerts for managers, newest first.
func (db *DB) ListPatternAlerts(ctx context.Context, by mash.Actor, f mash.AlertFilter) (out []mash.PatternAlert, err error) {
	defer mash.Wrap(&err, "store.ListPatternAlerts")
	if err := may(by, mash.ActionPatternList); err != nil {
		return nil, err
	}
	where := "1=1"
	if f.Open {
		where = "a.acknowledged_at IS NULL"
	}
	now := db.Now().UTC()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		out, err = loadAlerts(ctx, tx, by, now, where+fmt.Sprintf(` ORDER BY a.updated_at DESC, a.id LIMIT %d`, clampLimit(f.Limit)))
		if err != nil {
			return err
		}
		return db.audit(ctx, tx, by, "pattern_alert.list", "pattern_alert", "", fmt.Sprintf("%d alerts", len(out)))
	})
	return out, err
}

// AcknowledgeAlert records that a screener or manager has seen an alert and
// what they make of it. It is done once; the alert then closes, and only a
// contact it did not cover can raise the pattern again.
func (db *DB) AcknowledgeAlert(ctx context.Context, by mash.Actor, id, note string) (a *mash.PatternAlert, err error) {
	defer mash.Wrap(&err, "store.AcknowledgeAlert")
	if err := may(by, mash.ActionPatternAcknowledge); err != nil {
		return nil, err
	}
	if err := required("note", note, "the acknowledgement needs a note"); err != nil {
		return nil, err
	}
	now := db.Now().UTC()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		load := func() error {
			list, err := loadAlerts(ctx, tx, by, now, `a.id = $1`, id)
			if err != nil {
				return err
			}
			if len(list) == 0 {
				return mash.Errorf(mash.KindNotFound, "no such alert")
			}
			a = &list[0]
			return nil
		}
		if err := load(); err != nil {
			return err
		}
		if !a.Open() {
			return mash.Errorf(mash.KindConflict, "the alert was already acknowledged")
		}
		res, err := tx.ExecContext(ctx, `UPDATE pattern_alerts SET acknowledged_by = $1, acknowledged_at = $2, ack_note = $3
			WHERE id = $4 AND acknowledged_at IS NULL`, by.UserID, now, strings.TrimSpace(note), id)
		if err != nil {
			return dbErr(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return mash.Errorf(mash.KindConflict, "the alert was already acknowledged")
		}
		if err := load(); err != nil {
			return err
		}
		return db.audit(ctx, tx, by, "pattern_alert.acknowledge", "pattern_alert", id, a.RuleID)
	})
	return a, err
}
