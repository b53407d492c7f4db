package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"openmash.org/mash"
)

// Feedback to the referrer: the acknowledgement at intake, the templates the
// outcome is written from, the check of the text a screener sends, the
// overdue-feedback alert and a referrer's view of their own referrals.

const feedbackTemplatesKey = "feedback_templates"

// JobFeedbackOverdue alerts the hub's managers when feedback owed to a
// referrer was not sent by its due time, and records the breach.
const JobFeedbackOverdue = "feedback.overdue"

// feedbackTemplates loads the wording in force: the stored one, or the default.
func feedbackTemplates(ctx context.Context, q querier) (mash.FeedbackTemplates, error) {
	return loadSetting(ctx, q, feedbackTemplatesKey, mash.DefaultFeedbackTemplates)
}

// FeedbackTemplates returns the wording in force.
func (db *DB) FeedbackTemplates(ctx context.Context, by mash.Actor) (t mash.FeedbackTemplates, err error) {
	defer mash.Wrap(&err, "store.FeedbackTemplates")
	if err := may(by, mash.ActionPolicyRead); err != nil {
		return t, err
	}
	return feedbackTemplates(ctx, db.r)
}

// SetFeedbackTemplates replaces the wording (admin); the version goes up by one.
func (db *DB) SetFeedbackTemplates(ctx context.Context, by mash.Actor, t *mash.FeedbackTemplates) (err error) {
	defer mash.Wrap(&err, "store.SetFeedbackTemplates")
	if err := may(by, mash.ActionFollowupManage); err != nil {
		return err
	}
	if err := t.Validate(); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		cur, err := feedbackTemplates(ctx, tx)
		if err != nil {
			return err
		}
		t.Version = cur.Version + 1
		if err := putSetting(ctx, tx, feedbackTemplatesKey, t, db.Now().UTC()); err != nil {
			return err
		}
		return db.audit(ctx, tx, by, "feedback_templates.update", "settings", feedbackTemplatesKey, fmt.Sprintf("version %d", t.Version))
	})
}

// acknowledge records the acknowledgement of a new contact in its intake
// transaction. A referrer who is a hub user gets an in-app notification; an
// external referrer's acknowledgement is recorded as sent for the outbound
// channels. The message carries only the reference and the date.
func (db *DB) acknowledge(ctx context.Context, tx querier, by mash.Actor, c *mash.Contact) error {
	t, err := feedbackTemplates(ctx, tx)
	if err != nil {
		return err
	}
	now := db.jobNow()
	msg := t.Acknowledge(c.Reference, c.ReceivedAt)
	channel, recipient := mash.AckExternal, any(nil)
	if by.Role == mash.RoleReferrer {
		channel, recipient = mash.AckInApp, by.UserID
		if err := db.notify(ctx, tx, "ack:"+c.ID, []string{by.UserID}, "referral.acknowledged", c.Reference, "/contacts/"+c.ID, msg); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO acknowledgements (id, contact_id, channel, recipient_user_id, message, sent_at)
		VALUES ($1,$2,$3,$4,$5,$6)`, newID(), c.ID, channel, recipient, msg, now)
	return dbErr(err)
}

func loadAcknowledgement(ctx context.Context, q querier, contactID string) (*mash.Acknowledgement, error) {
	var a mash.Acknowledgement
	err := q.QueryRowContext(ctx, `SELECT id, contact_id, channel, message, sent_at FROM acknowledgements WHERE contact_id = $1`,
		contactID).Scan(&a.ID, &a.ContactID, &a.Channel, &a.Message, &a.SentAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, dbErr(err)
	}
	a.SentAt = a.SentAt.UTC()
	return &a, nil
}

// checkFeedbackText refuses feedback that names one of the contact's other
// subjects (anyone but the person the referral is about), a protected third
// party from a partner's return, or repeats a mash_only item's summary. The
// message says what to remove, never what it found.
func checkFeedbackText(ctx context.Context, q querier, c *mash.Contact, text string) error {
	main := map[string]bool{}
	for _, s := range c.Subjects {
		if s.Role == mash.SubjectMain {
			main[strings.ToLower(s.GivenName)] = true
			main[strings.ToLower(s.GivenName+" "+s.FamilyName)] = true
		}
	}
	var names []string
	for _, s := range c.Subjects {
		if s.Role == mash.SubjectMain {
			continue
		}
		for _, n := range []string{s.GivenName + " " + s.FamilyName, s.GivenName} {
			if n = strings.TrimSpace(n); len(n) >= 2 && !main[strings.ToLower(n)] {
				names = append(names, n)
			}
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT i.summary, i.marking, i.protected_names FROM return_items i
		JOIN agency_returns r ON r.id = i.return_id JOIN info_requests q ON q.id = r.request_id WHERE q.contact_id = $1`, c.ID)
	if err != nil {
		return dbErr(err)
	}
	defer rows.Close()
	var summaries []string
	for rows.Next() {
		var summary, marking, protected string
		if err := rows.Scan(&summary, &marking, &protected); err != nil {
			return dbErr(err)
		}
		var ps []string
		if err := json.Unmarshal([]byte(protected), &ps); err != nil {
			return dbErr(err)
		}
		names = append(names, ps...)
		if mash.Marking(marking) == mash.MarkingMASHOnly && len(strings.TrimSpace(summary)) >= 8 {
			summaries = append(summaries, strings.TrimSpace(summary))
		}
	}
	if err := rows.Err(); err != nil {
		return dbErr(err)
	}
	fe := mash.FieldErrors{}
	for _, n := range names {
		if n = strings.TrimSpace(n); n != "" && regexp.MustCompile(`(?i)\b`+regexp.QuoteMeta(n)+`\b`).MatchString(text) {
			fe.Add("text", "names someone other than the person the referral is about: remove third parties' names")
			break
		}
	}
	lower := strings.ToLower(text)
	for _, s := range summaries {
		if strings.Contains(lower, strings.ToLower(s)) {
			fe.Add("text", "repeats information a partner agency marked for the hub only: tell the outcome, not the partners' information")
			break
		}
	}
	return fe.Err("the feedback is not valid")
}

// scheduleFeedback enqueues the overdue check of the feedback a decision
// opened, at its due time. Called in the decision's transaction.
func (db *DB) scheduleFeedback(ctx context.Context, tx querier, c *mash.Contact) error {
	var due time.Time
	err := tx.QueryRowContext(ctx, `SELECT due_at FROM feedback WHERE contact_id = $1`, c.ID).Scan(&due)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return dbErr(err)
	}
	_, err = db.enqueue(ctx, tx, NewJob{Kind: JobFeedbackOverdue, Key: "feedback:" + c.ID,
		Payload: contactJob{ContactID: c.ID, DueAt: due.UTC().Truncate(time.Microsecond)}, RunAt: due})
	return err
}

// runFeedbackOverdue records the breach and alerts the managers, once, if
// the feedback is still not sent.
func (db *DB) runFeedbackOverdue(ctx context.Context, tx *sql.Tx, j *mash.Job) error {
	var p contactJob
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.ContactID == "" {
		return mash.Errorf(mash.KindInvalid, "the job's payload is not a feedback deadline")
	}
	var status, reference string
	var due time.Time
	err := tx.QueryRowContext(ctx, `SELECT f.status, f.due_at, c.reference FROM feedback f JOIN contacts c ON c.id = f.contact_id
		WHERE f.contact_id = $1`, p.ContactID).Scan(&status, &due, &reference)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return dbErr(err)
	}
	if status == mash.FeedbackSent {
		return nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO feedback_breaches (id, contact_id, due_at, breached_at) VALUES ($1,$2,$3,$4)
		ON CONFLICT (contact_id) DO NOTHING`, newID(), p.ContactID, due.UTC(), db.jobNow())
	if err != nil {
		return dbErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // already recorded and alerted
	}
	managers, err := usersWhere(ctx, tx, `role = 'manager'`)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Feedback to the referrer of %s is overdue: it was due %s.", reference, londonTime(due))
	if err := db.notify(ctx, tx, j.ID, managers, "feedback.overdue", reference, "/contacts/"+p.ContactID, msg); err != nil {
		return err
	}
	return db.audit(ctx, tx, jobActor(j), "feedback.breach", "contact", p.ContactID, fmt.Sprintf("%d notified", len(managers)))
}

func loadFeedbackBreach(ctx context.Context, q querier, contactID string) (*mash.FeedbackBreach, error) {
	var b mash.FeedbackBreach
	err := q.QueryRowContext(ctx, `SELECT b.contact_id, c.reference, b.due_at, b.breached_at FROM feedback_breaches b
		JOIN contacts c ON c.id = b.contact_id WHERE b.contact_id = $1`, contactID).Scan(&b.ContactID, &b.Reference, &b.DueAt, &b.BreachedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, dbErr(err)
	}
	b.DueAt, b.BreachedAt = b.DueAt.UTC(), b.BreachedAt.UTC()
	return &b, nil
}

// ListFeedbackBreaches lists feedback sent late or not at all, newest first,
// for managers and analysts.
func (db *DB) ListFeedbackBreaches(ctx context.Context, by mash.Actor, limit int) (out []mash.FeedbackBreach, err error) {
	defer mash.Wrap(&err, "store.ListFeedbackBreaches")
	if err := may(by, mash.ActionBreachRead); err != nil {
		return nil, err
	}
	rows, err := db.r.QueryContext(ctx, `SELECT b.contact_id, c.reference, b.due_at, b.breached_at FROM feedback_breaches b
		JOIN contacts c ON c.id = b.contact_id ORDER BY b.breached_at DESC, b.id LIMIT `+fmt.Sprint(clampLimit(limit)))
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	out = []mash.FeedbackBreach{}
	for rows.Next() {
		var b mash.FeedbackBreach
		if err := rows.Scan(&b.ContactID, &b.Reference, &b.DueAt, &b.BreachedAt); err != nil {
			return nil, dbErr(err)
		}
		b.DueAt, b.BreachedAt = b.DueAt.UTC(), b.BreachedAt.UTC()
		out = append(out, b)
	}
	return out, dbErr(rows.Err())
}

// FeedbackDraft is the templated outcome of a decided contact, to pre-fill
// the feedback form. The read is audited.
func (db *DB) FeedbackDraft(ctx context.Context, by mash.Actor, contactID string) (text string, err error) {
	defer mash.Wrap(&err, "store.FeedbackDraft")
	if err := may(by, mash.ActionFeedbackSend); err != nil {
		return "", err
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		c, acc, err := visible(ctx, tx, by, contactID, db.Now().UTC())
		if err != nil {
			return err
		}
		d, err := loadDecision(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		if d == nil {
			return mash.Errorf(mash.KindConflict, "the contact has no decision yet: feedback follows the decision")
		}
		t, err := feedbackTemplates(ctx, tx)
		if err != nil {
			return err
		}
		text = t.Render(c.Reference, d.DecidedAt, d.Outcomes)
		return db.audit(ctx, tx, by, "contact.feedback_draft", "contact", c.ID, acc.Why)
	})
	return text, err
}

// MyReferrals lists the contacts the caller recorded, newest first, with
// their status, acknowledgement and the outcome sent: what a police or
// partner referrer is owed, and nothing of the hub's working.
func (db *DB) MyReferrals(ctx context.Context, by mash.Actor, limit int) (out []mash.Referral, err error) {
	defer mash.Wrap(&err, "store.MyReferrals")
	if err := may(by, mash.ActionReferralsRead); err != nil {
		return nil, err
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT c.id, c.reference, c.status, c.received_at, a.sent_at,
			COALESCE(f.status, ''), COALESCE(f.text, ''), f.sent_at
			FROM contacts c LEFT JOIN acknowledgements a ON a.contact_id = c.id LEFT JOIN feedback f ON f.contact_id = c.id
			WHERE c.created_by = $1 ORDER BY c.received_at DESC, c.id LIMIT `+fmt.Sprint(clampLimit(limit)), by.UserID)
		if err != nil {
			return dbErr(err)
		}
		defer rows.Close()
		out = []mash.Referral{}
		for rows.Next() {
			var r mash.Referral
			var ack, sent sql.NullTime
			var fstatus, text string
			if err := rows.Scan(&r.ContactID, &r.Reference, &r.Status, &r.ReceivedAt, &ack, &fstatus, &text, &sent); err != nil {
				return dbErr(err)
			}
			r.ReceivedAt, r.AcknowledgedAt = r.ReceivedAt.UTC(), ptrTime(ack)
			if fstatus == mash.FeedbackSent {
				r.Outcome, r.FeedbackSentAt = text, ptrTime(sent)
			}
			out = append(out, r)
		}
		if err := rows.Err(); err != nil {
			return dbErr(err)
		}
		return db.audit(ctx, tx, by, "referral.list", "contact", "", fmt.Sprintf("%d referrals", len(out)))
	})
	return out, err
}

// historyFollowup adds the acknowledgement, any feedback breach and the
// disagreements to a contact's history.
func historyFollowup(ctx context.Context, q querier, h *mash.History, now time.Time) (err error) {
	if h.Acknowledgement, err = loadAcknowledgement(ctx, q, h.ContactID); err != nil {
		return err
	}
	if h.FeedbackBreach, err = loadFeedbackBreach(ctx, q, h.ContactID); err != nil {
		return err
	}
	h.Disagreements, err = loadDisagreements(ctx, q, `d.contact_id = $1`, []any{h.ContactID}, now, 1000)
	return err
}
