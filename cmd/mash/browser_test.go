package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	"openmash.org/mash/internal/store"
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
	bctx, tcancel := context.WithTimeout(bctx, 240*time.Second)
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
	axe := axeSource(t)
	dir := artefacts(t)
	h := demoHub(t, 60, 1, web.Config{BoardPoll: time.Second})
	db, logins, base := h.db, h.logins, h.base
	screener := logins[0]
	if screener.Role != string(mash.RoleScreener) {
		t.Fatalf("the demo's first sign-in is a %s, not the screener", screener.Role)
	}
	bctx := h.browser(t)

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
	boardChanges(t, bctx, db, screener)
	checkPage(t, bctx, axe, dir, "02-board-changed")
	boardCountdown(t, bctx)
	boardPages(t, bctx, db, screener, base)
	checkPage(t, bctx, axe, dir, "02-board-page-2")

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
	// The results are replaced, not nested in the old ones.
	if n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#board-results").length`)); err != nil || n != 1 {
		t.Errorf("after a filter the page has %d #board-results (%v); want 1", n, err)
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

// boardCountdown checks the open board's countdown: it words the time left
// as the server does (the table in internal/web/testdata), and marks a
// deadline overdue once it passes.
func boardCountdown(t *testing.T, bctx context.Context) {
	t.Helper()
	b, err := os.ReadFile("../../internal/web/testdata/timeleft.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`(() => {
	  const now = Date.parse("2026-11-26T09:00:00Z");
	  return (`+string(b)+`).map(c => { const w = openmash.timeLeft(now + c.seconds * 1000, now);
	    return w === c.want ? "" : c.seconds + "s: " + w + ", want " + c.want; }).filter(Boolean);
	})()`))
	if err != nil {
		t.Fatalf("countdown: %v", err)
	}
	for _, g := range got {
		t.Errorf("the board's countdown says %s", g)
	}
	// The page's own cells: counted down 400 days on, every one overdue.
	n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#board-results [data-due]").length`))
	if err != nil || n == 0 {
		t.Fatalf("the board has no deadline to count down (%v)", err)
	}
	got, err = chromedp.Run(bctx, chromedp.Evaluate[[]string](`(() => { openmash.countDown(Date.now() + 86400e3 * 400);
	  return [...document.querySelectorAll("[data-due]")].map(e => e.textContent + (e.classList.contains("app-overdue") ? "" : " (not marked overdue)"))
	    .filter(w => !w.startsWith("Overdue by ") || w.endsWith(")")); })()`))
	if err != nil {
		t.Fatalf("countdown: %v", err)
	}
	if len(got) > 0 {
		t.Errorf("counted down past every deadline, the board still shows %q", got)
	}
	// The countdown can be paused and restarted (WCAG 2.2.2), by keyboard.
	for _, want := range []struct {
		label  string
		paused bool
	}{{"Restart the countdown", true}, {"Pause the countdown", false}} {
		step(t, bctx, "toggle the countdown", chromedp.Focus(chromedp.ID("countdown-toggle")), chromedp.KeyEvent("\r"))
		state, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`[document.getElementById("countdown-toggle").textContent, String(openmash.paused())]`))
		if err != nil || state[0] != want.label || state[1] != fmt.Sprint(want.paused) {
			t.Errorf("after the countdown button: %q (%v); want %q, paused %v", state, err, want.label, want.paused)
		}
	}
}

// boardPages fills the queue past one page (100 contacts) and pages the
// board by keyboard: Enter on "Next" brings page 2 by htmx, with the
// address following and the focus at the top of the new page.
func boardPages(t *testing.T, bctx context.Context, db *store.DB, screener demo.Login, base string) {
	t.Helper()
	u, err := db.UserByEmail(t.Context(), screener.Email)
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if _, err := db.CreateContact(t.Context(), storetest.ActorOf(*u), storetest.NewContact(time.Now().Add(-time.Hour)), ""); err != nil {
			t.Fatal(err)
		}
	}
	step(t, bctx, "open the board", chromedp.Navigate(base+"/board"), chromedp.WaitVisible(chromedp.CSS(`#board-results a[rel="next"]`)),
		chromedp.Focus(chromedp.CSS(`#board-results a[rel="next"]`)), chromedp.KeyEvent("\r"))
	for i := 0; ; i++ {
		got, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`[document.querySelector("#board-results caption").textContent,
		  document.activeElement.tagName, location.search, String(document.querySelectorAll("#board-results").length)]`))
		if err != nil {
			t.Fatal(err)
		}
		// The focus moves once htmx has settled the new page, just after.
		if strings.HasPrefix(got[0], "Showing 101 to ") && got[1] == "CAPTION" && got[2] == "?page=2" && got[3] == "1" {
			return
		}
		if i == 50 {
			t.Fatalf("Enter on Next: the board shows %q, focus on %s, address %q, %s result lists; want page 2, the caption, ?page=2, 1",
				got[0], got[1], got[2], got[3])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// boardChanges checks that an open board offers a refresh once the queue
// changes (a new contact).
func boardChanges(t *testing.T, bctx context.Context, db *store.DB, screener demo.Login) {
	t.Helper()
	u, err := db.UserByEmail(t.Context(), screener.Email)
	if err != nil {
		t.Fatal(err)
	}
	c := storetest.NewContact(time.Now().Add(-time.Minute))
	if _, err := db.CreateContact(t.Context(), storetest.ActorOf(*u), c, ""); err != nil {
		t.Fatal(err)
	}
	step(t, bctx, "see the board's refresh offer", chromedp.WaitVisible(chromedp.CSS("#board-changes .govuk-notification-banner")))
	text, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#board-changes")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "The board has changed since it was loaded") {
		t.Errorf("the refresh offer says %q", text)
	}
}

// signInBrowser signs in through the sign-in form.
func signInBrowser(t *testing.T, bctx context.Context, base string, l demo.Login) {
	t.Helper()
	key, _ := auth.DecodeTOTPSecret(demo.TOTPSecret)
	// A one-time code is good once: a second sign-in by the same person in
	// the same 30 seconds needs the next step's code (the hub accepts one
	// step of clock drift), and a third must wait for the next step.
	var err error
	for try := range 3 {
		if try == 2 {
			time.Sleep(time.Until(time.Unix((auth.TOTPStep(time.Now())+1)*30, 0)))
		}
		step := auth.TOTPStep(time.Now()) + int64(min(try, 1))
		var in bool
		if err = chromedp.Do(bctx,
			chromedp.Navigate(base+"/sign-in"),
			chromedp.SendKeys(chromedp.ID("email"), l.Email),
			chromedp.SendKeys(chromedp.ID("password"), l.Password),
			chromedp.SendKeys(chromedp.ID("code"), auth.TOTPCode(key, step)),
		); err != nil {
			break
		}
		if _, err = chromedp.RunResponse(bctx, chromedp.Click(chromedp.CSS(`main button[type="submit"]`))); err != nil {
			break
		}
		if in, err = chromedp.Run(bctx, chromedp.Evaluate[bool](`!!document.querySelector(".app-header__identity")`)); err != nil || in {
			break
		}
		err = errors.New("the hub refused the sign-in")
	}
	if err != nil {
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
	axe := axeSource(t)
	dir := artefacts(t)
	h := demoHub(t, 20, 2, web.Config{Idle: time.Minute})
	logins, base := h.logins, h.base

	bctx := h.browser(t)
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
	nojs := h.browser(t, chromedp.Flag("blink-settings", "scriptEnabled=false"))
	signInBrowser(t, nojs, base, logins[1])
	// RunResponse waits for the navigation a click starts: a plain wait for
	// an element could end on the page being left, before the next loads.
	if err := chromedp.Do(nojs, chromedp.Navigate(base+"/board?due=overdue"), chromedp.WaitVisible(chromedp.ID("board-results"))); err != nil {
		t.Fatalf("board without JavaScript: %v", err)
	}
	if _, err := chromedp.RunResponse(nojs, chromedp.Click(chromedp.CSS(`.app-filter button[type="submit"]`))); err != nil {
		t.Fatalf("filter the board without JavaScript: %v", err)
	}
	if err := chromedp.Do(nojs, chromedp.WaitVisible(chromedp.ID("board-results"))); err != nil {
		t.Fatalf("board without JavaScript after filtering: %v", err)
	}
	if on, err := chromedp.Run(nojs, chromedp.Evaluate[bool](`document.body.classList.contains("js-enabled")`)); err != nil || on {
		t.Fatalf("JavaScript ran in the browser that has it off (%v)", err)
	}
	if loc, err := chromedp.Run(nojs, chromedp.Location()); err != nil || !strings.Contains(loc, "/board?") || !strings.Contains(loc, "due=overdue") {
		t.Fatalf("the filter form without JavaScript went to %q (%v)", loc, err)
	}
	checkPage(t, nojs, "", dir, "08-board-no-javascript")
	if _, err := chromedp.RunResponse(nojs, chromedp.Click(chromedp.CSS(`.app-footer-session button`))); err != nil {
		t.Fatalf("stay signed in without JavaScript: %v", err)
	}
	if err := chromedp.Do(nojs, chromedp.WaitVisible(chromedp.ID("board-results"))); err != nil {
		t.Fatalf("the board after staying signed in without JavaScript: %v", err)
	}
	if loc, err := chromedp.Run(nojs, chromedp.Location()); err != nil || !strings.Contains(loc, "/board?") {
		t.Fatalf("staying signed in without JavaScript went to %q (%v)", loc, err)
	}
}

// testHub is a seeded demo hub served over real HTTP for browser tests.
type testHub struct {
	ctx    context.Context // ends with the test
	exe    string          // Chromium
	base   string          // the hub's address
	db     *store.DB
	logins []demo.Login
}

// demoHub seeds a demo hub with contacts (seed fixes the data), serves it
// with cfg until the test ends, and finds Chromium (skipping the test in
// -short mode or without it).
func demoHub(t *testing.T, contacts int, seed int64, cfg web.Config) *testHub {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test")
	}
	h := &testHub{exe: chromium(t), db: storetest.Open(t, storetest.Engines(t)[0])}
	var err error
	if h.logins, err = demo.Seed(t.Context(), h.db, demo.Options{Now: time.Now().UTC(), Contacts: contacts, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	h.db.Now = func() time.Time { return time.Now().UTC() }
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	h.ctx = ctx
	addrc := make(chan string, 1)
	go serveWith(ctx, h.db, "127.0.0.1:0", cfg, io.Discard, io.Discard, func(a string) { addrc <- a })
	h.base = "http://" + <-addrc
	return h
}

// browser starts a browser window on the hub's test.
func (h *testHub) browser(t *testing.T, opts ...chromedp.ExecAllocatorOption) context.Context {
	return browser(t, h.ctx, h.exe, opts...)
}

// loginFor is the demo account with email.
func loginFor(t *testing.T, logins []demo.Login, email string) demo.Login {
	t.Helper()
	for _, l := range logins {
		if l.Email == email {
			return l
		}
	}
	t.Fatalf("the demo has no account %s", email)
	return demo.Login{}
}

// person is one practitioner at their own browser window: a separate
// browser context, so each keeps their own session, as on their own machine.
func person(t *testing.T, root context.Context, base string, l demo.Login) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	signInBrowser(t, ctx, base, l)
	return ctx
}

// waitTrue polls a JavaScript condition until it holds, failing the test
// with what was awaited after ten seconds: for what a click starts but no
// element marks, such as the address a form submission goes to.
func waitTrue(t *testing.T, ctx context.Context, what, cond string) {
	t.Helper()
	for i := 0; ; i++ {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		if err == nil && ok {
			return
		}
		if i == 100 {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("%s: still not so at %s (%v)", what, loc, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// step runs browser actions, failing the test with what was being done.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		if len(text) > 2000 {
			text = text[:2000]
		}
		t.Fatalf("%s: %v (at %s)\n%s", what, err, loc, text)
	}
	// A form the step sent must not have come back with problems, unless
	// the step tries that on purpose.
	if strings.HasPrefix(what, "try ") {
		return
	}
	if bad, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector(".govuk-error-summary")`)); bad {
		t.Fatalf("%s: the page shows an error summary\n%s", what, mainText(t, ctx))
	}
}

// mainText is the text of the page's main element.
func mainText(t *testing.T, ctx context.Context) string {
	t.Helper()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// send fills in a form, presses its button and waits for the page that
// answers: saved (the success banner), or refused (the error summary, which
// step then reports). RunResponse waits for the navigation the press starts;
// a plain wait could match the banner of the page being left.
func send(t *testing.T, ctx context.Context, what string, button chromedp.CSS, fill ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	step(t, ctx, "try "+what, fill...)
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(button)); err != nil {
		t.Fatalf("%s: press the button: %v", what, err)
	}
	step(t, ctx, what, chromedp.WaitVisible(chromedp.CSS(".govuk-notification-banner--success, .govuk-error-summary")))
}

// TestBrowserJourney takes one contact through the hub in a real browser,
// each role at their own window: a teacher refers (after a first try with
// nothing filled in); a screener finds the child among known people as
// they type, screens the contact and asks the police and health; their
// researchers answer from their inboxes; the manager decides; the screener
// sends feedback; the teacher sees the outcome. Every new page is
// screenshotted and scanned for accessibility. Then, with JavaScript off, a
// screener records a contact with the plain forms: find matches, add a
// subject, save.
func TestBrowserJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	axe := axeSource(t)
	dir := artefacts(t)
	h := demoHub(t, 30, 3, web.Config{})
	db, logins, base := h.db, h.logins, h.base
	agencies := map[mash.AgencyKind]string{}
	ags, err := db.ListAgencies(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range ags {
		agencies[a.Kind] = a.ID
	}
	root := h.browser(t)
	step(t, root, "start the browser", chromedp.Navigate("about:blank"))

	// The teacher refers.
	teacher := person(t, root, base, loginFor(t, logins, "teacher@education.northshire.example"))
	step(t, teacher, "new contact form", chromedp.Navigate(base+"/contacts/new"), chromedp.WaitVisible(chromedp.ID("subjects-0-given_name")))
	checkPage(t, teacher, axe, dir, "10-new-contact-referrer")
	step(t, teacher, "try to send an empty referral", chromedp.Click(chromedp.CSS(`button[value="send"]`)),
		chromedp.WaitVisible(chromedp.CSS(".govuk-error-summary")))
	if text := mainText(t, teacher); !strings.Contains(text, "What happened is required") {
		t.Fatalf("empty referral: %q", text)
	}
	checkPage(t, teacher, axe, dir, "11-new-contact-errors")
	send(t, teacher, "fill in the referral", chromedp.CSS(`button[value="send"]`),
		chromedp.SendKeys(chromedp.ID("subjects-0-given_name"), "Poppy"),
		chromedp.SendKeys(chromedp.ID("subjects-0-family_name"), "Hartley-Journey"),
		chromedp.SendKeys(chromedp.ID("subjects-0-dob"), "14/2/2018"),
		chromedp.Click(chromedp.ID("concerns-16A")),
		chromedp.SendKeys(chromedp.ID("narrative"), "Poppy said there is often no food at home and she is scared of her mum's partner."),
		chromedp.Click(chromedp.ID("consent-family_aware")),
		chromedp.Click(chromedp.ID("consent-status")))
	if text := mainText(t, teacher); !strings.Contains(text, "Your referral was sent") || !strings.Contains(text, "Poppy Hartley-Journey") {
		t.Fatalf("my referrals after sending: %q", text)
	}
	checkPage(t, teacher, axe, dir, "12-my-referrals")
	href, err := chromedp.Run(teacher, chromedp.Evaluate[string](`document.querySelector('main tbody a[href^="/contacts/"]').getAttribute("href")`))
	if err != nil {
		t.Fatal(err)
	}
	contact := base + href
	// The hub acknowledged the referral: the teacher's notifications say so.
	step(t, teacher, "notifications", chromedp.Navigate(base+"/notifications"), chromedp.WaitVisible(chromedp.CSS("main table")))
	if text := mainText(t, teacher); !strings.Contains(text, "Unread") {
		t.Fatalf("the teacher's notifications lack the acknowledgement: %q", text)
	}
	checkPage(t, teacher, axe, dir, "12-notifications")

	// The screener: as they type a name, the hub's known people appear
	// (htmx); then the contact, screened and sent to two agencies.
	screener := person(t, root, base, loginFor(t, logins, "screener@hub.northshire.example"))
	step(t, screener, "match as you type", chromedp.Navigate(base+"/contacts/new"),
		chromedp.SendKeys(chromedp.ID("subjects-0-given_name"), "Poppy"),
		chromedp.SendKeys(chromedp.ID("subjects-0-family_name"), "Hartley-Journey"),
		chromedp.SendKeys(chromedp.ID("subjects-0-dob"), "2018-02-14"),
		chromedp.WaitVisible(chromedp.CSS(`#subjects-0-candidates input[type="radio"]`)))
	if text := mainText(t, screener); !strings.Contains(text, "likely the same person") || !strings.Contains(text, "Poppy Hartley-Journey") {
		t.Fatalf("matching as you type shows %q", text)
	}
	if loc, _ := chromedp.Run(screener, chromedp.Location()); !strings.HasSuffix(loc, "/contacts/new") {
		t.Fatalf("matching left the form: %s", loc)
	}
	checkPage(t, screener, axe, dir, "13-new-contact-matching")

	step(t, screener, "open the referral", chromedp.Navigate(contact), chromedp.WaitVisible(chromedp.ID("form-screen")))
	checkPage(t, screener, axe, dir, "14-contact-to-screen")
	send(t, screener, "screen", chromedp.CSS(`#form-screen button[type="submit"]`), chromedp.Click(chromedp.ID("screen-decision")),
		chromedp.SetValue(chromedp.ID("screen-rag"), "amber"),
		chromedp.Click(chromedp.ID("screen-threshold_level-3")),
		chromedp.SendKeys(chromedp.ID("screen-reason"), "Neglect indicators and fear of an adult in the home: level 3."))
	for _, kind := range []mash.AgencyKind{mash.AgencyPolice, mash.AgencyHealth} {
		send(t, screener, "ask "+string(kind), chromedp.CSS(`#form-request button[type="submit"]`), chromedp.Navigate(contact), chromedp.WaitVisible(chromedp.ID("form-request")),
			chromedp.SetValue(chromedp.ID("request-agency_id"), agencies[kind]),
			chromedp.SendKeys(chromedp.ID("request-question"), "What do you hold about Poppy and the adults at her address?"))
	}
	checkPage(t, screener, axe, dir, "15-contact-requests-sent")

	// The researchers answer from their inboxes.
	police := person(t, root, base, loginFor(t, logins, "researcher@police.northshire.example"))
	step(t, police, "police inbox", chromedp.Navigate(base+"/inbox"), chromedp.WaitVisible(chromedp.CSS("main table")))
	checkPage(t, police, axe, dir, "16-inbox")
	reqHref, err := chromedp.Run(police, chromedp.Evaluate[string](`(() => { for (const tr of document.querySelectorAll("main tbody tr")) {
	  if (tr.textContent.includes("What do you hold about Poppy")) return tr.querySelector("a").getAttribute("href"); } return ""; })()`))
	if err != nil || reqHref == "" {
		t.Fatalf("the police inbox lacks the request (%v)", err)
	}
	step(t, police, "open the request", chromedp.Navigate(base+reqHref), chromedp.WaitVisible(chromedp.ID("items-0-summary")))
	checkPage(t, police, axe, dir, "17-request-answer")
	send(t, police, "answer", chromedp.CSS(`button[value="send"]`), chromedp.Click(chromedp.ID("outcome-information")),
		chromedp.SendKeys(chromedp.ID("items-0-summary"), "Domestic abuse call-out to the address"),
		chromedp.SendKeys(chromedp.ID("items-0-occurred_on"), "10/1/2026"),
		chromedp.SetValue(chromedp.ID("items-0-marking"), "mash_only"),
		chromedp.SendKeys(chromedp.ID("items-1-summary"), "Partner known to the neighbourhood team"),
		chromedp.SetValue(chromedp.ID("items-1-marking"), "receiving_team"))
	health := person(t, root, base, loginFor(t, logins, "researcher@health.northshire.example"))
	step(t, health, "health inbox", chromedp.Navigate(base+"/inbox"), chromedp.WaitVisible(chromedp.CSS("main table")))
	reqHref, err = chromedp.Run(health, chromedp.Evaluate[string](`(() => { for (const tr of document.querySelectorAll("main tbody tr")) {
	  if (tr.textContent.includes("What do you hold about Poppy")) return tr.querySelector("a").getAttribute("href"); } return ""; })()`))
	if err != nil || reqHref == "" {
		t.Fatalf("the health inbox lacks the request (%v)", err)
	}
	send(t, health, "answer", chromedp.CSS(`button[value="send"]`), chromedp.Navigate(base+reqHref), chromedp.WaitVisible(chromedp.ID("outcome")),
		chromedp.Click(chromedp.ID("outcome")))

	// The manager decides, with the agencies' views.
	manager := person(t, root, base, loginFor(t, logins, "manager@hub.northshire.example"))
	step(t, manager, "open the contact to decide", chromedp.Navigate(contact), chromedp.WaitVisible(chromedp.ID("form-decide")))
	if text := mainText(t, manager); !strings.Contains(text, "Domestic abuse call-out to the address") || !strings.Contains(text, "Nothing held") {
		t.Fatalf("the manager does not see both returns: %q", text)
	}
	step(t, manager, "decide", chromedp.Click(chromedp.ID("decide-threshold_level-3")),
		chromedp.Click(chromedp.ID("decide-outcomes-cin_assessment_s17")),
		chromedp.SendKeys(chromedp.ID("decide-rationale"), "Police information and the child's account meet level 3: assessment."),
		chromedp.Click(chromedp.ID("decide-agency_views-0-stance")),
		chromedp.SendKeys(chromedp.ID("decide-agency_views-0-view"), "Agrees with an assessment."))
	checkPage(t, manager, axe, dir, "18-decision-form")
	send(t, manager, "record the decision", chromedp.CSS(`#form-decide button[type="submit"]`))

	// The screener sends feedback.
	send(t, screener, "feedback", chromedp.CSS(`#form-feedback button[type="submit"]`), chromedp.Navigate(contact), chromedp.WaitVisible(chromedp.ID("form-feedback")),
		chromedp.SendKeys(chromedp.ID("feedback-text"), "Thank you. A social worker will assess Poppy's needs."))
	checkPage(t, screener, axe, dir, "19-contact-feedback-sent")

	// The teacher sees the outcome, and not the hub's working.
	step(t, teacher, "my referrals", chromedp.Navigate(base+"/referrals"), chromedp.WaitVisible(chromedp.CSS("main table")))
	if text := mainText(t, teacher); !strings.Contains(text, "Outcome sent") {
		t.Fatalf("my referrals after feedback: %q", text)
	}
	step(t, teacher, "the outcome", chromedp.Navigate(contact), chromedp.WaitVisible(chromedp.CSS("h1")))
	text := mainText(t, teacher)
	if !strings.Contains(text, "A social worker will assess Poppy's needs.") {
		t.Fatalf("the referrer does not see the outcome: %q", text)
	}
	for _, not := range []string{"Domestic abuse call-out", "Police information and the child's account"} {
		if strings.Contains(text, not) {
			t.Fatalf("the referrer sees the hub's working: %q", not)
		}
	}
	checkPage(t, teacher, axe, dir, "20-referral-outcome")

	// JavaScript off: the intake form's buttons are plain form posts.
	nojs := h.browser(t, chromedp.Flag("blink-settings", "scriptEnabled=false"))
	signInBrowser(t, nojs, base, loginFor(t, logins, "screener@adults.northshire.example"))
	step(t, nojs, "new contact without JavaScript", chromedp.Navigate(base+"/contacts/new"),
		chromedp.SendKeys(chromedp.ID("subjects-0-given_name"), "Poppy"),
		chromedp.SendKeys(chromedp.ID("subjects-0-family_name"), "Hartley-Journey"),
		chromedp.SendKeys(chromedp.ID("subjects-0-dob"), "14/02/2018"),
		chromedp.Click(chromedp.CSS(`button[name="match"][value="0"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#subjects-0-candidates input[type="radio"]`)))
	if on, err := chromedp.Run(nojs, chromedp.Evaluate[bool](`document.body.classList.contains("js-enabled")`)); err != nil || on {
		t.Fatalf("JavaScript ran in the browser that has it off (%v)", err)
	}
	checkPage(t, nojs, "", dir, "21-new-contact-matches-no-javascript")
	step(t, nojs, "pick the known person and add a subject",
		chromedp.Click(chromedp.ID("subjects-0-person_id")),
		chromedp.Click(chromedp.CSS(`button[value="add-subject"]`)),
		chromedp.WaitVisible(chromedp.ID("subjects-3-given_name")))
	if picked, err := chromedp.Run(nojs, chromedp.Evaluate[bool](`document.getElementById("subjects-0-person_id").checked`)); err != nil || !picked {
		t.Fatalf("adding a subject lost the pick (%v)", err)
	}
	send(t, nojs, "save without JavaScript", chromedp.CSS(`button[value="send"]`),
		chromedp.SendKeys(chromedp.ID("referrer-name"), "Northshire school nurse"),
		chromedp.SetValue(chromedp.ID("subjects-3-role"), "parent_carer"),
		chromedp.SendKeys(chromedp.ID("subjects-3-given_name"), "Dawn"),
		chromedp.SendKeys(chromedp.ID("subjects-3-family_name"), "Hartley-Journey"),
		chromedp.Click(chromedp.ID("concerns-17A")),
		chromedp.SendKeys(chromedp.ID("narrative"), "School nurse rang: Poppy has bruising she would not explain."),
		chromedp.Click(chromedp.ID("consent-family_aware-no")),
		chromedp.Click(chromedp.ID("consent-status-not_sought")),
		chromedp.SendKeys(chromedp.ID("consent-reason"), "Telling the family could put Poppy at risk."),
		chromedp.SendKeys(chromedp.ID("consent-approved_by"), "Team manager"))
	text = mainText(t, nojs)
	if !strings.Contains(text, "The contact was saved.") || !strings.Contains(text, "Dawn Hartley-Journey") {
		t.Fatalf("the contact saved without JavaScript shows %q", text)
	}
	checkPage(t, nojs, "", dir, "22-contact-saved-no-javascript")
}
