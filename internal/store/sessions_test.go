package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

const (
	idle     = 15 * time.Minute
	lifetime = 12 * time.Hour
)

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clk := setup(t, db, signInAt)
		screener := f.Users[mash.RoleScreener]
		start := func(email string) mash.Token {
			t.Helper()
			clk.Set(clk.Now().Add(30 * time.Second)) // each code works once
			tok, err := db.StartSession(ctx, from, email, f.Password, code(clk, 0), idle, lifetime)
			if err != nil {
				t.Fatalf("start session: %v", err)
			}
			return tok
		}
		live := func(tok mash.Token) bool {
			t.Helper()
			_, err := db.ActorForSession(ctx, tok.Token)
			if err != nil && mash.KindOf(err) != mash.KindUnauthenticated {
				t.Fatal(err)
			}
			return err == nil
		}

		tok := start(screener.Email)
		if !tok.ExpiresAt.Equal(clk.Now().Add(lifetime)) {
			t.Fatalf("expires at %v", tok.ExpiresAt)
		}
		a, err := db.ActorForSession(ctx, tok.Token)
		if err != nil || a.UserID != screener.ID || a.Role != mash.RoleScreener || a.AgencyID != f.Hub.ID || a.Name != screener.Name {
			t.Fatalf("session resolves to %+v, %v", a, err)
		}
		if n := count(t, db, `SELECT count(*) FROM sessions WHERE token_hash = $1`, tok.Token); n != 0 {
			t.Fatal("the session token is stored in the clear")
		}
		if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'session.start' AND entity_id = $1`, screener.ID); n != 1 {
			t.Fatalf("%d session.start events", n)
		}
		if _, err := db.ActorForToken(ctx, tok.Token); mash.KindOf(err) != mash.KindUnauthenticated {
			t.Fatalf("a session token works as an API token: %v", err)
		}

		// Idle: use keeps it alive past 15 minutes from the start…
		t0 := clk.Now()
		for _, m := range []time.Duration{10, 20, 30} {
			clk.Set(t0.Add(m * time.Minute))
			if !live(tok) {
				t.Fatalf("session ended %v after start despite use", m*time.Minute)
			}
		}
		// …and 15 minutes without use ends it.
		clk.Set(t0.Add(30*time.Minute + idle - time.Second))
		if !live(tok) {
			t.Fatal("session ended before its idle timeout")
		}
		clk.Set(t0.Add(30*time.Minute + 2*idle))
		if live(tok) {
			t.Fatal("session outlived its idle timeout")
		}

		// Absolute: however busy, a session ends after its lifetime.
		tok = start(screener.Email)
		t0 = clk.Now()
		for at := 10 * time.Minute; at < lifetime; at += 10 * time.Minute {
			clk.Set(t0.Add(at))
			if !live(tok) {
				t.Fatalf("busy session ended after %v", at)
			}
		}
		clk.Set(t0.Add(lifetime))
		if live(tok) {
			t.Fatal("session outlived its lifetime")
		}

		// A purge clears expired sessions and leaves live ones alone.
		auditor := start(f.Users[mash.RoleAuditor].Email)
		if n, err := db.PurgeSessions(ctx); err != nil || n != 2 || !live(auditor) {
			t.Fatalf("purge: %d %v", n, err)
		}
		if n, err := db.PurgeSessions(ctx); err != nil || n != 0 {
			t.Fatalf("second purge: %d %v", n, err)
		}
		if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'session.purge'`); n != 1 {
			t.Fatalf("%d purges audited, want 1", n)
		}
		tok = start(screener.Email)

		// A role change applies to the next request; disabling ends it.
		if _, err := db.SQL().Exec(`UPDATE users SET role = 'manager' WHERE id = $1`, screener.ID); err != nil {
			t.Fatal(err)
		}
		if a, err := db.ActorForSession(ctx, tok.Token); err != nil || a.Role != mash.RoleManager {
			t.Fatalf("after a role change: %+v %v", a, err)
		}
		if err := db.DisableUser(ctx, store.System, screener.ID, "left"); err != nil {
			t.Fatal(err)
		}
		if live(tok) {
			t.Fatal("a disabled user's session still works")
		}

		// Sign-out ends the session, once.
		manager := f.Users[mash.RoleManager]
		tok = start(manager.Email)
		if err := db.EndSession(ctx, from, tok.Token); err != nil {
			t.Fatal(err)
		}
		if live(tok) {
			t.Fatal("session works after sign-out")
		}
		if err := db.EndSession(ctx, from, tok.Token); mash.KindOf(err) != mash.KindUnauthenticated {
			t.Fatalf("ending an ended session: %v", err)
		}
		if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'session.end' AND entity_id = $1`, manager.ID); n != 1 {
			t.Fatalf("%d session.end events", n)
		}

		// Every sign-in makes a new session.
		a1, a2 := start(manager.Email), start(manager.Email)
		if a1.Token == a2.Token || !live(a1) || !live(a2) {
			t.Fatal("sign-ins share a session")
		}
		for _, bad := range []string{"", a1.Token + "x", strings.ToLower(a1.Token), "mash_\x00", "\xff"} {
			if _, err := db.ActorForSession(ctx, bad); mash.KindOf(err) != mash.KindUnauthenticated {
				t.Fatalf("token %q: %v", bad, err)
			}
		}
	})
}

// TestStartSessionSharesSignIn checks the browser's sign-in is SignIn's: the
// same message for every failure and the same lockout.
func TestStartSessionSharesSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clk := setup(t, db, signInAt)
		email := f.Users[mash.RoleManager].Email
		_, err := db.StartSession(ctx, from, email, f.Password, "", idle, lifetime)
		wantRefused(t, err, codeRequired)
		_, err = db.StartSession(ctx, from, "nobody@hub.example", f.Password, code(clk, 0), idle, lifetime)
		wantRefused(t, err, badSignIn)
		for range store.MaxFailedSignIns {
			_, err = db.StartSession(ctx, from, email, "wrong password!", code(clk, 0), idle, lifetime)
			wantRefused(t, err, badSignIn)
		}
		// Locked: the right answers fail, in the browser and the API alike.
		_, err = db.StartSession(ctx, from, email, f.Password, code(clk, 0), idle, lifetime)
		wantRefused(t, err, badSignIn)
		_, err = db.SignIn(ctx, from, email, f.Password, code(clk, 0), time.Hour)
		wantRefused(t, err, badSignIn)
		clk.Set(clk.Now().Add(store.LockFor))
		if _, err := db.StartSession(ctx, from, email, f.Password, code(clk, 0), idle, lifetime); err != nil {
			t.Fatalf("after the lock: %v", err)
		}
		if _, err := db.StartSession(ctx, from, email, f.Password, code(clk, 0), 0, lifetime); mash.KindOf(err) != mash.KindInvalid {
			t.Fatalf("zero idle timeout: %v", err)
		}
	})
}

func TestSSOSession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, _ := setup(t, db, signInAt)
		const iss = "https://login.example/tenant/v2.0"
		sso := func(sub string, u mash.User) (mash.Actor, error) {
			t.Helper()
			tok, err := db.StartSSOSession(ctx, from, iss, sub, u, idle, lifetime)
			if err != nil {
				return mash.Actor{}, err
			}
			return db.ActorForSession(ctx, tok.Token)
		}

		// A new person becomes a user with no password or codes.
		newcomer := mash.User{Email: "New.Worker@police.example", Name: "New Worker", AgencyID: f.Police.ID, Role: mash.RoleResearcher}
		a, err := sso("sub-new", newcomer)
		if err != nil || a.Role != mash.RoleResearcher || a.AgencyID != f.Police.ID || a.Name != "New Worker" {
			t.Fatalf("first sign-on: %+v %v", a, err)
		}
		u, err := db.UserByEmail(ctx, "new.worker@police.example")
		if err != nil || u.ID != a.UserID {
			t.Fatalf("user: %+v %v", u, err)
		}
		if n := count(t, db, `SELECT count(*) FROM users WHERE id = $1 AND password_hash = '' AND totp_secret = '' AND oidc_subject = 'sub-new'`, u.ID); n != 1 {
			t.Fatal("the new user has a password or codes, or is not linked")
		}
		if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'user.create' AND entity_id = $1
			AND reason LIKE '%identity provider is responsible for multi-factor%'`, u.ID); n != 1 {
			t.Fatal("the creation does not record who is responsible for MFA")
		}
		// With no password, the password sign-in cannot be used.
		_, err = db.StartSession(ctx, from, newcomer.Email, "", "123456", idle, lifetime)
		wantRefused(t, err, badSignIn)

		// The same subject signs in to the same user, whose role and agency
		// follow the claims, audited.
		moved := newcomer
		moved.AgencyID, moved.Role = f.Health.ID, mash.RoleManager
		if a, err = sso("sub-new", moved); err != nil || a.UserID != u.ID || a.Role != mash.RoleManager || a.AgencyID != f.Health.ID {
			t.Fatalf("changed claims: %+v %v", a, err)
		}
		if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'user.sso_update' AND entity_id = $1
			AND reason LIKE '%role researcher → manager%'`, u.ID); n != 1 {
			t.Fatal("the role change is not audited")
		}

		// An existing local user is linked by email at their first sign-on.
		screener := f.Users[mash.RoleScreener]
		claimed := mash.User{Email: screener.Email, Name: screener.Name, AgencyID: screener.AgencyID, Role: screener.Role}
		if a, err = sso("sub-screener", claimed); err != nil || a.UserID != screener.ID {
			t.Fatalf("link by email: %+v %v", a, err)
		}
		// Another identity claiming the same email is refused.
		if _, err = sso("sub-impostor", claimed); mash.KindOf(err) != mash.KindConflict {
			t.Fatalf("second identity with a linked email: %v", err)
		}
		// A disabled user is refused, and the refusal audited.
		if err := db.DisableUser(ctx, store.System, screener.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err = sso("sub-screener", claimed); mash.KindOf(err) != mash.KindForbidden {
			t.Fatalf("disabled user: %v", err)
		}
		if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'signin.failure' AND entity_id = $1`, screener.ID); n != 2 {
			t.Fatalf("%d refusals audited, want 2", n)
		}
		// Claims the hub cannot use are refused before anything changes.
		bad := newcomer
		bad.AgencyID = "no-such-agency"
		if _, err = sso("sub-new", bad); mash.KindOf(err) != mash.KindInvalid {
			t.Fatalf("unknown agency: %v", err)
		}
		if _, err := db.StartSSOSession(ctx, from, iss, "", newcomer, idle, lifetime); mash.KindOf(err) != mash.KindInvalid {
			t.Fatalf("no subject: %v", err)
		}
	})
}

// TestSessionsConcurrent runs sign-ons that change the same user, session
// use, sign-outs and purges at once: none may fail (a deadlock between the
// audit chain lock and row locks would, on PostgreSQL).
func TestSessionsConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, _ := setup(t, db, signInAt)
		roles := []mash.Role{mash.RoleResearcher, mash.RoleManager}
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for i := range 8 {
			wg.Go(func() {
				for j := range 5 {
					u := mash.User{Email: "shared@police.example", Name: "Shared Person", AgencyID: f.Police.ID, Role: roles[(i+j)%2]}
					tok, err := db.StartSSOSession(ctx, from, "https://login.example", "sub-shared", u, idle, lifetime)
					if err == nil {
						_, err = db.ActorForSession(ctx, tok.Token)
					}
					if err == nil {
						err = db.EndSession(ctx, from, tok.Token)
					}
					if err == nil && j == 2 {
						_, err = db.PurgeSessions(ctx)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}
