package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"openmash.org/mash"
)

// ListUsers lists every user with their agency and whether they are
// disabled, by name, for the administrator.
func (db *DB) ListUsers(ctx context.Context, by mash.Actor) (out []mash.UserInfo, err error) {
	defer mash.Wrap(&err, "store.ListUsers")
	if !mash.Can(by, mash.ActionUserManage, mash.Resource{}) && !mash.Can(by, mash.ActionAuditRead, mash.Resource{}) {
		return nil, mash.Errorf(mash.KindForbidden, "only an administrator or an auditor may list users")
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT u.id, u.email, u.name, u.agency_id, u.role, u.created_at, u.disabled_at, COALESCE(a.name, '')
			FROM users u LEFT JOIN agencies a ON a.id = u.agency_id ORDER BY u.name, u.email`)
		if err != nil {
			return dbErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			var u mash.UserInfo
			var disabled sql.NullTime
			if err := rows.Scan(&u.ID, &u.Email, &u.Name, &u.AgencyID, &u.Role, &u.CreatedAt, &disabled, &u.AgencyName); err != nil {
				return dbErr(err)
			}
			u.CreatedAt, u.DisabledAt = u.CreatedAt.UTC(), ptrTime(disabled)
			out = append(out, u)
		}
		if err := rows.Err(); err != nil {
			return dbErr(err)
		}
		return db.audit(ctx, tx, by, "user.list", "user", "", fmt.Sprintf("%d users", len(out)))
	})
	if out == nil {
		out = []mash.UserInfo{}
	}
	return out, err
}

// SetUserDisabled disables a user (their sessions and tokens end at once) or
// enables them again. Disabling needs a reason, and no administrator may
// disable themselves, so the hub always keeps one who can undo it.
func (db *DB) SetUserDisabled(ctx context.Context, by mash.Actor, userID string, disabled bool, reason string) (err error) {
	defer mash.Wrap(&err, "store.SetUserDisabled")
	if err := may(by, mash.ActionUserManage); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if len(reason) > 500 {
		return &mash.Error{Kind: mash.KindInvalid, Msg: "the change is not valid", Fields: map[string]string{"reason": "must be at most 500 characters"}}
	}
	if !disabled {
		return db.EnableUser(ctx, by, userID, reason)
	}
	if reason == "" {
		return &mash.Error{Kind: mash.KindInvalid, Msg: "the change is not valid", Fields: map[string]string{"reason": "is required: say why the user is disabled"}}
	}
	if userID == by.UserID {
		return mash.Errorf(mash.KindConflict, "you cannot disable your own account")
	}
	return db.DisableUser(ctx, by, userID, reason)
}

// UpdatePolicy replaces the RAG policy and working calendar: the service
// `mash policy set` uses, behind the administrator's role check.
func (db *DB) UpdatePolicy(ctx context.Context, by mash.Actor, p mash.RAGPolicy) (err error) {
	defer mash.Wrap(&err, "store.UpdatePolicy")
	if err := may(by, mash.ActionPolicyManage); err != nil {
		return err
	}
	return db.SetPolicy(ctx, by, p)
}

// ContactIDByReference finds a contact's id from its reference, for the
// auditor. The lookup is audited: it tells the auditor the contact exists.
func (db *DB) ContactIDByReference(ctx context.Context, by mash.Actor, reference string) (id string, err error) {
	defer mash.Wrap(&err, "store.ContactIDByReference")
	if err := may(by, mash.ActionAuditRead); err != nil {
		return "", err
	}
	reference = strings.ToUpper(strings.TrimSpace(reference))
	if reference == "" || len(reference) > 40 {
		return "", &mash.Error{Kind: mash.KindInvalid, Msg: "the reference is not valid", Fields: map[string]string{"reference": "must be a contact reference such as MASH-2026-000123"}}
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id FROM contacts WHERE reference = $1`, reference).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return mash.Errorf(mash.KindNotFound, "no contact has that reference")
		}
		if err != nil {
			return dbErr(err)
		}
		return db.audit(ctx, tx, by, "audit.lookup", "contact", id, "")
	})
	return id, err
}
