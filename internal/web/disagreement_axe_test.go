package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"openmash.org/mash"
	"openmash.org/mash/internal/store/storetest"
)

// TestDisagreementPagesAccessible scans the contact page's disagreement and
// feedback parts with axe-core in Chromium (WCAG 2.2 A and AA): an open
// disagreement with the respond form, the raise form, and both forms with
// errors. It runs when MASH_TEST_CHROMIUM and MASH_AXE_JS are set.
func TestDisagreementPagesAccessible(t *testing.T) {
	exe, axePath := os.Getenv("MASH_TEST_CHROMIUM"), os.Getenv("MASH_AXE_JS")
	if exe == "" || axePath == "" || testing.Short() {
		t.Skip("set MASH_TEST_CHROMIUM and MASH_AXE_JS to scan the pages")
	}
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.Open(t, storetest.Engines(t)[0])
	e := newEnv(t, db, nil)
	ctx := t.Context()
	c := storetest.NewContact(e.clk.Now().Add(-2 * time.Hour))
	if _, err := db.CreateContact(ctx, e.f.Actor(mash.RoleReferrer), c, ""); err != nil {
		t.Fatal(err)
	}
	got, err := db.Screen(ctx, e.f.Actor(mash.RoleScreener), c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: "amber",
		ThresholdLevel: 2, Reason: "Neglect concerns", Version: c.Version})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Decide(ctx, e.f.Actor(mash.RoleManager), c.ID, &mash.Decision{ThresholdLevel: 2,
		Outcomes: []mash.Outcome{mash.OutcomeEarlyHelp}, Rationale: "Early help", Version: got.Version}); err != nil {
		t.Fatal(err)
	}
	d, err := db.RaiseDisagreement(ctx, e.f.Actor(mash.RoleReferrer), c.ID, mash.NewDisagreement{
		Reason: "The family need a statutory assessment", OutcomeSought: "An assessment"})
	if err != nil {
		t.Fatal(err)
	}
	page := "/contacts/" + c.ID
	e.signIn(e.f.Users[mash.RoleScreener].Email)
	pages := map[string]string{}
	_, pages["open"] = e.get(page)
	_, pages["raise-errors"] = e.do("POST", page+"/disagreements", url.Values{"reason": {"no"}})
	_, pages["respond-errors"] = e.do("POST", page+"/disagreements/"+d.ID+"/respond", url.Values{"response": {"x"}, "version": {strconv.Itoa(d.Version)}})

	// The captured pages are served with the hub's own styles and scripts.
	var current string
	hub, _ := url.Parse(e.srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(hub)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/page" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(current))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()
	actx, acancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe),
		chromedp.NoSandbox, chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()))...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	bctx, tcancel := context.WithTimeout(bctx, 120*time.Second)
	defer tcancel()
	for name, html := range pages {
		current = html
		if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/page"), chromedp.WaitVisible(chromedp.ID("disagreements"))); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := chromedp.Run(bctx, chromedp.Evaluate[bool](string(axe)+";\ntrue")); err != nil {
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
		var vs []struct {
			ID, Impact, Help string
			Nodes            []string
		}
		if err := json.Unmarshal([]byte(out), &vs); err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			t.Errorf("%s: accessibility (%s) %s: %s at %v", name, v.Impact, v.ID, v.Help, v.Nodes)
		}
	}
}
