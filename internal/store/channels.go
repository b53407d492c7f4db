package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/notify"
)

// Notification channels beyond the hub: email for every in-app notification,
// and signed webhooks to partner systems for alerts and milestones.
//
// Both are jobs, enqueued in the transaction that makes the notification or
// the event, so neither blocks that transaction and a crash loses neither.
// Unlike the hub's own jobs, a delivery talks to another system, so it runs
// outside any transaction (on SQLite a transaction holds the one writer):
// the runner's claim is checked, the message is sent, and then the outcome
// is recorded and the job marked done in one short transaction. Claims are
// exclusive, so two instances never both send one message. The one gap is
// a crash between sending and recording: the job is claimed again once its
// lease runs out and the message goes twice (at least once, never lost);
// webhook receivers deduplicate on X-OpenMASH-Event-Id.

// The delivery job kinds.
const (
	JobEmail   = "email.send"      // email one notification to its user
	JobWebhook = "webhook.deliver" // POST one event to one endpoint
)

// Channels configures delivery beyond the hub for this instance.
type Channels struct {
	// Mail sends the emails; nil means no email: none is enqueued.
	Mail *notify.Mailer
	// PublicURL is the hub's address as users reach it, e.g.
	// https://mash.example.gov.uk; emails link to PublicURL + the
	// notification's path.
	PublicURL string
	// HTTP posts webhooks (nil: notify.DefaultClient).
	HTTP *http.Client
}

// channelsKey keeps the channel settings beside the job handlers (see
// HandleJob): a key no job kind can equal.
type channelsKey struct{}

// SetChannels configures email and webhook delivery. Call it before the
// runners start.
func (db *DB) SetChannels(c Channels) { db.jobFuncs.Store(channelsKey{}, &c) }

func (db *DB) channels() *Channels {
	if v, ok := db.jobFuncs.Load(channelsKey{}); ok {
		return v.(*Channels)
	}
	return &Channels{}
}

// deliveryJobs run outside a transaction (see above); RunJob sends their
// kinds here.
var deliveryJobs = map[string]func(db *DB, ctx context.Context, j *mash.Job, owner string) error{
	JobEmail:   (*DB).runEmail,
	JobWebhook: (*DB).runWebhook,
}

type emailJob struct {
	NotificationID string `json:"notification_id"`
}

type webhookJob struct {
	WebhookID string            `json:"webhook_id"`
	Event     mash.WebhookEvent `json:"event"`
}

// afterNotify enqueues what follows a new notification: its email, if this
// instance sends email. Called in the notification's transaction.
func (db *DB) afterNotify(ctx context.Context, tx querier, notificationID string) error {
	if db.channels().Mail == nil {
		return nil
	}
	_, err := db.enqueue(ctx, tx, NewJob{Kind: JobEmail, Key: "email:" + notificationID,
		Payload: emailJob{notificationID}, RunAt: db.Now()})
	return err
}

// contactOfLink is the contact a notification's link opens, if any.
func contactOfLink(link string) string {
	if id, ok := strings.CutPrefix(link, "/contacts/"); ok && !strings.Contains(id, "/") {
		return id
	}
	return ""
}

// auditEvents maps audited actions to the webhook events they raise.
var auditEvents = map[string]string{
	"contact.create":   mash.EventContactCreated,
	"contact.decide":   mash.EventContactDecided,
	"contact.feedback": mash.EventFeedbackSent,
}

// publishAudited raises the webhook event of an audited change to a contact,
// if it has one (called by audit, in the change's transaction).
func (db *DB) publishAudited(ctx context.Context, tx querier, action, entityType, entityID string) error {
	kind, ok := auditEvents[action]
	if !ok || entityType != "contact" {
		return nil
	}
	return db.publish(ctx, tx, kind, entityID, "")
}

// publish enqueues one delivery of a new event to each live endpoint that
// subscribes to its kind. An empty reference is looked up.
func (db *DB) publish(ctx context.Context, tx querier, kind, contactID, reference string) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, events FROM webhooks WHERE deleted_at IS NULL ORDER BY id`)
	if err != nil {
		return dbErr(err)
	}
	var hooks []string
	for rows.Next() {
		var id, events string
		if err := rows.Scan(&id, &events); err != nil {
			rows.Close()
			return dbErr(err)
		}
		for e := range strings.FieldsSeq(events) {
			if e == kind {
				hooks = append(hooks, id)
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(hooks) == 0 {
		return dbErr(err)
	}
	if reference == "" && contactID != "" {
		if err := tx.QueryRowContext(ctx, `SELECT reference FROM contacts WHERE id = $1`, contactID).Scan(&reference); err != nil &&
			!errors.Is(err, sql.ErrNoRows) {
			return dbErr(err)
		}
	}
	ev := mash.WebhookEvent{ID: newID(), Kind: kind, ContactID: contactID, Reference: reference, OccurredAt: db.jobNow()}
	for _, h := range hooks {
		if _, err := db.enqueue(ctx, tx, NewJob{Kind: JobWebhook, Key: "webhook:" + ev.ID + ":" + h,
			Payload: webhookJob{h, ev}, RunAt: db.Now()}); err != nil {
			return err
		}
	}
	return nil
}

// claimHeld reports whether owner still holds its claim on j.
func (db *DB) claimHeld(ctx context.Context, j *mash.Job, owner string) error {
	var one int
	err := db.r.QueryRowContext(ctx, `SELECT 1 FROM jobs WHERE id = $1 AND state = 'running' AND lease_owner = $2 AND attempts = $3`,
		j.ID, owner, j.Attempts).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return mash.ErrLeaseLost
	}
	return dbErr(err)
}

// finishDelivery records a delivery attempt and, if it succeeded (or there
// was nothing to deliver), marks the job done for owner's claim, in one
// transaction. The record commits even if the claim was lost meanwhile: the
// attempt happened.
func (db *DB) finishDelivery(ctx context.Context, j *mash.Job, owner string, done bool, record func(tx *sql.Tx) error) error {
	lost := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		lost = false
		if record != nil {
			if err := record(tx); err != nil {
				return err
			}
		}
		if !done {
			return nil
		}
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'done', lease_until = NULL, last_error = '', updated_at = $1
			WHERE id = $2 AND state = 'running' AND lease_owner = $3 AND attempts = $4`, db.jobNow(), j.ID, owner, j.Attempts)
		if err != nil {
			return dbErr(err)
		}
		n, _ := res.RowsAffected()
		lost = n != 1
		return nil
	})
	if err == nil && lost {
		return mash.ErrLeaseLost
	}
	return err
}

// runEmail emails one notification to its user: the kind of alert, the
// contact's reference and a link, nothing more. A 5xx refusal fails the job
// at once; anything else is retried.
func (db *DB) runEmail(ctx context.Context, j *mash.Job, owner string) error {
	var p emailJob
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.NotificationID == "" {
		return mash.Errorf(mash.KindInvalid, "the job's payload is not an email")
	}
	if err := db.claimHeld(ctx, j, owner); err != nil {
		return err
	}
	var kind, reference, link, email string
	var disabled sql.NullTime
	var sent int
	err := db.r.QueryRowContext(ctx, `SELECT n.kind, n.reference, n.link, u.email, u.disabled_at,
		(SELECT count(*) FROM email_sends s WHERE s.notification_id = n.id)
		FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.id = $1`, p.NotificationID).
		Scan(&kind, &reference, &link, &email, &disabled, &sent)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (disabled.Valid || email == "" || sent > 0) {
		return db.finishDelivery(ctx, j, owner, true, nil) // nothing (more) to send
	}
	if err != nil {
		return dbErr(err)
	}
	ch := db.channels()
	if ch.Mail == nil {
		return errors.New("this instance has no SMTP server configured (MASH_SMTP_ADDR)")
	}
	msg := notify.Message{To: email, Kind: kind, Reference: reference, Link: strings.TrimSuffix(ch.PublicURL, "/") + link}
	if err := ch.Mail.Send(ctx, msg); err != nil {
		var perm *notify.PermanentError
		if errors.As(err, &perm) {
			return &mash.Error{Kind: mash.KindInvalid, Msg: "the SMTP server refused the message for good", Err: err}
		}
		return err
	}
	return db.finishDelivery(ctx, j, owner, true, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO email_sends (notification_id, job_id, sent_at) VALUES ($1,$2,$3)
			ON CONFLICT (notification_id) DO NOTHING`, p.NotificationID, j.ID, db.jobNow())
		return dbErr(err)
	})
}

// runWebhook POSTs one event to one endpoint and logs the attempt. A deleted
// endpoint gets nothing.
func (db *DB) runWebhook(ctx context.Context, j *mash.Job, owner string) error {
	var p webhookJob
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.WebhookID == "" || p.Event.ID == "" {
		return mash.Errorf(mash.KindInvalid, "the job's payload is not a webhook delivery")
	}
	if err := db.claimHeld(ctx, j, owner); err != nil {
		return err
	}
	var url, secret string
	var deleted sql.NullTime
	err := db.r.QueryRowContext(ctx, `SELECT url, secret, deleted_at FROM webhooks WHERE id = $1`, p.WebhookID).Scan(&url, &secret, &deleted)
	if errors.Is(err, sql.ErrNoRows) || err == nil && deleted.Valid {
		return db.finishDelivery(ctx, j, owner, true, nil)
	}
	if err != nil {
		return dbErr(err)
	}
	body, err := json.Marshal(p.Event)
	if err != nil {
		return &mash.Error{Kind: mash.KindInvalid, Msg: "the event cannot be encoded", Err: err}
	}
	// Signed on the wall clock: the receiver checks it against its own.
	a := notify.Post(ctx, db.channels().HTTP, url, secret, p.Event.ID, body, time.Now())
	reason := ""
	if a.Err != nil {
		reason = a.Err.Error()
	}
	err = db.finishDelivery(ctx, j, owner, a.Err == nil, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_kind, job_id, attempt, at,
			status_code, ok, error, duration_ms) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
			newID(), p.WebhookID, p.Event.ID, p.Event.Kind, j.ID, j.Attempts, db.jobNow(), a.StatusCode, a.Err == nil, reason,
			a.Duration.Milliseconds())
		return dbErr(err)
	})
	if err != nil {
		return err
	}
	return a.Err
}
