package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/auth"
)

// UserByEmail finds a user.
func (db *DB) UserByEmail(ctx context.Context, email string) (*mash.User, error) {
	u, _, err := db.userByEmail(ctx, email)
	return u, err
}

func (db *DB) userByEmail(ctx context.Context, email string) (*mash.User, string, error) {
	var u mash.User
	var hash string
	err := db.r.QueryRowContext(ctx, `SELECT id, email, name, agency_id, role, password_hash, created_at FROM users WHERE email = $1`,
		strings.ToLower(strings.TrimSpace(email))).Scan(&u.ID, &u.Email, &u.Name, &u.AgencyID, &u.Role, &hash, &u.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", mash.Errorf(mash.KindNotFound, "no user with that email")
	}
	if err != nil {
		return nil, "", dbErr(err)
	}
	return &u, hash, nil
}

// errBadLogin is the one answer to a failed sign-in, so it does not reveal
// whether the email exists.
var errBadLogin = mash.Errorf(mash.KindUnauthenticated, "email or password is wrong")

// Authenticate checks a user's password.
func (db *DB) Authenticate(ctx context.Context, email, password string) (*mash.User, error) {
	u, hash, err := db.userByEmail(ctx, email)
	if err != nil {
		if mash.KindOf(err) == mash.KindNotFound {
			// Spend the same time as a real check, so timing does not reveal accounts.
			auth.CheckPassword(dummyHash, password)
			return nil, errBadLogin
		}
		return nil, err
	}
	if err := auth.CheckPassword(hash, password); err != nil {
		return nil, errBadLogin
	}
	return u, nil
}

var dummyHash, _ = auth.HashPassword("not a password", auth.Default)

// IssueToken creates a bearer token for a user.
func (db *DB) IssueToken(ctx context.Context, userID string, ttl time.Duration) (mash.Token, error) {
	tok, hash := auth.NewToken()
	now := db.Now().UTC()
	t := mash.Token{Token: tok, ExpiresAt: now.Add(ttl)}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (token_hash, user_id, expires_at, created_at) VALUES ($1,$2,$3,$4)`,
			hash, userID, t.ExpiresAt, now)
		if err != nil {
			return dbErr(err)
		}
		return db.audit(ctx, tx, mash.Actor{UserID: userID, RequestID: "token"}, "token.issue", "user", userID, "")
	})
	return t, err
}

// ActorForToken resolves a bearer token to its user.
func (db *DB) ActorForToken(ctx context.Context, token string) (mash.Actor, error) {
	var a mash.Actor
	var exp time.Time
	err := db.r.QueryRowContext(ctx, `SELECT u.id, u.name, u.role, u.agency_id, t.expires_at
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1`, auth.HashToken(token)).
		Scan(&a.UserID, &a.Name, &a.Role, &a.AgencyID, &exp)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !db.Now().Before(exp)) {
		return mash.Actor{}, mash.Errorf(mash.KindUnauthenticated, "the token is unknown or has expired")
	}
	return a, dbErr(err)
}
