package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"openmash.org/mash"
	"openmash.org/mash/internal/web"
)

// TestBrowserDrafts: work typed into a long form survives the session
// ending. A screener types into the new-contact form and sees "Draft
// saved"; the session is ended on the server; the next autosave is refused
// and the page says so, keeping what was typed; signed in again, the form
// comes back with the draft and a banner. A manager's decision sent after
// someone else re-rated the contact shows what changed. Without
// JavaScript, "Save draft" keeps the form. Each page is screenshotted;
// the restored draft and the stale merge are scanned for accessibility.
func TestBrowserDrafts(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	axe := axeSource(t)
	dir := artefacts(t)
	h := demoHub(t, 20, 4, web.Config{})
	db, logins, base := h.db, h.logins, h.base
	root := h.browser(t)
	step(t, root, "start the browser", chromedp.Navigate("about:blank"))

	status := func(id, want string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](`document.getElementById("`+id+`").textContent.includes("`+want+`")`,
			chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))
	}
	const typed = "Synthetic: the child said there is often no food at home."

	scrLogin := loginFor(t, logins, "screener@hub.northshire.example")
	scr := person(t, root, base, scrLogin)
	step(t, scr, "type into the new-contact form", chromedp.Navigate(base+"/contacts/new"),
		chromedp.WaitVisible(chromedp.ID("narrative")),
		chromedp.SendKeys(chromedp.ID("subjects-0-family_name"), "Draftwell"),
		chromedp.SendKeys(chromedp.ID("narrative"), typed),
		status("draft-status-contact", "Draft saved at"))

	// The session ends on the server (as after the idle timeout).
	if _, err := db.SQL().ExecContext(t.Context(), `DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = $1)`, scrLogin.Email); err != nil {
		t.Fatal(err)
	}
	step(t, scr, "type after the session ended", chromedp.SendKeys(chromedp.ID("narrative"), " More after the timeout."),
		status("draft-status-contact", "You have been signed out"))
	if v, err := chromedp.Run(scr, chromedp.Value(chromedp.ID("narrative"))); err != nil || !strings.Contains(v, "More after the timeout.") {
		t.Fatalf("the page lost what was typed after the timeout: %q (%v)", v, err)
	}
	checkPage(t, scr, "", dir, "40-draft-signed-out")

	// Signed in again: the draft is back.
	signInBrowser(t, scr, base, scrLogin)
	step(t, scr, "open the form again", chromedp.Navigate(base+"/contacts/new"),
		chromedp.WaitVisible(chromedp.CSS(".app-draft-banner")))
	if text := mainText(t, scr); !strings.Contains(text, "We restored your unsent draft from") {
		t.Fatalf("no restored-draft banner: %q", text)
	}
	if v, err := chromedp.Run(scr, chromedp.Value(chromedp.ID("narrative"))); err != nil || v != typed {
		t.Fatalf("restored narrative %q (%v)", v, err)
	}
	if v, err := chromedp.Run(scr, chromedp.Value(chromedp.ID("subjects-0-family_name"))); err != nil || v != "Draftwell" {
		t.Fatalf("restored family name %q (%v)", v, err)
	}
	checkPage(t, scr, axe, dir, "41-draft-restored")

	// A stale decision: the manager writes one while a screener re-rates.
	mgrLogin := loginFor(t, logins, "manager@hub.northshire.example")
	var scrID, scrAgency string
	if err := db.SQL().QueryRowContext(t.Context(), `SELECT id, agency_id FROM users WHERE email = $1`, scrLogin.Email).Scan(&scrID, &scrAgency); err != nil {
		t.Fatal(err)
	}
	screener := mash.Actor{UserID: scrID, Role: mash.RoleScreener, AgencyID: scrAgency, Name: "Screener", RequestID: "test"}
	list, err := db.ListContacts(t.Context(), screener, mash.ContactFilter{Status: mash.StatusInMASH, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var target *mash.ContactSummary
	for i := range list {
		if list[i].RAG != "" {
			target = &list[i]
			break
		}
	}
	if target == nil {
		t.Fatal("the demo has no rated contact in MASH")
	}
	mgr := person(t, root, base, mgrLogin)
	step(t, mgr, "start a decision", chromedp.Navigate(base+"/contacts/"+target.ID+"#form-decide"),
		chromedp.WaitVisible(chromedp.ID("decide-rationale")),
		chromedp.Click(chromedp.ID("decide-threshold_level")),
		chromedp.Click(chromedp.ID("decide-outcomes")),
		chromedp.SendKeys(chromedp.ID("decide-rationale"), "Synthetic rationale written while the rating changed."),
		status("draft-status-decision", "Draft saved at"))
	rag := "red"
	if target.RAG == "red" {
		rag = "amber"
	}
	if _, err := db.Rate(t.Context(), screener, target.ID, rag, "Synthetic: new information", target.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(mgr, chromedp.Click(chromedp.CSS(`#form-decide button.govuk-button:not(.govuk-button--secondary)`))); err != nil {
		t.Fatalf("send the decision: %v", err)
	}
	step(t, mgr, "see what changed", chromedp.WaitVisible(chromedp.ID("merge")))
	if text := mainText(t, mgr); !strings.Contains(text, "This changed since you opened the form") || !strings.Contains(text, "RAG rating changed from") {
		t.Fatalf("the stale decision page shows %q", text)
	}
	if v, err := chromedp.Run(mgr, chromedp.Value(chromedp.ID("decide-rationale"))); err != nil || !strings.Contains(v, "Synthetic rationale") {
		t.Fatalf("the stale decision lost the rationale: %q (%v)", v, err)
	}
	checkPage(t, mgr, axe, dir, "42-stale-merge")
	if got, err := db.GetContact(t.Context(), screener, target.ID); err != nil || got.Status != mash.StatusInMASH {
		t.Fatalf("a stale decision was saved: %v", err)
	}

	// Without JavaScript: the "Save draft" button.
	nojs := h.browser(t, chromedp.Flag("blink-settings", "scriptEnabled=false"))
	signInBrowser(t, nojs, base, loginFor(t, logins, "screener@adults.northshire.example"))
	step(t, nojs, "type into the form without JavaScript", chromedp.Navigate(base+"/contacts/new"),
		chromedp.WaitVisible(chromedp.ID("narrative")), chromedp.SendKeys(chromedp.ID("narrative"), "Synthetic: saved without JavaScript."))
	if _, err := chromedp.RunResponse(nojs, chromedp.Click(chromedp.CSS(`button[value="save-draft"]`))); err != nil {
		t.Fatalf("save draft without JavaScript: %v", err)
	}
	step(t, nojs, "the saved draft", chromedp.WaitVisible(chromedp.CSS(".app-draft-banner")))
	if text := mainText(t, nojs); !strings.Contains(text, "Your draft was saved at") {
		t.Fatalf("after saving without JavaScript: %q", text)
	}
	if v, err := chromedp.Run(nojs, chromedp.Value(chromedp.ID("narrative"))); err != nil || v != "Synthetic: saved without JavaScript." {
		t.Fatalf("the saved narrative %q (%v)", v, err)
	}
	checkPage(t, nojs, "", dir, "43-draft-saved-no-javascript")
}
