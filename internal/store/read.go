package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"openmash.org/mash"
)

// contactScope returns the SQL condition that limits contacts to those the
// actor may see. It mirrors mash.ContactAccess, so a query that forgets the
// policy still returns nothing it should not (defence in depth).
func contactScope(by mash.Actor, now time.Time, args *[]any) string {
	arg := func(v any) string {
		*args = append(*args, v)
		return fmt.Sprintf("$%d", len(*args))
	}
	if by.HubWide() {
		return "1=1"
	}
	var or []string
	switch by.Role {
	case mash.RoleReferrer:
		or = append(or, "c.created_by = "+arg(by.UserID))
	case mash.RoleResearcher:
		or = append(or, "EXISTS (SELECT 1 FROM info_requests q WHERE q.contact_id = c.id AND q.agency_id = "+arg(by.AgencyID)+")")
	case mash.RoleReceiver:
		or = append(or, "EXISTS (SELECT 1 FROM decisions d WHERE d.contact_id = c.id AND d.receiving_agency_id = "+arg(by.AgencyID)+")")
	}
	if mash.Can(by, mash.ActionBreakGlass, mash.Resource{}) {
		or = append(or, "EXISTS (SELECT 1 FROM break_glass g WHERE g.contact_id = c.id AND g.user_id = "+arg(by.UserID)+
			" AND g.expires_at > "+arg(now)+")")
	}
	if len(or) == 0 {
		return "1=0"
	}
	return "(" + strings.Join(or, " OR ") + ")"
}

// relation looks up what ties the actor to a contact.
func relation(ctx context.Context, q querier, by mash.Actor, c *mash.Contact, now time.Time) (mash.Relation, error) {
	rel := mash.Relation{SubmittedBy: c.CreatedBy}
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT agency_id FROM info_requests WHERE contact_id = $1`, c.ID)
	if err != nil {
		return rel, dbErr(err)
	}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			rows.Close()
			return rel, dbErr(err)
		}
		rel.RequestedAgencies = append(rel.RequestedAgencies, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rel, dbErr(err)
	}
	err = q.QueryRowContext(ctx, `SELECT receiving_agency_id FROM decisions WHERE contact_id = $1`, c.ID).Scan(&rel.ReceivingAgencyID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return rel, dbErr(err)
	}
	err = q.QueryRowContext(ctx, `SELECT reason FROM break_glass WHERE contact_id = $1 AND user_id = $2 AND expires_at > $3
		ORDER BY expires_at DESC LIMIT 1`, c.ID, by.UserID, now).Scan(&rel.BreakGlass)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return rel, dbErr(err)
	}
	return rel, nil
}

// visible loads a contact if the actor may see it, with the policy's answer.
// A contact outside the actor's scope is NotFound, exactly as one that does
// not exist, so guessing ids reveals nothing.
func visible(ctx context.Context, q querier, by mash.Actor, id string, now time.Time) (*mash.Contact, mash.Access, error) {
	args := []any{id}
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM contacts c WHERE c.id = $1 AND `+contactScope(by, now, &args), args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, mash.Access{}, errNoContact
	}
	if err != nil {
		return nil, mash.Access{}, dbErr(err)
	}
	c, err := loadContact(ctx, q, id)
	if err != nil {
		return nil, mash.Access{}, err
	}
	rel, err := relation(ctx, q, by, c, now)
	if err != nil {
		return nil, mash.Access{}, err
	}
	acc := mash.ContactAccess(by, rel)
	if !acc.Allowed || !mash.Can(by, mash.ActionContactRead, mash.Resource{Contact: &rel}) {
		return nil, mash.Access{}, errNoContact
	}
	return c, acc, nil
}

// GetContact returns a contact cut down to what the actor's view may show,
// and audits the read with the relationship that allowed it.
func (db *DB) GetContact(ctx context.Context, by mash.Actor, id string) (d *mash.ContactDetail, err error) {
	defer mash.Wrap(&err, "store.GetContact")
	now := db.Now().UTC()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		c, acc, err := visible(ctx, tx, by, id, now)
		if err != nil {
			return err
		}
		d = &mash.ContactDetail{Contact: *c, Overdue: c.Overdue(now)}
		if d.Requests, err = contactRequests(ctx, tx, c.ID, now); err != nil {
			return err
		}
		if d.Decision, err = loadDecision(ctx, tx, c.ID); err != nil {
			return err
		}
		if d.Feedback, err = loadFeedback(ctx, tx, c.ID); err != nil {
			return err
		}
		d.Redact(acc.View, by)
		if acc.View == mash.ViewHub {
			if d.AssignedTo, d.AssignedName, err = assignee(ctx, tx, c.ID); err != nil {
				return err
			}
		}
		return db.audit(ctx, tx, by, "contact.read", "contact", c.ID, acc.Why)
	})
	return d, err
}

// contactRequests loads all of a contact's requests with their returns; the
// caller redacts them for the reader's view.
func contactRequests(ctx context.Context, q querier, contactID string, now time.Time) ([]mash.InfoRequest, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+requestColumns+requestFrom+` WHERE r.contact_id = $1 ORDER BY r.requested_at, r.id`, contactID)
	if err != nil {
		return nil, dbErr(err)
	}
	reqs, err := scanRequests(rows, now)
	if err != nil {
		return nil, err
	}
	for i := range reqs {
		if err := loadReturn(ctx, q, &reqs[i]); err != nil {
			return nil, err
		}
	}
	if reqs == nil {
		reqs = []mash.InfoRequest{}
	}
	return reqs, nil
}

func loadDecision(ctx context.Context, q querier, contactID string) (*mash.Decision, error) {
	var d mash.Decision
	var outcomes, views string
	err := q.QueryRowContext(ctx, `SELECT id, contact_id, threshold_level, outcomes, rationale, agency_views, decided_by, decided_at, receiving_agency_id
		FROM decisions WHERE contact_id = $1`, contactID).Scan(&d.ID, &d.ContactID, &d.ThresholdLevel, &outcomes, &d.Rationale,
		&views, &d.DecidedBy, &d.DecidedAt, &d.ReceivingAgencyID)
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
	where := []string{contactScope(by, now, &args)}
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
	if f.Cohort != "" {
		if f.Cohort != mash.CohortChild && f.Cohort != mash.CohortAdult {
			fe.Add("cohort", "must be child or adult")
		}
		args = append(args, string(f.Cohort))
		where = append(where, fmt.Sprintf("c.cohort = $%d", len(args)))
	}
	if f.Open {
		// Named, not "<> 'closed'": an IN list uses the queue index, so
		// the live queue is read without scanning every closed contact.
		where = append(where, "c.status IN ("+openStatuses+")")
	}
	if cond := assignedCond(f.AssignedTo, by, &args, fe); cond != "" {
		where = append(where, cond)
	}
	if f.Agency != "" {
		args = append(args, f.Agency)
		where = append(where, fmt.Sprintf("EXISTS (SELECT 1 FROM info_requests q WHERE q.contact_id = c.id AND q.agency_id = $%d AND q.status = 'open')", len(args)))
	}
	if err := fe.Err("the filter is not valid"); err != nil {
		return nil, err
	}
	if !by.HubWide() && (f.AssignedTo != "" || f.Agency != "") {
		return nil, mash.Errorf(mash.KindForbidden, "only the hub's staff may filter by worker or agency")
	}
	if !by.HubWide() && (f.RAG != "" || f.Overdue != nil) {
		// Filtering on them would reveal them.
		return nil, mash.Errorf(mash.KindForbidden, "only the hub's staff may filter by rating or deadline")
	}
	q := `SELECT c.id, c.reference, c.status, c.cohort, c.rag, c.immediate_risk, c.received_at, c.due_at, c.version,
		COALESCE((SELECT s.given_name || ' ' || s.family_name FROM contact_subjects s WHERE s.contact_id = c.id AND s.role = 'subject' ORDER BY s.ord LIMIT 1), ''),
		COALESCE(c.assigned_to, ''), COALESCE((SELECT u.name FROM users u WHERE u.id = c.assigned_to), '')
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
			if err := rows.Scan(&s.ID, &s.Reference, &s.Status, &s.Cohort, &s.RAG, &s.ImmediateRisk, &s.ReceivedAt, &due, &s.Version, &s.Subject,
				&s.AssignedTo, &s.AssignedName); err != nil {
				return dbErr(err)
			}
			s.ReceivedAt, s.DueAt = s.ReceivedAt.UTC(), ptrTime(due)
			s.Overdue = (&mash.Contact{Status: s.Status, DueAt: s.DueAt}).Overdue(now)
			if !by.HubWide() {
				// The hub's rating and clock are its own working data.
				s.RAG, s.DueAt, s.Overdue = "", nil, false
				s.AssignedTo, s.AssignedName = "", ""
			}
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
	now := db.Now().UTC()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		c, acc, err := visible(ctx, tx, by, id, now)
		if err != nil {
			return err
		}
		if acc.View != mash.ViewHub {
			return mash.Errorf(mash.KindForbidden, "only the hub's own staff (or a break-glass grant) may read a contact's full history")
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
		if h.Requests, err = contactRequests(ctx, tx, c.ID, now); err != nil {
			return err
		}
		if h.Decision, err = loadDecision(ctx, tx, c.ID); err != nil {
			return err
		}
		if h.Feedback, err = loadFeedback(ctx, tx, c.ID); err != nil {
			return err
		}
		if err := historyFollowup(ctx, tx, h, now); err != nil { // feedback.go
			return err
		}
		return db.audit(ctx, tx, by, "contact.history", "contact", c.ID, acc.Why)
	})
	return h, err
}

var _ mash.Hub = (*DB)(nil)

// openStatuses is the SQL list of the states before closure.
var openStatuses = func() string {
	var q []string
	for _, st := range mash.Statuses {
		if st != mash.StatusClosed {
			q = append(q, "'"+string(st)+"'")
		}
	}
	return strings.Join(q, ",")
}()
