package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

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
