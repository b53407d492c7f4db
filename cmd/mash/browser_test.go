package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"openmash.org/mash"
	"openmash.org/mash/internal/auth"
	"openmash.org/mash/internal/demo"
	"openmash.org/mash/internal/store/storetest"
	"openmash.org/mash/internal/web"
)

// chromium returns the browser to drive, skipping the test when none is
// installed (and failing it when CI requires one).
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("MASH_TEST_CHROMIUM")
	if path == "" {
		path, _ = exec.LookPath("chromium")
	}
	if path == "" {
		if os.Getenv("MASH_TEST_REQUIRE_BROWSER") == "1" {
			t.Fatal("no Chromium found but MASH_TEST_REQUIRE_BROWSER=1")
		}
		t.Skip("no Chromium; set MASH_TEST_CHROMIUM")
	}
	return path
}

// TestBrowserUsesAPI drives a real Chromium against a real hub: the page at /
// loads, and a script in the hub's origin signs in, records a contact and
// reads it back through the JSON API, as a partner's web client would.
func TestBrowserUsesAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	exe := chromium(t)
	e := storetest.Engines(t)[0]
	db := storetest.Open(t, e)
	f := storetest.Partnership(t, db)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addrc := make(chan string, 1)
	go serve(ctx, db, "127.0.0.1:0", io.Discard, io.Discard, func(a string) { addrc <- a })
	base := "http://" + <-addrc

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-quic", true), chromedp.UserDataDir(t.TempDir()))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	bctx, tcancel := context.WithTimeout(bctx, 60*time.Second)
	defer tcancel()

	script := `(async () => {
	  const tok = await (await fetch("/api/v1/auth/token", {method: "POST", headers: {"Content-Type": "application/json"},
	    body: JSON.stringify({email: "screener@hub.example", password: "` + f.Password + `", totp: "` + storetest.Code(auth.TOTPStep(time.Now())) + `"})})).json();
	  const h = {"Content-Type": "application/json", "Authorization": "Bearer " + tok.token};
	  const created = await (await fetch("/api/v1/contacts", {method: "POST", headers: h, body: JSON.stringify({
	    received_at: new Date(Date.now() - 60000).toISOString(), channel: "online_form", cohort: "child",
	    referrer: {name: "A Health Visitor", anonymous: false},
	    subjects: [{role: "subject", given_name: "Test", family_name: "Child", dob: "2019-06-01"}],
	    concerns: ["16A"], narrative: "synthetic browser contact", consent: {family_aware: true, status: "given"}})})).json();
	  const got = await (await fetch("/api/v1/contacts/" + created.id, {headers: h})).json();
	  return got.reference;
	})()`
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/")); err != nil {
		t.Fatalf("browser: navigate: %v", err)
	}
	body, err := chromedp.Run(bctx, chromedp.Text("body"))
	if err != nil {
		t.Fatalf("browser: read page: %v", err)
	}
	reference, err := chromedp.Run(bctx, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("browser: script: %v", err)
	}
	if !strings.Contains(body, "OpenMASH") {
		t.Errorf("home page: %q", body)
	}
	if !strings.HasPrefix(reference, "MASH-") {
		t.Fatalf("contact made in the browser has reference %q", reference)
	}
	list, err := db.ListContacts(t.Context(), f.Actor(mash.RoleScreener), mash.ContactFilter{})
	if err != nil || len(list) != 1 || list[0].Reference != reference {
		t.Fatalf("store holds %+v (%v), want the browser's contact %s", list, err, reference)
	}
}

// browser starts Chromium for a test, with a window large enough for the
// hub's tables.
func browser(t *testing.T, ctx context.Context, exe string, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-quic", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900))
	opts = append(opts, extra...)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	bctx, tcancel := context.WithTimeout(bctx, 120*time.Second)
	t.Cleanup(tcancel)
	return bctx
}

// artefacts is where browser tests save screenshots: $MASH_ARTEFACTS/browser
// when set (CI keeps them), else a temporary directory.
func artefacts(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if a := os.Getenv("MASH_ARTEFACTS"); a != "" {
		dir = filepath.Join(a, "browser")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// axeSource is axe-core's axe.min.js, read from MASH_AXE_JS; "" when unset.
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv("MASH_AXE_JS")
	if path == "" {
		if os.Getenv("MASH_TEST_REQUIRE_BROWSER") == "1" {
			t.Fatal("MASH_AXE_JS is not set but MASH_TEST_REQUIRE_BROWSER=1: CI must run the accessibility scan")
		}
		t.Log("MASH_AXE_JS is not set: skipping the accessibility scan (set it to axe-core's axe.min.js, from `npm pack axe-core`)")
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("MASH_AXE_JS: %v", err)
	}
	return string(b)
}

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkPage saves a screenshot of the page the browser shows and, with axe
// available, scans it against WCAG 2.2 A and AA, failing the test on any
// serious or critical violation (and logging the rest).
func checkPage(t *testing.T, bctx context.Context, axe, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("%s: screenshot: %v", name, err)
	}
	shot := filepath.Join(dir, name+".png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: screenshot %s", name, shot)
	if axe == "" {
		return
	}
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](axe+";\ntrue")); err != nil {
		t.Fatalf("%s: load axe-core: %v", name, err)
	}
	out, err := chromedp.Run(bctx, chromedp.Evaluate[string](`(async () => {
	  const r = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
	    resultTypes: ["violations"]});
	  return JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
	    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))})));
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: run axe-core: %v", name, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("%s: axe-core result: %v", name, err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("%s: accessibility (%s) %s: %s at %v", name, v.Impact, v.ID, v.Help, v.Nodes)
		} else {
			t.Logf("%s: accessibility (%s) %s: %s at %v", name, v.Impact, v.ID, v.Help, v.Nodes)
		}
	}
}

// TestBrowserHub signs in to the demo hub as its screener through the sign-in
// form and opens the MASH board, a contact and a person, as a practitioner
// would; each page is screenshotted and scanned for accessibility.
func TestBrowserHub(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	exe := chromium(t)
	axe := axeSource(t)
	dir := artefacts(t)
	db := storetest.Open(t, storetest.Engines(t)[0])
	logins, err := demo.Seed(t.Context(), db, demo.Options{Now: time.Now().UTC(), Contacts: 60, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	db.Now = func() time.Time { return time.Now().UTC() }
	screener := logins[0]
	if screener.Role != string(mash.RoleScreener) {
		t.Fatalf("the demo's first sign-in is a %s, not the screener", screener.Role)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addrc := make(chan string, 1)
	go serve(ctx, db, "127.0.0.1:0", io.Discard, io.Discard, func(a string) { addrc <- a })
	base := "http://" + <-addrc
	bctx := browser(t, ctx, exe)

	// Signed out, the board sends to sign in.
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/board"), chromedp.WaitVisible(chromedp.ID("email"))); err != nil {
		t.Fatalf("sign-in page: %v", err)
	}
	checkPage(t, bctx, axe, dir, "01-sign-in")
	signInBrowser(t, bctx, base, screener)

	// The board.
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/board"), chromedp.WaitVisible(chromedp.ID("board-results"))); err != nil {
		t.Fatalf("board: %v", err)
	}
	text, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "MASH board") || !strings.Contains(text, "MASH-") {
		t.Fatalf("board shows %q", text)
	}
	checkPage(t, bctx, axe, dir, "02-board")
	// What the board weighed on its first load (HTML, CSS, JS; no fonts),
	// as the browser fetched it: compressed bytes over the wire.
	weight, err := chromedp.Run(bctx, chromedp.Evaluate[[]float64](`[
	  performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource")).reduce((n, e) => n + e.encodedBodySize, 0),
	  performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource")).reduce((n, e) => n + e.decodedBodySize, 0)]`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("board first load: %.0f bytes compressed, %.0f bytes uncompressed", weight[0], weight[1])
	if weight[0] > 250_000 {
		t.Errorf("the board weighs %.0f bytes on first load; the budget is 250 KB", weight[0])
	}

	// A filter, through htmx: the results update in place and the address
	// follows, so the filtered board can be bookmarked.
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`(() => { const s = document.getElementById("due");
	  s.value = "overdue"; return s.dispatchEvent(new Event("change", {bubbles: true})); })()`)); err != nil {
		t.Fatalf("filter: %v", err)
	}
	for i := 0; ; i++ {
		loc, err := chromedp.Run(bctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(loc, "due=overdue") {
			break
		}
		if i == 50 {
			t.Fatalf("after choosing a filter the page is at %s: htmx did not update the board", loc)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// A contact on the board, then a person in it.
	href, err := chromedp.Run(bctx, chromedp.Evaluate[string](`(document.querySelector('#board-results tbody a[href^="/contacts/"]') || {}).getAttribute ? document.querySelector('#board-results tbody a[href^="/contacts/"]').getAttribute("href") : ""`))
	if err != nil {
		t.Fatal(err)
	}
	if href == "" {
		if err := chromedp.Do(bctx, chromedp.Navigate(base+"/board"), chromedp.WaitVisible(chromedp.ID("board-results"))); err != nil {
			t.Fatal(err)
		}
		href, err = chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector('#board-results tbody a[href^="/contacts/"]').getAttribute("href")`))
		if err != nil {
			t.Fatalf("no contact on the board: %v", err)
		}
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(base+href), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
		t.Fatalf("contact: %v", err)
	}
	text, err = chromedp.Run(bctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "Subjects") || !strings.Contains(text, "Information requests") {
		t.Fatalf("contact page shows %q", text)
	}
	checkPage(t, bctx, axe, dir, "03-contact")
	person, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector('main a[href^="/persons/"]').getAttribute("href")`))
	if err != nil {
		t.Fatalf("no person linked from the contact: %v", err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(base+person), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
		t.Fatalf("person: %v", err)
	}
	text, err = chromedp.Run(bctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "Known to") || !strings.Contains(text, "Household") {
		t.Fatalf("person page shows %q", text)
	}
	checkPage(t, bctx, axe, dir, "04-person")

	// The identity review queue, with an uncertain match in it: a child,
	// then a contact naming someone only partly like him.
	u, err := db.UserByEmail(t.Context(), screener.Email)
	if err != nil {
		t.Fatal(err)
	}
	for _, dob := range []string{"2013-02-11", "", "2013-12-02"} {
		c := storetest.NewContact(time.Now().Add(-time.Hour))
		c.Subjects = []mash.Subject{{Role: mash.SubjectMain, GivenName: "Liam", FamilyName: "Walsh", DOB: dob, Sex: "M"}}
		if dob == "2013-02-11" {
			c.Subjects[0].Address, c.Subjects[0].Postcode = "14 Pit Lane, Wigan", "WN1 3QQ"
		}
		if _, err := db.CreateContact(t.Context(), storetest.ActorOf(*u), c, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/match-reviews"), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
		t.Fatalf("reviews: %v", err)
	}
	checkPage(t, bctx, axe, dir, "05-match-reviews")
	n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('form[action^="/match-reviews/"]').length`))
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Log("no uncertain match reached the review queue: skipping the review form")
		return
	}
	// Saving without an answer: the error summary, focused, linking to the fields.
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`form[action^="/match-reviews/"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".govuk-error-summary"))); err != nil {
		t.Fatalf("review without an answer: %v", err)
	}
	focused, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.activeElement.classList.contains("govuk-error-summary")`))
	if err != nil || !focused {
		t.Errorf("the error summary does not have the focus (%v)", err)
	}
	checkPage(t, bctx, axe, dir, "06-match-review-error")
	if err := chromedp.Do(bctx,
		chromedp.Click(chromedp.CSS(`form[action^="/match-reviews/"] input[value="different"]`)),
		chromedp.SendKeys(chromedp.CSS(`form[action^="/match-reviews/"] textarea`), "Different dates of birth; the school knows two boys"),
		chromedp.Click(chromedp.CSS(`form[action^="/match-reviews/"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".govuk-notification-banner--success"))); err != nil {
		t.Fatalf("answer a review: %v", err)
	}
}

// signInBrowser signs in through the sign-in form.
func signInBrowser(t *testing.T, bctx context.Context, base string, l demo.Login) {
	t.Helper()
	key, _ := auth.DecodeTOTPSecret(demo.TOTPSecret)
	if err := chromedp.Do(bctx,
		chromedp.Navigate(base+"/sign-in"),
		chromedp.SendKeys(chromedp.ID("email"), l.Email),
		chromedp.SendKeys(chromedp.ID("password"), l.Password),
		chromedp.SendKeys(chromedp.ID("code"), auth.TOTPCode(key, auth.TOTPStep(time.Now()))),
		chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".app-header__identity")),
	); err != nil {
		t.Fatalf("sign in as %s: %v", l.Role, err)
	}
}

// TestBrowserSession checks the session-expiry warning: with a one-minute
// idle timeout it shows at once (two minutes' warning), and "Stay signed in"
// keeps the session without leaving the page. Then, with JavaScript off,
// the same pages work as plain forms: sign in, filter the board, stay
// signed in.
func TestBrowserSession(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	exe := chromium(t)
	axe := axeSource(t)
	dir := artefacts(t)
	db := storetest.Open(t, storetest.Engines(t)[0])
	logins, err := demo.Seed(t.Context(), db, demo.Options{Now: time.Now().UTC(), Contacts: 20, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	db.Now = func() time.Time { return time.Now().UTC() }
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addrc := make(chan string, 1)
	go serveWith(ctx, db, "127.0.0.1:0", web.Config{Idle: time.Minute}, io.Discard, io.Discard, func(a string) { addrc <- a })
	base := "http://" + <-addrc

	bctx := browser(t, ctx, exe)
	signInBrowser(t, bctx, base, logins[0])
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/board"), chromedp.WaitVisible(chromedp.ID("session-warning"))); err != nil {
		t.Fatalf("no session warning: %v", err)
	}
	checkPage(t, bctx, axe, dir, "07-session-warning")
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`#session-warning button`)), chromedp.WaitNotVisible(chromedp.ID("session-warning"))); err != nil {
		t.Fatalf("stay signed in: %v", err)
	}
	loc, err := chromedp.Run(bctx, chromedp.Location())
	if err != nil || !strings.HasSuffix(loc, "/board") {
		t.Fatalf("after staying signed in the page is %q (%v)", loc, err)
	}

	// JavaScript off.
	nojs := browser(t, ctx, exe, chromedp.Flag("blink-settings", "scriptEnabled=false"))
	signInBrowser(t, nojs, base, logins[1])
	if err := chromedp.Do(nojs, chromedp.Navigate(base+"/board?due=overdue"), chromedp.WaitVisible(chromedp.ID("board-results")),
		chromedp.Click(chromedp.CSS(`.app-filter button[type="submit"]`)), chromedp.WaitVisible(chromedp.ID("board-results"))); err != nil {
		t.Fatalf("board without JavaScript: %v", err)
	}
	if on, err := chromedp.Run(nojs, chromedp.Evaluate[bool](`document.body.classList.contains("js-enabled")`)); err != nil || on {
		t.Fatalf("JavaScript ran in the browser that has it off (%v)", err)
	}
	if loc, err := chromedp.Run(nojs, chromedp.Location()); err != nil || !strings.Contains(loc, "/board?") || !strings.Contains(loc, "due=overdue") {
		t.Fatalf("the filter form without JavaScript went to %q (%v)", loc, err)
	}
	checkPage(t, nojs, "", dir, "08-board-no-javascript")
	if err := chromedp.Do(nojs, chromedp.Click(chromedp.CSS(`.app-footer-session button`)), chromedp.WaitVisible(chromedp.ID("board-results"))); err != nil {
		t.Fatalf("stay signed in without JavaScript: %v", err)
	}
	if loc, err := chromedp.Run(nojs, chromedp.Location()); err != nil || !strings.Contains(loc, "/board?") {
		t.Fatalf("staying signed in without JavaScript went to %q (%v)", loc, err)
	}
}
