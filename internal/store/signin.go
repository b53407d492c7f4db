package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"openmash.org/mash"
	"openmash.org/mash/internal/auth"
)

// Sign-in limits: after MaxFailedSignIns failures within FailureWindow an
// account is locked for LockFor. They are kept in the users table, so they
// hold across every instance sharing the database.
const (
	MaxFailedSignIns = 5
	FailureWindow    = 15 * time.Minute
	LockFor          = 15 * time.Minute
)

// minPasswordLen matches what CreateUser requires.
const minPasswordLen = 12

var (
	// errBadSignIn is the one answer to a failed sign-in — unknown email,
	// wrong password or code, locked or disabled account — so it reveals
	// nothing about the account.
	errBadSignIn = mash.Errorf(mash.KindUnauthenticated, "email, password or code is wrong")
	// errCodeRequired is given before any account is looked up, so it too
	// reveals nothing.
	errCodeRequired = mash.Errorf(mash.KindUnauthenticated, "a one-time code is required")
	errBadToken     = mash.Errorf(mash.KindUnauthenticated, "the token is unknown, revoked or expired")
)

// account is a user with their credentials and sign-in state.
type account struct {
	mash.User
	hash, totpSecret string
	totpLastStep     int64
	disabled         bool
	lockedUntil      sql.NullTime
}

func (db *DB) account(ctx context.Context, email string) (*account, error) {
	// PostgreSQL refuses such text outright; no user has such an email anyway.
	if !utf8.ValidString(email) || strings.ContainsRune(email, 0) {
		return nil, mash.Errorf(mash.KindNotFound, "no user with that email")
	}
	var a account
	var disabled sql.NullTime
	err := db.r.QueryRowContext(ctx, `SELECT id, email, name, agency_id, role, password_hash, created_at,
		disabled_at, totp_secret, totp_last_step, locked_until FROM users WHERE email = $1`,
		strings.ToLower(strings.TrimSpace(email))).
		Scan(&a.ID, &a.Email, &a.Name, &a.AgencyID, &a.Role, &a.hash, &a.CreatedAt,
			&disabled, &a.totpSecret, &a.totpLastStep, &a.lockedUntil)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, mash.Errorf(mash.KindNotFound, "no user with that email")
	}
	if err != nil {
		return nil, dbErr(err)
	}
	a.disabled = disabled.Valid
	return &a, nil
}

// UserByEmail finds a user, enabled or not.
func (db *DB) UserByEmail(ctx context.Context, email string) (*mash.User, error) {
	a, err := db.account(ctx, email)
	if err != nil {
		return nil, err
	}
	return &a.User, nil
}

// SignIn checks an email, password and current one-time code and issues a
// bearer token valid for ttl. Every attempt is audited; failures count
// towards the account's lockout. from carries the request id and client
// address for the audit log.
func (db *DB) SignIn(ctx context.Context, from mash.Actor, email, password, code string, ttl time.Duration) (tok mash.Token, err error) {
	defer mash.Wrap(&err, "store.SignIn")
	err = db.credentialSignIn(ctx, from, email, password, code, func(tx *sql.Tx, by mash.Actor) (err error) {
		tok, err = db.insertToken(ctx, tx, by, by.UserID, ttl)
		return err
	})
	return tok, err
}

// credentialSignIn is SignIn's check with what a success grants left to
// grant, which runs in the transaction that records the success.
// SignIn (a bearer token) and StartSession (a browser session) share it, so
// lockout, audit and the one failure message are the same for both.
func (db *DB) credentialSignIn(ctx context.Context, from mash.Actor, email, password, code string, grant func(tx *sql.Tx, by mash.Actor) error) error {
	from = mash.Actor{RequestID: from.RequestID, ClientIP: from.ClientIP} // not anyone yet
	now := db.Now().UTC()
	if strings.TrimSpace(code) == "" {
		if err := db.tx(ctx, func(tx *sql.Tx) error {
			return db.audit(ctx, tx, from, "signin.failure", "user", "", "no one-time code")
		}); err != nil {
			return err
		}
		return errCodeRequired
	}
	a, err := db.account(ctx, email)
	if err != nil && mash.KindOf(err) != mash.KindNotFound {
		return err
	}
	var reason string // why the attempt fails; "" if it succeeds
	var step int64    // the code's time step
	counts := false   // whether the failure counts towards a lockout
	var newHash string
	switch {
	case a == nil:
		// Spend the time a real check takes, so timing does not reveal accounts.
		auth.CheckPassword(dummyHash(db.PasswordParams), password)
		reason = "unknown email"
	case auth.CheckPassword(a.hash, password) != nil:
		reason, counts = "wrong password", !a.disabled
		if a.lockedUntil.Valid && now.Before(a.lockedUntil.Time) {
			counts = false // a lock is not extended by guessing during it
		}
	case a.disabled:
		reason = "account disabled"
	case a.lockedUntil.Valid && now.Before(a.lockedUntil.Time):
		reason = "account locked"
	case a.totpSecret == "":
		reason = "not enrolled for one-time codes"
	default:
		var ok bool
		if step, ok = verifyCode(a.totpSecret, code, now, a.totpLastStep); !ok {
			reason, counts = "wrong or reused one-time code", true
			break
		}
		// Upgrade the hash while we have the password; hashed outside the
		// transaction, which on SQLite holds the only writer.
		if auth.NeedsRehash(a.hash, db.PasswordParams) {
			newHash, _ = auth.HashPassword(password, db.PasswordParams)
		}
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if reason == "" {
			ok, err := db.signedIn(ctx, tx, from, a, step, newHash)
			if err != nil {
				return err
			}
			if ok {
				return grant(tx, actorOf(a, from))
			}
			// Another request used this code between our read and now.
			reason, counts = "wrong or reused one-time code", true
		}
		return db.signInFailed(ctx, tx, from, a, reason, counts, now)
	})
	if err != nil {
		return err
	}
	if reason != "" {
		return errBadSignIn
	}
	return nil
}

func verifyCode(secret, code string, now time.Time, after int64) (int64, bool) {
	key, err := auth.DecodeTOTPSecret(secret)
	if err != nil {
		return 0, false
	}
	return auth.VerifyTOTP(key, code, now, after)
}

// signedIn records a successful sign-in: the code's step becomes the last
// used (only if it is still newer, so two requests cannot share a code) and
// the failure count is cleared. It reports false if the code was taken.
func (db *DB) signedIn(ctx context.Context, tx *sql.Tx, from mash.Actor, a *account, step int64, newHash string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE users SET totp_last_step = $1, failed_signins = 0, failed_since = NULL,
		locked_until = NULL, password_hash = COALESCE(NULLIF($3, ''), password_hash)
		WHERE id = $2 AND totp_last_step < $1 AND disabled_at IS NULL`, step, a.ID, newHash)
	if err != nil {
		return false, dbErr(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, dbErr(err)
	}
	reason := ""
	if newHash != "" {
		reason = "password hash upgraded"
	}
	return true, db.audit(ctx, tx, actorOf(a, from), "signin.success", "user", a.ID, reason)
}

// signInFailed audits a failure and, if it counts, adds it to the account's
// failures in the window, locking the account when they reach the limit.
// The count is one UPDATE, so concurrent failures are all counted.
func (db *DB) signInFailed(ctx context.Context, tx *sql.Tx, from mash.Actor, a *account, reason string, counts bool, now time.Time) error {
	id := ""
	if a != nil {
		id = a.ID
	}
	// Row changes first, audit last: on PostgreSQL the audit append takes the
	// chain lock, and taking a row lock after it could deadlock with a
	// concurrent sign-in holding the row and waiting for the chain.
	lockout := ""
	if counts {
		var n int
		err := tx.QueryRowContext(ctx, `UPDATE users SET
			failed_signins = CASE WHEN failed_since > $1 THEN failed_signins + 1 ELSE 1 END,
			failed_since = CASE WHEN failed_since > $1 THEN failed_since ELSE $2 END
			WHERE id = $3 RETURNING failed_signins`, now.Add(-FailureWindow), now, a.ID).Scan(&n)
		if err != nil {
			return dbErr(err)
		}
		if n >= MaxFailedSignIns {
			until := now.Add(LockFor)
			if _, err := tx.ExecContext(ctx, `UPDATE users SET locked_until = $1, failed_signins = 0, failed_since = NULL WHERE id = $2`,
				until, a.ID); err != nil {
				return dbErr(err)
			}
			lockout = fmt.Sprintf("%d failed sign-ins within %s; locked until %s", n, FailureWindow, until.Format(time.RFC3339))
		}
	}
	if err := db.audit(ctx, tx, from, "signin.failure", "user", id, reason); err != nil || lockout == "" {
		return err
	}
	return db.audit(ctx, tx, from, "signin.lockout", "user", a.ID, lockout)
}

// actorOf is the user of a, acting in the request from.
func actorOf(a *account, from mash.Actor) mash.Actor {
	return mash.Actor{UserID: a.ID, Name: a.Name, Role: a.Role, AgencyID: a.AgencyID, RequestID: from.RequestID, ClientIP: from.ClientIP}
}

// dummyHashes holds, per cost, a hash no password matches, for sign-ins to
// unknown emails to check against.
var dummyHashes sync.Map

func dummyHash(p auth.Params) string {
	if h, ok := dummyHashes.Load(p); ok {
		return h.(string)
	}
	h, _ := auth.HashPassword(rand.Text(), p)
	dummyHashes.Store(p, h)
	return h
}

// IssueToken creates a bearer token for an enabled user without a password
// or code: for the command line on the server (service accounts).
func (db *DB) IssueToken(ctx context.Context, userID string, ttl time.Duration) (tok mash.Token, err error) {
	defer mash.Wrap(&err, "store.IssueToken")
	err = db.tx(ctx, func(tx *sql.Tx) error {
		var disabled sql.NullTime
		by := mash.Actor{UserID: userID, RequestID: "token"}
		err := tx.QueryRowContext(ctx, `SELECT name, role, agency_id, disabled_at FROM users WHERE id = $1`, userID).
			Scan(&by.Name, &by.Role, &by.AgencyID, &disabled)
		if errors.Is(err, sql.ErrNoRows) {
			return mash.Errorf(mash.KindNotFound, "no such user")
		}
		if err != nil {
			return dbErr(err)
		}
		if disabled.Valid {
			return mash.Errorf(mash.KindConflict, "the user is disabled")
		}
		tok, err = db.insertToken(ctx, tx, by, userID, ttl)
		return err
	})
	return tok, err
}

func (db *DB) insertToken(ctx context.Context, tx *sql.Tx, by mash.Actor, userID string, ttl time.Duration) (mash.Token, error) {
	tok, hash := auth.NewToken()
	now := db.Now().UTC()
	t := mash.Token{Token: tok, ExpiresAt: now.Add(ttl)}
	if _, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (token_hash, user_id, expires_at, created_at) VALUES ($1,$2,$3,$4)`,
		hash, userID, t.ExpiresAt, now); err != nil {
		return mash.Token{}, dbErr(err)
	}
	return t, db.audit(ctx, tx, by, "token.issue", "user", userID, "")
}

// ActorForToken resolves a bearer token to its user. The role and the
// disabled flag are read on every call, so a change to either applies to the
// user's next request on every instance.
func (db *DB) ActorForToken(ctx context.Context, token string) (mash.Actor, error) {
	var a mash.Actor
	var exp time.Time
	err := db.r.QueryRowContext(ctx, `SELECT u.id, u.name, u.role, u.agency_id, t.expires_at
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND u.disabled_at IS NULL`,
		auth.HashToken(token)).Scan(&a.UserID, &a.Name, &a.Role, &a.AgencyID, &exp)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !db.Now().Before(exp)) {
		return mash.Actor{}, errBadToken
	}
	return a, dbErr(err)
}

// RevokeToken ends the bearer token given (its holder signing out).
func (db *DB) RevokeToken(ctx context.Context, from mash.Actor, token string) (err error) {
	defer mash.Wrap(&err, "store.RevokeToken")
	return db.tx(ctx, func(tx *sql.Tx) error {
		var userID string
		err := tx.QueryRowContext(ctx, `DELETE FROM api_tokens WHERE token_hash = $1 RETURNING user_id`, auth.HashToken(token)).Scan(&userID)
		if errors.Is(err, sql.ErrNoRows) {
			return errBadToken
		}
		if err != nil {
			return dbErr(err)
		}
		by := mash.Actor{UserID: userID, RequestID: from.RequestID, ClientIP: from.ClientIP}
		return db.audit(ctx, tx, by, "token.revoke", "user", userID, "")
	})
}

// RevokeTokens ends every token of a user and returns how many there were.
func (db *DB) RevokeTokens(ctx context.Context, by mash.Actor, userID, reason string) (n int, err error) {
	defer mash.Wrap(&err, "store.RevokeTokens")
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if err := userExists(ctx, tx, userID); err != nil {
			return err
		}
		n, err = revokeAll(ctx, tx, userID)
		if err != nil {
			return err
		}
		return db.audit(ctx, tx, by, "token.revoke_all", "user", userID, joinReason(fmt.Sprintf("%d tokens", n), reason))
	})
	return n, err
}

func revokeAll(ctx context.Context, tx *sql.Tx, userID string) (int, error) {
	// Browser sessions end too (they are refused on the next request anyway;
	// this removes them at once).
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
		return 0, dbErr(err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE user_id = $1`, userID)
	if err != nil {
		return 0, dbErr(err)
	}
	n, err := res.RowsAffected()
	return int(n), dbErr(err)
}

func userExists(ctx context.Context, tx *sql.Tx, userID string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = $1`, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return mash.Errorf(mash.KindNotFound, "no such user")
	}
	return dbErr(err)
}

func joinReason(what, why string) string {
	if why = strings.TrimSpace(why); why != "" {
		return what + ": " + why
	}
	return what
}

// DisableUser stops a user signing in and ends their tokens at once (and
// ActorForToken refuses any token of a disabled user, on every instance).
func (db *DB) DisableUser(ctx context.Context, by mash.Actor, userID, reason string) (err error) {
	defer mash.Wrap(&err, "store.DisableUser")
	return db.userChange(ctx, by, userID, "user.disable", reason,
		`UPDATE users SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL`, "the user is already disabled", true, db.Now().UTC())
}

// EnableUser lets a disabled user sign in again (with new tokens: the old
// ones ended when they were disabled). It also clears any lockout.
func (db *DB) EnableUser(ctx context.Context, by mash.Actor, userID, reason string) (err error) {
	defer mash.Wrap(&err, "store.EnableUser")
	return db.userChange(ctx, by, userID, "user.enable", reason,
		`UPDATE users SET disabled_at = NULL, failed_signins = 0, failed_since = NULL, locked_until = NULL
		WHERE id = $1 AND disabled_at IS NOT NULL`, "the user is not disabled", false)
}

// ResetPassword sets a new password chosen by an administrator. The TOTP
// enrolment stays, so the reset alone does not let anyone sign in as the
// user; lockout is cleared and the user's tokens end.
func (db *DB) ResetPassword(ctx context.Context, by mash.Actor, userID, password, reason string) (err error) {
	defer mash.Wrap(&err, "store.ResetPassword")
	if len(password) < minPasswordLen {
		return &mash.Error{Kind: mash.KindInvalid, Msg: "the password is not valid",
			Fields: map[string]string{"password": fmt.Sprintf("must be at least %d characters", minPasswordLen)}}
	}
	hash, err := auth.HashPassword(password, db.PasswordParams)
	if err != nil {
		return err
	}
	return db.userChange(ctx, by, userID, "user.password_reset", reason,
		`UPDATE users SET password_hash = $2, failed_signins = 0, failed_since = NULL, locked_until = NULL WHERE id = $1`, "", true, hash)
}

// EnrolTOTP gives a user a TOTP secret and returns it (base32). An empty
// secret makes a random one (the demo and tests pass a fixed one). A user
// already enrolled keeps their secret unless reset is set; a reset ends the
// user's tokens, since it usually follows a lost or stolen phone.
func (db *DB) EnrolTOTP(ctx context.Context, by mash.Actor, userID, secret string, reset bool, reason string) (_ string, err error) {
	defer mash.Wrap(&err, "store.EnrolTOTP")
	if secret == "" {
		secret = auth.NewTOTPSecret()
	}
	if key, err := auth.DecodeTOTPSecret(secret); err != nil || len(key) < 16 {
		return "", &mash.Error{Kind: mash.KindInvalid, Msg: "the TOTP secret is not valid",
			Fields: map[string]string{"secret": "must be base32 of at least 128 bits"}}
	}
	action, q, taken := "user.totp_enrol", `UPDATE users SET totp_secret = $2, totp_last_step = 0 WHERE id = $1 AND totp_secret = ''`,
		"the user is already enrolled for one-time codes; a reset replaces the enrolment"
	if reset {
		action, q, taken = "user.totp_reset", `UPDATE users SET totp_secret = $2, totp_last_step = 0 WHERE id = $1`, ""
	}
	return secret, db.userChange(ctx, by, userID, action, reason, q, taken, reset, secret)
}

// userChange runs one UPDATE of user $1 (with args from $2), audits it as
// action and, if endTokens, ends the user's tokens in the same transaction.
// taken is the conflict message for an UPDATE that matches no row of an
// existing user.
func (db *DB) userChange(ctx context.Context, by mash.Actor, userID, action, reason, q, taken string, endTokens bool, args ...any) error {
	if err := may(by, mash.ActionUserManage); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := userExists(ctx, tx, userID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, q, append([]any{userID}, args...)...)
		if err != nil {
			return dbErr(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return dbErr(err)
		} else if n == 0 {
			return mash.Errorf(mash.KindConflict, "%s", taken)
		}
		if endTokens {
			n, err := revokeAll(ctx, tx, userID)
			if err != nil {
				return err
			}
			reason = joinReason(fmt.Sprintf("%d tokens revoked", n), reason)
		}
		return db.audit(ctx, tx, by, action, "user", userID, reason)
	})
}
