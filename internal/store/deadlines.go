package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // messages show times in Europe/London

	"openmash.org/mash"
)

// Deadlines in motion. When a request is made or a contact gets a deadline,
// jobs are enqueued in the same transaction; when each runs it checks that
// its reason still holds (the request is still open, the contact still has
// that deadline and is not decided or closed) and otherwise does nothing.

// The hub's job kinds.
const (
	JobRequestReminder    = "request.reminder"    // remind the asked agency before the due time
	JobRequestOverdue     = "request.overdue"     // alert the agency and the hub's managers at the due time
	JobContactApproaching = "contact.approaching" // the contact's deadline is near
	JobContactBreach      = "contact.breach"      // the contact's deadline passed: record the breach
)

var builtinJobs = map[string]func(db *DB, ctx context.Context, tx *sql.Tx, j *mash.Job) error{
	JobRequestReminder:    (*DB).runRequestChase,
	JobRequestOverdue:     (*DB).runRequestChase,
	JobContactApproaching: (*DB).runContactDeadline,
	JobContactBreach:      (*DB).runContactDeadline,

	// Referrer feedback (feedback.go) and professional disagreement (disagreements.go).
	JobFeedbackOverdue:     (*DB).runFeedbackOverdue,
	JobDisagreementOverdue: (*DB).runDisagreementOverdue,
}

type requestJob struct {
	RequestID string `json:"request_id"`
	Percent   int    `json:"percent"` // of the time from asking to the due time
}

type contactJob struct {
	ContactID string    `json:"contact_id"`
	DueAt     time.Time `json:"due_at"` // the deadline the job was set for
}

// scheduleRequest enqueues a request's reminders and its overdue alert.
func (db *DB) scheduleRequest(ctx context.Context, tx querier, r *mash.InfoRequest) error {
	for _, pct := range mash.RequestReminderAt {
		if _, err := db.enqueue(ctx, tx, NewJob{Kind: JobRequestReminder, Key: fmt.Sprintf("remind:%s:%d", r.ID, pct),
			Payload: requestJob{r.ID, pct}, RunAt: mash.PointInTime(r.RequestedAt, r.DueAt, pct)}); err != nil {
			return err
		}
	}
	_, err := db.enqueue(ctx, tx, NewJob{Kind: JobRequestOverdue, Key: "overdue:" + r.ID,
		Payload: requestJob{r.ID, 100}, RunAt: r.DueAt})
	return err
}

// scheduleContactDeadline enqueues the approaching alert and the breach check
// of a contact's deadline, when it has one that differs from before. Jobs of
// an earlier deadline find it moved and do nothing.
func (db *DB) scheduleContactDeadline(ctx context.Context, tx querier, c *mash.Contact, before *time.Time) error {
	if c.DueAt == nil || (before != nil && before.Equal(*c.DueAt)) {
		return nil
	}
	now, due := db.Now().UTC(), c.DueAt.UTC().Truncate(time.Microsecond)
	p := contactJob{c.ID, due}
	stamp := due.Format(time.RFC3339Nano)
	if at := mash.PointInTime(now, due, mash.ContactApproaching); at.After(now) && at.Before(due) {
		if _, err := db.enqueue(ctx, tx, NewJob{Kind: JobContactApproaching, Key: "approach:" + c.ID + ":" + stamp,
			Payload: p, RunAt: at}); err != nil {
			return err
		}
	}
	_, err := db.enqueue(ctx, tx, NewJob{Kind: JobContactBreach, Key: "breach:" + c.ID + ":" + stamp, Payload: p, RunAt: due})
	return err
}

// jobActor is who the audit log names for a job's work.
func jobActor(j *mash.Job) mash.Actor {
	return mash.Actor{UserID: System.UserID, Name: System.Name, Role: System.Role, RequestID: "job:" + j.ID}
}

// usersWhere lists the ids of enabled users matching cond (with args).
func usersWhere(ctx context.Context, q querier, cond string, args ...any) ([]string, error) {
	return ids(ctx, q, `SELECT id FROM users WHERE disabled_at IS NULL AND `+cond+` ORDER BY id`, args...)
}

func londonTime(t time.Time) string {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 2 Jan 15:04")
}

// runRequestChase reminds the asked agency's researchers of an open request
// (and, when overdue, the hub's managers too), and logs the chase on the
// contact. An answered request sends nothing.
func (db *DB) runRequestChase(ctx context.Context, tx *sql.Tx, j *mash.Job) error {
	var p requestJob
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.RequestID == "" {
		return mash.Errorf(mash.KindInvalid, "the job's payload is not a request chase")
	}
	var contactID, reference, agencyID, status string
	var due time.Time
	err := tx.QueryRowContext(ctx, `SELECT r.contact_id, c.reference, r.agency_id, r.status, r.due_at
		FROM info_requests r JOIN contacts c ON c.id = r.contact_id WHERE r.id = $1`, p.RequestID).
		Scan(&contactID, &reference, &agencyID, &status, &due)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // gone: nothing to chase
	}
	if err != nil {
		return dbErr(err)
	}
	if mash.RequestStatus(status) != mash.RequestOpen {
		return nil
	}
	users, err := usersWhere(ctx, tx, `role = 'researcher' AND agency_id = $1`, agencyID)
	if err != nil {
		return err
	}
	kind, chase := "request.reminder", "reminder"
	msg := fmt.Sprintf("Information request for %s is due %s.", reference, londonTime(due))
	if j.Kind == JobRequestOverdue {
		kind, chase = "request.overdue", "overdue"
		msg = fmt.Sprintf("Information request for %s is overdue: it was due %s.", reference, londonTime(due))
		managers, err := usersWhere(ctx, tx, `role = 'manager'`)
		if err != nil {
			return err
		}
		users = append(users, managers...)
	}
	if err := db.notify(ctx, tx, j.ID, users, kind, reference, "/contacts/"+contactID, msg); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO request_chases (id, request_id, contact_id, kind, percent, at, notified)
		VALUES ($1,$2,$3,$4,$5,$6,$7)`, newID(), p.RequestID, contactID, chase, p.Percent, db.jobNow(), len(users)); err != nil {
		return dbErr(err)
	}
	return db.audit(ctx, tx, jobActor(j), "request.chase", "info_request", p.RequestID,
		fmt.Sprintf("%s at %d%%; %d notified", chase, p.Percent, len(users)))
}

// runContactDeadline alerts the hub's managers that a contact's deadline is
// near, or has passed (then recording the breach), unless the contact has
// been decided or closed, or its deadline has moved, since.
func (db *DB) runContactDeadline(ctx context.Context, tx *sql.Tx, j *mash.Job) error {
	var p contactJob
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.ContactID == "" {
		return mash.Errorf(mash.KindInvalid, "the job's payload is not a contact deadline")
	}
	var reference, status, rag string
	var due sql.NullTime
	err := tx.QueryRowContext(ctx, `SELECT reference, status, rag, due_at FROM contacts WHERE id = $1`, p.ContactID).
		Scan(&reference, &status, &rag, &due)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return dbErr(err)
	}
	switch mash.Status(status) {
	case mash.StatusDecided, mash.StatusFeedbackSent, mash.StatusClosed:
		return nil
	}
	if !due.Valid || !due.Time.Truncate(time.Microsecond).Equal(p.DueAt) {
		return nil // no deadline now, or a newer one with jobs of its own
	}
	managers, err := usersWhere(ctx, tx, `role = 'manager'`)
	if err != nil {
		return err
	}
	label := rag
	if label == "" {
		label = "screening"
	}
	link := "/contacts/" + p.ContactID
	if j.Kind == JobContactApproaching {
		if !db.Now().Before(p.DueAt) {
			return nil // ran late: the breach check says more
		}
		msg := fmt.Sprintf("Contact %s (%s) is due %s.", reference, label, londonTime(p.DueAt))
		if err := db.notify(ctx, tx, j.ID, managers, "contact.approaching", reference, link, msg); err != nil {
			return err
		}
		return db.audit(ctx, tx, jobActor(j), "contact.alert", "contact", p.ContactID, "deadline approaching")
	}
	now := db.jobNow()
	res, err := tx.ExecContext(ctx, `INSERT INTO contact_breaches (id, contact_id, rag, due_at, breached_at, reason, reason_by, reason_at)
		VALUES ($1,$2,$3,$4,$5,'',NULL,NULL) ON CONFLICT (contact_id, due_at) DO NOTHING`, newID(), p.ContactID, rag, p.DueAt, now)
	if err != nil {
		return dbErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // already recorded
	}
	msg := fmt.Sprintf("Contact %s (%s) missed its deadline of %s.", reference, label, londonTime(p.DueAt))
	if err := db.notify(ctx, tx, j.ID, managers, "contact.breach", reference, link, msg); err != nil {
		return err
	}
	return db.audit(ctx, tx, jobActor(j), "contact.breach", "contact", p.ContactID, label)
}

const breachColumns = `b.id, b.contact_id, c.reference, b.rag, b.due_at, b.breached_at, b.reason, b.reason_by, b.reason_at`

func scanBreach(row interface{ Scan(...any) error }) (*mash.Breach, error) {
	var b mash.Breach
	var by sql.NullString
	var at sql.NullTime
	if err := row.Scan(&b.ID, &b.ContactID, &b.Reference, &b.RAG, &b.DueAt, &b.BreachedAt, &b.Reason, &by, &at); err != nil {
		return nil, dbErr(err)
	}
	b.DueAt, b.BreachedAt, b.ReasonBy, b.ReasonAt = b.DueAt.UTC(), b.BreachedAt.UTC(), by.String, ptrTime(at)
	return &b, nil
}

// ListBreaches lists recorded deadline breaches, newest first, for managers
// and analysts.
func (db *DB) ListBreaches(ctx context.Context, by mash.Actor, f mash.BreachFilter) (out []mash.Breach, err error) {
	defer mash.Wrap(&err, "store.ListBreaches")
	if err := may(by, mash.ActionBreachRead); err != nil {
		return nil, err
	}
	where := "1=1"
	if f.Unexplained {
		where = "b.reason = ''"
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+breachColumns+` FROM contact_breaches b JOIN contacts c ON c.id = b.contact_id
		WHERE `+where+` ORDER BY b.breached_at DESC, b.id LIMIT `+fmt.Sprint(clampLimit(f.Limit)))
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	out = []mash.Breach{}
	for rows.Next() {
		b, err := scanBreach(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *b)
	}
	return out, dbErr(rows.Err())
}

// ExplainBreach records why a contact's deadline was missed. The reason is
// given once, by a manager, and audited.
func (db *DB) ExplainBreach(ctx context.Context, by mash.Actor, id, reason string) (b *mash.Breach, err error) {
	defer mash.Wrap(&err, "store.ExplainBreach")
	if err := may(by, mash.ActionBreachExplain); err != nil {
		return nil, err
	}
	if err := required("reason", reason, "the reason is not valid"); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	err = db.tx(ctx, func(tx *sql.Tx) error {
		load := func() error {
			b, err = scanBreach(tx.QueryRowContext(ctx, `SELECT `+breachColumns+` FROM contact_breaches b
				JOIN contacts c ON c.id = b.contact_id WHERE b.id = $1`, id))
			if errors.Is(err, sql.ErrNoRows) {
				return mash.Errorf(mash.KindNotFound, "no such breach")
			}
			return err
		}
		if err := load(); err != nil {
			return err
		}
		if b.Reason != "" {
			return mash.Errorf(mash.KindConflict, "a reason has already been given for this breach")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contact_breaches SET reason = $1, reason_by = $2, reason_at = $3 WHERE id = $4 AND reason = ''`,
			reason, by.UserID, db.Now().UTC(), id); err != nil {
			return dbErr(err)
		}
		if err := load(); err != nil {
			return err
		}
		return db.audit(ctx, tx, by, "contact.breach_reason", "contact", b.ContactID, b.ID)
	})
	return b, err
}
