package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestAuditPages: the auditor sees who looked at a contact or a person and
// what a user looked at, and reviews break-glass uses; bad searches get an
// error summary; other roles are refused.
func TestAuditPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		scr := e.f.Users[mash.RoleScreener]
		e.signIn(scr.Email)
		h := e.seed()
		e.get("/contacts/" + h.late.ID) // a read to find
		g, err := db.BreakGlass(t.Context(), storetest.ActorOf(e.f.PoliceResearcher), h.late.ID, "Officer on scene asked for history")
		if err != nil {
			t.Fatal(err)
		}

		for _, u := range []mash.User{e.f.Users[mash.RoleReferrer], scr, e.f.Users[mash.RoleAdmin]} {
			e.signIn(u.Email)
			resp, body := e.get("/audit?record=1&reference=" + h.late.Reference)
			wantStatus(t, resp, body, http.StatusForbidden, "The audit pages are for the hub&#39;s auditors.")
			if strings.Contains(body, "Opened the contact") {
				t.Fatalf("%s sees the audit log", u.Role)
			}
			resp, body = e.do("POST", "/audit/break-glass/"+g.ID, url.Values{"note": {"Justified: police on scene"}})
			wantStatus(t, resp, body, http.StatusForbidden)
		}

		e.signIn(e.f.Users[mash.RoleAuditor].Email)
		resp, body := e.get("/")
		wantStatus(t, resp, body, http.StatusOK, `href="/audit"`)
		resp, body = e.get("/audit")
		wantStatus(t, resp, body, http.StatusOK, "<title>Audit – OpenMASH</title>", "Who looked at a contact or a person",
			"Test Police Researcher", "Officer on scene asked for history", `for="note-`+g.ID+`"`)

		resp, body = e.get("/audit?record=1&reference=" + strings.ToLower(h.late.Reference))
		wantStatus(t, resp, body, http.StatusOK, "Opened the contact", "Test Screener (Screener)", "Broke the glass to open the contact",
			"Test Police Researcher (Researcher)")
		resp, body = e.get("/audit?record=1&person=" + h.late.Subjects[0].PersonID)
		wantStatus(t, resp, body, http.StatusOK, "Opened the contact", "Test Screener (Screener)")
		resp, body = e.get("/audit?record=1&contact=" + h.late.ID)
		wantStatus(t, resp, body, http.StatusOK, "Broke the glass to open the contact")
		resp, body = e.get("/audit?record=1&reference=MASH-1999-000000")
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#reference">No contact has that reference. Check it and try again</a>`, `id="reference-error"`)
		resp, body = e.get("/audit?record=1")
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#reference">Enter a contact reference or a person&#39;s id</a>`)

		resp, body = e.get("/audit?reads=1&user=" + scr.ID + "&from=2026-03-01&to=2026-03-31")
		wantStatus(t, resp, body, http.StatusOK, "What the user read and changed", "Opened the contact", "Recorded the contact")
		resp, body = e.get("/audit?reads=1&user=" + scr.ID + "&from=2026-04-01")
		wantStatus(t, resp, body, http.StatusOK, "0 events", "Nothing recorded.")
		resp, body = e.get("/audit?reads=1&user=&from=31/03/2026&to=2026-02-01")
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#user">Choose a user from the list</a>`,
			`<a href="#from">Enter the first day as a date, for example 2026-03-27</a>`, `value="31/03/2026"`)
		resp, body = e.get("/audit?reads=1&user=" + scr.ID + "&from=2026-03-10&to=2026-03-01")
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#to">The last day must be the same as or after the first day</a>`)

		// The review: a note is required.
		resp, body = e.do("POST", "/audit/break-glass/"+g.ID, url.Values{"note": {"ok"}})
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#note-`+g.ID+`">Enter a note of at least 10 characters`, ">ok</textarea>")
		resp, _ = e.do("POST", "/audit/break-glass/"+g.ID, url.Values{"note": {"Justified: police on scene, checked with the duty inspector"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("review: %s", resp.Status)
		}
		_, body = e.get(resp.Header.Get("Location"))
		if !strings.Contains(body, "The review was saved.") || !strings.Contains(body, "There are no break-glass uses waiting for review.") {
			t.Fatalf("after the review:\n%s", body)
		}
		_, body = e.get("/audit?breakglass=all")
		if !strings.Contains(body, "checked with the duty inspector") || !strings.Contains(body, ">Reviewed<") {
			t.Fatal("the reviewed use is not listed with its note")
		}
		resp, body = e.do("POST", "/audit/break-glass/"+g.ID, url.Values{"note": {"A second opinion on this one"}})
		wantStatus(t, resp, body, http.StatusConflict, "This use was already reviewed")
	})
}
