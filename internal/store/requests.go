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

// CreateRequest asks an agency what it holds about a contact.
func (db *DB) CreateRequest(ctx context.Context, by mash.Actor, contactID string, in mash.NewRequest) (r *mash.InfoRequest, err error) {
	if err := may(by, mash.ActionRequestCreate); err != nil {
		return nil, err
	}
	defer mash.Wrap(&err, "store.CreateRequest")
	err = db.tx(ctx, func(tx *sql.Tx) error {
		c, err := loadContact(ctx, tx, contactID)
		if err != nil {
			return err
		}
		if !by.HubWide() {
			return errNoContact
		}
		now := db.Now().UTC()
		if err := c.CheckRequest(&in, now); err != nil {
			return err
		}
		var agencyName string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM agencies WHERE id = $1`, in.AgencyID).Scan(&agencyName); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return &mash.Error{Kind: mash.KindInvalid, Msg: "the information request is not valid", Fields: map[string]string{"agency_id": "no such agency"}}
			}
			return dbErr(err)
		}
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM info_requests WHERE contact_id = $1 AND agency_id = $2 AND status = 'open'`,
			c.ID, in.AgencyID).Scan(&open); err != nil {
			return dbErr(err)
		}
		if open > 0 {
			return &mash.Error{Kind: mash.KindConflict, Msg: "this agency already has an open request for this contact",
				Fields: map[string]string{"agency_id": "already asked"}}
		}
		r = &mash.InfoRequest{ID: newID(), ContactID: c.ID, Reference: c.Reference, AgencyID: in.AgencyID, AgencyName: agencyName,
			Question: in.Question, Status: mash.RequestOpen, DueAt: in.DueAt.UTC(), RequestedBy: by.UserID, RequestedAt: now, Version: 1}
		if _, err := tx.ExecContext(ctx, `INSERT INTO info_requests (id, contact_id, agency_id, question, status, due_at, requested_by, requested_at, version)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, r.ID, r.ContactID, r.AgencyID, r.Question, string(r.Status), r.DueAt, r.RequestedBy, r.RequestedAt, r.Version); err != nil {
			return dbErr(err)
		}
		if err := db.scheduleRequest(ctx, tx, r); err != nil {
			return err
		}
		return db.audit(ctx, tx, by, "request.create", "info_request", r.ID, "")
	})
	return r, err
}

const requestColumns = `r.id, r.contact_id, c.reference, r.agency_id, a.name, r.question, r.status, r.due_at,
	r.requested_by, r.requested_at, r.version`

const requestFrom = ` FROM info_requests r JOIN contacts c ON c.id = r.contact_id JOIN agencies a ON a.id = r.agency_id`

// requestScope is the WHERE clause that limits requests to what the actor may
// see: the hub's own staff see all; an agency's researcher sees their agency's.
func requestScope(by mash.Actor, args *[]any) string {
	if by.HubWide() {
		return "1=1"
	}
	*args = append(*args, by.AgencyID)
	return fmt.Sprintf("r.agency_id = $%d", len(*args))
}

// ListRequests lists requests the actor may see, soonest due first.
func (db *DB) ListRequests(ctx context.Context, by mash.Actor, f mash.RequestFilter) (out []mash.InfoRequest, err error) {
	defer mash.Wrap(&err, "store.ListRequests")
	if !by.HubWide() && by.Role != mash.RoleResearcher {
		return nil, mash.Errorf(mash.KindForbidden, "your role cannot list information requests")
	}
	now := db.Now().UTC()
	var args []any
	where := []string{requestScope(by, &args)}
	if f.ContactID != "" {
		args = append(args, f.ContactID)
		where = append(where, fmt.Sprintf("r.contact_id = $%d", len(args)))
	}
	if len(f.ContactIDs) > 0 {
		var in []string
		for _, id := range f.ContactIDs {
			args = append(args, id)
			in = append(in, fmt.Sprintf("$%d", len(args)))
		}
		where = append(where, "r.contact_id IN ("+strings.Join(in, ",")+")")
	}
	switch f.Status {
	case "":
	case mash.RequestOpen, mash.RequestReturned:
		args = append(args, string(f.Status))
		where = append(where, fmt.Sprintf("r.status = $%d", len(args)))
	case mash.RequestOverdue:
		args = append(args, now)
		where = append(where, fmt.Sprintf("r.status = 'open' AND r.due_at < $%d", len(args)))
	default:
		return nil, &mash.Error{Kind: mash.KindInvalid, Msg: "unknown status filter", Fields: map[string]string{"status": "must be open, returned or overdue"}}
	}
	limit := clampLimit(f.Limit)
	err = db.tx(ctx, func(tx *sql.Tx) error {
		order := "r.due_at, r.id"
		if len(f.ContactIDs) > 0 {
			// By contact first, so the contact index answers the list
			// rather than every request of that state being read.
			order = "r.contact_id, r.due_at, r.id"
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+requestColumns+requestFrom+` WHERE `+strings.Join(where, " AND ")+
			fmt.Sprintf(` ORDER BY %s LIMIT %d`, order, limit), args...)
		if err != nil {
			return dbErr(err)
		}
		out, err = scanRequests(rows, now)
		if err != nil {
			return err
		}
		for i := range out {
			if out[i].Status != mash.RequestReturned {
				continue // nothing returned yet: no return to load
			}
			if err := loadReturn(ctx, tx, &out[i]); err != nil {
				return err
			}
		}
		if !by.HubWide() {
			out = mash.RedactRequests(mash.ViewResearcher, by, out)
		}
		return db.audit(ctx, tx, by, "request.list", "info_request", "", fmt.Sprintf("%d requests", len(out)))
	})
	return out, err
}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 100
	case n > 1000:
		return 1000
	}
	return n
}

func scanRequests(rows *sql.Rows, now time.Time) ([]mash.InfoRequest, error) {
	defer rows.Close()
	var out []mash.InfoRequest
	for rows.Next() {
		var r mash.InfoRequest
		if err := rows.Scan(&r.ID, &r.ContactID, &r.Reference, &r.AgencyID, &r.AgencyName, &r.Question, &r.Status,
			&r.DueAt, &r.RequestedBy, &r.RequestedAt, &r.Version); err != nil {
			return nil, dbErr(err)
		}
		r.DueAt, r.RequestedAt = r.DueAt.UTC(), r.RequestedAt.UTC()
		r.Effective(now)
		out = append(out, r)
	}
	return out, dbErr(rows.Err())
}

// loadReturn attaches a request's return, if any, and marks it overdue.
func loadReturn(ctx context.Context, q querier, r *mash.InfoRequest) error {
	var ret mash.AgencyReturn
	err := q.QueryRowContext(ctx, `SELECT id, request_id, outcome, legal_basis, reason, returned_by, returned_at
		FROM agency_returns WHERE request_id = $1`, r.ID).Scan(&ret.ID, &ret.RequestID, &ret.Outcome, &ret.LegalBasis,
		&ret.Reason, &ret.ReturnedBy, &ret.ReturnedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return dbErr(err)
	}
	ret.ReturnedAt = ret.ReturnedAt.UTC()
	rows, err := q.QueryContext(ctx, `SELECT i.id, i.summary, i.detail, i.occurred_on, i.owning_agency_id, i.marking, i.protected_names,
		r.approved_by, r.at, r.reason
		FROM return_items i LEFT JOIN item_releases r ON r.item_id = i.id WHERE i.return_id = $1 ORDER BY i.ord`, ret.ID)
	if err != nil {
		return dbErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var it mash.ReturnItem
		var names string
		var relBy, relReason sql.NullString
		var relAt sql.NullTime
		if err := rows.Scan(&it.ID, &it.Summary, &it.Detail, &it.OccurredOn, &it.OwningAgencyID, &it.Marking, &names,
			&relBy, &relAt, &relReason); err != nil {
			return dbErr(err)
		}
		if err := json.Unmarshal([]byte(names), &it.ProtectedNames); err != nil {
			return dbErr(err)
		}
		if relBy.Valid {
			it.Released = &mash.Release{By: relBy.String, At: relAt.Time.UTC(), Reason: relReason.String}
		}
		ret.Items = append(ret.Items, it)
	}
	r.Return = &ret
	return dbErr(rows.Err())
}

// SubmitReturn records an agency's answer to a request. Only a researcher of
// the agency that was asked may answer, once.
func (db *DB) SubmitReturn(ctx context.Context, by mash.Actor, requestID string, ret *mash.AgencyReturn, version int) (r *mash.InfoRequest, err error) {
	if err := may(by, mash.ActionReturnSubmit); err != nil {
		return nil, err
	}
	defer mash.Wrap(&err, "store.SubmitReturn")
	now := db.Now().UTC()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		var args []any
		args = append(args, requestID)
		scope := requestScope(by, &args)
		rows, err := tx.QueryContext(ctx, `SELECT `+requestColumns+requestFrom+` WHERE r.id = $1 AND `+scope, args...)
		if err != nil {
			return dbErr(err)
		}
		list, err := scanRequests(rows, now)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return mash.Errorf(mash.KindNotFound, "no such information request")
		}
		r = &list[0]
		if by.Role != mash.RoleResearcher || by.AgencyID != r.AgencyID {
			return mash.Errorf(mash.KindForbidden, "only a researcher of the agency that was asked may answer this request")
		}
		if err := ret.Validate(r.AgencyID, now); err != nil {
			return err
		}
		if r.Status == mash.RequestReturned {
			return mash.Errorf(mash.KindConflict, "this request has already been answered")
		}
		if version == 0 {
			return &mash.Error{Kind: mash.KindInvalid, Msg: "the version you last read is required (If-Match header or version field)",
				Fields: map[string]string{"version": "is required"}}
		}
		res, err := tx.ExecContext(ctx, `UPDATE info_requests SET status = 'returned', version = version + 1 WHERE id = $1 AND version = $2`, r.ID, version)
		if err != nil {
			return dbErr(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return staleErr(r.Version, version)
		}
		ret.ID, ret.RequestID, ret.ReturnedBy, ret.ReturnedAt = newID(), r.ID, by.UserID, now
		if _, err := tx.ExecContext(ctx, `INSERT INTO agency_returns (id, request_id, outcome, legal_basis, reason, returned_by, returned_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7)`, ret.ID, r.ID, string(ret.Outcome), strings.TrimSpace(ret.LegalBasis), strings.TrimSpace(ret.Reason), by.UserID, now); err != nil {
			return dbErr(err)
		}
		for i := range ret.Items {
			it := &ret.Items[i]
			it.ID = newID()
			names, _ := json.Marshal(append([]string{}, it.ProtectedNames...))
			if _, err := tx.ExecContext(ctx, `INSERT INTO return_items (id, return_id, ord, summary, detail, occurred_on, owning_agency_id, marking, protected_names)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, it.ID, ret.ID, i, it.Summary, it.Detail, it.OccurredOn, it.OwningAgencyID, string(it.Marking), string(names)); err != nil {
				if strings.Contains(err.Error(), "FOREIGN KEY") || strings.Contains(err.Error(), "23503") {
					return &mash.Error{Kind: mash.KindInvalid, Msg: "the return is not valid",
						Fields: map[string]string{fmt.Sprintf("items[%d].owning_agency_id", i): "no such agency"}}
				}
				return dbErr(err)
			}
		}
		r.Status, r.Version, r.Return = mash.RequestReturned, version+1, ret
		if err := db.audit(ctx, tx, by, "request.return", "info_request", r.ID, string(ret.Outcome)); err != nil {
			return err
		}
		// Items may name another agency as owner; the answer shows only what
		// the researcher's own view may.
		r = &mash.RedactRequests(mash.ViewResearcher, by, []mash.InfoRequest{*r})[0]
		return nil
	})
	return r, err
}

// Decide records the hub's decision on a contact in MASH and opens the
// feedback owed to the referrer (due within one working day).
func (db *DB) Decide(ctx context.Context, by mash.Actor, contactID string, d *mash.Decision) (*mash.Contact, error) {
	if by.Role != mash.RoleManager {
		return nil, mash.Errorf(mash.KindForbidden, "only a manager may record the decision")
	}
	policy, err := db.Policy(ctx)
	if err != nil {
		return nil, err
	}
	return db.mutateContact(ctx, by, contactID, d.Version, func(tx *sql.Tx, c *mash.Contact) (string, string, error) {
		if err := d.Validate(c.Cohort); err != nil {
			return "", "", err
		}
		fields := map[string]string{}
		if d.ReceivingAgencyID != "" {
			fields["receiving_agency_id"] = d.ReceivingAgencyID
		}
		for i, v := range d.AgencyViews {
			fields[fmt.Sprintf("agency_views[%d].agency_id", i)] = v.AgencyID
		}
		if err := agenciesExist(ctx, tx, fields, "the decision is not valid"); err != nil {
			return "", "", err
		}
		now := db.Now().UTC()
		t, err := c.Move(mash.StatusDecided, by, now, d.Rationale)
		if err != nil {
			return "", "", err
		}
		c.ThresholdLevel = d.ThresholdLevel
		c.DueAt = nil
		d.ID, d.ContactID, d.DecidedBy, d.DecidedAt = newID(), c.ID, by.UserID, now
		if d.AgencyViews == nil {
			d.AgencyViews = []mash.AgencyView{}
		}
		outcomes, _ := json.Marshal(d.Outcomes)
		views, _ := json.Marshal(d.AgencyViews)
		if _, err := tx.ExecContext(ctx, `INSERT INTO decisions (id, contact_id, threshold_level, outcomes, rationale, agency_views, decided_by, decided_at, receiving_agency_id)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, d.ID, c.ID, d.ThresholdLevel, string(outcomes), d.Rationale, string(views), by.UserID, now, d.ReceivingAgencyID); err != nil {
			return "", "", dbErr(err)
		}
		due := policy.Calendar.AddWorkingDays(now, 1).UTC()
		if _, err := tx.ExecContext(ctx, `INSERT INTO feedback (id, contact_id, status, due_at, text, sent_by, sent_at)
			VALUES ($1,$2,$3,$4,'','',NULL)`, newID(), c.ID, mash.FeedbackPending, due); err != nil {
			return "", "", dbErr(err)
		}
		return "contact.decide", "", insertTransition(ctx, tx, c.ID, t)
	})
}

// SendFeedback records the proportionate outcome sent to the referrer.
func (db *DB) SendFeedback(ctx context.Context, by mash.Actor, contactID, text string, version int) (*mash.Contact, error) {
	if err := may(by, mash.ActionFeedbackSend); err != nil {
		return nil, err
	}
	return db.mutateContact(ctx, by, contactID, version, func(tx *sql.Tx, c *mash.Contact) (string, string, error) {
		text = strings.TrimSpace(text)
		if text == "" {
			return "", "", &mash.Error{Kind: mash.KindInvalid, Msg: "the feedback is not valid", Fields: map[string]string{"text": "is required: the outcome as the referrer will read it"}}
		}
		if len(text) > 5000 {
			return "", "", &mash.Error{Kind: mash.KindInvalid, Msg: "the feedback is not valid", Fields: map[string]string{"text": "must be at most 5000 characters"}}
		}
		if err := checkFeedbackText(ctx, tx, c, text); err != nil { // feedback.go
			return "", "", err
		}
		now := db.Now().UTC()
		t, err := c.Move(mash.StatusFeedbackSent, by, now, "feedback sent to the referrer")
		if err != nil {
			return "", "", err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE feedback SET status = $1, text = $2, sent_by = $3, sent_at = $4 WHERE contact_id = $5`,
			mash.FeedbackSent, text, by.UserID, now, c.ID); err != nil {
			return "", "", dbErr(err)
		}
		return "contact.feedback", "", insertTransition(ctx, tx, c.ID, t)
	})
}

// agenciesExist checks that every agency id named (by field) exists, and
// reports the fields that name none.
func agenciesExist(ctx context.Context, q querier, ids map[string]string, msg string) error {
	fe := mash.FieldErrors{}
	for field, id := range ids {
		var one int
		err := q.QueryRowContext(ctx, `SELECT 1 FROM agencies WHERE id = $1`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			fe.Add(field, "no such agency")
		} else if err != nil {
			return dbErr(err)
		}
	}
	return fe.Err(msg)
}
