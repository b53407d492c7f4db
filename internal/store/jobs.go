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

// Background jobs. A job is a row in jobs; runners (package jobs) claim due
// jobs by setting a lease, run them, and record the outcome. Exactly once:
//
//   - Claiming is one statement. On PostgreSQL its candidate rows are locked
//     FOR UPDATE SKIP LOCKED, so concurrent claimers on several instances take
//     disjoint jobs without waiting on each other; on SQLite the single
//     writer makes the same UPDATE … WHERE state = 'queued' safe.
//   - Each claim increments attempts, so (owner, attempts) names one claim.
//     RunJob marks the job done for that claim and runs its handler in the
//     same transaction: if the lease was lost (it expired and another runner
//     claimed the job again), nothing happens; if the handler fails, the mark
//     rolls back with its effects. The effects of a job therefore commit at
//     most once, and a job keeps being retried until they do.
//   - A running job whose lease expired is claimed again, up to its
//     max_attempts; then it fails with the reason.

// JobFunc does a job's work inside tx. It must not start transactions of its
// own (on SQLite it runs on the single writer) and must return errors that
// carry no personal data: they are kept as the job's last_error. An error of
// kind Invalid is permanent: the job fails at once instead of being retried.
type JobFunc func(ctx context.Context, tx *sql.Tx, j *mash.Job) error

// DefaultMaxAttempts is how often a job is tried before it fails for good.
const DefaultMaxAttempts = 8

// HandleJob registers fn as the handler of kind, replacing any before it.
// The hub's own kinds (see deadlines.go) are built in.
func (db *DB) HandleJob(kind string, fn JobFunc) { db.jobFuncs.Store(kind, fn) }

func (db *DB) jobFunc(kind string) JobFunc {
	if fn, ok := builtinJobs[kind]; ok {
		return func(ctx context.Context, tx *sql.Tx, j *mash.Job) error { return fn(db, ctx, tx, j) }
	}
	if fn, ok := db.jobFuncs.Load(kind); ok {
		return fn.(JobFunc)
	}
	return nil
}

// NewJob is a job to enqueue. Key makes the enqueue idempotent (empty: a key
// is made from the new job's id, so the job is always new).
type NewJob struct {
	Kind        string
	Key         string
	Payload     any // marshalled as JSON
	RunAt       time.Time
	MaxAttempts int // 0: DefaultMaxAttempts
}

// EnqueueJob adds a job in its own transaction. It reports whether a new job
// was made: false when a job with the same key already exists.
func (db *DB) EnqueueJob(ctx context.Context, nj NewJob) (created bool, err error) {
	defer mash.Wrap(&err, "store.EnqueueJob")
	err = db.tx(ctx, func(tx *sql.Tx) error {
		created, err = db.enqueue(ctx, tx, nj)
		return err
	})
	return created, err
}

// enqueue adds a job inside tx, so it commits with the change that needs it.
func (db *DB) enqueue(ctx context.Context, tx querier, nj NewJob) (bool, error) {
	payload, err := json.Marshal(nj.Payload)
	if err != nil {
		return false, &mash.Error{Kind: mash.KindInternal, Msg: "the job's payload cannot be stored", Err: err}
	}
	id := newID()
	if nj.Key == "" {
		nj.Key = id
	}
	if nj.MaxAttempts <= 0 {
		nj.MaxAttempts = DefaultMaxAttempts
	}
	now := db.jobNow()
	res, err := tx.ExecContext(ctx, `INSERT INTO jobs (id, kind, key, payload, run_at, state, attempts, max_attempts,
		last_error, lease_owner, lease_until, created_at, updated_at)
		VALUES ($1,$2,$3,$4,$5,'queued',0,$6,'','',NULL,$7,$7) ON CONFLICT (key) DO NOTHING`,
		id, nj.Kind, nj.Key, string(payload), nj.RunAt.UTC().Truncate(time.Microsecond), nj.MaxAttempts, now)
	if err != nil {
		return false, dbErr(err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// jobNow is the clock's time as both engines store it.
func (db *DB) jobNow() time.Time { return db.Now().UTC().Truncate(time.Microsecond) }

// skipLocked is the locking clause of a claim's candidate rows: PostgreSQL
// locks them so concurrent claimers skip each other's; SQLite has one writer.
func (db *DB) skipLocked() string {
	if db.dialect == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

const jobColumns = `id, kind, key, payload, run_at, state, attempts, max_attempts, last_error, lease_owner,
	lease_until, created_at, updated_at`

// ClaimJobs claims up to max due jobs for owner, leasing them for lease: jobs
// queued to run by now, and running jobs whose lease has expired. Expired
// jobs that have used all their attempts fail instead.
func (db *DB) ClaimJobs(ctx context.Context, owner string, lease time.Duration, max int) (out []mash.Job, err error) {
	defer mash.Wrap(&err, "store.ClaimJobs")
	if owner == "" || max <= 0 || lease <= 0 {
		return nil, mash.Errorf(mash.KindInvalid, "a claim needs an owner, a lease and a batch size")
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		out = nil // the transaction may be retried
		now := db.jobNow()
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'failed', updated_at = $1,
			last_error = 'its runner stopped before finishing, on every attempt (lease expired)'
			WHERE id IN (SELECT id FROM jobs WHERE state = 'running' AND lease_until < $1 AND attempts >= max_attempts
			LIMIT 100`+db.skipLocked()+`)`, now); err != nil {
			return dbErr(err)
		}
		rows, err := tx.QueryContext(ctx, `UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $1,
			lease_until = $2, updated_at = $3
			WHERE id IN (SELECT id FROM jobs WHERE (state = 'queued' AND run_at <= $3) OR (state = 'running' AND lease_until < $3)
			ORDER BY run_at, id LIMIT $4`+db.skipLocked()+`)
			RETURNING `+jobColumns, owner, now.Add(lease), now, max)
		if err != nil {
			return dbErr(err)
		}
		out, err = scanJobs(rows)
		return err
	})
	return out, err
}

// NextJobAt reports when the next queued job falls due, if any is queued.
func (db *DB) NextJobAt(ctx context.Context) (at time.Time, ok bool, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT run_at FROM jobs WHERE state = 'queued' ORDER BY run_at LIMIT 1`).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, dbErr(err)
	}
	return at.UTC(), true, nil
}

func scanJobs(rows *sql.Rows) ([]mash.Job, error) {
	defer rows.Close()
	var out []mash.Job
	for rows.Next() {
		var j mash.Job
		var payload string
		var until sql.NullTime
		if err := rows.Scan(&j.ID, &j.Kind, &j.Key, &payload, &j.RunAt, &j.State, &j.Attempts, &j.MaxAttempts,
			&j.LastError, &j.LeaseOwner, &until, &j.CreatedAt, &j.UpdatedAt); err != nil {
			return nil, dbErr(err)
		}
		j.Payload = json.RawMessage(payload)
		j.RunAt, j.CreatedAt, j.UpdatedAt = j.RunAt.UTC(), j.CreatedAt.UTC(), j.UpdatedAt.UTC()
		j.LeaseUntil = ptrTime(until)
		out = append(out, j)
	}
	return out, dbErr(rows.Err())
}

// RunJob runs a job that owner claimed: marks it done for that claim and runs
// its handler, in one transaction. A lost lease is a Conflict and changes
// nothing (mash.ErrLeaseLost); an unknown kind is Invalid (permanent).
//
// The handler's error is returned as it is, to be kept as the job's reason.
func (db *DB) RunJob(ctx context.Context, j *mash.Job, owner string) error {
	if deliver := deliveryJobs[j.Kind]; deliver != nil {
		return deliver(db, ctx, j, owner) // talks to another system: outside a transaction (channels.go)
	}
	fn := db.jobFunc(j.Kind)
	if fn == nil {
		return mash.Errorf(mash.KindInvalid, "no handler for jobs of kind %q", j.Kind)
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		// First, so on PostgreSQL the row stays locked while the handler runs.
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'done', lease_until = NULL, last_error = '', updated_at = $1
			WHERE id = $2 AND state = 'running' AND lease_owner = $3 AND attempts = $4`, db.jobNow(), j.ID, owner, j.Attempts)
		if err != nil {
			return dbErr(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return mash.ErrLeaseLost
		}
		return callJob(ctx, fn, tx, j)
	})
}

// callJob runs a handler, turning a panic into an error.
func callJob(ctx context.Context, fn JobFunc, tx *sql.Tx, j *mash.Job) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic in job handler: %v", v)
		}
	}()
	return fn(ctx, tx, j)
}

// FailJob records a failed attempt of owner's claim: the job is queued again
// to run after retryIn, or, when final or out of attempts, fails with reason.
// It does nothing if the claim has been lost.
func (db *DB) FailJob(ctx context.Context, j *mash.Job, owner, reason string, retryIn time.Duration, final bool) (err error) {
	defer mash.Wrap(&err, "store.FailJob")
	reason = strings.TrimSpace(reason)
	if len(reason) > 1000 {
		reason = reason[:1000]
	}
	state, leaseOwner := mash.JobQueued, ""
	if final || j.Attempts >= j.MaxAttempts {
		state, leaseOwner = mash.JobFailed, owner
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		now := db.jobNow()
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET state = $1, run_at = $2, last_error = $3, lease_owner = $4,
			lease_until = NULL, updated_at = $5 WHERE id = $6 AND state = 'running' AND lease_owner = $7 AND attempts = $8`,
			string(state), now.Add(retryIn), reason, leaseOwner, now, j.ID, owner, j.Attempts)
		return dbErr(err)
	})
}

// ReleaseJob hands back a job owner claimed but did not start (the runner
// is stopping): it is queued again at once, the claim not counted as an
// attempt. It does nothing if the claim has been lost.
func (db *DB) ReleaseJob(ctx context.Context, j *mash.Job, owner string) (err error) {
	defer mash.Wrap(&err, "store.ReleaseJob")
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'queued', attempts = attempts - 1, lease_owner = '', lease_until = NULL,
			updated_at = $1 WHERE id = $2 AND state = 'running' AND lease_owner = $3 AND attempts = $4`, db.jobNow(), j.ID, owner, j.Attempts)
		return dbErr(err)
	})
}

// ListJobs lists jobs for admins and managers, those due soonest first.
func (db *DB) ListJobs(ctx context.Context, by mash.Actor, f mash.JobFilter) (out []mash.Job, err error) {
	defer mash.Wrap(&err, "store.ListJobs")
	if err := may(by, mash.ActionJobsRead); err != nil {
		return nil, err
	}
	var args []any
	where := []string{"1=1"}
	if f.State != "" {
		if !oneOfState(f.State) {
			return nil, &mash.Error{Kind: mash.KindInvalid, Msg: "unknown state filter",
				Fields: map[string]string{"state": "must be queued, running, done or failed"}}
		}
		args = append(args, string(f.State))
		where = append(where, fmt.Sprintf("state = $%d", len(args)))
	}
	if f.Kind != "" {
		args = append(args, f.Kind)
		where = append(where, fmt.Sprintf("kind = $%d", len(args)))
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY run_at, id LIMIT %d`, clampLimit(f.Limit)), args...)
	if err != nil {
		return nil, dbErr(err)
	}
	out, err = scanJobs(rows)
	if out == nil && err == nil {
		out = []mash.Job{}
	}
	return out, err
}

func oneOfState(s mash.JobState) bool {
	for _, v := range mash.JobStates {
		if v == s {
			return true
		}
	}
	return false
}

// notify adds a notification for each user; source names what sent it (a
// job's id, or an event such as "ack:<contact>"), one per user and source.
// The message names a contact only by reference; link is a path in the hub.
// Each notification queues its email, and the alert its webhook event, in the
// same transaction.
func (db *DB) notify(ctx context.Context, tx querier, source string, users []string, kind, reference, link, message string) error {
	now := db.jobNow()
	for _, u := range users {
		id := newID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (id, user_id, kind, reference, link, message, job_id, created_at, read_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,NULL)`, id, u, kind, reference, link, message, source, now); err != nil {
			return dbErr(err)
		}
		if err := db.afterNotify(ctx, tx, id); err != nil { // its email (channels.go)
			return err
		}
	}
	// The alert's webhook event, for endpoints that subscribe to its kind.
	return db.publish(ctx, tx, kind, contactOfLink(link), reference)
}

// Notifications lists the actor's own notifications, newest first, with the
// number unread.
func (db *DB) Notifications(ctx context.Context, by mash.Actor, limit int) (out *mash.Notifications, err error) {
	defer mash.Wrap(&err, "store.Notifications")
	if err := may(by, mash.ActionNotificationRead); err != nil {
		return nil, err
	}
	out = &mash.Notifications{Items: []mash.Notification{}}
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`,
		by.UserID).Scan(&out.Unread); err != nil {
		return nil, dbErr(err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id, kind, reference, link, message, created_at, read_at FROM notifications
		WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT `+fmt.Sprint(clampLimit(limit)), by.UserID)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, *n)
	}
	return out, dbErr(rows.Err())
}

func scanNotification(row interface{ Scan(...any) error }) (*mash.Notification, error) {
	var n mash.Notification
	var read sql.NullTime
	if err := row.Scan(&n.ID, &n.Kind, &n.Reference, &n.Link, &n.Message, &n.CreatedAt, &read); err != nil {
		return nil, dbErr(err)
	}
	n.CreatedAt, n.ReadAt = n.CreatedAt.UTC(), ptrTime(read)
	return &n, nil
}

// MarkNotificationRead marks one of the actor's notifications read (the first
// time only). Anyone else's is NotFound.
func (db *DB) MarkNotificationRead(ctx context.Context, by mash.Actor, id string) (n *mash.Notification, err error) {
	defer mash.Wrap(&err, "store.MarkNotificationRead")
	if err := may(by, mash.ActionNotificationRead); err != nil {
		return nil, err
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL`,
			db.jobNow(), id, by.UserID); err != nil {
			return dbErr(err)
		}
		n, err = scanNotification(tx.QueryRowContext(ctx, `SELECT id, kind, reference, link, message, created_at, read_at
			FROM notifications WHERE id = $1 AND user_id = $2`, id, by.UserID))
		if errors.Is(err, sql.ErrNoRows) {
			return mash.Errorf(mash.KindNotFound, "no such notification")
		}
		return err
	})
	return n, err
}
