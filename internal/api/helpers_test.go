package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/api"
	"openmash.org/mash/internal/auth"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// base is "now" in every test: Tuesday 10 March 2026, 10:00 UTC (= 10:00 in
// London, before the clocks change), inside the default working hours.
var base = time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)

// clock is a settable test clock for the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// env is one API server over one fresh store, with a token for every user of
// the partnership fixture.
type env struct {
	t   *testing.T
	db  *store.DB
	f   *storetest.Fixture
	clk *clock
	srv *httptest.Server
	// users and tokens by key: each role's name (the researcher is the
	// police researcher), plus "health" (the health researcher), "referrer2"
	// (a teacher at the same school) and "screener2".
	users map[string]mash.User
	tok   map[string]string
	// spec, when set, checks every response against the OpenAPI document.
	spec *spec

	stepMu   sync.Mutex
	lastStep map[string]int64 // the last TOTP step used, by email
}

type envConfig struct {
	hub func(*store.DB) mash.Hub // wraps the store (default: the store itself)
	log io.Writer                // default: io.Discard
}

func newEnv(t *testing.T, db *store.DB) *env { return newEnvWith(t, db, envConfig{}) }

func newEnvWith(t *testing.T, db *store.DB, cfg envConfig) *env {
	t.Helper()
	clk := &clock{t: base}
	db.Now = clk.Now
	f := storetest.Partnership(t, db)
	e := &env{t: t, db: db, f: f, clk: clk, users: map[string]mash.User{}, tok: map[string]string{}, lastStep: map[string]int64{}}
	for r, u := range f.Users {
		e.users[string(r)] = u
	}
	e.users["health"] = f.HealthResearcher
	for key, u := range map[string]mash.User{
		"referrer2": {Email: "teacher2@schools.example", Name: "Second Teacher", AgencyID: f.Education.ID, Role: mash.RoleReferrer},
		"screener2": {Email: "screener2@hub.example", Name: "Second Screener", AgencyID: f.Hub.ID, Role: mash.RoleScreener},
	} {
		if err := db.CreateUser(context.Background(), store.System, &u, f.Password); err != nil {
			t.Fatalf("create %s: %v", key, err)
		}
		if _, err := db.EnrolTOTP(context.Background(), store.System, u.ID, storetest.TOTPSecret, false, ""); err != nil {
			t.Fatalf("enrol %s: %v", key, err)
		}
		e.users[key] = u
	}
	var hub mash.Hub = db
	if cfg.hub != nil {
		hub = cfg.hub(db)
	}
	w := cfg.log
	if w == nil {
		w = io.Discard
	}
	e.srv = httptest.NewServer(api.New(hub, slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	t.Cleanup(e.srv.Close)
	for key, u := range e.users {
		r := e.do("POST", "/auth/token", "", e.signIn(u.Email, f.Password))
		wantStatus(t, r, http.StatusOK)
		var tok mash.Token
		r.decode(t, &tok)
		if tok.Token == "" {
			t.Fatalf("token for %s: empty", key)
		}
		e.tok[key] = tok.Token
	}
	return e
}

// signIn is a POST /auth/token body for a fixture user, with a one-time code
// not used before. Codes are single-use and accepted for the test clock's
// step ±1, so a user can sign in three times per step; advance e.clk by
// auth.TOTPPeriod for more.
func (e *env) signIn(email, password string) map[string]string {
	e.t.Helper()
	return map[string]string{"email": email, "password": password, "totp": e.code(email)}
}

// code is the next unused one-time code for a fixture user.
func (e *env) code(email string) string {
	e.t.Helper()
	e.stepMu.Lock()
	defer e.stepMu.Unlock()
	email = strings.ToLower(strings.TrimSpace(email))
	cur := auth.TOTPStep(e.clk.Now())
	step := max(cur-auth.TOTPSkew, e.lastStep[email]+1)
	if step > cur+auth.TOTPSkew {
		e.t.Fatalf("no unused one-time code left for %s at %s: advance e.clk", email, e.clk.Now())
	}
	e.lastStep[email] = step
	return storetest.Code(step)
}

// resp is a response, read in full.
type resp struct {
	Method, Path string
	Status       int
	Header       http.Header
	Body         []byte
}

func (r *resp) String() string {
	b := string(r.Body)
	if len(b) > 2000 {
		b = b[:2000] + "…"
	}
	return r.Method + " " + r.Path + " → " + strconv.Itoa(r.Status) + " " + strings.TrimSpace(b)
}

func (r *resp) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r, err)
	}
}

// obj decodes the body as a JSON object.
func (r *resp) obj(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.decode(t, &m)
	return m
}

// do sends a request as the user with key as ("" sends no token). body is
// sent raw if it is a string or []byte, as JSON otherwise; a body gets
// Content-Type: application/json unless hdr (name, value pairs) sets another
// (an empty value removes the header). Paths without /api/ are under /api/v1.
func (e *env) do(method, path, as string, body any, hdr ...string) *resp {
	e.t.Helper()
	return e.doT(e.t, method, path, as, body, hdr...)
}

func (e *env) doT(t *testing.T, method, path, as string, body any, hdr ...string) *resp {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal body: %v", err)
		}
		rd = bytes.NewReader(j)
	}
	if !strings.HasPrefix(path, "/api/") {
		path = "/api/v1" + path
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if as != "" {
		tok, ok := e.tok[as]
		if !ok {
			t.Fatalf("no token for %q", as)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	r := &resp{Method: method, Path: path, Status: res.StatusCode, Header: res.Header, Body: b}
	if e.spec != nil {
		e.spec.conform(t, r)
	}
	return r
}

func wantStatus(t *testing.T, r *resp, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("got %s; want status %d", r, status)
	}
}

// wantProblem checks r is an RFC 9457 problem document with the status, that
// names every field in fields in its errors, and that it is safe: it carries
// the request id, the API's security headers, and no internal detail.
func wantProblem(t *testing.T, r *resp, status int, fields ...string) api.Problem {
	t.Helper()
	if r.Status != status {
		t.Fatalf("got %s; want a %d problem", r, status)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type %q, want application/problem+json", r, ct)
	}
	var p api.Problem
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("%s: not a problem document: %v", r, err)
	}
	if p.Status != status || p.Title != http.StatusText(status) || !strings.HasPrefix(p.Type, "https://openmash.org/problems/") {
		t.Errorf("%s: problem status/title/type = %d/%q/%q", r, p.Status, p.Title, p.Type)
	}
	if p.RequestID == "" || p.RequestID != r.Header.Get("X-Request-Id") {
		t.Errorf("%s: request_id %q, X-Request-Id %q", r, p.RequestID, r.Header.Get("X-Request-Id"))
	}
	if p.Detail == "" {
		t.Errorf("%s: problem has no detail", r)
	}
	for _, f := range fields {
		if _, ok := p.Errors[f]; !ok {
			t.Errorf("%s: errors does not name %q (errors: %v)", r, f, p.Errors)
		}
	}
	checkSafeMessages(t, r, p)
	checkSecurityHeaders(t, r)
	return p
}

// checkSafeMessages fails if a problem's messages show internals: the
// error's kind or operation ("invalid: …", "store.X: …"), Go or SQL errors.
func checkSafeMessages(t *testing.T, r *resp, p api.Problem) {
	t.Helper()
	msgs := []string{p.Detail}
	for k, v := range p.Errors {
		msgs = append(msgs, k, v)
	}
	for _, m := range msgs {
		for _, bad := range []string{"invalid: ", "not_found: ", "conflict: ", "forbidden: ", "internal: ", "store.",
			"json: ", "sql", "SQL", "pgx", "sqlite", "goroutine", "panic", ".go:"} {
			if strings.Contains(m, bad) {
				t.Errorf("%s: problem message %q shows internals (%q)", r, m, bad)
			}
		}
	}
}

func checkSecurityHeaders(t *testing.T, r *resp) {
	t.Helper()
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("%s: Cache-Control %q, want no-store", r, got)
	}
	if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q, want nosniff", r, got)
	}
}

// count runs a count(*) query on the store.
func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// counts is a snapshot of the row counts of the tables a write touches.
type counts map[string]int

var countedTables = []string{"contacts", "contact_subjects", "persons", "transitions", "rag_changes", "info_requests",
	"agency_returns", "return_items", "decisions", "feedback", "idempotency_keys", "audit_events",
	"person_records", "person_keys", "identity_decisions", "match_reviews", "person_merges", "person_merge_items",
	"jobs", "notifications", "request_chases", "contact_breaches", "webhooks", "webhook_deliveries", "email_sends",
	"pattern_alerts", "pattern_alert_contacts", "drafts",
	"acknowledgements", "feedback_breaches", "disagreements", "disagreement_steps"}

func snapshot(t *testing.T, db *store.DB) counts {
	t.Helper()
	c := counts{}
	for _, tb := range countedTables {
		c[tb] = count(t, db, "SELECT count(*) FROM "+tb)
	}
	return c
}

// wantUnchanged fails if any table's row count differs from before.
func wantUnchanged(t *testing.T, db *store.DB, before counts, what string) {
	t.Helper()
	after := snapshot(t, db)
	for _, tb := range countedTables {
		if before[tb] != after[tb] {
			t.Errorf("%s: %s rows %d → %d; a refused request must store nothing", what, tb, before[tb], after[tb])
		}
	}
}

// contactBody is a valid POST /contacts body (the fixture's contact) as a
// plain JSON object, so cases can change any part of it by path.
func contactBody(received time.Time) map[string]any {
	c := storetest.NewContact(received)
	in := map[string]any{
		"received_at": received.Format(time.RFC3339), "channel": c.Channel, "cohort": c.Cohort,
		"referrer": c.Referrer, "subjects": c.Subjects, "concerns": c.Concerns, "narrative": c.Narrative,
		"immediate_risk": c.ImmediateRisk, "consent": c.Consent,
	}
	b, _ := json.Marshal(in)
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// at walks a dotted path ("subjects.0.dob") to the parent of its last part.
func at(t *testing.T, m map[string]any, path string) (parent any, last string) {
	t.Helper()
	parts := strings.Split(path, ".")
	var cur any = m
	for _, p := range parts[:len(parts)-1] {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(c) {
				t.Fatalf("bad path %q", path)
			}
			cur = c[i]
		default:
			t.Fatalf("bad path %q", path)
		}
	}
	return cur, parts[len(parts)-1]
}

func setPath(t *testing.T, m map[string]any, path string, v any) {
	t.Helper()
	parent, last := at(t, m, path)
	switch p := parent.(type) {
	case map[string]any:
		p[last] = v
	case []any:
		i, _ := strconv.Atoi(last)
		p[i] = v
	default:
		t.Fatalf("bad path %q", path)
	}
}

func delPath(t *testing.T, m map[string]any, path string) {
	t.Helper()
	parent, last := at(t, m, path)
	p, ok := parent.(map[string]any)
	if !ok {
		t.Fatalf("bad path %q", path)
	}
	delete(p, last)
}

// created is the body of a 201 from POST /contacts.
type created struct {
	ID        string     `json:"id"`
	Reference string     `json:"reference"`
	Status    string     `json:"status"`
	Version   int        `json:"version"`
	RAG       string     `json:"rag"`
	DueAt     *time.Time `json:"due_at"`
}

// create posts a contact as a user and returns its id.
func (e *env) create(as string, body map[string]any, hdr ...string) created {
	e.t.Helper()
	if body == nil {
		body = contactBody(base.Add(-time.Hour))
	}
	r := e.do("POST", "/contacts", as, body, hdr...)
	wantStatus(e.t, r, http.StatusCreated)
	var c created
	r.decode(e.t, &c)
	return c
}

// contact reads a contact as a user.
func (e *env) contact(as, id string) mash.ContactDetail {
	e.t.Helper()
	r := e.do("GET", "/contacts/"+id, as, nil)
	wantStatus(e.t, r, http.StatusOK)
	var d mash.ContactDetail
	r.decode(e.t, &d)
	return d
}

// screen accepts a contact into MASH with a rating, as the screener.
func (e *env) screen(id, rag string, version int) mash.Contact {
	e.t.Helper()
	r := e.do("POST", "/contacts/"+id+"/screening", "screener",
		map[string]any{"decision": "accept", "rag": rag, "threshold_level": 3, "reason": "Indicators of neglect", "version": version})
	wantStatus(e.t, r, http.StatusOK)
	var c mash.Contact
	r.decode(e.t, &c)
	return c
}

// ask sends an information request to an agency, as the screener.
func (e *env) ask(contactID, agencyID string) mash.InfoRequest {
	e.t.Helper()
	r := e.do("POST", "/contacts/"+contactID+"/requests", "screener",
		map[string]any{"agency_id": agencyID, "question": "What do you hold about the household?"})
	wantStatus(e.t, r, http.StatusCreated)
	var q mash.InfoRequest
	r.decode(e.t, &q)
	return q
}

func ids[T any](list []T, id func(T) string) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = id(v)
	}
	slices.Sort(out)
	return out
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
