package main

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"openmash.org/mash"
	"openmash.org/mash/internal/store/storetest"
	"openmash.org/mash/internal/web"
)

// pageScan is one page of the browser UI to scan for accessibility: who
// opens it (no one: signed out) and where, with {contact}, {person} and
// {request} standing for ids found in the seeded hub. With submit, the
// button is pressed on the page at path and the page the form's route
// answers with is scanned instead (an error summary, say).
type pageScan struct {
	pattern string // the route that serves the scanned page, as web.Handler.Routes lists it
	name    string // screenshot page-<name>.png
	login   string // a demo login's email; "" for signed out
	path    string
	submit  string // a button to press first (CSS); "" for none
	status  int    // the scanned page's HTTP status
}

// Demo logins that open pages.
const (
	pgScreener = "screener@hub.northshire.example"
	pgManager  = "manager@hub.northshire.example"
	pgPolice   = "researcher@police.northshire.example"
	pgTeacher  = "teacher@education.northshire.example"
	pgAuditor  = "auditor@hub.northshire.example"
	pgAdmin    = "admin@hub.northshire.example"
)

// pageScans covers every GET route of the browser UI that serves a page,
// and some pages that other routes answer with (form errors, refusals).
// TestEveryPageHasAScan fails when a GET route is neither here nor in
// pageExclusions, so a new page cannot go unscanned.
var pageScans = []pageScan{
	{"GET /sign-in", "sign-in", "", "/sign-in", "", http.StatusOK},
	{"POST /sign-in", "sign-in-errors", "", "/sign-in", `main form[action="/sign-in"] button[type="submit"]`, http.StatusBadRequest},
	{"GET /{$}", "home", pgScreener, "/", "", http.StatusOK},
	{"GET /board", "board", pgScreener, "/board", "", http.StatusOK},
	{"GET /contacts/new", "new-contact", pgScreener, "/contacts/new", "", http.StatusOK},
	{"POST /contacts/new", "new-contact-errors", pgScreener, "/contacts/new", `button[value="send"]`, http.StatusBadRequest},
	{"GET /contacts/{id}", "contact", pgScreener, "/contacts/{contact}", "", http.StatusOK},
	{"GET /persons/{id}", "person", pgScreener, "/persons/{person}", "", http.StatusOK},
	{"GET /persons/{id}/household", "household", pgScreener, "/persons/{person}/household", "", http.StatusOK},
	{"GET /match-reviews", "match-reviews", pgScreener, "/match-reviews", "", http.StatusOK},
	{"GET /notifications", "notifications", pgScreener, "/notifications", "", http.StatusOK},
	{"/", "not-found", pgScreener, "/no-such-page", "", http.StatusNotFound},
	{"GET /dashboards", "dashboards", pgManager, "/dashboards", "", http.StatusOK},
	{"GET /dashboards/today", "dashboards-today", pgManager, "/dashboards/today", "", http.StatusOK},
	{"GET /dashboards/trends", "dashboards-trends", pgManager, "/dashboards/trends", "", http.StatusOK},
	{"GET /dashboards/measures", "dashboards-measures", pgManager, "/dashboards/measures", "", http.StatusOK},
	{"GET /inbox", "inbox", pgPolice, "/inbox", "", http.StatusOK},
	{"GET /inbox/{id}", "inbox-request", pgPolice, "/inbox/{request}", "", http.StatusOK},
	{"GET /referrals", "referrals", pgTeacher, "/referrals", "", http.StatusOK},
	{"GET /board", "forbidden", pgTeacher, "/board", "", http.StatusForbidden},
	{"GET /audit", "audit", pgAuditor, "/audit", "", http.StatusOK},
	{"GET /admin", "admin", pgAdmin, "/admin", "", http.StatusOK},
}

// pageExclusions are the GET routes that serve no HTML page, and why.
var pageExclusions = map[string]string{
	"GET /static/":                    "stylesheets, scripts and images",
	"GET /dashboards/measures/{name}": "a measure's table as a CSV download",
	"GET /board/changes":              "the open board's poll: no content, or a fragment for the board's status region",
	"GET /reports/monthly.pdf":        "the monthly report, a PDF",
	"GET /sign-in/sso":                "redirects to the identity provider",
	"GET /sign-in/sso/callback":       "the identity provider's return: redirects, or refuses with the problem page scanned as forbidden",
}

// pagesConfig turns single sign-on on (the provider is only contacted when
// someone uses it), so its routes are listed and the sign-in page shows
// its button.
func pagesConfig() web.Config {
	return web.Config{OIDC: &web.OIDCConfig{Issuer: "https://login.example/northshire", ClientID: "openmash",
		ClientSecret: "synthetic-client-secret", RedirectURL: "https://mash.example/sign-in/sso/callback",
		Groups: map[string]web.GroupGrant{"police-mash": {Agency: "Northshire Constabulary", Role: mash.RoleResearcher}}}}
}

// pageCoverage lists what is wrong with the scans for routes: a GET route
// with neither a scan nor an exclusion, and a scan or exclusion naming a
// route that is gone.
func pageCoverage(routes []string) (problems []string) {
	have := map[string]bool{}
	for _, r := range routes {
		have[r] = true
	}
	scanned := map[string]bool{}
	for _, s := range pageScans {
		scanned[s.pattern] = true
		if !have[s.pattern] {
			problems = append(problems, fmt.Sprintf("page scan %s names route %q, which the web handler no longer serves", s.name, s.pattern))
		}
	}
	for _, p := range slices.Sorted(maps.Keys(pageExclusions)) {
		if !have[p] {
			problems = append(problems, fmt.Sprintf("route %q is excluded from the page scans (%s) but the web handler no longer serves it", p, pageExclusions[p]))
		}
		if scanned[p] {
			problems = append(problems, fmt.Sprintf("route %q is both scanned and excluded", p))
		}
	}
	for _, r := range routes {
		method, _, ok := strings.Cut(r, " ")
		if ok && method != http.MethodGet { // a pattern without a method serves GET too
			continue
		}
		if !scanned[r] && pageExclusions[r] == "" {
			problems = append(problems, fmt.Sprintf("GET route %q has no accessibility scan: add it to pageScans in browser_pages_test.go "+
				"(or, if it serves no HTML page, to pageExclusions with the reason)", r))
		}
	}
	return problems
}

// TestEveryPageHasAScan checks, without a browser, that every GET route of
// the web handler is scanned by TestBrowserEveryPage or excluded with a
// reason; and that the check notices a new page and a page gone.
func TestEveryPageHasAScan(t *testing.T) {
	ui, err := web.New(nil, pagesConfig())
	if err != nil {
		t.Fatal(err)
	}
	routes := ui.Routes()
	for _, p := range pageCoverage(routes) {
		t.Error(p)
	}
	changed := append(slices.DeleteFunc(slices.Clone(routes), func(r string) bool { return r == "GET /audit" || r == "GET /static/" }),
		"GET /contacts/{id}/print", "POST /contacts/{id}/print")
	got := strings.Join(pageCoverage(changed), "\n")
	for _, want := range []string{`"GET /contacts/{id}/print" has no accessibility scan`, `names route "GET /audit"`, `"GET /static/" is excluded`} {
		if !strings.Contains(got, want) {
			t.Errorf("with a page added and two gone, the coverage check lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "POST /contacts/{id}/print") {
		t.Errorf("the coverage check asks for a scan of a POST route:\n%s", got)
	}
}

// TestBrowserEveryPage opens every page of the browser UI in a real
// Chromium, each as a role that uses it, and screenshots it and scans it
// with axe-core against WCAG 2.2 AA; also the sign-in page signed out and
// with errors, the new-contact form sent empty, a page that does not exist
// and a page the role may not use.
func TestBrowserEveryPage(t *testing.T) {
	start := time.Now()
	ui, err := web.New(nil, pagesConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pageCoverage(ui.Routes()) {
		t.Error(p)
	}
	if t.Failed() {
		return
	}
	axe, dir := axeSource(t), artefacts(t)
	h := demoHub(t, 12, 7, pagesConfig())
	ctx, db := t.Context(), h.db

	// An uncertain match for the review queue: a child, then contacts
	// naming someone only partly like him.
	scr := actorFor(t, db, pgScreener)
	for _, dob := range []string{"2013-02-11", "", "2013-12-02"} {
		c := storetest.NewContact(time.Now().Add(-time.Hour))
		c.Subjects = []mash.Subject{{Role: mash.SubjectMain, GivenName: "Liam", FamilyName: "Walsh", DOB: dob, Sex: "M"}}
		if dob == "2013-02-11" {
			c.Subjects[0].Address, c.Subjects[0].Postcode = "14 Pit Lane, Wigan", "WN1 3QQ"
		}
		if _, err := db.CreateContact(ctx, scr, c, ""); err != nil {
			t.Fatal(err)
		}
	}
	// A request to the police (open if any, so the answer form shows), its
	// contact and the contact's first subject.
	police := actorFor(t, db, pgPolice)
	reqs, err := db.ListRequests(ctx, police, mash.RequestFilter{Status: mash.RequestOpen, Limit: 1})
	if err == nil && len(reqs) == 0 {
		reqs, err = db.ListRequests(ctx, police, mash.RequestFilter{Limit: 1})
	}
	if err != nil || len(reqs) == 0 {
		t.Fatalf("the demo hub has no request to the police (%v)", err)
	}
	c, err := db.GetContact(ctx, scr, reqs[0].ContactID)
	if err != nil || len(c.Subjects) == 0 || c.Subjects[0].PersonID == "" {
		t.Fatalf("contact %s: %v", reqs[0].ContactID, err)
	}
	ids := strings.NewReplacer("{contact}", c.ID, "{person}", c.Subjects[0].PersonID, "{request}", reqs[0].ID)

	root := h.browser(t)
	step(t, root, "start the browser", chromedp.Navigate("about:blank"))
	// One window per login, each signed in once: a one-time code is good
	// once in its 30 seconds.
	windows := map[string]context.Context{}
	window := func(login string) context.Context {
		if w, ok := windows[login]; ok {
			return w
		}
		var w context.Context
		if login == "" {
			var cancel context.CancelFunc
			w, cancel = chromedp.NewContext(root, chromedp.WithNewBrowserContext())
			t.Cleanup(cancel)
		} else {
			w = person(t, root, h.base, loginFor(t, h.logins, login))
		}
		windows[login] = w
		return w
	}

	var scanned []string
	for _, s := range pageScans {
		w, url := window(s.login), h.base+ids.Replace(s.path)
		resp, err := chromedp.Run(w, chromedp.NavigateResponse(url))
		if err == nil && s.submit != "" {
			resp, err = chromedp.RunResponse(w, chromedp.Click(chromedp.CSS(s.submit)))
		}
		if err != nil {
			t.Fatalf("page-%s: open %s: %v", s.name, url, err)
		}
		if resp.Status != int64(s.status) || (s.submit == "" && resp.URL != url) {
			t.Fatalf("page-%s: %s answered %d at %s, want %d at %s\n%s", s.name, s.path, resp.Status, resp.URL, s.status, url, mainText(t, w))
		}
		wait := "main"
		if s.submit != "" {
			wait = ".govuk-error-summary"
		}
		step(t, w, "try page-"+s.name, chromedp.WaitVisible(chromedp.CSS(wait)))
		t0 := time.Now()
		checkPage(t, w, axe, dir, "page-"+s.name)
		t.Logf("page-%s: %s as %s (%d) scanned in %v", s.name, s.pattern, cmp.Or(s.login, "no one"), s.status, time.Since(t0).Round(time.Millisecond))
		scanned = append(scanned, "page-"+s.name)
	}
	t.Logf("scanned %d pages in %v: %s", len(scanned), time.Since(start).Round(time.Millisecond), strings.Join(scanned, ", "))
}
