package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/auth"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// signInAt is a working morning; its TOTP step is the middle of a 30 s step.
var signInAt = time.Date(2026, 3, 10, 10, 0, 15, 0, time.UTC)

var from = mash.Actor{RequestID: "req-1", ClientIP: "192.0.2.7"}

const (
	badSignIn    = "email, password or code is wrong"
	codeRequired = "a one-time code is required"
)

// code is the fixture users' code for the step s steps from the clock's.
func code(clk *clock, s int64) string { return storetest.Code(auth.TOTPStep(clk.Now()) + s) }

// wantRefused checks err is the 401 a failed sign-in gets, with msg.
func wantRefused(t *testing.T, err error, msg string) {
	t.Helper()
	if mash.KindOf(err) != mash.KindUnauthenticated || mash.Message(err) != msg {
		t.Fatalf("got %v, want unauthenticated %q", err, msg)
	}
}

func TestSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clk := setup(t, db, signInAt)
		email, pw := f.Users[mash.RoleScreener].Email, f.Password

		tok, err := db.SignIn(ctx, from, " Screener@HUB.example ", pw, code(clk, 0), time.Hour)
		if err != nil || !tok.ExpiresAt.Equal(signInAt.Add(time.Hour)) {
			t.Fatalf("sign in: %+v %v", tok, err)
		}
		a, err := db.ActorForToken(ctx, tok.Token)
		if err != nil || a.UserID != f.Users[mash.RoleScreener].ID || a.Role != mash.RoleScreener {
			t.Fatalf("token resolves to %+v, %v", a, err)
		}

		// Each code works once, and an older one never after a newer.
		_, err = db.SignIn(ctx, from, email, pw, code(clk, 0), time.Hour)
		wantRefused(t, err, badSignIn)
		_, err = db.SignIn(ctx, from, email, pw, code(clk, -1), time.Hour)
		wantRefused(t, err, badSignIn)
		// A phone one step ahead is within the drift allowed; two is not.
		if _, err := db.SignIn(ctx, from, email, pw, code(clk, 1), time.Hour); err != nil {
			t.Fatalf("code one step ahead: %v", err)
		}
		manager := f.Users[mash.RoleManager].Email
		_, err = db.SignIn(ctx, from, manager, pw, code(clk, 2), time.Hour)
		wantRefused(t, err, badSignIn)
		_, err = db.SignIn(ctx, from, manager, pw, code(clk, -2), time.Hour)
		wantRefused(t, err, badSignIn)
		// A phone one step behind is accepted too, and spaces as apps show them.
		c := code(clk, -1)
		if _, err := db.SignIn(ctx, from, manager, pw, c[:3]+" "+c[3:], time.Hour); err != nil {
			t.Fatalf("code one step behind: %v", err)
		}

		// One answer for everything that fails, so none reveals an account.
		clk.Set(signInAt.Add(time.Minute))
		if err := db.DisableUser(ctx, store.System, f.Users[mash.RoleAnalyst].ID, ""); err != nil {
			t.Fatal(err)
		}
		unenrolled := mash.User{Email: "new@hub.example", Name: "New Starter", AgencyID: f.Hub.ID, Role: mash.RoleScreener}
		if err := db.CreateUser(ctx, store.System, &unenrolled, pw); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ name, email, password, code, msg string }{
			{"unknown email", "nobody@hub.example", pw, code(clk, 0), badSignIn},
			{"wrong password", f.Users[mash.RoleAuditor].Email, pw + "x", code(clk, 0), badSignIn},
			{"wrong code", f.Users[mash.RoleAuditor].Email, pw, "000000", badSignIn},
			{"code of another secret", f.Users[mash.RoleAuditor].Email, pw, auth.TOTPCode([]byte("12345678901234567890"), auth.TOTPStep(clk.Now())), badSignIn},
			{"not digits", f.Users[mash.RoleAuditor].Email, pw, "12345x", badSignIn},
			{"disabled", f.Users[mash.RoleAnalyst].Email, pw, code(clk, 0), badSignIn},
			{"not enrolled", unenrolled.Email, pw, code(clk, 0), badSignIn},
			{"no code", email, pw, "", codeRequired},
			{"no code, unknown email", "nobody@hub.example", pw, " ", codeRequired},
		} {
			_, err := db.SignIn(ctx, from, tc.email, tc.password, tc.code, time.Hour)
			if mash.KindOf(err) != mash.KindUnauthenticated || mash.Message(err) != tc.msg {
				t.Errorf("%s: got %v, want unauthenticated %q", tc.name, err, tc.msg)
			}
		}

		// Every attempt is audited, with the client's address.
		if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'signin.success' AND client_ip = '192.0.2.7' AND request_id = 'req-1'`); n != 3 {
			t.Errorf("%d signin.success events, want 3", n)
		}
		if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'signin.failure' AND client_ip = '192.0.2.7'`); n != 13 {
			t.Errorf("%d signin.failure events, want 13", n)
		}
		if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'signin.failure' AND reason = 'unknown email' AND entity_id = ''`); n != 1 {
			t.Errorf("%d failures for the unknown email, want 1 with no entity", n)
		}
		if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'token.issue' AND actor_id = $1`, f.Users[mash.RoleScreener].ID); n != 2 {
			t.Errorf("%d token.issue events for the screener, want 2", n)
		}
	})
}

// TestSignInCodeRace: two sign-ins with the same code at once, as from two
// instances; exactly one gets in.
func TestSignInCodeRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, clk := setup(t, db, signInAt)
		c := code(clk, 0)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = db.SignIn(context.Background(), from, f.Users[mash.RoleScreener].Email, f.Password, c, time.Hour)
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if mash.KindOf(err) != mash.KindUnauthenticated {
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d sign-ins with one code succeeded, want 1 (%v)", ok, errs)
		}
	})
}

func TestLockout(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) { testLockout(t, e) })
	}
}

func testLockout(t *testing.T, e storetest.Engine) {
	db := storetest.Open(t, e)
	ctx := context.Background()
	f, clk := setup(t, db, signInAt)
	u := f.Users[mash.RoleScreener]
	fail := func() {
		t.Helper()
		_, err := db.SignIn(ctx, from, u.Email, "wrong password!", code(clk, 0), time.Hour)
		wantRefused(t, err, badSignIn)
	}
	tick := func(d time.Duration) { clk.Set(clk.Now().Add(d)) }

	// Four failures, then a success: the count starts again.
	for range 4 {
		fail()
		tick(time.Minute)
	}
	if _, err := db.SignIn(ctx, from, u.Email, f.Password, code(clk, 0), time.Hour); err != nil {
		t.Fatalf("sign in after 4 failures: %v", err)
	}
	// Failures spread over more than the window do not lock.
	for range 4 {
		tick(time.Minute)
		fail()
	}
	tick(store.FailureWindow)
	fail()
	tick(time.Minute)
	if _, err := db.SignIn(ctx, from, u.Email, f.Password, code(clk, 0), time.Hour); err != nil {
		t.Fatalf("sign in after failures spread over %s: %v", store.FailureWindow, err)
	}

	// Five within the window lock the account (wrong codes count too).
	for range 4 {
		tick(time.Minute)
		fail()
	}
	tick(time.Minute)
	_, err := db.SignIn(ctx, from, u.Email, f.Password, "999999", time.Hour)
	wantRefused(t, err, badSignIn)
	lockedAt := clk.Now()
	if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'signin.lockout' AND entity_id = $1`, u.ID); n != 1 {
		t.Fatalf("%d lockout events, want 1", n)
	}
	// Locked: the right password and code get the same answer as a
	// wrong one, and guesses meanwhile do not extend the lock.
	tick(time.Minute)
	_, err = db.SignIn(ctx, from, u.Email, f.Password, code(clk, 0), time.Hour)
	wantRefused(t, err, badSignIn)
	for range 6 {
		fail()
	}
	// Another instance (another store on the same database) sees the lock.
	other := storetest.Open(t, e)
	other.Now = clk.Now
	_, err = other.SignIn(ctx, from, u.Email, f.Password, code(clk, 1), time.Hour)
	wantRefused(t, err, badSignIn)
	// Other accounts are not affected.
	if _, err := db.SignIn(ctx, from, f.Users[mash.RoleManager].Email, f.Password, code(clk, 0), time.Hour); err != nil {
		t.Fatalf("another account: %v", err)
	}

	clk.Set(lockedAt.Add(store.LockFor - time.Second))
	_, err = db.SignIn(ctx, from, u.Email, f.Password, code(clk, 1), time.Hour)
	wantRefused(t, err, badSignIn)
	clk.Set(lockedAt.Add(store.LockFor + time.Minute))
	if _, err := db.SignIn(ctx, from, u.Email, f.Password, code(clk, 0), time.Hour); err != nil {
		t.Fatalf("sign in after the lock: %v", err)
	}
	if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'signin.failure' AND entity_id = $1 AND reason = 'account locked'`, u.ID); n != 3 {
		t.Errorf("%d failures audited as locked, want 3", n)
	}
}

func TestDisableAndTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clk := setup(t, db, signInAt)
		u := f.Users[mash.RoleReferrer]
		t1, err := db.SignIn(ctx, from, u.Email, f.Password, code(clk, 0), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		t2, err := db.IssueToken(ctx, u.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}

		// Revoking one token leaves the other.
		if err := db.RevokeToken(ctx, from, t1.Token); err != nil {
			t.Fatal(err)
		}
		_, err = db.ActorForToken(ctx, t1.Token)
		wantKind(t, err, mash.KindUnauthenticated)
		if _, err := db.ActorForToken(ctx, t2.Token); err != nil {
			t.Fatalf("the other token: %v", err)
		}
		wantKind(t, db.RevokeToken(ctx, from, t1.Token), mash.KindUnauthenticated)

		// Disabling ends every token at once and stops sign-in and issue.
		if err := db.DisableUser(ctx, store.System, u.ID, "left the school"); err != nil {
			t.Fatal(err)
		}
		_, err = db.ActorForToken(ctx, t2.Token)
		wantKind(t, err, mash.KindUnauthenticated)
		wantKind(t, db.DisableUser(ctx, store.System, u.ID, ""), mash.KindConflict)
		_, err = db.SignIn(ctx, from, u.Email, f.Password, code(clk, 1), time.Hour)
		wantRefused(t, err, badSignIn)
		_, err = db.IssueToken(ctx, u.ID, time.Hour)
		wantKind(t, err, mash.KindConflict)
		if n := count(t, db, `SELECT count(*) FROM api_tokens WHERE user_id = $1`, u.ID); n != 0 {
			t.Errorf("%d tokens kept for a disabled user", n)
		}

		// Enabled again: new sign-ins work; old tokens stay dead.
		if err := db.EnableUser(ctx, store.System, u.ID, ""); err != nil {
			t.Fatal(err)
		}
		wantKind(t, db.EnableUser(ctx, store.System, u.ID, ""), mash.KindConflict)
		_, err = db.ActorForToken(ctx, t2.Token)
		wantKind(t, err, mash.KindUnauthenticated)
		if _, err := db.SignIn(ctx, from, u.Email, f.Password, code(clk, 1), time.Hour); err != nil {
			t.Fatalf("sign in when enabled again: %v", err)
		}

		// Revoke all.
		for range 3 {
			if _, err := db.IssueToken(ctx, u.ID, time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := db.RevokeTokens(ctx, store.System, u.ID, "phone stolen"); err != nil || n != 4 {
			t.Fatalf("revoke all: %d, %v", n, err)
		}
		_, err = db.RevokeTokens(ctx, store.System, "no-such-user", "")
		wantKind(t, err, mash.KindNotFound)
		wantKind(t, db.DisableUser(ctx, store.System, "no-such-user", ""), mash.KindNotFound)

		for _, action := range []string{"token.issue", "token.revoke", "token.revoke_all", "user.disable", "user.enable"} {
			if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = $1 AND entity_id = $2`, action, u.ID); n == 0 {
				t.Errorf("no audit event %s", action)
			}
		}
		if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'user.disable' AND reason = '1 tokens revoked: left the school'`); n != 1 {
			t.Errorf("the disable event does not record the reason and tokens ended")
		}
	})
}

// TestRoleChange: the role is read on every request, so a change applies to
// the very next one without a new token.
func TestRoleChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, _ := setup(t, db, signInAt)
		u := f.Users[mash.RoleScreener]
		tok, err := db.IssueToken(ctx, u.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().Exec(`UPDATE users SET role = 'analyst' WHERE id = $1`, u.ID); err != nil {
			t.Fatal(err)
		}
		a, err := db.ActorForToken(ctx, tok.Token)
		if err != nil || a.Role != mash.RoleAnalyst {
			t.Fatalf("after the change: %+v %v", a, err)
		}
	})
}

func TestResetPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clk := setup(t, db, signInAt)
		u := f.Users[mash.RoleManager]
		tok, err := db.SignIn(ctx, from, u.Email, f.Password, code(clk, -1), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		err = db.ResetPassword(ctx, store.System, u.ID, "short", "")
		wantKind(t, err, mash.KindInvalid)
		if err := db.ResetPassword(ctx, store.System, u.ID, "a brand new password", "forgotten"); err != nil {
			t.Fatal(err)
		}
		// The reset ends the user's tokens and the old password, and keeps
		// the second factor: the new password alone is not enough.
		_, err = db.ActorForToken(ctx, tok.Token)
		wantKind(t, err, mash.KindUnauthenticated)
		_, err = db.SignIn(ctx, from, u.Email, f.Password, code(clk, 0), time.Hour)
		wantRefused(t, err, badSignIn)
		_, err = db.SignIn(ctx, from, u.Email, "a brand new password", "", time.Hour)
		wantRefused(t, err, codeRequired)
		if _, err := db.SignIn(ctx, from, u.Email, "a brand new password", code(clk, 0), time.Hour); err != nil {
			t.Fatalf("new password with the same authenticator: %v", err)
		}
		if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'user.password_reset' AND entity_id = $1 AND reason LIKE '%forgotten'`, u.ID); n != 1 {
			t.Errorf("%d password reset events, want 1", n)
		}
	})
}

func TestEnrolTOTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clk := setup(t, db, signInAt)
		u := f.Users[mash.RoleResearcher]
		tok, err := db.IssueToken(ctx, u.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.EnrolTOTP(ctx, store.System, u.ID, "", false, "")
		wantKind(t, err, mash.KindConflict)
		_, err = db.EnrolTOTP(ctx, store.System, u.ID, "JBSWY3DP", true, "") // 40 bits
		wantKind(t, err, mash.KindInvalid)
		_, err = db.EnrolTOTP(ctx, store.System, "no-such-user", "", true, "")
		wantKind(t, err, mash.KindNotFound)

		secret, err := db.EnrolTOTP(ctx, store.System, u.ID, "", true, "lost phone")
		if err != nil || secret == storetest.TOTPSecret {
			t.Fatalf("reset: %q %v", secret, err)
		}
		// The old phone's codes stop working; the new one's work.
		_, err = db.SignIn(ctx, from, u.Email, f.Password, code(clk, 0), time.Hour)
		wantRefused(t, err, badSignIn)
		key, _ := auth.DecodeTOTPSecret(secret)
		if _, err := db.SignIn(ctx, from, u.Email, f.Password, auth.TOTPCode(key, auth.TOTPStep(clk.Now())), time.Hour); err != nil {
			t.Fatalf("new secret: %v", err)
		}
		_, err = db.ActorForToken(ctx, tok.Token)
		wantKind(t, err, mash.KindUnauthenticated)
		for _, action := range []string{"user.totp_enrol", "user.totp_reset"} {
			if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = $1 AND entity_id = $2`, action, u.ID); n != 1 {
				t.Errorf("%d %s events, want 1", n, action)
			}
		}
	})
}

// TestPasswordRehash: a sign-in upgrades a hash made with weaker parameters.
func TestPasswordRehash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clk := setup(t, db, signInAt)
		u := f.Users[mash.RoleAdmin]
		hash := func() string {
			var h string
			if err := db.SQL().QueryRow(`SELECT password_hash FROM users WHERE id = $1`, u.ID).Scan(&h); err != nil {
				t.Fatal(err)
			}
			return h
		}
		old := hash()
		if _, err := db.SignIn(ctx, from, u.Email, f.Password, code(clk, -1), time.Hour); err != nil {
			t.Fatal(err)
		}
		if hash() != old {
			t.Fatal("a current hash was replaced")
		}
		db.PasswordParams.Memory *= 2
		if _, err := db.SignIn(ctx, from, u.Email, f.Password, code(clk, 0), time.Hour); err != nil {
			t.Fatal(err)
		}
		if h := hash(); h == old || auth.NeedsRehash(h, db.PasswordParams) || auth.CheckPassword(h, f.Password) != nil {
			t.Fatalf("hash after sign-in: %s (was %s)", h, old)
		}
		if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'signin.success' AND reason = 'password hash upgraded'`); n != 1 {
			t.Errorf("%d upgrades audited, want 1", n)
		}
	})
}

// FuzzActorForToken: no string resolves to a user unless it is a token that
// was issued, and none makes the lookup fail other than as unauthenticated.
func FuzzActorForToken(f *testing.F) {
	var dbs []*store.DB
	var real string
	for _, e := range storetest.Engines(f) {
		db := storetest.Open(f, e)
		fx := storetest.Partnership(f, db)
		tok, err := db.IssueToken(context.Background(), fx.Users[mash.RoleManager].ID, time.Hour)
		if err != nil {
			f.Fatal(err)
		}
		real = tok.Token
		dbs = append(dbs, db)
	}
	for _, s := range []string{"", "mash_", real[:len(real)-1], real + " ", strings.ToLower(real), "' OR 1=1 --", "\x00", strings.Repeat("A", 10000), "mash_\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		for _, db := range dbs {
			a, err := db.ActorForToken(context.Background(), tok)
			if err == nil || a != (mash.Actor{}) || mash.KindOf(err) != mash.KindUnauthenticated {
				t.Fatalf("token %q: %+v, %v", tok, a, err)
			}
		}
	})
}

// FuzzSignIn: no input panics or signs in without the password and a code,
// and every refusal is one of the two 401 answers.
func FuzzSignIn(f *testing.F) {
	var dbs []*store.DB
	var fx *storetest.Fixture
	for _, e := range storetest.Engines(f) {
		db := storetest.Open(f, e)
		fx = storetest.Partnership(f, db)
		db.Now = func() time.Time { return signInAt }
		dbs = append(dbs, db)
	}
	at := signInAt
	email := fx.Users[mash.RoleScreener].Email
	for _, s := range [][3]string{
		{email, fx.Password, ""},
		{email, fx.Password, "000000"},
		{email, "", storetest.Code(auth.TOTPStep(at))},
		{"' OR 1=1 --", "x", "123456"},
		{strings.ToUpper(email), fx.Password + "\x00", "12345\x00"},
		{email + "\n", fx.Password, "١٢٣٤٥٦"},
		{email + "\x00", fx.Password, "123456"},
		{"\xff\xfe@hub.example", fx.Password, "123456"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, email, password, code string) {
		for _, db := range dbs {
			tok, err := db.SignIn(context.Background(), from, email, password, code, time.Hour)
			if err == nil {
				if password != fx.Password {
					t.Fatalf("signed in as %q with password %q and code %q", email, password, code)
				}
				db.RevokeToken(context.Background(), from, tok.Token)
				continue
			}
			if msg := mash.Message(err); mash.KindOf(err) != mash.KindUnauthenticated || (msg != badSignIn && msg != codeRequired) {
				t.Fatalf("%s (%q, %q, %q): %v", db.Dialect(), email, password, code, err)
			}
		}
	})
}
