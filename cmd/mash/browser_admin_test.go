package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"openmash.org/mash"
	"openmash.org/mash/internal/demo"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
	"openmash.org/mash/internal/web"
)

// adminHub seeds a demo hub, serves it and starts a browser on it.
func adminHub(t *testing.T, seed int64) (root context.Context, base string, db *store.DB, logins []demo.Login) {
	t.Helper()
	h := demoHub(t, 30, seed, web.Config{})
	root = h.browser(t)
	step(t, root, "start the browser", chromedp.Navigate("about:blank"))
	return root, h.base, h.db, h.logins
}

func actorFor(t *testing.T, db *store.DB, email string) mash.Actor {
	t.Helper()
	u, err := db.UserByEmail(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	return storetest.ActorOf(*u)
}

// TestBrowserCasework drives assignment, chasing, merging and the household
// in a real Chromium: a screener takes a contact from the board, chases an
// agency, sends a merge form empty (and follows the error summary's link by
// keyboard), opens the household, and is refused administration. Each page
// is screenshotted and scanned for accessibility.
func TestBrowserCasework(t *testing.T) {
	root, base, db, logins := adminHub(t, 5)
	axe, dir := axeSource(t), artefacts(t)

	// The screener takes the first unassigned contact on the board.
	screener := person(t, root, base, loginFor(t, logins, "screener@hub.northshire.example"))
	step(t, screener, "board, unassigned", chromedp.Navigate(base+"/board?assigned=none"), chromedp.WaitVisible(chromedp.ID("board-results")))
	checkPage(t, screener, axe, dir, "20-board-assignment")
	ref, err := chromedp.Run(screener, chromedp.Evaluate[string](`document.querySelector('#board-results form[action$="/assignment"] .govuk-visually-hidden').textContent.trim()`))
	if err != nil || ref == "" {
		t.Fatalf("no Assign to me button on the board: %v", err)
	}
	if _, err := chromedp.RunResponse(screener, chromedp.Click(chromedp.CSS(`#board-results form[action$="/assignment"] button`))); err != nil {
		t.Fatalf("assign to me: %v", err)
	}
	step(t, screener, "board, mine", chromedp.Navigate(base+"/board?assigned=me"), chromedp.WaitVisible(chromedp.ID("board-results")))
	if text := mainText(t, screener); !strings.Contains(text, ref) || !strings.Contains(text, "Priya Ramsden") {
		t.Fatalf("the board's own contacts lack %s:\n%s", ref, text)
	}

	// A contact with an open request: the worker, and a chase.
	scr := actorFor(t, db, "screener@hub.northshire.example")
	open, err := db.ListRequests(t.Context(), scr, mash.RequestFilter{Status: mash.RequestOpen, Limit: 1})
	if err != nil || len(open) == 0 {
		t.Fatalf("the demo has no open request: %v", err)
	}
	q := open[0]
	step(t, screener, "contact with an open request", chromedp.Navigate(base+"/contacts/"+q.ContactID), chromedp.WaitVisible(chromedp.ID("worker")))
	checkPage(t, screener, axe, dir, "21-contact-worker-chase")
	send(t, screener, "chase the agency", chromedp.CSS(`#chase-`+q.ID))
	if text := mainText(t, screener); !strings.Contains(text, "Chased by the hub") {
		t.Fatalf("the chase is not listed:\n%s", text)
	}

	// A person's merge form, sent empty: the error summary links to the
	// fields, and following a link by keyboard moves the focus there.
	pid := ""
	if c, err := db.GetContact(t.Context(), scr, q.ContactID); err == nil && len(c.Subjects) > 0 {
		pid = c.Subjects[0].PersonID
	}
	step(t, screener, "person page", chromedp.Navigate(base+"/persons/"+pid), chromedp.WaitVisible(chromedp.ID("merge")))
	checkPage(t, screener, axe, dir, "22-person-merge")
	send(t, screener, "try a merge with no answers", chromedp.CSS(`form[action$="/merge"] button[type="submit"]`))
	checkPage(t, screener, axe, dir, "23-person-merge-error")
	step(t, screener, "try the error link by keyboard", chromedp.Focus(chromedp.CSS(`.govuk-error-summary a[href="#merge-reason"]`)), chromedp.KeyEvent("\r"))
	if id, _ := chromedp.Run(screener, chromedp.Evaluate[string](`document.activeElement.id`)); id != "merge-reason" {
		t.Errorf("the error summary's link moved the focus to %q, not the reason field", id)
	}
	step(t, screener, "household", chromedp.Navigate(base+"/persons/"+pid+"/household"), chromedp.WaitVisible(chromedp.CSS("h1")))
	checkPage(t, screener, axe, dir, "24-household")

	// Refusals: no administration for a screener, no audit for a referrer.
	step(t, screener, "administration, refused", chromedp.Navigate(base+"/admin"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if text := mainText(t, screener); !strings.Contains(text, "Administration is for the hub's administrators") || strings.Contains(text, "Users and roles") {
		t.Fatalf("the screener's administration page:\n%s", text)
	}
}

// TestBrowserAdminAudit drives the auditor's and the administrator's pages
// in a real Chromium: a referrer is refused the audit; the auditor finds who
// looked at a contact, gets an error summary for a bad date and reviews a
// break-glass use; the administrator adds an agency (first with no name)
// and saves the RAG policy with a level renamed. Each page is screenshotted
// and scanned for accessibility.
func TestBrowserAdminAudit(t *testing.T) {
	root, base, db, logins := adminHub(t, 6)
	axe, dir := axeSource(t), artefacts(t)
	scr := actorFor(t, db, "screener@hub.northshire.example")
	teacher := person(t, root, base, loginFor(t, logins, "teacher@education.northshire.example"))
	step(t, teacher, "audit, refused", chromedp.Navigate(base+"/audit"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if text := mainText(t, teacher); !strings.Contains(text, "The audit pages are for the hub's auditors") || strings.Contains(text, "Break-glass uses") {
		t.Fatalf("the referrer's audit page:\n%s", text)
	}

	// A break-glass use for the auditor to review: the police researcher
	// opens a contact the police were not asked about.
	police := actorFor(t, db, "researcher@police.northshire.example")
	all, err := db.ListContacts(t.Context(), scr, mash.ContactFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	glass := ""
	for _, c := range all {
		if _, err := db.BreakGlass(t.Context(), police, c.ID, "Officer at the address asked for the history"); err == nil {
			glass = c.Reference
			break
		}
	}
	if glass == "" {
		t.Fatal("no contact to break the glass on")
	}

	auditor := person(t, root, base, loginFor(t, logins, "auditor@hub.northshire.example"))
	step(t, auditor, "audit", chromedp.Navigate(base+"/audit"), chromedp.WaitVisible(chromedp.ID("break-glass")))
	checkPage(t, auditor, axe, dir, "25-audit")
	step(t, auditor, "who looked at a contact", chromedp.SendKeys(chromedp.ID("reference"), glass),
		chromedp.Click(chromedp.CSS(`form:has(#reference) button`)), chromedp.WaitVisible(chromedp.CSS("caption")))
	if text := mainText(t, auditor); !strings.Contains(text, "Broke the glass to open the contact") {
		t.Fatalf("the contact's audit lacks the break-glass:\n%s", text)
	}
	checkPage(t, auditor, axe, dir, "26-audit-record")
	step(t, auditor, "try a user search with a bad date", chromedp.Navigate(base+"/audit"), chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("from"), "last week"), chromedp.Click(chromedp.CSS(`form:has(#user) button`)),
		chromedp.WaitVisible(chromedp.CSS(".govuk-error-summary")))
	checkPage(t, auditor, axe, dir, "27-audit-error")
	send(t, auditor, "review the break-glass use", chromedp.CSS(`form[action^="/audit/break-glass/"] button`),
		chromedp.Navigate(base+"/audit#break-glass"), chromedp.WaitVisible(chromedp.CSS(`form[action^="/audit/break-glass/"] textarea`)),
		chromedp.SendKeys(chromedp.CSS(`form[action^="/audit/break-glass/"] textarea`), "Justified: the officer was at the address"))

	// The administrator adds an agency (first with no name) and saves the
	// policy with a level renamed.
	admin := person(t, root, base, loginFor(t, logins, "admin@hub.northshire.example"))
	step(t, admin, "administration", chromedp.Navigate(base+"/admin"), chromedp.WaitVisible(chromedp.ID("agency-name")))
	checkPage(t, admin, axe, dir, "28-admin")
	send(t, admin, "try an agency with no name", chromedp.CSS(`form[action="/admin/agencies"] button`))
	checkPage(t, admin, axe, dir, "29-admin-error")
	send(t, admin, "add an agency", chromedp.CSS(`form[action="/admin/agencies"] button`),
		chromedp.SendKeys(chromedp.ID("agency-name"), "Northshire Fire and Rescue"),
		chromedp.SetValue(chromedp.ID("agency-kind"), string(mash.AgencyOther)))
	send(t, admin, "save the policy", chromedp.CSS(`form[action="/admin/policy"] button`),
		chromedp.SetValue(chromedp.ID("level-0-label"), "Red (urgent)"))
	p, err := db.Policy(t.Context())
	if err != nil || p.Levels[0].Label != "Red (urgent)" {
		t.Fatalf("the policy after saving: %+v %v", p.Levels, err)
	}
}
