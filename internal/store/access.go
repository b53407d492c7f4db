package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"openmash.org/mash"
)

func required(field, v, msg string) error {
	v = strings.TrimSpace(v)
	switch {
	case len(v) < 10:
		return &mash.Error{Kind: mash.KindInvalid, Msg: msg, Fields: map[string]string{field: "is required: at least 10 characters saying why"}}
	case len(v) > 2000:
		return &mash.Error{Kind: mash.KindInvalid, Msg: msg, Fields: map[string]string{field: "must be at most 2000 characters"}}
	}
	return nil
}

// BreakGlass grants the actor time-limited access to a contact outside their
// normal scope. The reason is kept, audited and listed for the auditor.
func (db *DB) BreakGlass(ctx context.Context, by mash.Actor, contactID, reason string) (g *mash.BreakGlass, err error) {
	defer mash.Wrap(&err, "store.BreakGlass")
	if !mash.Can(by, mash.ActionBreakGlass, mash.Resource{}) {
		return nil, mash.Errorf(mash.KindForbidden, "your role may not break the glass")
	}
	if err := required("reason", reason, "break-glass needs a reason"); err != nil {
		return nil, err
	}
	now := db.Now().UTC()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		c, err := loadContact(ctx, tx, contactID)
		if err != nil {
			return err
		}
		rel, err := relation(ctx, tx, by, c, now)
		if err != nil {
			return err
		}
		if acc := mash.ContactAccess(by, rel); acc.Allowed {
			return mash.Errorf(mash.KindConflict, "you already have access to this contact (%s)", acc.Why)
		}
		g = &mash.BreakGlass{ID: newID(), UserID: by.UserID, UserName: by.Name, ContactID: c.ID, Reason: strings.TrimSpace(reason),
			At: now, ExpiresAt: now.Add(mash.BreakGlassFor)}
		if _, err := tx.ExecContext(ctx, `INSERT INTO break_glass (id, user_id, contact_id, reason, at, expires_at) VALUES ($1,$2,$3,$4,$5,$6)`,
			g.ID, g.UserID, g.ContactID, g.Reason, g.At, g.ExpiresAt); err != nil {
			return dbErr(err)
		}
		return db.audit(ctx, tx, by, "contact.break_glass", "contact", c.ID, g.Reason)
	})
	return g, err
}

// ListBreakGlass lists break-glass uses for the auditor, newest first.
func (db *DB) ListBreakGlass(ctx context.Context, by mash.Actor, unreviewedOnly bool) (out []mash.BreakGlass, err error) {
	defer mash.Wrap(&err, "store.ListBreakGlass")
	if !mash.Can(by, mash.ActionAuditRead, mash.Resource{}) {
		return nil, mash.Errorf(mash.KindForbidden, "only an auditor may review break-glass uses")
	}
	where := "1=1"
	if unreviewedOnly {
		where = "g.reviewed_at IS NULL"
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT g.id, g.user_id, COALESCE(u.name, ''), g.contact_id, g.reason, g.at, g.expires_at,
			g.reviewed_by, g.reviewed_at, g.review_note FROM break_glass g LEFT JOIN users u ON u.id = g.user_id
			WHERE `+where+` ORDER BY g.at DESC, g.id LIMIT 1000`)
		if err != nil {
			return dbErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			g, err := scanBreakGlass(rows)
			if err != nil {
				return err
			}
			out = append(out, *g)
		}
		if err := rows.Err(); err != nil {
			return dbErr(err)
		}
		return db.audit(ctx, tx, by, "audit.break_glass_list", "break_glass", "", "")
	})
	if out == nil {
		out = []mash.BreakGlass{}
	}
	return out, err
}

type scanner interface{ Scan(...any) error }

func scanBreakGlass(row scanner) (*mash.BreakGlass, error) {
	var g mash.BreakGlass
	var reviewed sql.NullTime
	if err := row.Scan(&g.ID, &g.UserID, &g.UserName, &g.ContactID, &g.Reason, &g.At, &g.ExpiresAt, &g.ReviewedBy, &reviewed, &g.ReviewNote); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, mash.Errorf(mash.KindNotFound, "no such break-glass use")
		}
		return nil, dbErr(err)
	}
	g.At, g.ExpiresAt, g.ReviewedAt = g.At.UTC(), g.ExpiresAt.UTC(), ptrTime(reviewed)
	return &g, nil
}

// ReviewBreakGlass records the auditor's review of one use.
func (db *DB) ReviewBreakGlass(ctx context.Context, by mash.Actor, id, note string) (g *mash.BreakGlass, err error) {
	defer mash.Wrap(&err, "store.ReviewBreakGlass")
	if !mash.Can(by, mash.ActionAuditRead, mash.Resource{}) {
		return nil, mash.Errorf(mash.KindForbidden, "only an auditor may review break-glass uses")
	}
	if err := required("note", note, "the review needs a note"); err != nil {
		return nil, err
	}
	now := db.Now().UTC()
	const one = `SELECT g.id, g.user_id, COALESCE(u.name, ''), g.contact_id, g.reason, g.at, g.expires_at,
		g.reviewed_by, g.reviewed_at, g.review_note FROM break_glass g LEFT JOIN users u ON u.id = g.user_id WHERE g.id = $1`
	err = db.tx(ctx, func(tx *sql.Tx) error {
		cur, err := scanBreakGlass(tx.QueryRowContext(ctx, one, id))
		if err != nil {
			return err
		}
		if cur.ReviewedAt != nil {
			return mash.Errorf(mash.KindConflict, "this use was already reviewed")
		}
		res, err := tx.ExecContext(ctx, `UPDATE break_glass SET reviewed_by = $1, reviewed_at = $2, review_note = $3
			WHERE id = $4 AND reviewed_at IS NULL`, by.UserID, now, strings.TrimSpace(note), id)
		if err != nil {
			return dbErr(err)
		}
		if n, _ := res.RowsAffected(); n != 1 { // another auditor got there first
			return mash.Errorf(mash.KindConflict, "this use was already reviewed")
		}
		if g, err = scanBreakGlass(tx.QueryRowContext(ctx, one, id)); err != nil {
			return err
		}
		return db.audit(ctx, tx, by, "audit.break_glass_review", "break_glass", id, "")
	})
	return g, err
}

// ReleaseItem records the owning agency's approval to pass a mash_only item
// to the receiving team. Only a researcher of the owning agency may give it.
func (db *DB) ReleaseItem(ctx context.Context, by mash.Actor, itemID, reason string) (rel *mash.Release, err error) {
	defer mash.Wrap(&err, "store.ReleaseItem")
	if !mash.Can(by, mash.ActionItemRelease, mash.Resource{}) {
		return nil, mash.Errorf(mash.KindForbidden, "only the owning agency may release an item")
	}
	if err := required("reason", reason, "a release needs a reason"); err != nil {
		return nil, err
	}
	now := db.Now().UTC()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		var owner string
		var marking mash.Marking
		// Scoped to the actor's agency: another agency's item is not found.
		err := tx.QueryRowContext(ctx, `SELECT owning_agency_id, marking FROM return_items WHERE id = $1 AND owning_agency_id = $2`,
			itemID, by.AgencyID).Scan(&owner, &marking)
		if errors.Is(err, sql.ErrNoRows) {
			return mash.Errorf(mash.KindNotFound, "no such item owned by your agency")
		}
		if err != nil {
			return dbErr(err)
		}
		if marking != mash.MarkingMASHOnly {
			return mash.Errorf(mash.KindConflict, "the item is marked %s: it needs no release", marking)
		}
		rel = &mash.Release{By: by.UserID, At: now, Reason: strings.TrimSpace(reason)}
		if _, err := tx.ExecContext(ctx, `INSERT INTO item_releases (item_id, approved_by, at, reason) VALUES ($1,$2,$3,$4)`,
			itemID, rel.By, rel.At, rel.Reason); err != nil {
			if mash.KindOf(dbErr(err)) == mash.KindConflict {
				return mash.Errorf(mash.KindConflict, "the item is already released")
			}
			return dbErr(err)
		}
		return db.audit(ctx, tx, by, "item.release", "return_item", itemID, rel.Reason)
	})
	return rel, err
}

// AuditEvents returns the events the filter selects, oldest first, for the
// auditor. Reading the log is itself audited.
func (db *DB) AuditEvents(ctx context.Context, by mash.Actor, f mash.AuditFilter) (out []mash.AuditEvent, err error) {
	defer mash.Wrap(&err, "store.AuditEvents")
	if !mash.Can(by, mash.ActionAuditRead, mash.Resource{}) {
		return nil, mash.Errorf(mash.KindForbidden, "only an auditor may read the audit log")
	}
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	where := []string{"1=1"}
	if f.EntityType != "" {
		where = append(where, "e.entity_type = "+arg(f.EntityType))
	}
	if f.EntityID != "" {
		where = append(where, "e.entity_id = "+arg(f.EntityID))
	}
	if f.PersonID != "" {
		where = append(where, "e.entity_type = 'contact' AND e.entity_id IN (SELECT contact_id FROM contact_subjects WHERE person_id = "+arg(f.PersonID)+")")
	}
	if f.ActorID != "" {
		where = append(where, "e.actor_id = "+arg(f.ActorID))
	}
	if !f.From.IsZero() {
		where = append(where, "e.at >= "+arg(f.From.UTC()))
	}
	if !f.To.IsZero() {
		where = append(where, "e.at < "+arg(f.To.UTC()))
	}
	limit := f.Limit
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT e.seq, e.id, e.at, e.actor_id, e.actor_role, e.agency_id, e.action, e.entity_type,
			e.entity_id, e.request_id, e.client_ip, e.reason, e.prev_hash, e.hash FROM audit_events e WHERE `+strings.Join(where, " AND ")+
			fmt.Sprintf(" ORDER BY e.seq LIMIT %d", limit), args...)
		if err != nil {
			return dbErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			var e mash.AuditEvent
			if err := rows.Scan(&e.Seq, &e.ID, &e.At, &e.ActorID, &e.ActorRole, &e.AgencyID, &e.Action, &e.EntityType, &e.EntityID,
				&e.RequestID, &e.ClientIP, &e.Reason, &e.PrevHash, &e.Hash); err != nil {
				return dbErr(err)
			}
			e.At = e.At.UTC()
			out = append(out, e)
		}
		if err := rows.Err(); err != nil {
			return dbErr(err)
		}
		return db.audit(ctx, tx, by, "audit.read", "audit_events", "", fmt.Sprintf("%d events", len(out)))
	})
	if out == nil {
		out = []mash.AuditEvent{}
	}
	return out, err
}
