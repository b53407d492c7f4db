package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/auth"
)

// touchEvery is how stale a session's last use may get before a request
// records a new one. Writing on every request would make each page view a
// write transaction; the cost is that a session may go idle up to this much
// sooner than its idle timeout after the last request.
const touchEvery = time.Minute

var errBadSession = mash.Errorf(mash.KindUnauthenticated, "the session is unknown, ended or expired")

// StartSession checks an email, password and one-time code exactly as SignIn
// does (same lockout, same audit, same single failure message) and opens a
// browser session. It always makes a new token: a session id is never taken
// from the client, so one planted before sign-in is worthless.
func (db *DB) StartSession(ctx context.Context, from mash.Actor, email, password, code string, idle, lifetime time.Duration) (tok mash.Token, err error) {
	defer mash.Wrap(&err, "store.StartSession")
	if err := checkSessionLimits(idle, lifetime); err != nil {
		return mash.Token{}, err
	}
	err = db.credentialSignIn(ctx, from, email, password, code, func(tx *sql.Tx, by mash.Actor) (err error) {
		tok, err = db.insertSession(ctx, tx, by, "password and one-time code", idle, lifetime)
		return err
	})
	return tok, err
}

func checkSessionLimits(idle, lifetime time.Duration) error {
	if idle < time.Second || lifetime < time.Second {
		return mash.Errorf(mash.KindInvalid, "session timeouts must be at least a second")
	}
	return nil
}

// insertSession opens a session for by.UserID. On PostgreSQL the audit
// append holds a lock to the end of the transaction, so nothing that could
// wait for a row lock may follow it: this is an INSERT of a new random key,
// which waits on no one, so it may follow the sign-in's own audit event.
// Expired sessions are left to PurgeSessions for the same reason.
func (db *DB) insertSession(ctx context.Context, tx *sql.Tx, by mash.Actor, how string, idle, lifetime time.Duration) (mash.Token, error) {
	now := db.Now().UTC()
	tok, hash := auth.NewToken()
	t := mash.Token{Token: tok, ExpiresAt: now.Add(lifetime)}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, idle_expires_at, expires_at, idle_seconds)
		VALUES ($1,$2,$3,$3,$4,$5,$6)`, hash, by.UserID, now, now.Add(idle), t.ExpiresAt, int64(idle/time.Second)); err != nil {
		return mash.Token{}, dbErr(err)
	}
	return t, db.audit(ctx, tx, by, "session.start", "user", by.UserID, how)
}

// ActorForSession resolves a session token to its user. Like ActorForToken it
// reads the role, agency and disabled flag on every call, so a change to any
// applies to the user's next request on every instance. Use moves the idle
// expiry on (see touchEvery); it is not audited, as the session's start and
// end are.
func (db *DB) ActorForSession(ctx context.Context, token string) (mash.Actor, error) {
	return db.session(ctx, token, true)
}

// PeekSession is ActorForSession without moving the idle expiry.
func (db *DB) PeekSession(ctx context.Context, token string) (mash.Actor, error) {
	return db.session(ctx, token, false)
}

func (db *DB) session(ctx context.Context, token string, use bool) (mash.Actor, error) {
	var a mash.Actor
	var seen, idleEnd, end time.Time
	var idleSecs int64
	hash := auth.HashToken(token)
	err := db.r.QueryRowContext(ctx, `SELECT u.id, u.name, u.role, u.agency_id, s.last_seen_at, s.idle_expires_at, s.expires_at, s.idle_seconds
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND u.disabled_at IS NULL`, hash).
		Scan(&a.UserID, &a.Name, &a.Role, &a.AgencyID, &seen, &idleEnd, &end, &idleSecs)
	if errors.Is(err, sql.ErrNoRows) {
		return mash.Actor{}, errBadSession
	}
	if err != nil {
		return mash.Actor{}, dbErr(err)
	}
	now := db.Now().UTC()
	if !now.Before(idleEnd) || !now.Before(end) {
		return mash.Actor{}, errBadSession
	}
	if use && now.Sub(seen) >= touchEvery {
		err := db.tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $2, idle_expires_at = $3 WHERE token_hash = $1`,
				hash, now, now.Add(time.Duration(idleSecs)*time.Second))
			return dbErr(err)
		})
		if err != nil {
			return mash.Actor{}, err
		}
	}
	return a, nil
}

// EndSession ends the session of token (its user signing out).
func (db *DB) EndSession(ctx context.Context, from mash.Actor, token string) (err error) {
	defer mash.Wrap(&err, "store.EndSession")
	return db.tx(ctx, func(tx *sql.Tx) error {
		var userID string
		err := tx.QueryRowContext(ctx, `DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id`, auth.HashToken(token)).Scan(&userID)
		if errors.Is(err, sql.ErrNoRows) {
			return errBadSession
		}
		if err != nil {
			return dbErr(err)
		}
		by := mash.Actor{UserID: userID, RequestID: from.RequestID, ClientIP: from.ClientIP}
		return db.audit(ctx, tx, by, "session.end", "user", userID, "signed out")
	})
}

// ssoUser is a user as single sign-on finds them.
type ssoUser struct {
	mash.User
	disabled        bool
	issuer, subject string
}

// StartSSOSession opens a session for the person an identity provider has
// vouched for (see mash.Hub). The caller has verified the ID token and
// mapped its claims to claimed's agency and role; here they are applied,
// each change audited with the session's start.
func (db *DB) StartSSOSession(ctx context.Context, from mash.Actor, issuer, subject string, claimed mash.User, idle, lifetime time.Duration) (tok mash.Token, err error) {
	defer mash.Wrap(&err, "store.StartSSOSession")
	if err := checkSessionLimits(idle, lifetime); err != nil {
		return mash.Token{}, err
	}
	if issuer == "" || subject == "" {
		return mash.Token{}, mash.Errorf(mash.KindInvalid, "an issuer and subject are required")
	}
	if err := claimed.Validate(); err != nil {
		return mash.Token{}, err
	}
	from = mash.Actor{RequestID: from.RequestID, ClientIP: from.ClientIP}
	// A first sign-on that loses a race to create the user runs again, and
	// finds the user the other made.
	for try := 0; ; try++ {
		tok, err = db.startSSOSession(ctx, from, issuer, subject, claimed, idle, lifetime)
		if !errors.Is(err, errCreateRace) || try > 0 {
			return tok, err
		}
	}
}

var errCreateRace = mash.Errorf(mash.KindConflict, "your OpenMASH account was being created by another sign-in; try again")

func (db *DB) startSSOSession(ctx context.Context, from mash.Actor, issuer, subject string, claimed mash.User, idle, lifetime time.Duration) (tok mash.Token, err error) {
	var refused error // a refusal to audit and then return
	err = db.tx(ctx, func(tx *sql.Tx) error {
		// Rows first, audit events last (see insertSession).
		if err := agencyExists(ctx, tx, claimed.AgencyID); err != nil {
			return err
		}
		u, err := db.ssoFind(ctx, tx, issuer, subject, claimed.Email)
		if err != nil {
			return err
		}
		var action, reason string // the change to the user, if any
		switch {
		case u == nil:
			if u, err = db.ssoCreate(ctx, tx, issuer, subject, claimed); err != nil {
				return err
			}
			action, reason = "user.create", fmt.Sprintf("first single sign-on via %s as %s; no password or one-time codes: "+
				"the identity provider is responsible for multi-factor authentication", issuer, u.Role)
		case u.disabled:
			refused = mash.Errorf(mash.KindForbidden, "your OpenMASH account is disabled")
			return db.audit(ctx, tx, from, "signin.failure", "user", u.ID, "account disabled (single sign-on)")
		case u.subject != "" && (u.issuer != issuer || u.subject != subject):
			// Found by email, but linked to another identity: taking it over
			// on the strength of an email claim would be an account takeover.
			refused = mash.Errorf(mash.KindConflict, "your email belongs to an OpenMASH account linked to another identity")
			return db.audit(ctx, tx, from, "signin.failure", "user", u.ID, "email linked to another single sign-on identity")
		default:
			if reason, err = db.ssoUpdate(ctx, tx, u, issuer, subject, claimed); err != nil {
				return err
			}
			if reason != "" {
				action = "user.sso_update"
			}
		}
		by := mash.Actor{UserID: u.ID, Name: claimed.Name, Role: claimed.Role, AgencyID: claimed.AgencyID,
			RequestID: from.RequestID, ClientIP: from.ClientIP}
		if action != "" {
			if err := db.audit(ctx, tx, by, action, "user", u.ID, reason); err != nil {
				return err
			}
		}
		if err := db.audit(ctx, tx, by, "signin.success", "user", u.ID, "single sign-on via "+issuer); err != nil {
			return err
		}
		tok, err = db.insertSession(ctx, tx, by, "single sign-on via "+issuer, idle, lifetime)
		return err
	})
	if err == nil && refused != nil {
		err = refused
	}
	return tok, err
}

// ssoFind finds the user linked to issuer and subject or, failing that, the
// one with email; nil if neither exists.
func (db *DB) ssoFind(ctx context.Context, tx *sql.Tx, issuer, subject, email string) (*ssoUser, error) {
	const cols = `SELECT id, email, name, agency_id, role, created_at, disabled_at, oidc_issuer, oidc_subject FROM users `
	for _, q := range []struct {
		where string
		args  []any
	}{
		{`WHERE oidc_issuer = $1 AND oidc_subject = $2`, []any{issuer, subject}},
		{`WHERE email = $1`, []any{email}},
	} {
		var u ssoUser
		var disabled sql.NullTime
		err := tx.QueryRowContext(ctx, cols+q.where, q.args...).Scan(&u.ID, &u.Email, &u.Name, &u.AgencyID, &u.Role,
			&u.CreatedAt, &disabled, &u.issuer, &u.subject)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, dbErr(err)
		}
		u.disabled = disabled.Valid
		return &u, nil
	}
	return nil, nil
}

func (db *DB) ssoCreate(ctx context.Context, tx *sql.Tx, issuer, subject string, c mash.User) (*ssoUser, error) {
	u := &ssoUser{User: c, issuer: issuer, subject: subject}
	u.ID, u.CreatedAt = newID(), db.Now().UTC()
	// An empty password hash matches no password, and no TOTP secret means
	// no one-time codes: this user can only sign in through the provider.
	if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, agency_id, role, password_hash, created_at, oidc_issuer, oidc_subject)
		VALUES ($1,$2,$3,$4,$5,'',$6,$7,$8)`, u.ID, u.Email, u.Name, u.AgencyID, string(u.Role), u.CreatedAt, issuer, subject); err != nil {
		if mash.KindOf(dbErr(err)) == mash.KindConflict {
			return nil, errCreateRace
		}
		return nil, dbErr(err)
	}
	return u, nil
}

// ssoUpdate links u to the identity if it is not yet, and brings its name,
// email, agency and role into line with the provider's claims. It returns
// what changed, for the audit log (without personal data), or "".
func (db *DB) ssoUpdate(ctx context.Context, tx *sql.Tx, u *ssoUser, issuer, subject string, c mash.User) (string, error) {
	var changed []string
	if u.subject == "" {
		changed = append(changed, "linked to the identity by email")
	}
	if u.Name != c.Name {
		changed = append(changed, "name")
	}
	if u.Email != c.Email {
		changed = append(changed, "email")
	}
	if u.AgencyID != c.AgencyID {
		changed = append(changed, fmt.Sprintf("agency %s → %s", u.AgencyID, c.AgencyID))
	}
	if u.Role != c.Role {
		changed = append(changed, fmt.Sprintf("role %s → %s", u.Role, c.Role))
	}
	if len(changed) == 0 {
		return "", nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET name = $2, email = $3, agency_id = $4, role = $5, oidc_issuer = $6, oidc_subject = $7
		WHERE id = $1`, u.ID, c.Name, c.Email, c.AgencyID, string(c.Role), issuer, subject); err != nil {
		if mash.KindOf(dbErr(err)) == mash.KindConflict {
			return "", mash.Errorf(mash.KindConflict, "your email belongs to another OpenMASH account")
		}
		return "", dbErr(err)
	}
	return "from the identity provider's claims: " + strings.Join(changed, "; "), nil
}

func agencyExists(ctx context.Context, tx *sql.Tx, id string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM agencies WHERE id = $1`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return &mash.Error{Kind: mash.KindInvalid, Msg: "the user is not valid", Fields: map[string]string{"agency": "no such agency"}}
	}
	return dbErr(err)
}

// PurgeSessions deletes every session past either expiry, so the table
// keeps only sessions that could still be used. It is safe to run on every
// instance at once.
func (db *DB) PurgeSessions(ctx context.Context) (n int, err error) {
	defer mash.Wrap(&err, "store.PurgeSessions")
	return db.purge(ctx, "session", "expired sessions", `DELETE FROM sessions WHERE expires_at <= $1 OR idle_expires_at <= $1`, db.Now().UTC())
}

// purge runs a housekeeping delete of entity rows (q, with the cut-off as
// $1) as the system, auditing how many went (what describes them).
func (db *DB) purge(ctx context.Context, entity, what, q string, cutoff time.Time) (n int, err error) {
	err = db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, cutoff)
		if err != nil {
			return dbErr(err)
		}
		m, err := res.RowsAffected()
		if err != nil || m == 0 {
			return dbErr(err)
		}
		n = int(m)
		by := mash.Actor{UserID: System.UserID, Name: System.Name, Role: System.Role, RequestID: entity + "-purge"}
		return db.audit(ctx, tx, by, entity+".purge", entity, "", fmt.Sprintf("%d %s", n, what))
	})
	return n, err
}
