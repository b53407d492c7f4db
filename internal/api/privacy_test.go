package api_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// personal is the personal data in contactBody: none of it may appear in a
// problem document or a log line.
var personal = []string{"Kayleigh", "Smith", "Dawn", "2015-04-03", "1988-11-20", "Church Road", "LS1 4AP", "LS14AP",
	"9434765919", "hungry", "A Teacher", "a@school.example", "0113 496 0000", "Hillside"}

func noPersonalData(t *testing.T, what, s string, extra ...string) {
	t.Helper()
	for _, p := range append(personal, extra...) {
		if strings.Contains(s, p) {
			t.Errorf("%s contains personal data %q: %s", what, p, s)
		}
	}
}

// TestNoPersonalDataInErrors: problems about a contact never echo what was
// submitted about people, and a 404 for a contact out of scope says nothing
// a 404 for no contact at all would not.
func TestNoPersonalDataInErrors(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		for _, tc := range []struct {
			name  string
			path  string
			value any
			field string
			echo  string // the submitted value, which must not come back
		}{
			{"bad NHS number", "subjects.0.nhs_number", "9434765918", "subjects[0].nhs_number", "9434765918"},
			{"NHS number with letters", "subjects.0.nhs_number", "943476591X", "subjects[0].nhs_number", "943476591X"},
			{"bad postcode", "subjects.0.postcode", "LS1 4A", "subjects[0].postcode", "LS1 4A"},
			{"impossible date of birth", "subjects.0.dob", "2015-02-31", "subjects[0].dob", "2015-02-31"},
			{"date of birth in another form", "subjects.0.dob", "03/04/2015", "subjects[0].dob", "03/04/2015"},
			{"date of birth in the future", "subjects.0.dob", "2027-04-03", "subjects[0].dob", "2027-04-03"},
			{"bad email", "referrer.email", "kayleighs.mum", "referrer.email", "kayleighs.mum"},
			{"sex", "subjects.0.sex", "girl", "subjects[0].sex", "girl"},
			{"long name", "subjects.0.given_name", strings.Repeat("Kayleigh", 20), "subjects[0].given_name", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b := contactBody(base.Add(-time.Hour))
				setPath(t, b, tc.path, tc.value)
				r := e.doT(t, "POST", "/contacts", "referrer", b)
				wantProblem(t, r, 422, tc.field)
				var extra []string
				if tc.echo != "" {
					extra = append(extra, tc.echo)
				}
				noPersonalData(t, "the problem", string(r.Body), extra...)
			})
		}

		c := e.create("referrer", nil)
		d := e.contact("screener", c.ID)
		body := func(as, id string) string {
			r := e.do("GET", "/contacts/"+id, as, nil)
			p := wantProblem(t, r, http.StatusNotFound)
			noPersonalData(t, "the 404", string(r.Body), c.ID, d.Reference)
			p.RequestID = ""
			return p.Detail + "|" + p.Type + "|" + p.Title
		}
		missing := body("referrer2", "0190a0a0-0000-7000-8000-000000000000")
		for _, tc := range []struct{ as, id string }{
			{"referrer2", c.ID}, {"health", c.ID}, {"researcher", c.ID}, {"screener", "0190a0a0-0000-7000-8000-000000000000"},
		} {
			if got := body(tc.as, tc.id); got != missing {
				t.Errorf("%s reading %s: 404 %q differs from a missing contact's %q", tc.as, tc.id, got, missing)
			}
		}
		// Nor do writes to it, or its history, tell it exists.
		wantProblem(t, e.do("GET", "/contacts/0190a0a0-0000-7000-8000-000000000000/history", "screener", nil), http.StatusNotFound)
		wantProblem(t, e.do("POST", "/contacts/0190a0a0-0000-7000-8000-000000000000/screening", "screener",
			map[string]any{"decision": "nfa", "reason": "r", "version": 1}), http.StatusNotFound)
	})
}

// TestLogsHoldNoPersonalData: the request log names method, route and status,
// never bodies, query values, names or tokens.
func TestLogsHoldNoPersonalData(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var logs syncBuffer
		e := newEnvWith(t, db, envConfig{log: &logs})
		c := e.create("referrer", nil)
		b := contactBody(base.Add(-time.Hour))
		setPath(t, b, "subjects.0.nhs_number", "9434765918")
		wantProblem(t, e.do("POST", "/contacts", "referrer", b), 422)
		e.contact("screener", c.ID)
		e.do("GET", "/contacts?status=received&rag=red", "screener", nil)
		e.do("POST", "/auth/token", "", map[string]string{"email": "screener@hub.example", "password": "wrong password!"})
		out := logs.String()
		if !strings.Contains(out, "route=\"POST /api/v1/contacts\"") || !strings.Contains(out, "status=422") {
			t.Errorf("the log lacks the request lines: %s", out)
		}
		extra := []string{"9434765918", "wrong password", "screener@hub.example", "rag=red"}
		for _, tok := range e.tok {
			extra = append(extra, tok)
		}
		noPersonalData(t, "the log", out, extra...)
	})
}

// brokenHub fails in the ways a store can, to see what reaches the client.
type brokenHub struct {
	mash.Hub
}

var errSecret = errors.New(`pq: password authentication failed for user "mash" at 10.0.0.5:5432 (SELECT * FROM contacts WHERE given_name = 'Kayleigh')`)

func (h brokenHub) ListAgencies(ctx context.Context) ([]mash.Agency, error) {
	return nil, errSecret
}

func (h brokenHub) Policy(ctx context.Context) (mash.RAGPolicy, error) {
	panic("runtime error: index out of range [3] with length 3 (Kayleigh)")
}

func (h brokenHub) ListRequests(ctx context.Context, by mash.Actor, f mash.RequestFilter) ([]mash.InfoRequest, error) {
	return nil, &mash.Error{Kind: mash.KindInternal, Op: "store.ListRequests", Msg: "the stored thing for Kayleigh is unreadable", Err: errSecret}
}

func (h brokenHub) ListContacts(ctx context.Context, by mash.Actor, f mash.ContactFilter) ([]mash.ContactSummary, error) {
	return nil, &mash.Error{Kind: mash.KindUnavailable, Msg: "the store is busy; try again", Err: errSecret}
}

// TestInternalErrors: internal errors, panics and store failures reach the
// client as a problem with a request id and no internals; the log has them.
func TestInternalErrors(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var logs syncBuffer
		e := newEnvWith(t, db, envConfig{log: &logs, hub: func(db *store.DB) mash.Hub { return brokenHub{db} }})
		const generic = "something went wrong in the hub; the error is logged with this request id"
		for _, tc := range []struct{ name, path string }{
			{"plain error", "/agencies"},
			{"panic", "/policy"},
			{"internal with a message", "/requests"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.doT(t, "GET", tc.path, "manager", nil, "X-Request-Id", "req-"+strings.ReplaceAll(tc.name, " ", "-"))
				p := wantProblem(t, r, http.StatusInternalServerError)
				if p.Detail != generic || len(p.Errors) != 0 {
					t.Errorf("detail %q errors %v", p.Detail, p.Errors)
				}
				if p.RequestID != "req-"+strings.ReplaceAll(tc.name, " ", "-") {
					t.Errorf("request id %q", p.RequestID)
				}
				for _, leak := range []string{"pq", "10.0.0.5", "SELECT", "Kayleigh", "index out of range", "runtime", "store."} {
					if strings.Contains(string(r.Body), leak) {
						t.Errorf("the problem leaks %q: %s", leak, r.Body)
					}
				}
				if !strings.Contains(logs.String(), p.RequestID) {
					t.Errorf("the log has no line for request %s", p.RequestID)
				}
			})
		}
		r := e.do("GET", "/contacts", "manager", nil)
		wantProblem(t, r, http.StatusServiceUnavailable)
		if r.Header.Get("Retry-After") == "" {
			t.Error("503 without Retry-After")
		}
		if strings.Contains(string(r.Body), "10.0.0.5") {
			t.Errorf("503 leaks the cause: %s", r.Body)
		}
	})
}

// TestStoreFailure breaks the real store under a read and checks the client
// sees a generic 500.
func TestStoreFailure(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.create("referrer", nil)
		if _, err := db.SQL().Exec(`ALTER TABLE feedback RENAME TO feedback_gone`); err != nil {
			t.Fatal(err)
		}
		r := e.do("GET", "/contacts/"+c.ID, "screener", nil)
		p := wantProblem(t, r, http.StatusInternalServerError)
		if strings.Contains(string(r.Body), "feedback") || strings.Contains(p.Detail, "no such table") {
			t.Errorf("the problem names the table: %s", r.Body)
		}
	})
}

// TestRequestIDAndHeaders: every response has a request id (the client's if
// it sent a sensible one) and the API's security headers.
func TestRequestIDAndHeaders(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		r := e.do("GET", "/agencies", "screener", nil, "X-Request-Id", "client-chosen-id")
		wantStatus(t, r, 200)
		checkSecurityHeaders(t, r)
		if got := r.Header.Get("X-Request-Id"); got != "client-chosen-id" {
			t.Errorf("X-Request-Id %q", got)
		}
		long := strings.Repeat("x", 65)
		r = e.do("GET", "/agencies", "screener", nil, "X-Request-Id", long)
		if got := r.Header.Get("X-Request-Id"); got == long || len(got) < 8 {
			t.Errorf("an over-long request id was kept: %q", got)
		}
		r = e.do("GET", "/agencies", "screener", nil)
		if got := r.Header.Get("X-Request-Id"); len(got) < 8 {
			t.Errorf("generated request id %q", got)
		}
		// Each request gets its own id.
		if a, b := e.do("GET", "/agencies", "", nil).Header.Get("X-Request-Id"), e.do("GET", "/agencies", "", nil).Header.Get("X-Request-Id"); a == b {
			t.Errorf("two requests share id %q", a)
		}
		// The audit log records the request id of each write.
		c := e.do("POST", "/contacts", "referrer", contactBody(base.Add(-time.Hour)), "X-Request-Id", "audit-me")
		wantStatus(t, c, http.StatusCreated)
		if n := count(t, db, "SELECT count(*) FROM audit_events WHERE request_id = 'audit-me' AND action = 'contact.create'"); n != 1 {
			t.Errorf("%d audit events carry the request id", n)
		}
	})
}
