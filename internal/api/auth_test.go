package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

func TestToken(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		pw := e.f.Password
		const badLogin = "email or password is wrong"
		for _, tc := range []struct {
			name   string
			body   any
			status int
			fields []string // for 422
			detail string   // for 401
		}{
			{name: "right password", body: map[string]string{"email": "screener@hub.example", "password": pw}, status: 200},
			{name: "email in another case", body: map[string]string{"email": " Screener@HUB.example ", "password": pw}, status: 200},
			{name: "wrong password", body: map[string]string{"email": "screener@hub.example", "password": pw + "x"}, status: 401, detail: badLogin},
			{name: "unknown email", body: map[string]string{"email": "nobody@hub.example", "password": pw}, status: 401, detail: badLogin},
			{name: "no email", body: map[string]string{"password": pw}, status: 422, fields: []string{"email"}},
			{name: "no password", body: map[string]string{"email": "screener@hub.example"}, status: 422, fields: []string{"password"}},
			{name: "neither", body: map[string]string{}, status: 422, fields: []string{"email", "password"}},
			{name: "unknown field", body: map[string]string{"email": "screener@hub.example", "password": pw, "otp": "1"}, status: 422, fields: []string{"otp"}},
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
					t.Errorf("detail %q, want %q (the same for unknown emails and wrong passwords)", p.Detail, tc.detail)
				}
				if strings.Contains(string(r.Body), pw) {
					t.Errorf("the password is echoed: %s", r)
				}
			})
		}
	})
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		// A token from POST /auth/token reaches protected routes.
		wantStatus(t, e.do("GET", "/agencies", "screener", nil), 200)
		wantStatus(t, e.do("GET", "/contacts", "screener", nil), 200)

		for _, tc := range []struct {
			name, auth string
			invalid    bool // WWW-Authenticate says error="invalid_token"
		}{
			{name: "no header"},
			{name: "empty bearer", auth: "Bearer "},
			{name: "basic", auth: "Basic c2NyZWVuZXI6cGFzcw=="},
			{name: "garbage", auth: "Bearer not-a-token", invalid: true},
			{name: "token of another length", auth: "Bearer " + e.tok["screener"] + "x", invalid: true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.doT(t, "GET", "/contacts", "", nil, "Authorization", tc.auth)
				wantProblem(t, r, http.StatusUnauthorized)
				wa := r.Header.Get("WWW-Authenticate")
				if !strings.HasPrefix(wa, "Bearer") || strings.Contains(wa, "invalid_token") != tc.invalid {
					t.Errorf("WWW-Authenticate %q", wa)
				}
			})
		}

		// The scheme is case-insensitive (RFC 9110 §11.1), and spaces around
		// the token do not matter.
		for _, auth := range []string{"bearer " + e.tok["screener"], "BEARER " + e.tok["screener"], "Bearer  " + e.tok["screener"] + " "} {
			if r := e.do("GET", "/contacts", "", nil, "Authorization", auth); r.Status != 200 {
				t.Errorf("Authorization %q…: got %s, want 200", auth[:8], r)
			}
		}

		// Tokens expire (12 hours).
		e.clk.Set(base.Add(12*time.Hour + time.Second))
		p := wantProblem(t, e.do("GET", "/agencies", "screener", nil), http.StatusUnauthorized)
		if !strings.Contains(p.Detail, "expired") {
			t.Errorf("expired token: detail %q", p.Detail)
		}
		e.clk.Set(base)
		wantStatus(t, e.do("GET", "/agencies", "screener", nil), 200)
	})
}
