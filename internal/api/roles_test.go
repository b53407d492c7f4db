package api_test

import (
	"net/http"
	"strings"
	"testing"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestRolesOnEveryRoute: for every route in the document that names an
// action, and every role, a role without the permission gets a 403 problem
// (and nothing is stored); a role with it is not refused; no token is a 401.
func TestRolesOnEveryRoute(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		s := loadSpec(t, e)
		c := e.create("referrer", nil)
		e.screen(c.ID, "red", 1)
		q := e.ask(c.ID, e.f.Police.ID)

		checked := 0
		for _, o := range s.operations() {
			action := o.action()
			if action == "" {
				// Public routes need no token.
				var body any
				if o.method == "POST" {
					body = map[string]any{}
				}
				if r := e.do(o.method, o.path, "", body); r.Status == 401 || r.Status == 403 {
					t.Errorf("public route %s %s: %s", o.method, o.path, r)
				}
				continue
			}
			id := c.ID
			if strings.HasPrefix(o.path, "/api/v1/requests/") {
				id = q.ID
			}
			path := o.fill(id)
			var body any
			if o.method == "POST" {
				body = map[string]any{}
			}
			t.Run(o.method+" "+o.path, func(t *testing.T) {
				r := e.doT(t, o.method, path, "", body)
				wantProblem(t, r, http.StatusUnauthorized)
				for _, role := range mash.Roles {
					before := snapshot(t, db)
					r := e.doT(t, o.method, path, string(role), body)
					if mash.Can(mash.Actor{Role: role}, action, mash.Resource{}) {
						if r.Status == 401 || r.Status == 403 {
							t.Errorf("%s may %s but got %s", role, action, r)
						}
						continue
					}
					checked++
					p := wantProblem(t, r, http.StatusForbidden)
					if !strings.Contains(p.Detail, string(role)) || !strings.Contains(p.Detail, string(action)) {
						t.Errorf("%s: 403 detail %q should name the role and the action", role, p.Detail)
					}
					wantUnchanged(t, db, before, string(role)+" refused")
				}
			})
		}
		if checked < 40 {
			t.Errorf("only %d refusals checked", checked)
		}

		// Written out, in case the role table and the routes drift together.
		for _, tc := range []struct {
			as, method, path string
			status           int
		}{
			{"analyst", "GET", "/contacts", 403},
			{"auditor", "GET", "/contacts", 403},
			{"admin", "GET", "/contacts/" + c.ID, 403},
			{"analyst", "GET", "/contacts/" + c.ID, 403},
			{"referrer", "POST", "/contacts/" + c.ID + "/screening", 403},
			{"researcher", "POST", "/contacts/" + c.ID + "/screening", 403},
			{"screener", "POST", "/contacts/" + c.ID + "/decision", 403},
			{"screener", "POST", "/contacts/" + c.ID + "/consent-override", 403},
			{"referrer", "POST", "/contacts/" + c.ID + "/rag", 403},
			{"researcher", "POST", "/contacts/" + c.ID + "/requests", 403},
			{"referrer", "GET", "/contacts/" + c.ID + "/history", 403},
			{"researcher", "GET", "/contacts/" + c.ID + "/history", 403},
			{"referrer", "GET", "/requests", 403},
			{"manager", "POST", "/requests/" + q.ID + "/return", 403},
			{"screener", "POST", "/requests/" + q.ID + "/return", 403},
			{"referrer", "GET", "/policy", 403},
			{"researcher", "POST", "/contacts", 403},
			{"analyst", "POST", "/contacts", 403},
			// Allowed: the role passes (whatever the body's fate).
			{"referrer", "GET", "/agencies", 200},
			{"analyst", "GET", "/policy", 200},
			{"researcher", "GET", "/contacts/" + c.ID, 200},
			{"researcher", "GET", "/requests", 200},
			{"manager", "GET", "/contacts/" + c.ID + "/history", 200},
			{"referrer", "GET", "/contacts/" + c.ID, 200},
			{"referrer", "GET", "/contacts", 200},
		} {
			var body any
			if tc.method == "POST" {
				body = map[string]any{}
			}
			r := e.do(tc.method, tc.path, tc.as, body)
			if r.Status != tc.status {
				t.Errorf("%s %s as %s: got %s, want %d", tc.method, tc.path, tc.as, r, tc.status)
			}
		}

		// Scope: permitted roles see only their slice, as 404s.
		for _, tc := range []struct{ as, path string }{
			{"referrer2", "/contacts/" + c.ID},
			{"health", "/contacts/" + c.ID},
		} {
			wantProblem(t, e.do("GET", tc.path, tc.as, nil), http.StatusNotFound)
		}
	})
}
