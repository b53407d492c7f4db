package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"openmash.org/mash"
	"openmash.org/mash/internal/auth"
	"openmash.org/mash/internal/store/storetest"
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
