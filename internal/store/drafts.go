package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"openmash.org/mash"
)

// Drafts are kept per user: every query is keyed by the acting user's id,
// so no role, not even an auditor's, reads or removes another's draft.
// They are plain rows like the contacts they become (the database's
// encryption at rest covers both); what keeps them small is that they go
// on sending, discarding, or after mash.DraftTTL.

var errNoDraft = mash.Errorf(mash.KindNotFound, "no such draft")

// draftOwner checks that by may keep drafts of kind: a signed-in user whose
// role may send that form.
func draftOwner(by mash.Actor, kind mash.DraftKind, key string) error {
	act, ok := mash.DraftKinds[kind]
	if !ok {
		return &mash.Error{Kind: mash.KindInvalid, Msg: "the draft is not valid",
			Fields: map[string]string{"kind": "is not a kind of form with drafts"}}
	}
	if err := may(by, act); err != nil {
		return err
	}
	if by.UserID == "" || by.UserID == System.UserID {
		return mash.Errorf(mash.KindForbidden, "only a signed-in user keeps drafts")
	}
	d := mash.Draft{Kind: kind, Key: key}
	return d.Validate()
}

// SaveDraft creates or replaces by's draft for d's kind and key. The user's
// drafts past their time are dropped on the way.
func (db *DB) SaveDraft(ctx context.Context, by mash.Actor, d *mash.Draft) (err error) {
	defer mash.Wrap(&err, "store.SaveDraft")
	if err := draftOwner(by, d.Kind, d.Key); err != nil {
		return err
	}
	if err := d.Validate(); err != nil {
		return err
	}
	if d.Values == nil {
		d.Values = map[string][]string{}
	}
	vals, err := json.Marshal(d.Values)
	if err != nil {
		return &mash.Error{Kind: mash.KindInvalid, Msg: "the draft is not valid", Fields: map[string]string{"values": "cannot be kept"}, Err: err}
	}
	now := db.Now().UTC().Truncate(time.Microsecond)
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM drafts WHERE user_id = $1 AND updated_at < $2`, by.UserID, now.Add(-mash.DraftTTL)); err != nil {
			return dbErr(err)
		}
		// The draft's start is audited, not every autosave (one every few
		// seconds of typing would bury the log); reads and deletes are.
		var id string
		err := tx.QueryRowContext(ctx, `SELECT id FROM drafts WHERE user_id = $1 AND kind = $2 AND form_key = $3`,
			by.UserID, string(d.Kind), d.Key).Scan(&id)
		started := errors.Is(err, sql.ErrNoRows)
		if err != nil && !started {
			return dbErr(err)
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO drafts (id, user_id, kind, form_key, form_values, version, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7)
			ON CONFLICT (user_id, kind, form_key) DO UPDATE SET form_values = excluded.form_values,
				version = excluded.version, updated_at = excluded.updated_at
			RETURNING id`, newID(), by.UserID, string(d.Kind), d.Key, string(vals), d.Version, now).Scan(&id)
		if err != nil {
			return dbErr(err)
		}
		d.ID, d.UserID, d.UpdatedAt = id, by.UserID, now
		if !started {
			return nil
		}
		return db.audit(ctx, tx, by, "draft.save", "draft", id, string(d.Kind))
	})
}

// GetDraft reads by's draft for kind and key, if it is not past its time.
func (db *DB) GetDraft(ctx context.Context, by mash.Actor, kind mash.DraftKind, key string) (d *mash.Draft, err error) {
	defer mash.Wrap(&err, "store.GetDraft")
	if err := draftOwner(by, kind, key); err != nil {
		return nil, err
	}
	// Most page views find no draft: look first on the read pool, and
	// open a write transaction (for the audit event) only for one found.
	var n int
	cutoff := db.Now().UTC().Add(-mash.DraftTTL)
	err = db.r.QueryRowContext(ctx, `SELECT count(*) FROM drafts WHERE user_id = $1 AND kind = $2 AND form_key = $3 AND updated_at >= $4`,
		by.UserID, string(kind), key, cutoff).Scan(&n)
	if err != nil {
		return nil, dbErr(err)
	}
	if n == 0 {
		return nil, errNoDraft
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		d = &mash.Draft{UserID: by.UserID, Kind: kind, Key: key}
		var vals string
		err := tx.QueryRowContext(ctx, `SELECT id, form_values, version, updated_at FROM drafts
			WHERE user_id = $1 AND kind = $2 AND form_key = $3 AND updated_at >= $4`, by.UserID, string(kind), key, cutoff).
			Scan(&d.ID, &vals, &d.Version, &d.UpdatedAt)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoDraft
		}
		if err != nil {
			return dbErr(err)
		}
		d.UpdatedAt = d.UpdatedAt.UTC()
		if err := json.Unmarshal([]byte(vals), &d.Values); err != nil {
			return dbErr(fmt.Errorf("read draft values: %w", err))
		}
		return db.audit(ctx, tx, by, "draft.read", "draft", d.ID, string(kind))
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// DeleteDraft discards by's draft for kind and key.
func (db *DB) DeleteDraft(ctx context.Context, by mash.Actor, kind mash.DraftKind, key string) (err error) {
	defer mash.Wrap(&err, "store.DeleteDraft")
	if err := draftOwner(by, kind, key); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		var id string
		err := tx.QueryRowContext(ctx, `DELETE FROM drafts WHERE user_id = $1 AND kind = $2 AND form_key = $3 RETURNING id`,
			by.UserID, string(kind), key).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoDraft
		}
		if err != nil {
			return dbErr(err)
		}
		return db.audit(ctx, tx, by, "draft.delete", "draft", id, string(kind))
	})
}

// PurgeDrafts deletes every draft older than mash.DraftTTL. It is safe to
// run on every instance at once.
func (db *DB) PurgeDrafts(ctx context.Context) (n int, err error) {
	defer mash.Wrap(&err, "store.PurgeDrafts")
	return db.purge(ctx, "draft", "old drafts", `DELETE FROM drafts WHERE updated_at < $1`, db.Now().UTC().Add(-mash.DraftTTL))
}
