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

func TestInbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		e.signIn(e.f.Users[mash.RoleScreener].Email)
		h := e.seed()
		scr := e.f.Actor(mash.RoleScreener)
		q, err := db.CreateRequest(t.Context(), scr, h.late.ID, mash.NewRequest{AgencyID: e.f.Police.ID, Question: "Any DA history?"})
		if err != nil {
			t.Fatal(err)
		}

		// Only researchers have an inbox.
		for _, u := range []mash.User{e.f.Users[mash.RoleReferrer], e.f.Users[mash.RoleScreener], e.f.Users[mash.RoleAdmin]} {
			e.signIn(u.Email)
			resp, body := e.get("/inbox")
			wantStatus(t, resp, body, http.StatusForbidden)
			resp, body = e.do("POST", "/inbox/"+q.ID, url.Values{"outcome": {"nothing_held"}, "version": {v(q.Version)}})
			wantStatus(t, resp, body, http.StatusForbidden)
			if _, body := e.get("/"); strings.Contains(body, `href="/inbox"`) {
				t.Fatalf("%s: home links to the inbox", u.Role)
			}
		}

		// The health researcher sees the health request (overdue), not the
		// police's.
		e.signIn(e.f.HealthResearcher.Email)
		resp, body := e.get("/inbox")
		wantStatus(t, resp, body, http.StatusOK, "<title>Agency inbox – OpenMASH</title>", `href="/inbox" aria-current="page"`,
			h.late.Reference, "Health visiting?", "1 overdue", `<strong class="app-overdue">Overdue by`)
		if strings.Contains(body, "Any DA history?") {
			t.Fatal("the health inbox shows a police request")
		}
		resp, body = e.get("/inbox/" + q.ID)
		wantStatus(t, resp, body, http.StatusNotFound)
		if strings.Contains(body, "Any DA history?") || strings.Contains(body, "Lara") {
			t.Fatal("another agency's request shows")
		}
		resp, _ = e.do("POST", "/inbox/"+q.ID, url.Values{"outcome": {"nothing_held"}, "version": {v(q.Version)}})
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("the health researcher answered the police's request: %s", resp.Status)
		}

		e.signIn(e.f.PoliceResearcher.Email)
		resp, body = e.get("/inbox")
		wantStatus(t, resp, body, http.StatusOK, `href="/inbox/`+q.ID+`"`, "Any DA history?", "Answered", h.onTime.Reference)
		resp, body = e.get("/inbox/" + q.ID)
		wantStatus(t, resp, body, http.StatusOK, "Any DA history?", "Lara Smith", `name="items[2].summary"`, `id="items-0-marking"`,
			`<input type="hidden" name="version" value="`+v(q.Version)+`">`)

		// Add another item: the form comes back with a fourth row and the input.
		form := url.Values{"version": {v(q.Version)}, "items": {"3"}, "outcome": {"information"}, "action": {"add-item"},
			"items[0].summary": {"Call-out in January"}}
		resp, body = e.do("POST", "/inbox/"+q.ID, form)
		wantStatus(t, resp, body, http.StatusOK, `name="items[3].summary"`, `value="Call-out in January"`, `value="information" checked`)

		// Bad answers: the summary links to the fields; nothing is stored.
		resp, body = e.do("POST", "/inbox/"+q.ID, url.Values{"version": {v(q.Version)}, "items": {"3"}, "outcome": {"information"}})
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#items-0-summary">Information items: at least one item is required`)
		resp, body = e.do("POST", "/inbox/"+q.ID, url.Values{"version": {v(q.Version)}, "items": {"3"}, "outcome": {"information"},
			"items[1].summary": {"Arrest"}, "items[1].occurred_on": {"31/2/2025"}})
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#items-1-occurred_on">Item 2: date is not a real date</a>`,
			`<a href="#items-1-marking">Item 2: marking must be one of`)
		resp, body = e.do("POST", "/inbox/"+q.ID, url.Values{"version": {v(q.Version)}, "items": {"3"}, "outcome": {"declined"}})
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#legal_basis">Legal basis is required`, `<a href="#reason">Reason is required`)
		resp, body = e.do("POST", "/inbox/"+q.ID, url.Values{"version": {v(q.Version)}, "items": {"3"}})
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#outcome">Answer must be one of`)
		// Stale: the form's version is not the request's.
		resp, body = e.do("POST", "/inbox/"+q.ID, url.Values{"version": {v(q.Version + 7)}, "items": {"3"}, "outcome": {"nothing_held"},
			"reason": {"checked PNC"}})
		wantStatus(t, resp, body, http.StatusConflict, "This request changed since you opened it", ">checked PNC</textarea>")
		if reqs, _ := db.ListRequests(t.Context(), scr, mash.RequestFilter{ContactID: h.late.ID}); reqs[0].Status == mash.RequestReturned && reqs[1].Status == mash.RequestReturned {
			t.Fatal("a refused answer was stored")
		}

		// A good answer: items with their markings.
		resp, body = e.do("POST", "/inbox/"+q.ID, url.Values{"version": {v(q.Version)}, "items": {"3"}, "outcome": {"information"},
			"items[0].summary": {"DA call-out"}, "items[0].detail": {"Neighbour called police."}, "items[0].occurred_on": {"10/1/2026"},
			"items[0].marking": {"mash_only"}, "items[2].summary": {"Known to the neighbourhood team"}, "items[2].marking": {"receiving_team"}})
		wantStatus(t, resp, body, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/inbox?answered" {
			t.Fatalf("after answering, sent to %q", loc)
		}
		resp, body = e.get("/inbox?answered")
		wantStatus(t, resp, body, http.StatusOK, "Your answer was sent to the hub.", "Information shared")
		resp, body = e.get("/inbox/" + q.ID)
		wantStatus(t, resp, body, http.StatusOK, "Your agency's answer", "DA call-out", "10 Jan 2026", "Marking: </span>MASH only",
			"Marking: </span>Shareable with the receiving team")
		// A stale answer to a request answered meanwhile: the answer sent
		// is shown back, not lost.
		resp, body = e.do("POST", "/inbox/"+q.ID, url.Values{"version": {v(q.Version)}, "items": {"3"}, "outcome": {"declined"},
			"legal_basis": {"Police Act"}, "reason": {"Live investigation"}})
		wantStatus(t, resp, body, http.StatusConflict, "has been answered meanwhile", ">Live investigation</dd>", ">Police Act</dd>")
		// Answering again: the hub says it is answered.
		resp, body = e.do("POST", "/inbox/"+q.ID, url.Values{"version": {v(q.Version + 1)}, "items": {"3"}, "outcome": {"nothing_held"}})
		wantStatus(t, resp, body, http.StatusConflict, "already been answered")
	})
}

func TestReferrals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		e.signIn(e.f.Users[mash.RoleScreener].Email)
		h := e.seed()
		resp, body := e.get("/referrals")
		wantStatus(t, resp, body, http.StatusForbidden)

		e.signIn(e.f.Users[mash.RoleReferrer].Email)
		resp, body = e.get("/referrals")
		wantStatus(t, resp, body, http.StatusOK, "My referrals", "You have not sent any referrals.", `href="/contacts/new"`)
		resp, body = e.do("POST", "/contacts/new", intakeForm("ref-1"))
		wantStatus(t, resp, body, http.StatusSeeOther)
		id := strings.TrimPrefix(resp.Header.Get("Location"), "/referrals?sent=")
		resp, body = e.get("/referrals")
		wantStatus(t, resp, body, http.StatusOK, `href="/contacts/`+id+`"`, "Poppy Hartley", "Received")
		if strings.Contains(body, h.late.Reference) || strings.Contains(body, "Lara") {
			t.Fatal("a referrer sees others' contacts")
		}

		// The hub works the contact through to feedback; the referrer sees
		// the outcome, not the hub's working.
		scr, mgr := e.f.Actor(mash.RoleScreener), e.f.Actor(mash.RoleManager)
		c := e.contact(id)
		got, err := db.Screen(t.Context(), scr, id, mash.Screening{Decision: mash.ScreenAccept, RAG: "amber", ThresholdLevel: 3, Reason: "hub-internal reason", Version: c.Version})
		if err != nil {
			t.Fatal(err)
		}
		got, err = db.Decide(t.Context(), mgr, id, &mash.Decision{ThresholdLevel: 3, Outcomes: []mash.Outcome{mash.OutcomeEarlyHelp}, Rationale: "secret rationale", Version: got.Version})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SendFeedback(t.Context(), scr, id, "The family will be offered early help.", got.Version); err != nil {
			t.Fatal(err)
		}
		resp, body = e.get("/referrals")
		wantStatus(t, resp, body, http.StatusOK, "Outcome sent")
		resp, body = e.get("/contacts/" + id)
		wantStatus(t, resp, body, http.StatusOK, "The family will be offered early help.")
		for _, not := range []string{"secret rationale", "hub-internal reason", "Amber", "Work on this contact"} {
			if strings.Contains(body, not) {
				t.Fatalf("the referrer's contact page shows %q", not)
			}
		}
	})
}
