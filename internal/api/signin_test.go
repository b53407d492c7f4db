package api_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/auth"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

const (
	badSignIn    = "email, password or code is wrong"
	codeRequired = "a one-time code is required"
)

// TestSignIn: POST /auth/token with email, password and one-time code.
func TestSignIn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		pw := e.f.Password
		const screener = "screener@hub.example"
		used := e.code(screener) // a code already used, as far as this test is concerned
		wantStatus(t, e.do("POST", "/auth/token", "", map[string]string{"email": screener, "password": pw, "totp": used}), 200)
		for _, tc := range []struct {
			name   string
			body   any
			status int
			fields []string // for 422
			detail string   // for 401
		}{
			{name: "right password and code", body: e.signIn(screener, pw), status: 200},
			{name: "email in another case", body: e.signIn(" Teacher@SCHOOLS.example ", pw), status: 200},
			{name: "no code", body: map[string]string{"email": screener, "password": pw}, status: 401, detail: codeRequired},
			{name: "empty code", body: map[string]string{"email": screener, "password": pw, "totp": ""}, status: 401, detail: codeRequired},
			{name: "no code, unknown email", body: map[string]string{"email": "nobody@hub.example", "password": pw}, status: 401, detail: codeRequired},
			{name: "code used before", body: map[string]string{"email": screener, "password": pw, "totp": used}, status: 401, detail: badSignIn},
			{name: "wrong code", body: map[string]string{"email": "manager@hub.example", "password": pw, "totp": "000000"}, status: 401, detail: badSignIn},
			{name: "wrong password", body: e.signIn("manager@hub.example", pw+"x"), status: 401, detail: badSignIn},
			{name: "unknown email", body: map[string]string{"email": "nobody@hub.example", "password": pw, "totp": "123456"}, status: 401, detail: badSignIn},
			{name: "no email", body: map[string]string{"password": pw, "totp": "123456"}, status: 422, fields: []string{"email"}},
			{name: "no password", body: map[string]string{"email": screener, "totp": "123456"}, status: 422, fields: []string{"password"}},
			{name: "neither", body: map[string]string{}, status: 422, fields: []string{"email", "password"}},
			{name: "unknown field", body: map[string]string{"email": screener, "password": pw, "otp": "1"}, status: 422, fields: []string{"otp"}},
			{name: "not JSON", body: "email=screener@hub.example", status: 400},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.doT(t, "POST", "/auth/token", "", tc.body)
				if tc.status == 200 {
					wantStatus(t, r, 200)
					var tok mash.Token
					r.decode(t, &tok)
					if len(tok.Token) < 20 || !tok.ExpiresAt.After(base) {
						t.Fatalf("token %+v", tok)
					}
					return
				}
				p := wantProblem(t, r, tc.status, tc.fields...)
				if tc.detail != "" && p.Detail != tc.detail {
					t.Errorf("detail %q, want %q", p.Detail, tc.detail)
				}
				if strings.Contains(string(r.Body), pw) {
					t.Errorf("the password is echoed: %s", r)
				}
			})
		}
	})
}

// TestLockoutAPI: five failures lock the account; while locked even the
// right password and code get the answer a wrong one gets; 15 minutes on,
// the account opens again.
func TestLockoutAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		const manager = "manager@hub.example"
		for range store.MaxFailedSignIns {
			p := wantProblem(t, e.do("POST", "/auth/token", "", map[string]string{"email": manager, "password": "wrong password!", "totp": "123456"}), 401)
			if p.Detail != badSignIn {
				t.Fatalf("detail %q", p.Detail)
			}
		}
		locked := wantProblem(t, e.do("POST", "/auth/token", "", e.signIn(manager, e.f.Password)), 401)
		unknown := wantProblem(t, e.do("POST", "/auth/token", "", e.signIn("nobody@hub.example", e.f.Password)), 401)
		if locked.Detail != badSignIn || unknown.Detail != badSignIn {
			t.Errorf("locked: %q; unknown: %q; want both %q", locked.Detail, unknown.Detail, badSignIn)
		}
		// Tokens issued before the lock still work: the lock is on signing in.
		wantStatus(t, e.do("GET", "/contacts", "manager", nil), 200)

		e.clk.Set(base.Add(store.LockFor + time.Minute))
		wantStatus(t, e.do("POST", "/auth/token", "", e.signIn(manager, e.f.Password)), 200)
	})
}

// TestRevokeAndDisable: DELETE /auth/token ends the token sent; disabling a
// user ends theirs on the very next request; a role change applies to the
// very next request.
func TestRevokeAndDisable(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()

		r := e.do("DELETE", "/auth/token", "referrer", nil)
		wantStatus(t, r, http.StatusNoContent)
		if len(r.Body) != 0 {
			t.Errorf("204 with a body: %s", r)
		}
		p := wantProblem(t, e.do("GET", "/agencies", "referrer", nil), 401)
		if !strings.Contains(p.Detail, "revoked") {
			t.Errorf("revoked token: detail %q", p.Detail)
		}
		// Revoking again, or with no or a made-up token, tells nothing.
		wantStatus(t, e.do("DELETE", "/auth/token", "referrer", nil), http.StatusNoContent)
		wantStatus(t, e.do("DELETE", "/auth/token", "", nil), http.StatusNoContent)
		wantStatus(t, e.do("DELETE", "/auth/token", "", nil, "Authorization", "Bearer mash_madeup"), http.StatusNoContent)
		wantStatus(t, e.do("GET", "/agencies", "referrer2", nil), 200)
		if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'token.revoke' AND entity_id = $1 AND client_ip = '127.0.0.1'`, e.users["referrer"].ID); n != 1 {
			t.Errorf("%d token.revoke events, want 1", n)
		}

		// Disabled: refused on the next request.
		wantStatus(t, e.do("GET", "/contacts", "screener", nil), 200)
		if err := db.DisableUser(ctx, store.System, e.users["screener"].ID, "left"); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, e.do("GET", "/contacts", "screener", nil), 401)
		wantProblem(t, e.do("POST", "/auth/token", "", e.signIn("screener@hub.example", e.f.Password)), 401)

		// A role change applies to the next request, with the same token.
		wantStatus(t, e.do("GET", "/contacts", "screener2", nil), 200)
		if _, err := db.SQL().Exec(`UPDATE users SET role = 'analyst' WHERE id = $1`, e.users["screener2"].ID); err != nil {
			t.Fatal(err)
		}
		p = wantProblem(t, e.do("GET", "/contacts", "screener2", nil), 403)
		if !strings.Contains(p.Detail, "analyst") {
			t.Errorf("after the role change: %q", p.Detail)
		}
	})
}

// TestSignInRateLimit: one client address gets a burst of failed sign-ins,
// then 429 with Retry-After; successes do not use the allowance up.
func TestSignInRateLimit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db) // signed every user in: none of those counted
		for range 4 {
			wantStatus(t, e.do("POST", "/auth/token", "", e.signIn("auditor@hub.example", e.f.Password)), 200)
			e.clk.Set(e.clk.Now().Add(auth.TOTPPeriod))
		}
		fails := 0
		var r *resp
		for ; fails <= 30; fails++ {
			r = e.do("POST", "/auth/token", "", map[string]string{"email": "nobody@hub.example", "password": "x", "totp": "123456"})
			if r.Status != 401 {
				break
			}
		}
		p := wantProblem(t, r, http.StatusTooManyRequests)
		if fails < 15 || fails > 25 {
			t.Errorf("limited after %d failures", fails)
		}
		if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
			t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
		}
		if !strings.Contains(p.Detail, "too many") {
			t.Errorf("detail %q", p.Detail)
		}
		// The limit is per client, before the account: even the right
		// credentials wait; tokens already issued are unaffected.
		wantProblem(t, e.do("POST", "/auth/token", "", e.signIn("analyst@hub.example", e.f.Password)), http.StatusTooManyRequests)
		wantStatus(t, e.do("GET", "/agencies", "analyst", nil), 200)
	})
}
