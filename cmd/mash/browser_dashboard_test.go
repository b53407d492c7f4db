package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"openmash.org/mash/internal/web"
)

// TestBrowserDashboards opens every dashboard of the demo hub as its
// manager and as its analyst, each in their own browser context: every
// page is screenshotted and scanned for accessibility, a table's CSV is
// downloaded and the monthly report fetched, as the page's own links do.
func TestBrowserDashboards(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	axe := axeSource(t)
	dir := artefacts(t)
	h := demoHub(t, 60, 1, web.Config{})
	logins, base := h.logins, h.base

	for _, who := range []struct {
		email, name string
		pages       []string
	}{
		{"manager@hub.northshire.example", "manager", []string{"/dashboards", "/dashboards/today", "/dashboards/trends",
			"/dashboards/measures", "/dashboards/measures?measure=timeliness_by_rag&period=month"}},
		{"analyst@hub.northshire.example", "analyst", []string{"/dashboards", "/dashboards/trends", "/dashboards/measures",
			"/dashboards/measures?measure=agency_returns"}},
	} {
		// A browser each: a scan of a page of charts takes a while on a
		// busy machine, and each browser has its own time limit.
		root := h.browser(t)
		if err := chromedp.Do(root, chromedp.Navigate("about:blank")); err != nil { // start it
			t.Fatal(err)
		}
		bctx := person(t, root, base, loginFor(t, logins, who.email))
		step(t, bctx, who.name+": the dashboards link", chromedp.Navigate(base+"/"),
			chromedp.Click(chromedp.CSS(`.govuk-service-navigation a[href="/dashboards"]`)),
			chromedp.WaitVisible(chromedp.CSS(`form[action="/reports/monthly.pdf"]`)))
		for i, p := range who.pages {
			step(t, bctx, who.name+": open "+p, chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS("h1")))
			name := "dash-" + who.name + "-" + string(rune('a'+i))
			t0 := time.Now()
			checkPage(t, bctx, axe, dir, name)
			t.Logf("%s: %s checked in %v", name, p, time.Since(t0))
			text := mainText(t, bctx)
			for _, leak := range []string{"MASH-20", "Date of birth"} {
				if strings.Contains(text, leak) {
					t.Errorf("%s %s shows %q", who.name, p, leak)
				}
			}
		}

		// The filter as a plain GET form: a month by week, then a bad date
		// (typed through the address, as a date field would refuse it).
		step(t, bctx, who.name+": filter", chromedp.Navigate(base+"/dashboards/measures?measure=contacts_by_channel"),
			chromedp.WaitVisible(chromedp.ID("period")), chromedp.SetValue(chromedp.ID("period"), "week"),
			chromedp.Click(chromedp.CSS(`form.app-filter button[type="submit"]`)))
		// The chart was there before the submission too: wait for the
		// address the form goes to, then for its chart.
		waitTrue(t, bctx, who.name+": the filter by week", `location.search.includes("period=week")`)
		step(t, bctx, who.name+": the weekly chart", chromedp.WaitVisible(chromedp.CSS(`svg[role="img"]`)))
		step(t, bctx, "try "+who.name+": bad date", chromedp.Navigate(base+"/dashboards/measures?measure=funnel&from=2026-02-30"),
			chromedp.WaitVisible(chromedp.CSS(`.govuk-error-summary a[href="#from"]`)))
		checkPage(t, bctx, axe, dir, "dash-"+who.name+"-error")
		if v, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("from").value`)); v != "2026-02-30" {
			t.Errorf("%s: the bad date was not kept: %q", who.name, v)
		}

		// Download the first table's CSV and the monthly report through the
		// page's own links, with the page's session.
		step(t, bctx, who.name+": a measure", chromedp.Navigate(base+"/dashboards/measures?measure=contacts_by_cohort"),
			chromedp.WaitVisible(chromedp.CSS(`a[href*=".csv?"]`)))
		csv, err := chromedp.Run(bctx, chromedp.Evaluate[string](`(async () => {
		  const r = await fetch(document.querySelector('a[href*=".csv?"]').href);
		  return r.headers.get("Content-Type") + "\n" + await r.text();
		})()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: CSV: %v", who.name, err)
		}
		if !strings.HasPrefix(csv, "text/csv; charset=utf-8\ncohort,contacts\n") {
			t.Errorf("%s: CSV = %.200q", who.name, csv)
		}
		step(t, bctx, who.name+": the report form", chromedp.Navigate(base+"/dashboards"),
			chromedp.WaitVisible(chromedp.ID("month")))
		pdf, err := chromedp.Run(bctx, chromedp.Evaluate[string](`(async () => {
		  const f = document.querySelector('form[action="/reports/monthly.pdf"]');
		  const r = await fetch(f.action + "?" + new URLSearchParams(new FormData(f)));
		  const b = new Uint8Array(await r.arrayBuffer());
		  return r.status + " " + r.headers.get("Content-Type") + " " + String.fromCharCode(...b.slice(0, 5)) + " " + b.length;
		})()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: PDF: %v", who.name, err)
		}
		if !strings.HasPrefix(pdf, "200 application/pdf %PDF-") {
			t.Errorf("%s: monthly report: %s", who.name, pdf)
		}
		t.Logf("%s: monthly report %s", who.name, pdf)
	}
}
