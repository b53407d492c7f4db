package web_test

import (
	"bytes"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/auth"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
	"openmash.org/mash/internal/web"
)

// start is a working morning, mid-way through a TOTP step.
var start = time.Date(2026, 3, 10, 10, 0, 15, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a hub's web UI on a real store, served over HTTP, and a browser-like
// client (with a cookie jar) that does not follow redirects, so each step
// can be checked.
type env struct {
	t    *testing.T
	db   *store.DB
	f    *storetest.Fixture
	clk  *clock
	h    *web.Handler
	srv  *httptest.Server
	c    *http.Client
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// newEnv serves the web UI with cfg; cfgFor, if not nil, may set cfg from
// the server's address (single sign-on needs its callback URL).
func newEnv(t *testing.T, db *store.DB, cfgFor func(base string) web.Config) *env {
	t.Helper()
	e := &env{t: t, db: db, clk: &clock{t: start}, logs: &syncBuffer{}}
	db.Now = e.clk.Now
	e.f = storetest.Partnership(t, db)
	var h http.Handler
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	var cfg web.Config
	if cfgFor != nil {
		cfg = cfgFor(e.srv.URL)
	}
	cfg.Log = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if cfg.Now == nil {
		cfg.Now = e.clk.Now
	}
	var err error
	if e.h, err = web.New(db, cfg); err != nil {
		t.Fatal(err)
	}
	if err := e.h.CheckGroupMap(t.Context()); err != nil {
		t.Fatal(err)
	}
	h = e.h
	jar, _ := cookiejar.New(nil)
	e.c = &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e
}

// do sends a request to the hub (a path) or anywhere (a full URL) and
// returns the response with its body read.
func (e *env) do(method, target string, form url.Values, header ...string) (*http.Response, string) {
	e.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = e.srv.URL + target
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, string(b)
}

func (e *env) get(path string) (*http.Response, string) { return e.do("GET", path, nil) }

// code is the fixture users' current one-time code. Each works once, so
// signIn moves the clock to the next step first.
func (e *env) code() string { return storetest.Code(auth.TOTPStep(e.clk.Now())) }

func (e *env) signIn(email string) *http.Response {
	e.t.Helper()
	e.clk.Add(30 * time.Second)
	resp, body := e.do("POST", "/sign-in", url.Values{"email": {email}, "password": {e.f.Password}, "code": {e.code()}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		e.t.Fatalf("sign in: %s %s", resp.Status, body)
	}
	return resp
}

// session is the session token in the jar, or "".
func (e *env) session() string {
	u, _ := url.Parse(e.srv.URL)
	for _, c := range e.c.Jar.Cookies(u) {
		if c.Name == "mash-session" {
			return c.Value
		}
	}
	return ""
}

// signedIn reports whether the home page shows, or sends to sign in.
func (e *env) signedIn() bool {
	e.t.Helper()
	resp, body := e.get("/")
	switch {
	case resp.StatusCode == http.StatusOK && strings.Contains(body, "Sign out"):
		return true
	case resp.StatusCode == http.StatusSeeOther && resp.Header.Get("Location") == "/sign-in":
		return false
	}
	e.t.Fatalf("home: %s %s", resp.Status, body)
	return false
}

func wantStatus(t *testing.T, resp *http.Response, body string, status int, contains ...string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s %s: got %s, want %d\n%s", resp.Request.Method, resp.Request.URL.Path, resp.Status, status, body)
	}
	for _, c := range contains {
		if !strings.Contains(body, c) {
			t.Fatalf("%s %s: body lacks %q\n%s", resp.Request.Method, resp.Request.URL.Path, c, body)
		}
	}
}

func TestPasswordSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		user := e.f.PoliceResearcher

		resp, body := e.get("/")
		wantStatus(t, resp, body, http.StatusSeeOther)
		if resp.Header.Get("Location") != "/sign-in" {
			t.Fatalf("home when signed out sends to %q", resp.Header.Get("Location"))
		}
		resp, body = e.get("/sign-in")
		wantStatus(t, resp, body, http.StatusOK, `<html lang="en-GB"`, "<title>Sign in – OpenMASH</title>",
			`for="email">Email address</label>`, `for="password">Password</label>`, `for="code">One-time code</label>`, `autocomplete="one-time-code"`)
		if strings.Contains(body, "single sign-on") {
			t.Fatal("single sign-on offered without being configured")
		}

		// Missing fields: an error summary linking to each.
		resp, body = e.do("POST", "/sign-in", url.Values{"email": {user.Email}})
		wantStatus(t, resp, body, http.StatusBadRequest, "<title>Error: Sign in", "There is a problem",
			`<a href="#password">Enter your password</a>`, `<a href="#code">`, `aria-describedby="password-error"`,
			`value="`+user.Email+`"`)

		// Wrong answers: the store's one message, and no session.
		e.clk.Add(30 * time.Second)
		for _, f := range []url.Values{
			{"email": {user.Email}, "password": {"not the password"}, "code": {e.code()}},
			{"email": {user.Email}, "password": {e.f.Password}, "code": {"000000"}},
			{"email": {"nobody@police.example"}, "password": {e.f.Password}, "code": {e.code()}},
		} {
			resp, body = e.do("POST", "/sign-in", f)
			wantStatus(t, resp, body, http.StatusUnauthorized, `<a href="#email">Email, password or code is wrong</a>`)
			if e.session() != "" {
				t.Fatal("a failed sign-in set a session cookie")
			}
		}

		resp = e.signIn(user.Email)
		var ck *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == "mash-session" {
				ck = c
			}
		}
		if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure {
			t.Fatalf("session cookie %+v; want HttpOnly, SameSite=Lax, Path=/, not Secure on http://127.0.0.1", ck)
		}
		resp, body = e.get("/")
		wantStatus(t, resp, body, http.StatusOK, "Test Police Researcher", "Researcher", "Northshire Police",
			`<form method="post" action="/sign-out">`)
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("signed-in page Cache-Control %q", cc)
		}
		// The session is in the store: another instance (or this one after
		// a restart) takes the cookie.
		other, err := web.New(db, web.Config{})
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", e.srv.URL+"/", nil)
		r.AddCookie(&http.Cookie{Name: "mash-session", Value: e.session()})
		w := httptest.NewRecorder()
		other.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("another instance refuses the session: %d", w.Code)
		}
		// Signed in, the sign-in page sends home.
		if resp, _ := e.get("/sign-in"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in page when signed in: %s", resp.Status)
		}

		// Signing in again renews the session id and ends the old session.
		old := e.session()
		e.signIn(user.Email)
		if now := e.session(); now == "" || now == old {
			t.Fatal("the session id was not renewed at sign-in")
		}
		if _, err := db.ActorForSession(t.Context(), old); mash.KindOf(err) != mash.KindUnauthenticated {
			t.Fatalf("the previous session still works: %v", err)
		}

		// A role change shows on the next request.
		if _, err := db.SQL().Exec(`UPDATE users SET role = 'manager' WHERE id = $1`, user.ID); err != nil {
			t.Fatal(err)
		}
		if _, body := e.get("/"); !strings.Contains(body, "Manager") {
			t.Fatal("the role change did not show on the next request")
		}

		// Sign-out ends the session in the store, not just in the browser.
		tok := e.session()
		resp, body = e.do("POST", "/sign-out", nil)
		wantStatus(t, resp, body, http.StatusSeeOther)
		if resp.Header.Get("Location") != "/sign-in?signed-out" || e.session() != "" {
			t.Fatalf("sign-out sends to %q, leaves cookie %q", resp.Header.Get("Location"), e.session())
		}
		if _, err := db.ActorForSession(t.Context(), tok); mash.KindOf(err) != mash.KindUnauthenticated {
			t.Fatalf("the session works after sign-out: %v", err)
		}
		_, body = e.get("/sign-in?signed-out")
		if !strings.Contains(body, "You have signed out.") {
			t.Fatal("no sign-out notice")
		}
	})
}

func TestSessionTimeouts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		email := e.f.Users[mash.RoleScreener].Email

		// Idle: a request within 15 minutes keeps the session; then a gap of
		// 15 minutes ends it, and the stale cookie is cleared.
		e.signIn(email)
		e.clk.Add(14 * time.Minute)
		if !e.signedIn() {
			t.Fatal("signed out before the idle timeout")
		}
		e.clk.Add(14 * time.Minute)
		if !e.signedIn() {
			t.Fatal("use did not extend the session")
		}
		e.clk.Add(web.DefaultIdle)
		if e.signedIn() {
			t.Fatal("still signed in after 15 idle minutes")
		}
		if e.session() != "" {
			t.Fatal("the stale session cookie was kept")
		}

		// Absolute: a busy session ends after 12 hours all the same.
		e.signIn(email)
		for at := 10 * time.Minute; at < web.DefaultLifetime; at += 10 * time.Minute {
			e.clk.Add(10 * time.Minute)
			if !e.signedIn() {
				t.Fatalf("busy session ended after %v", at)
			}
		}
		e.clk.Add(10 * time.Minute)
		if e.signedIn() {
			t.Fatal("still signed in after 12 hours")
		}

		// Disabling a user ends their session at their next request.
		e.signIn(email)
		if err := db.DisableUser(t.Context(), store.System, e.f.Users[mash.RoleScreener].ID, "left"); err != nil {
			t.Fatal(err)
		}
		if e.signedIn() {
			t.Fatal("a disabled user is still signed in")
		}
	})
}

// TestCrossOriginRefused checks form posts from other sites are refused
// (CSRF), and that the refusal changes nothing.
func TestCrossOriginRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		email := e.f.Users[mash.RoleManager].Email
		e.signIn(email)
		e.clk.Add(30 * time.Second)
		creds := url.Values{"email": {email}, "password": {e.f.Password}, "code": {e.code()}}
		for _, h := range [][]string{
			{"Sec-Fetch-Site", "cross-site"},
			{"Sec-Fetch-Site", "same-site"}, // a sibling subdomain is another origin
			{"Origin", "http://evil.example"},
		} {
			for _, path := range []string{"/sign-out", "/sign-in"} {
				resp, body := e.do("POST", path, creds, h...)
				wantStatus(t, resp, body, http.StatusForbidden, "came from another website")
				wantSecurityHeaders(t, resp)
			}
		}
		if !e.signedIn() {
			t.Fatal("a cross-origin sign-out ended the session")
		}
		// The same origin, as a browser says it, is let through.
		resp, body := e.do("POST", "/sign-out", nil, "Sec-Fetch-Site", "same-origin", "Origin", e.srv.URL)
		wantStatus(t, resp, body, http.StatusSeeOther)
		if e.signedIn() {
			t.Fatal("same-origin sign-out did not end the session")
		}
	})
}

func wantSecurityHeaders(t *testing.T, resp *http.Response) {
	t.Helper()
	for k, v := range map[string]string{
		"Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
	} {
		if got := resp.Header.Get(k); got != v {
			t.Fatalf("%s %s: %s is %q, want %q", resp.Request.Method, resp.Request.URL.Path, k, got, v)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, storetest.Open(t, storetest.Engines(t)[0]), nil)
	for _, path := range []string{"/sign-in", "/", "/no-such-page", "/static/site.css"} {
		resp, body := e.get(path)
		wantSecurityHeaders(t, resp)
		if path == "/no-such-page" {
			wantStatus(t, resp, body, http.StatusNotFound, "Page not found")
		}
	}
	e.signIn(e.f.Users[mash.RoleAuditor].Email)
	resp, _ := e.get("/")
	wantSecurityHeaders(t, resp)
	resp, _ = e.do("POST", "/sign-out", nil)
	wantSecurityHeaders(t, resp)
}

// TestCookieSecure checks the cookie is Secure (and __Host- prefixed)
// everywhere but plain http to a loopback host.
func TestCookieSecure(t *testing.T) {
	e := newEnv(t, storetest.Open(t, storetest.Engines(t)[0]), nil)
	for _, c := range []struct {
		host   string
		tls    bool
		secure bool
	}{
		{"127.0.0.1:8080", false, false},
		{"localhost:8080", false, false},
		{"[::1]:8080", false, false},
		{"127.0.0.1:8443", true, true},
		{"mash.example", false, true}, // behind a proxy that terminates TLS
		{"192.0.2.10:8080", false, true},
	} {
		e.clk.Add(30 * time.Second)
		creds := url.Values{"email": {e.f.Users[mash.RoleScreener].Email}, "password": {e.f.Password}, "code": {e.code()}}
		r := httptest.NewRequest("POST", "http://"+c.host+"/sign-in", strings.NewReader(creds.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if c.tls {
			r.TLS = &tls.ConnectionState{}
		}
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
		cookies := w.Result().Cookies()
		if w.Code != http.StatusSeeOther || len(cookies) != 1 {
			t.Fatalf("%s: %d %v", c.host, w.Code, cookies)
		}
		ck := cookies[0]
		wantName := "mash-session"
		if c.secure {
			wantName = "__Host-mash-session"
		}
		if ck.Secure != c.secure || ck.Name != wantName || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
			t.Fatalf("%s (tls %v): cookie %s", c.host, c.tls, ck.String())
		}
		// The cookie works where it was set.
		r = httptest.NewRequest("GET", "http://"+c.host+"/", nil)
		if c.tls {
			r.TLS = &tls.ConnectionState{}
		}
		r.AddCookie(ck)
		w = httptest.NewRecorder()
		e.h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: home with the cookie: %d", c.host, w.Code)
		}
	}
}
