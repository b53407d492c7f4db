// Package web serves the hub's browser pages: server-rendered html/template
// styled with GOV.UK Frontend and the Ministry of Justice frontend (vendored
// under static/vendor by scripts/vendor-frontend), every page usable without
// JavaScript; htmx only enhances. Pages: signing in (email, password and
// one-time code, or single sign-on with OpenID Connect), signing out and
// staying signed in, home, the MASH board, a new contact (with person
// matching), a contact with the forms that work it (screening, rating,
// consent override, information requests, decision, feedback, closing), the
// agency inbox and its answer form, a referrer's referrals, a person and the
// identity review queue. Handlers call the same mash.Hub methods as the
// JSON API, so roles, scope and redaction are the hub's, not the pages'.
//
// Sessions are server-side (see mash.Hub's StartSession): the browser holds
// only a random token in an HttpOnly, SameSite=Lax cookie, and the user is
// looked up on every request, so disabling them or changing their role
// applies at once. The cookie is Secure, and named with the __Host- prefix,
// except on plain http to a loopback address, so the demo on
// http://127.0.0.1 works; behind a TLS-terminating proxy, pass the original
// Host header so requests are not mistaken for local ones.
package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/auth"
)

// Default session timeouts: idle without a request, and in all.
const (
	DefaultIdle     = 15 * time.Minute
	DefaultLifetime = 12 * time.Hour
)

// Sign-in attempts per client address, as the API allows: a burst, then
// one per signInEvery; successes give theirs back.
const (
	signInBurst = 20
	signInEvery = 3 * time.Second
)

// maxForm caps form bodies; the sign-in form is a few hundred bytes.
const maxForm = 64 << 10

// Config sets up the web handler. The zero value is usable: default
// timeouts, no single sign-on, logs discarded.
type Config struct {
	Log      *slog.Logger
	Idle     time.Duration // session idle timeout (DefaultIdle when zero)
	Lifetime time.Duration // session absolute timeout (DefaultLifetime when zero)
	OIDC     *OIDCConfig   // single sign-on; nil for none
	// Now is the clock for times shown on pages (time left to a deadline,
	// the session-expiry warning); time.Now when nil. Deadlines themselves
	// come from the hub.
	Now func() time.Time
	// BoardPoll is how often an open board asks whether the queue has
	// changed (DefaultBoardPoll when zero).
	BoardPoll time.Duration
}

// DefaultBoardPoll is how often an open board asks whether it is out of
// date: each ask reads the queue's fingerprint, a few milliseconds.
const DefaultBoardPoll = time.Minute

// Handler is the web UI's HTTP handler.
type Handler struct {
	hub            mash.Hub
	log            *slog.Logger
	idle, lifetime time.Duration
	sso            *sso // nil without single sign-on
	lim            *auth.Limiter
	pages          map[string]*template.Template
	static         *assets
	now            func() time.Time
	boardPoll      time.Duration
	mux            *http.ServeMux
	routes         []string // the mux's patterns, as registered
	root           http.Handler
}

//go:embed templates static
var files embed.FS

// New returns the web handler over hub.
func New(hub mash.Hub, cfg Config) (*Handler, error) {
	h := &Handler{hub: hub, log: cfg.Log, idle: cfg.Idle, lifetime: cfg.Lifetime, now: cfg.Now, boardPoll: cfg.BoardPoll, mux: http.NewServeMux(),
		lim: &auth.Limiter{Burst: signInBurst, Every: signInEvery, Max: 100_000}}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.boardPoll <= 0 {
		h.boardPoll = DefaultBoardPoll
	}
	if h.idle == 0 {
		h.idle = DefaultIdle
	}
	if h.lifetime == 0 {
		h.lifetime = DefaultLifetime
	}
	if h.idle < time.Minute || h.lifetime < h.idle {
		return nil, errors.New("web: the session idle timeout must be at least a minute and no longer than the lifetime")
	}
	static, _ := fs.Sub(files, "static")
	var err error
	if h.static, err = loadAssets(static); err != nil {
		return nil, err
	}
	if h.pages, err = h.parsePages(); err != nil {
		return nil, err
	}
	if cfg.OIDC != nil {
		if h.sso, err = newSSO(*cfg.OIDC); err != nil {
			return nil, err
		}
		h.handle("GET /sign-in/sso", h.handleSSOStart)
		h.handle("GET "+h.sso.callbackPath, h.handleSSOCallback)
	}
	h.handle("GET /static/", h.static.ServeHTTP)
	h.handle("GET /{$}", h.handleHome)
	h.handle("GET /sign-in", h.handleSignInForm)
	h.handle("POST /sign-in", h.handleSignIn)
	h.handle("POST /sign-out", h.handleSignOut)
	h.handle("POST /session/refresh", h.handleStaySignedIn)
	h.handle("GET /board", h.signedIn(h.handleBoard))
	h.handle("GET /board/changes", h.handleBoardChanges)
	h.handle("GET /contacts/new", h.signedIn(h.handleNewContact))
	h.handle("POST /contacts/new", h.signedIn(h.handleIntake))
	h.handle("POST /contacts/new/match", h.signedIn(h.handleIntakeMatch))
	h.handle("GET /contacts/{id}", h.signedIn(h.handleContact))
	h.handle("POST /contacts/{id}/screening", h.signedIn(h.handleScreen))
	h.handle("POST /contacts/{id}/rating", h.signedIn(h.handleRate))
	h.handle("POST /contacts/{id}/consent-override", h.signedIn(h.handleOverride))
	h.handle("POST /contacts/{id}/requests", h.signedIn(h.handleCreateRequest))
	h.handle("POST /contacts/{id}/decision", h.signedIn(h.handleDecide))
	h.handle("POST /contacts/{id}/feedback", h.signedIn(h.handleFeedback))
	h.handle("POST /contacts/{id}/close", h.signedIn(h.handleClose))
	h.handle("POST /contacts/{id}/assignment", h.signedIn(h.handleAssign))
	h.handle("POST /contacts/{id}/requests/{rid}/chase", h.signedIn(h.handleChase))
	h.handle("POST /contacts/{id}/alerts/{aid}/acknowledge", h.signedIn(h.handleAcknowledgeAlert))
	h.handle("POST /contacts/{id}/disagreements", h.signedIn(h.handleRaiseDisagreement))
	h.handle("POST /contacts/{id}/disagreements/{did}/respond", h.signedIn(h.handleRespondDisagreement))
	h.handle("GET /inbox", h.signedIn(h.handleInbox))
	h.handle("GET /inbox/{id}", h.signedIn(h.handleRequest))
	h.handle("POST /inbox/{id}", h.signedIn(h.handleReturn))
	h.handle("POST /drafts/{kind}/{key}", h.handleSaveDraft)
	h.handle("POST /drafts/{kind}/{key}/discard", h.signedIn(h.handleDiscardDraft))
	h.handle("GET /referrals", h.signedIn(h.handleReferrals))
	h.handle("GET /notifications", h.signedIn(h.handleNotifications))
	h.handle("POST /notifications/{id}/open", h.signedIn(h.handleNotificationOpen))
	h.handle("GET /persons/{id}", h.signedIn(h.handlePerson))
	h.handle("GET /persons/{id}/household", h.signedIn(h.handleHousehold))
	h.handle("POST /persons/{id}/merge", h.signedIn(h.handleMerge))
	h.handle("POST /persons/{id}/merges/{mid}/undo", h.signedIn(h.handleUnmerge))
	h.handle("GET /audit", h.signedIn(h.handleAudit))
	h.handle("POST /audit/break-glass/{id}", h.signedIn(h.handleReviewBreakGlass))
	h.handle("GET /admin", h.signedIn(h.handleAdmin))
	h.handle("POST /admin/agencies", h.signedIn(h.handleAddAgency))
	h.handle("POST /admin/users", h.signedIn(h.handleAddUser))
	h.handle("POST /admin/users/{id}/access", h.signedIn(h.handleUserAccess))
	h.handle("POST /admin/policy", h.signedIn(h.handleSetPolicy))
	h.handle("GET /match-reviews", h.signedIn(h.handleReviews))
	h.handle("GET /dashboards", h.signedIn(h.handleDashboards))
	h.handle("GET /dashboards/today", h.signedIn(h.handleToday))
	h.handle("GET /dashboards/trends", h.signedIn(h.handleTrends))
	h.handle("GET /dashboards/measures", h.signedIn(h.handleMeasures))
	h.handle("GET /dashboards/measures/{name}", h.signedIn(h.handleMeasureFile))
	h.handle("GET /reports/monthly.pdf", h.signedIn(h.handleMonthlyPDF))
	h.handle("POST /match-reviews/{id}", h.signedIn(h.handleResolveReview))
	h.handle("/", func(w http.ResponseWriter, r *http.Request) {
		h.problem(w, r, http.StatusNotFound, "Page not found", "There is no page at this address.")
	})
	// Every state change is a POST; the browser's Sec-Fetch-Site and Origin
	// headers say whether it came from this site.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.problem(w, r, http.StatusForbidden, "Request refused",
			"The request came from another website, so it was refused. Go to OpenMASH and try again.")
	}))
	h.root = cop.Handler(h.mux)
	return h, nil
}

// handle registers a route on the mux and records its pattern, so tests can
// check that every page is covered (see Routes).
func (h *Handler) handle(pattern string, fn http.HandlerFunc) {
	h.mux.HandleFunc(pattern, fn)
	h.routes = append(h.routes, pattern)
}

// Routes is every pattern the handler serves ("GET /board", "POST
// /contacts/{id}/rating", the catch-all "/"), sorted. The browser tests
// scan each page it lists, so a new page cannot go unscanned.
func (h *Handler) Routes() []string {
	return slices.Sorted(slices.Values(h.routes))
}

func (h *Handler) parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{"role": roleLabel, "asset": h.static.url}
	for k, v := range viewFuncs {
		funcs[k] = v
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/partials.html", "templates/drafts.html",
		"templates/casework.html", "templates/patterns.html", "templates/disagreements.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, name := range []string{"signin", "home", "problem", "board", "contact", "person", "reviews", "intake", "inbox", "request", "referrals",
		"household", "audit", "admin", "dashboard", "notifications"} {
		t, err := layout.Clone()
		if err == nil {
			t, err = t.ParseFS(files, "templates/"+name+".html")
		}
		if err != nil {
			return nil, err
		}
		pages[name] = t
	}
	return pages, nil
}

type ctxKey int

const requestIDKey ctxKey = iota

// ServeHTTP sets the security headers every response carries, adds a
// request id, recovers panics and logs the request (method, route, status,
// duration — never query strings, which carry OIDC codes, or form values).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	id := rand.Text()[:16]
	hd.Set("X-Request-Id", id)
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if v := recover(); v != nil {
			h.log.Error("panic", "request_id", id, "panic", v)
			h.problem(sw, r, http.StatusInternalServerError, "Sorry, there is a problem", "Something went wrong. Try again later.")
		}
		_, pattern := h.mux.Handler(r)
		h.log.Info("web request", "request_id", id, "method", r.Method, "route", pattern, "status", sw.status,
			"ms", time.Since(start).Milliseconds())
	}()
	h.root.ServeHTTP(sw, r)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// page is what every template gets.
type page struct {
	Title    string
	Actor    *mash.Actor       // the signed-in user, if any
	Errors   []fieldError      // the error summary
	FieldErr map[string]string // problems by field id
	Notice   string
	Email    string // the sign-in form's email, kept after a failure
	Next     string // the sign-in form's page to go to afterwards
	SSO      bool   // whether to offer single sign-on
	Agency   string // the signed-in user's agency name
	Message  string // a problem page's explanation

	Nav     []navItem // the pages the signed-in user's role may use
	Path    string    // this page's path and query, to come back to
	Now     time.Time // for times shown relative to now
	IdleFor int       // seconds until the session ends without use
	Data    any       // the page's own content
}

type fieldError struct{ Field, Msg string }

type navItem struct {
	Href, Label string
	Current     bool
}

// render writes a page, or with fragment set, only that template of it
// (an htmx partial update). Pages are never cached: they are personal, or
// carry a form's state. Bodies are gzipped for clients that take it.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	h.renderTemplate(w, r, status, name, "layout.html", p)
}

func (h *Handler) renderTemplate(w http.ResponseWriter, r *http.Request, status int, name, tmpl string, p page) {
	if p.Now.IsZero() {
		p.Now = h.now()
	}
	if p.Actor != nil {
		p.IdleFor = int(h.idle.Seconds())
		if p.Nav == nil {
			p.Nav = append(nav(*p.Actor, r.URL.Path), dashboardNav(*p.Actor, r.URL.Path)...)
			if mash.Can(*p.Actor, mash.ActionNotificationRead, mash.Resource{}) {
				p.Nav = append(p.Nav, navItem{Href: "/notifications", Label: h.unreadLabel(r, *p.Actor), Current: r.URL.Path == "/notifications"})
			}
		}
		if p.Path == "" {
			p.Path = r.URL.RequestURI()
		}
	}
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, tmpl, p); err != nil {
		h.log.Error("render", "request_id", requestID(r), "page", name, "err", err)
		if status < 500 {
			status = http.StatusInternalServerError
			buf.Reset()
			h.pages["problem"].ExecuteTemplate(&buf, "layout.html", page{Title: "Sorry, there is a problem",
				Message: "Something went wrong. Try again later.", Now: p.Now})
		}
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Vary", "Accept-Encoding, HX-Request")
	if buf.Len() > 1024 && acceptsGzip(r) {
		hd.Set("Content-Encoding", "gzip")
		w.WriteHeader(status)
		// Pages are compressed per request: the fastest level takes about
		// half the CPU of the default for ~12% more bytes (the 500-row
		// board: 25.6 KB against 22.9 KB). Static files are compressed
		// once, at the best level (static.go).
		zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		zw.Write(buf.Bytes())
		zw.Close()
		return
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// problem renders a page that explains why a request could not be served.
func (h *Handler) problem(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	h.render(w, r, status, "problem", page{Title: title, Message: msg})
}

// fail renders err as a problem page: a safe message for the kinds a user
// can act on, a generic one (with the detail in the log) for the rest.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch mash.KindOf(err) {
	case mash.KindUnavailable:
		h.problem(w, r, http.StatusServiceUnavailable, "Sorry, the service is busy", "Try again in a moment.")
	case mash.KindForbidden:
		h.problem(w, r, http.StatusForbidden, "You cannot sign in", mash.Message(err)+". Ask your OpenMASH administrator.")
	case mash.KindConflict:
		h.problem(w, r, http.StatusConflict, "You cannot sign in", mash.Message(err)+". Ask your OpenMASH administrator.")
	default:
		h.log.Error("request failed", "request_id", requestID(r), "err", err)
		h.problem(w, r, http.StatusInternalServerError, "Sorry, there is a problem", "Something went wrong. Try again later.")
	}
}

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

// from is who sends r before they are known: the request id and client
// address, for the audit log.
func from(r *http.Request) mash.Actor {
	return mash.Actor{RequestID: requestID(r), ClientIP: clientIP(r)}
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// secure reports whether cookies must be Secure: always, except for plain
// http to a loopback host (the demo, tests). A proxy terminating TLS sends
// plain http, but with the public Host, so it gets Secure cookies.
func secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if strings.EqualFold(host, "localhost") {
		return false
	}
	a, err := netip.ParseAddr(host)
	return err != nil || !a.IsLoopback()
}

// cookieName gives Secure cookies the __Host- prefix, which browsers accept
// only from a secure origin with Path=/ and no Domain, so a sibling
// subdomain cannot plant or overwrite them.
func cookieName(r *http.Request, base string) string {
	if secure(r) {
		return "__Host-" + base
	}
	return base
}

func setCookie(w http.ResponseWriter, r *http.Request, base, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: cookieName(r, base), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteLaxMode})
}

const sessionCookie = "mash-session"

// sessionToken is the session token r carries, or "" if it carries none
// that could be one. Tokens are "mash_" and 26 base32 characters (see
// auth.NewToken); anything else is not looked up.
func sessionToken(r *http.Request) string {
	c, err := r.Cookie(cookieName(r, sessionCookie))
	if err != nil || !plausibleToken(c.Value) {
		return ""
	}
	return c.Value
}

func plausibleToken(s string) bool {
	rest, ok := strings.CutPrefix(s, "mash_")
	if !ok || len(rest) != 26 {
		return false
	}
	for _, c := range []byte(rest) {
		if (c < 'A' || c > 'Z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

// actor resolves r's session. ok is false when r has no live session, in
// which case any stale cookie is cleared.
func (h *Handler) actor(w http.ResponseWriter, r *http.Request) (a mash.Actor, ok bool, err error) {
	return h.sessionActor(w, r, h.hub.ActorForSession)
}

// sessionActor is actor with the session resolved by resolve: the hub's
// ActorForSession, or PeekSession for a page's background checks.
func (h *Handler) sessionActor(w http.ResponseWriter, r *http.Request, resolve func(context.Context, string) (mash.Actor, error)) (a mash.Actor, ok bool, err error) {
	tok := sessionToken(r)
	if tok == "" {
		return mash.Actor{}, false, nil
	}
	a, err = resolve(r.Context(), tok)
	if mash.KindOf(err) == mash.KindUnauthenticated {
		setCookie(w, r, sessionCookie, "", -1)
		return mash.Actor{}, false, nil
	}
	if err != nil {
		return mash.Actor{}, false, err
	}
	a.RequestID, a.ClientIP = requestID(r), clientIP(r)
	return a, true, nil
}

// startSession sets the cookie for a new session, first ending the one the
// browser had, so each sign-in gets a new session id and leaves no other
// session of this browser alive.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, tok mash.Token) {
	h.endSession(r)
	setCookie(w, r, sessionCookie, tok.Token, 0)
}

func (h *Handler) endSession(r *http.Request) {
	if old := sessionToken(r); old != "" {
		if err := h.hub.EndSession(r.Context(), from(r), old); err != nil && mash.KindOf(err) != mash.KindUnauthenticated {
			h.log.Warn("end session", "request_id", requestID(r), "err", err)
		}
	}
}

var roleLabels = map[mash.Role]string{
	mash.RoleReferrer:   "Referrer",
	mash.RoleScreener:   "Screener",
	mash.RoleResearcher: "Researcher",
	mash.RoleManager:    "Manager",
	mash.RoleReceiver:   "Receiving practitioner",
	mash.RoleAuditor:    "Auditor",
	mash.RoleAnalyst:    "Analyst",
	mash.RoleAdmin:      "Administrator",
}

func roleLabel(r mash.Role) string {
	if l, ok := roleLabels[r]; ok {
		return l
	}
	return string(r)
}
