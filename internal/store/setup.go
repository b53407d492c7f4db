package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"openmash.org/mash"
	"openmash.org/mash/internal/auth"
)

// System is the actor for changes made from the command line on the server
// itself (set-up, seeding); it is audited like anyone else.
var System = mash.Actor{UserID: "system", Name: "System", Role: mash.RoleAdmin, RequestID: "cli"}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// CreateAgency adds a partner agency.
func (db *DB) CreateAgency(ctx context.Context, by mash.Actor, a *mash.Agency) (err error) {
	defer mash.Wrap(&err, "store.CreateAgency")
	if err := may(by, mash.ActionAgencyManage); err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	a.ID, a.CreatedAt = newID(), db.Now().UTC()
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO agencies (id, name, kind, created_at) VALUES ($1,$2,$3,$4)`,
			a.ID, a.Name, string(a.Kind), a.CreatedAt); err != nil {
			if mash.KindOf(dbErr(err)) == mash.KindConflict {
				return &mash.Error{Kind: mash.KindConflict, Msg: "an agency with this name already exists", Fields: map[string]string{"name": "is already used"}}
			}
			return dbErr(err)
		}
		return db.audit(ctx, tx, by, "agency.create", "agency", a.ID, "")
	})
}

// ListAgencies returns every agency by name.
func (db *DB) ListAgencies(ctx context.Context) ([]mash.Agency, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, name, kind, created_at FROM agencies ORDER BY name`)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	var out []mash.Agency
	for rows.Next() {
		var a mash.Agency
		if err := rows.Scan(&a.ID, &a.Name, &a.Kind, &a.CreatedAt); err != nil {
			return nil, dbErr(err)
		}
		out = append(out, a)
	}
	return out, dbErr(rows.Err())
}

// FindAgency finds an agency by id or exact name.
func (db *DB) FindAgency(ctx context.Context, nameOrID string) (*mash.Agency, error) {
	var a mash.Agency
	err := db.r.QueryRowContext(ctx, `SELECT id, name, kind, created_at FROM agencies WHERE id = $1 OR name = $1`,
		strings.TrimSpace(nameOrID)).Scan(&a.ID, &a.Name, &a.Kind, &a.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, mash.Errorf(mash.KindNotFound, "no agency with that name or id")
	}
	return &a, dbErr(err)
}

// CreateUser adds a user with a password (at least 12 characters).
func (db *DB) CreateUser(ctx context.Context, by mash.Actor, u *mash.User, password string) (err error) {
	defer mash.Wrap(&err, "store.CreateUser")
	if err := may(by, mash.ActionUserManage); err != nil {
		return err
	}
	verr := u.Validate()
	if len(password) < 12 {
		fe := mash.FieldErrors{}
		if e, ok := errors.AsType[*mash.Error](verr); ok {
			fe = e.Fields
		}
		fe.Add("password", "must be at least 12 characters")
		verr = fe.Err("the user is not valid")
	}
	if verr != nil {
		return verr
	}
	if _, err := db.FindAgency(ctx, u.AgencyID); err != nil {
		return &mash.Error{Kind: mash.KindInvalid, Msg: "the user is not valid", Fields: map[string]string{"agency": "no such agency"}}
	}
	hash, err := auth.HashPassword(password, db.PasswordParams)
	if err != nil {
		return err
	}
	u.ID, u.CreatedAt = newID(), db.Now().UTC()
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, agency_id, role, password_hash, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7)`, u.ID, u.Email, u.Name, u.AgencyID, string(u.Role), hash, u.CreatedAt); err != nil {
			if mash.KindOf(dbErr(err)) == mash.KindConflict {
				return &mash.Error{Kind: mash.KindConflict, Msg: "a user with this email already exists", Fields: map[string]string{"email": "is already used"}}
			}
			return dbErr(err)
		}
		return db.audit(ctx, tx, by, "user.create", "user", u.ID, "")
	})
}

const policyKey = "rag_policy"

// Policy returns the hub's RAG policy: the stored one, or the default. The
// parsed policy is kept while the stored text is unchanged, so each call costs
// one small read, not a parse. Callers must not change what they get.
func (db *DB) Policy(ctx context.Context) (mash.RAGPolicy, error) {
	var raw string
	err := db.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, policyKey).Scan(&raw)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return mash.RAGPolicy{}, dbErr(err)
	}
	if c := db.policy.Load(); c != nil && c.raw == raw {
		return c.p, nil
	}
	p := mash.DefaultRAGPolicy()
	if raw != "" {
		p = mash.RAGPolicy{}
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			return mash.RAGPolicy{}, &mash.Error{Kind: mash.KindInternal, Msg: "the stored RAG policy is unreadable", Err: err}
		}
		if p.Calendar == nil {
			p.Calendar = mash.DefaultCalendar()
		}
	}
	db.policy.Store(&cachedPolicy{raw: raw, p: p})
	return p, nil
}

type cachedPolicy struct {
	raw string
	p   mash.RAGPolicy
}

// SetPolicy stores a new RAG policy (levels and calendar).
func (db *DB) SetPolicy(ctx context.Context, by mash.Actor, p mash.RAGPolicy) error {
	if err := may(by, mash.ActionPolicyManage); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1,$2,$3)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			policyKey, string(raw), db.Now().UTC()); err != nil {
			return dbErr(err)
		}
		return db.audit(ctx, tx, by, "policy.update", "settings", policyKey, "")
	})
}
