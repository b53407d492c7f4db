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

// TestBoardAssignment: a screener takes a contact from the board; the
// board filters by worker and by agency and sorts by rating; a manager
// moves the contact on its page; refusals and stale pages say why.
func TestBoardAssignment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		scr, mgr := e.f.Users[mash.RoleScreener], e.f.Users[mash.RoleManager]
		e.signIn(scr.Email)
		h := e.seed()
		late := e.contact(h.late.ID) // with an open request to health

		resp, body := e.get("/board")
		wantStatus(t, resp, body, http.StatusOK, `<label class="govuk-label" for="assigned">Worker</label>`,
			`<label class="govuk-label" for="agency">Open request to</label>`,
			`Assign<span class="govuk-visually-hidden"> `+h.late.Reference+`</span> to me`)
		resp, body = e.do("POST", "/contacts/"+h.late.ID+"/assignment", url.Values{"user_id": {"me"}, "version": {v(late.Version)}, "back": {"/board?sort=rag"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/board?sort=rag" {
			t.Fatalf("assign from the board: %s %q %s", resp.Status, resp.Header.Get("Location"), body)
		}
		resp, body = e.get("/board?assigned=me")
		wantStatus(t, resp, body, http.StatusOK, h.late.Reference, scr.Name)
		if strings.Contains(body, h.onTime.Reference) || strings.Contains(body, h.urgent.Reference) {
			t.Fatal("assigned to me shows others' contacts")
		}
		_, body = e.get("/board?assigned=none")
		if strings.Contains(body, ">"+h.late.Reference+"<") || !strings.Contains(body, h.urgent.Reference) {
			t.Fatal("the unassigned filter is wrong")
		}
		_, body = e.get("/board?agency=" + e.f.Health.ID)
		if !strings.Contains(body, h.late.Reference) || strings.Contains(body, h.onTime.Reference) {
			t.Fatal("the agency filter is wrong")
		}
		for _, sort := range []string{"rag", "deadline"} {
			resp, body = e.get("/board?sort=" + sort)
			wantStatus(t, resp, body, http.StatusOK, "3 contacts, "+map[string]string{"rag": "most serious rating first", "deadline": "nearest deadline first"}[sort])
		}
		// Re-rated green, the late contact goes below the red ones.
		if _, err := db.Rate(t.Context(), e.f.Actor(mash.RoleScreener), h.late.ID, "green", "Risk reduced after checks", e.contact(h.late.ID).Version); err != nil {
			t.Fatal(err)
		}
		_, body = e.get("/board?sort=rag")
		if !before(t, body, h.onTime.Reference, h.late.Reference) {
			t.Fatal("sorted by rating, green comes before red")
		}
		resp, body = e.get("/board?assigned=someone&agency=elsewhere")
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#assigned">Choose a worker from the list</a>`, `<a href="#agency">Choose an agency from the list</a>`)

		// A screener may not give a contact to someone else, nor use a
		// stale page.
		resp, body = e.do("POST", "/contacts/"+h.urgent.ID+"/assignment", url.Values{"user_id": {mgr.ID}, "version": {v(h.urgent.Version)}})
		wantStatus(t, resp, body, http.StatusForbidden, `<a href="#assign-user_id">Only a manager may give a contact to someone else</a>`)
		resp, body = e.do("POST", "/contacts/"+h.late.ID+"/assignment", url.Values{"user_id": {""}, "version": {v(late.Version)}})
		wantStatus(t, resp, body, http.StatusConflict, `<a href="#assign-user_id">This contact changed since you opened it`)

		// The manager moves it on the contact page.
		e.signIn(mgr.Email)
		resp, body = e.get("/contacts/" + h.late.ID)
		wantStatus(t, resp, body, http.StatusOK, "Assigned to <strong>"+scr.Name+"</strong>", `<select class="govuk-select" id="assign-user_id" name="user_id">`)
		cur := e.contact(h.late.ID)
		resp, body = e.do("POST", "/contacts/"+h.late.ID+"/assignment", url.Values{"user_id": {e.f.Users[mash.RoleAuditor].ID}, "version": {v(cur.Version)}})
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#assign-user_id">Choose an active screener or manager`)
		resp, _ = e.do("POST", "/contacts/"+h.late.ID+"/assignment", url.Values{"user_id": {mgr.ID}, "version": {v(cur.Version)}})
		if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "?done=assigned#main-content") {
			t.Fatalf("manager assigns: %s %q", resp.Status, resp.Header.Get("Location"))
		}
		_, body = e.get(resp.Header.Get("Location"))
		wantStatus(t, resp, body, http.StatusSeeOther, "The contact&#39;s worker was changed.", "Assigned to <strong>"+mgr.Name+"</strong>")

		// Others cannot assign at all.
		e.signIn(e.f.Users[mash.RoleReferrer].Email)
		resp, body = e.do("POST", "/contacts/"+h.urgent.ID+"/assignment", url.Values{"user_id": {"me"}, "version": {v(h.urgent.Version)}})
		wantStatus(t, resp, body, http.StatusForbidden, "Your role cannot assign contacts.")
		if d := e.contact(h.urgent.ID); d.AssignedTo != "" {
			t.Fatal("a refused assignment changed the contact")
		}
	})
}

// TestChaseOnContactPage: the hub's staff chase an open request from the
// contact page; the chase is listed; a second one within the hour and
// other roles are refused.
func TestChaseOnContactPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		e.signIn(e.f.Users[mash.RoleScreener].Email)
		h := e.seed()
		qs, err := db.ListRequests(t.Context(), e.f.Actor(mash.RoleScreener), mash.RequestFilter{ContactID: h.late.ID})
		if err != nil || len(qs) != 1 {
			t.Fatalf("the late contact's requests: %+v %v", qs, err)
		}
		q := qs[0] // open, to health, past its due time
		resp, body := e.get("/contacts/" + h.late.ID)
		wantStatus(t, resp, body, http.StatusOK, `id="request-`+q.ID+`"`, `id="chase-`+q.ID+`"`, "Chase the agency")
		if strings.Count(body, "Chase the agency") != 1 {
			t.Fatal("an answered request can be chased")
		}
		resp, _ = e.do("POST", "/contacts/"+h.late.ID+"/requests/"+q.ID+"/chase", url.Values{})
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "?done=chased#request-"+q.ID) {
			t.Fatalf("chase: %s %q", resp.Status, resp.Header.Get("Location"))
		}
		_, body = e.get(resp.Header.Get("Location"))
		if !strings.Contains(body, "The agency was chased.") || !strings.Contains(body, "Chased by the hub") || !strings.Contains(body, "1 person told") {
			t.Fatalf("after the chase:\n%s", body)
		}
		resp, body = e.do("POST", "/contacts/"+h.late.ID+"/requests/"+q.ID+"/chase", url.Values{})
		wantStatus(t, resp, body, http.StatusConflict, `<a href="#chase-`+q.ID+`">This request was chased less than an hour ago</a>`, `id="chase-`+q.ID+`-error"`)
		resp, body = e.do("POST", "/contacts/"+h.onTime.ID+"/requests/"+q.ID+"/chase", url.Values{})
		wantStatus(t, resp, body, http.StatusNotFound, "Page not found")
		n, err := db.Notifications(t.Context(), storetest.ActorOf(e.f.HealthResearcher), 10)
		if err != nil || n.Unread != 1 {
			t.Fatalf("the health researcher's notifications: %+v %v", n, err)
		}
		e.signIn(e.f.HealthResearcher.Email)
		resp, body = e.do("POST", "/contacts/"+h.late.ID+"/requests/"+q.ID+"/chase", url.Values{})
		wantStatus(t, resp, body, http.StatusForbidden, "Your role cannot chase partner agencies.")
	})
}
