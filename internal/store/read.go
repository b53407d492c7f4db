package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"openmash.org/mash"
)

// contactScope returns the condition that limits contacts to those the actor
// may see: the hub's staff see all; a referrer sees what they submitted; a
// researcher sees contacts their agency has been asked about. Others see none.
func contactScope(by mash.Actor, args *[]any) string {
	switch {
	case by.HubWide():
		return "1=1"
	case by.Role == mash.RoleReferrer:
		*args = append(*args, by.UserID)
		return fmt.Sprintf("c.created_by = $%d", len(*args))
	case by.Role == mash.RoleResearcher:
		*args = append(*args, by.AgencyID)
		return fmt.Sprintf("EXISTS (SELECT 1 FROM info_requests q WHERE q.contact_id = c.id AND q.agency_id = $%d)", len(*args))
	}
	return "1=0"
}

// visible loads a contact if the actor's scope includes it; otherwise it is
// NotFound, so nobody learns that a contact they may not see exists.
func visible(ctx context.Context, q querier, by mash.Actor, id string) (*mash.Contact, error) {
	args := []any{id}
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM contacts c WHERE c.id = $1 AND `+contactScope(by, &args), args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoContact
	}
	if err != nil {
		return nil, dbErr(err)
	}
	return loadContact(ctx, q, id)
}

// GetContact returns a contact with what the actor may see of its requests,
// decision and feedback, and audits the read.
func (db *DB) GetContact(ctx context.Context, by mash.Actor, id string) (d *mash.ContactDetail, err error) {
	defer mash.Wrap(&err, "store.GetContact")
	now := db.Now().UTC()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		c, err := visible(ctx, tx, by, id)
		if err != nil {
			return err
		}
		d = &mash.ContactDetail{Contact: *c, Overdue: c.Overdue(now), Requests: []mash.InfoRequest{}}
		if by.HubWide() || by.Role == mash.RoleResearcher {
			args := []any{c.ID}
			rows, err := tx.QueryContext(ctx, `SELECT `+requestColumns+requestFrom+` WHERE r.contact_id = $1 AND `+
				requestScope(by, &args)+` ORDER BY r.requested_at, r.id`, args...)
			if err != nil {
				return dbErr(err)
			}
			if d.Requests, err = scanRequests(rows, now); err != nil {
				return err
			}
			for i := range d.Requests {
				if err := loadReturn(ctx, tx, &d.Requests[i]); err != nil {
					return err
				}
			}
			if d.Requests == nil {
				d.Requests = []mash.InfoRequest{}
			}
		}
		if d.Decision, err = loadDecision(ctx, tx, c.ID); err != nil {
			return err
		}
		if d.Feedback, err = loadFeedback(ctx, tx, c.ID); err != nil {
			return err
		}
		if by.Role == mash.RoleReferrer && d.Decision != nil {
			// A referrer learns the outcome through the feedback text, not the
			// rationale or the agencies' views.
			d.Decision = &mash.Decision{ID: d.Decision.ID, ContactID: c.ID, Outcomes: d.Decision.Outcomes, DecidedAt: d.Decision.DecidedAt,
				AgencyViews: []mash.AgencyView{}}
		}
		return db.audit(ctx, tx, by, "contact.read", "contact", c.ID, "")
	})
	return d, err
}

func loadDecision(ctx context.Context, q querier, contactID string) (*mash.Decision, error) {
	var d mash.Decision
	var outcomes, views string
	err := q.QueryRowContext(ctx, `SELECT id, contact_id, threshold_level, outcomes, rationale, agency_views, decided_by, decided_at
		FROM decisions WHERE contact_id = $1`, contactID).Scan(&d.ID, &d.ContactID, &d.ThresholdLevel, &outcomes, &d.Rationale,
		&views, &d.DecidedBy, &d.DecidedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, dbErr(err)
	}
	d.DecidedAt = d.DecidedAt.UTC()
	if err := errors.Join(json.Unmarshal([]byte(outcomes), &d.Outcomes), json.Unmarshal([]byte(views), &d.AgencyViews)); err != nil {
		return nil, dbErr(err)
	}
	return &d, nil
}

func loadFeedback(ctx context.Context, q querier, contactID string) (*mash.Feedback, error) {
	var f mash.Feedback
	var sent sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT id, contact_id, status, due_at, text, sent_by, sent_at FROM feedback WHERE contact_id = $1`,
		contactID).Scan(&f.ID, &f.ContactID, &f.Status, &f.DueAt, &f.Text, &f.SentBy, &sent)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, dbErr(err)
	}
	f.DueAt, f.SentAt = f.DueAt.UTC(), ptrTime(sent)
	return &f, nil
}

// ListContacts returns the queue the actor may see: immediate risk first, then
// by deadline (overdue first), then by receipt. The read is audited.
func (db *DB) ListContacts(ctx context.Context, by mash.Actor, f mash.ContactFilter) (out []mash.ContactSummary, err error) {
	defer mash.Wrap(&err, "store.ListContacts")
	now := db.Now().UTC()
	fe := mash.FieldErrors{}
	var args []any
	where := []string{contactScope(by, &args)}
	if f.Status != "" {
		if !mash.StatusValid(f.Status) {
			fe.Add("status", "unknown status")
		}
		args = append(args, string(f.Status))
		where = append(where, fmt.Sprintf("c.status = $%d", len(args)))
	}
	if f.RAG != "" {
		policy, err := db.Policy(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := policy.Level(f.RAG); err != nil {
			fe.Add("rag", mash.Message(err))
		}
		args = append(args, f.RAG)
		where = append(where, fmt.Sprintf("c.rag = $%d", len(args)))
	}
	if f.Overdue != nil {
		args = append(args, now)
		cond := fmt.Sprintf("(c.due_at IS NOT NULL AND c.due_at < $%d AND c.status IN ('received','screening','in_mash'))", len(args))
		if !*f.Overdue {
			cond = "NOT " + cond
		}
		where = append(where, cond)
	}
	if err := fe.Err("the filter is not valid"); err != nil {
		return nil, err
	}
	q := `SELECT c.id, c.reference, c.status, c.cohort, c.rag, c.immediate_risk, c.received_at, c.due_at, c.version,
		COALESCE((SELECT s.given_name || ' ' || s.family_name FROM contact_subjects s WHERE s.contact_id = c.id AND s.role = 'subject' ORDER BY s.ord LIMIT 1), '')
		FROM contacts c WHERE ` + strings.Join(where, " AND ") + fmt.Sprintf(`
		ORDER BY CASE WHEN c.immediate_risk AND c.status IN ('received','screening','in_mash') THEN 0 ELSE 1 END,
		CASE WHEN c.due_at IS NULL THEN 1 ELSE 0 END, c.due_at, c.received_at, c.id LIMIT %d`, clampLimit(f.Limit))
	err = db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return dbErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			var s mash.ContactSummary
			var due sql.NullTime
			if err := rows.Scan(&s.ID, &s.Reference, &s.Status, &s.Cohort, &s.RAG, &s.ImmediateRisk, &s.ReceivedAt, &due, &s.Version, &s.Subject); err != nil {
				return dbErr(err)
			}
			s.ReceivedAt, s.DueAt = s.ReceivedAt.UTC(), ptrTime(due)
			s.Overdue = (&mash.Contact{Status: s.Status, DueAt: s.DueAt}).Overdue(now)
			out = append(out, s)
		}
		if err := rows.Err(); err != nil {
			return dbErr(err)
		}
		return db.audit(ctx, tx, by, "contact.list", "contact", "", fmt.Sprintf("%d contacts", len(out)))
	})
	if out == nil {
		out = []mash.ContactSummary{}
	}
	return out, err
}

// History returns every transition, rating, request, decision and feedback of
// a contact, in order. Only the hub's own staff see the full history.
func (db *DB) History(ctx context.Context, by mash.Actor, id string) (h *mash.History, err error) {
	defer mash.Wrap(&err, "store.History")
	if !by.HubWide() {
		return nil, mash.Errorf(mash.KindForbidden, "your role cannot read a contact's history")
	}
	now := db.Now().UTC()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		c, err := visible(ctx, tx, by, id)
		if err != nil {
			return err
		}
		h = &mash.History{ContactID: c.ID, Transitions: []mash.Transition{}, Ratings: []mash.RAGChange{}}
		rows, err := tx.QueryContext(ctx, `SELECT t.from_status, t.to_status, t.by_user, COALESCE(u.name, t.by_user), t.at, t.reason
			FROM transitions t LEFT JOIN users u ON u.id = t.by_user WHERE t.contact_id = $1 ORDER BY t.at, t.id`, c.ID)
		if err != nil {
			return dbErr(err)
		}
		for rows.Next() {
			var t mash.Transition
			if err := rows.Scan(&t.From, &t.To, &t.By, &t.ByName, &t.At, &t.Reason); err != nil {
				rows.Close()
				return dbErr(err)
			}
			t.At = t.At.UTC()
			h.Transitions = append(h.Transitions, t)
		}
		rows.Close()
		rows, err = tx.QueryContext(ctx, `SELECT r.from_rag, r.to_rag, r.by_user, COALESCE(u.name, r.by_user), r.at, r.reason, r.due_at
			FROM rag_changes r LEFT JOIN users u ON u.id = r.by_user WHERE r.contact_id = $1 ORDER BY r.at, r.id`, c.ID)
		if err != nil {
			return dbErr(err)
		}
		for rows.Next() {
			var r mash.RAGChange
			if err := rows.Scan(&r.From, &r.To, &r.By, &r.ByName, &r.At, &r.Reason, &r.DueAt); err != nil {
				rows.Close()
				return dbErr(err)
			}
			r.At, r.DueAt = r.At.UTC(), r.DueAt.UTC()
			h.Ratings = append(h.Ratings, r)
		}
		rows.Close()
		args := []any{c.ID}
		rows, err = tx.QueryContext(ctx, `SELECT `+requestColumns+requestFrom+` WHERE r.contact_id = $1 ORDER BY r.requested_at, r.id`, args...)
		if err != nil {
			return dbErr(err)
		}
		if h.Requests, err = scanRequests(rows, now); err != nil {
			return err
		}
		if h.Requests == nil {
			h.Requests = []mash.InfoRequest{}
		}
		for i := range h.Requests {
			if err := loadReturn(ctx, tx, &h.Requests[i]); err != nil {
				return err
			}
		}
		if h.Decision, err = loadDecision(ctx, tx, c.ID); err != nil {
			return err
		}
		if h.Feedback, err = loadFeedback(ctx, tx, c.ID); err != nil {
			return err
		}
		return db.audit(ctx, tx, by, "contact.history", "contact", c.ID, "")
	})
	return h, err
}

var _ mash.Hub = (*DB)(nil)
