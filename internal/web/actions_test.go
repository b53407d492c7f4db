package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

func (e *env) contact(id string) *mash.ContactDetail {
	e.t.Helper()
	c, err := e.db.GetContact(e.t.Context(), e.f.Actor(mash.RoleScreener), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func v(n int) string { return strconv.Itoa(n) }

// TestContactActions takes a contact from screening to closure through the
// contact page's forms, with each form's refusals and errors on the way.
func TestContactActions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		e.signIn(e.f.Users[mash.RoleScreener].Email)
		h := e.seed()
		c := h.urgent // received, rated Red for immediate risk
		path := "/contacts/" + c.ID

		resp, body := e.get(path)
		wantStatus(t, resp, body, http.StatusOK, "Work on this contact", `action="/contacts/`+c.ID+`/screening"`,
			`<input type="hidden" name="version" value="`+v(c.Version)+`">`, `id="screen-decision"`)
		for _, not := range []string{"/decision\"", "/feedback\"", "/close\"", "/requests\""} {
			if strings.Contains(body, `action="/contacts/`+c.ID+not) {
				t.Fatalf("a received contact offers the %s form", not)
			}
		}

		// Bad input: the error summary links to the form's fields; the
		// input is kept; nothing changes.
		resp, body = e.do("POST", path+"/screening", url.Values{"version": {v(c.Version)}, "reason": {"  "}, "rag": {"red"}})
		wantStatus(t, resp, body, http.StatusBadRequest, "<title>Error: Contact", `<a href="#screen-decision">Decision must be one of`,
			`<a href="#screen-reason">Reason is required`, `id="screen-reason-error"`)
		resp, body = e.do("POST", path+"/screening", url.Values{"version": {v(c.Version)}, "decision": {"accept"}, "reason": {"Clear risk"}})
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#screen-rag">RAG rating is required`, `<a href="#screen-threshold_level">`,
			">Clear risk</textarea>", `value="accept" checked`)
		if got := e.contact(c.ID); got.Version != c.Version || got.Status != mash.StatusReceived {
			t.Fatalf("a refused screening changed the contact: %s v%d", got.Status, got.Version)
		}

		// Roles the policy refuses get no form and a refusal.
		e.signIn(e.f.Users[mash.RoleReferrer].Email)
		resp, body = e.do("POST", path+"/screening", url.Values{"version": {v(c.Version)}, "decision": {"nfa"}, "reason": {"x"}})
		wantStatus(t, resp, body, http.StatusForbidden)
		e.signIn(e.f.PoliceResearcher.Email)
		for _, f := range []string{"screening", "rating", "consent-override", "requests", "decision", "feedback", "close"} {
			resp, body = e.do("POST", path+"/"+f, url.Values{"version": {v(c.Version)}, "reason": {"x"}})
			wantStatus(t, resp, body, http.StatusForbidden, "You cannot use this page")
		}

		// Stale: someone else screened it first. The page shows the
		// contact as it is now, with the user's input kept below.
		e.signIn(e.f.Users[mash.RoleScreener].Email)
		other, err := db.Screen(t.Context(), e.f.Actor(mash.RoleManager), c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: "red",
			ThresholdLevel: 4, Reason: "Manager accepted at once", Version: c.Version})
		if err != nil {
			t.Fatal(err)
		}
		resp, body = e.do("POST", path+"/screening", url.Values{"version": {v(c.Version)}, "decision": {"accept"}, "rag": {"amber"},
			"threshold_level": {"3"}, "reason": {"My own screening notes"}})
		wantStatus(t, resp, body, http.StatusConflict, "This contact changed since you opened it: here is the current version; your input is kept below.",
			"Manager accepted at once", "In MASH", "the screening decision form is no longer open",
			`<dd class="govuk-summary-list__value app-pre">My own screening notes</dd>`, "Threshold level")
		if got := e.contact(c.ID); got.Version != other.Version || got.RAG != "red" {
			t.Fatalf("a stale screening overwrote the contact: %s v%d", got.RAG, got.Version)
		}
		// In MASH now: no screening form, so the kept input is on the
		// forms that remain; the rating form carries the new version.
		wantStatus(t, resp, body, http.StatusConflict, `action="/contacts/`+c.ID+`/rating"`, `value="`+v(other.Version)+`"`)

		// Re-rate: refused input, then a good one.
		cur := e.contact(h.urgent.ID)
		resp, body = e.do("POST", path+"/rating", url.Values{"version": {v(cur.Version)}, "rag": {"red"}, "reason": {"same again"}})
		wantStatus(t, resp, body, http.StatusConflict, `<a href="#rate-rag">The contact is already rated red</a>`)
		resp, body = e.do("POST", path+"/rating", url.Values{"version": {v(cur.Version)}, "rag": {"amber"}, "reason": {"Child now safe with grandmother"}})
		wantStatus(t, resp, body, http.StatusSeeOther)
		resp, body = e.get(resp.Header.Get("Location"))
		wantStatus(t, resp, body, http.StatusOK, "The RAG rating was changed.", "Child now safe with grandmother")

		// Requests to two agencies; asking one twice is refused.
		cur = e.contact(h.urgent.ID)
		for _, ag := range []string{e.f.Police.ID, e.f.Health.ID} {
			resp, body = e.do("POST", path+"/requests", url.Values{"version": {v(cur.Version)}, "agency_id": {ag}, "question": {"What do you hold?"}})
			wantStatus(t, resp, body, http.StatusSeeOther)
		}
		resp, body = e.do("POST", path+"/requests", url.Values{"version": {v(cur.Version)}, "agency_id": {e.f.Police.ID}, "question": {"Again?"}})
		wantStatus(t, resp, body, http.StatusConflict, `<a href="#request-agency_id">This agency already has an open request`, ">Again?</textarea>")
		resp, body = e.do("POST", path+"/requests", url.Values{"version": {v(cur.Version)}, "question": {" "}})
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#request-agency_id">Agency is required`, `<a href="#request-question">`)
		resp, body = e.do("POST", path+"/requests", url.Values{"version": {v(cur.Version - 1)}, "agency_id": {e.f.Education.ID}, "question": {"Attendance?"}})
		wantStatus(t, resp, body, http.StatusConflict, "This contact changed since you opened it", ">Attendance?</textarea>")
		if reqs, _ := db.ListRequests(t.Context(), e.f.Actor(mash.RoleScreener), mash.RequestFilter{ContactID: h.urgent.ID}); len(reqs) != 2 {
			t.Fatalf("%d requests stored, want 2", len(reqs))
		}

		// The screener may not decide: no form, and the hub refuses.
		_, body = e.get(path)
		if strings.Contains(body, `action="/contacts/`+h.urgent.ID+`/decision"`) {
			t.Fatal("a screener is offered the decision form")
		}
		resp, body = e.do("POST", path+"/decision", url.Values{"version": {v(cur.Version)}})
		wantStatus(t, resp, body, http.StatusForbidden)

		// The manager decides, with the agencies' views.
		e.signIn(e.f.Users[mash.RoleManager].Email)
		resp, body = e.get(path)
		wantStatus(t, resp, body, http.StatusOK, `action="/contacts/`+h.urgent.ID+`/decision"`, "Northshire Police's view",
			`name="agency_views[1].view"`)
		resp, body = e.do("POST", path+"/decision", url.Values{"version": {v(cur.Version)}, "outcomes": {"adult_s42_enquiry"},
			"views": {"0", "1"}, "agency_views[0].agency_id": {e.f.Police.ID}, "agency_views[0].stance": {"agrees"},
			"agency_views[1].agency_id": {e.f.Health.ID}, "agency_views[1].stance": {"disagrees"}})
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#decide-threshold_level">`, `<a href="#decide-outcomes">`,
			`<a href="#decide-rationale">`, `<a href="#decide-agency_views-0-view">`, `<a href="#decide-agency_views-1-view">`,
			`value="disagrees" checked`)
		resp, body = e.do("POST", path+"/decision", url.Values{"version": {v(cur.Version)}, "threshold_level": {"3"}, "outcomes": {"early_help"},
			"rationale": {"r"}, "views": {"0", "1"}, "agency_views[1].agency_id": {e.f.Health.ID}, "agency_views[1].view": {"No stance given"}})
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#decide-agency_views-1-stance">Agency view: say whether the agency agrees</a>`,
			">No stance given</textarea>")
		if got := e.contact(h.urgent.ID); got.Status != mash.StatusInMASH {
			t.Fatalf("a refused decision changed the contact to %s", got.Status)
		}
		resp, body = e.do("POST", path+"/decision", url.Values{"version": {v(cur.Version)}, "threshold_level": {"3"},
			"outcomes": {"cin_assessment_s17", "early_help"}, "rationale": {"Needs assessment; police view noted."},
			"receiving_agency_id": {e.f.EarlyHelp.ID},
			"views":               {"0", "1"}, "agency_views[0].agency_id": {e.f.Police.ID}, "agency_views[0].stance": {"agrees"}, "agency_views[0].view": {"Agree"},
			"agency_views[1].agency_id": {e.f.Health.ID}, "agency_views[1].stance": {"disagrees"}, "agency_views[1].view": {"Would prefer early help only"}})
		wantStatus(t, resp, body, http.StatusSeeOther)
		resp, body = e.get(resp.Header.Get("Location"))
		wantStatus(t, resp, body, http.StatusOK, "The decision was recorded.", "Child and family assessment (s17)",
			"<strong>Disagrees</strong>: Would prefer early help only", `action="/contacts/`+h.urgent.ID+`/feedback"`)

		// Feedback, then close.
		cur = e.contact(h.urgent.ID)
		resp, body = e.do("POST", path+"/feedback", url.Values{"version": {v(cur.Version)}, "text": {""}})
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#feedback-text">Feedback is required`)
		resp, body = e.do("POST", path+"/feedback", url.Values{"version": {v(cur.Version)}, "text": {"A social worker will assess."}})
		wantStatus(t, resp, body, http.StatusSeeOther)
		cur = e.contact(h.urgent.ID)
		resp, body = e.do("POST", path+"/close", url.Values{"version": {v(cur.Version)}, "reason": {"Passed to assessment"}})
		wantStatus(t, resp, body, http.StatusSeeOther)
		resp, body = e.get(path)
		wantStatus(t, resp, body, http.StatusOK, "Closed")
		if strings.Contains(body, "Work on this contact") {
			t.Fatal("a closed contact offers forms")
		}
		// A late answer to a closed contact: the procedure's refusal.
		resp, body = e.do("POST", path+"/close", url.Values{"version": {v(cur.Version + 1)}, "reason": {"again"}})
		wantStatus(t, resp, body, http.StatusConflict, `<a href="#kept-input">`, `id="kept-input"`, ">again</dd>")
	})
}

// TestConsentOverride checks the manager-only form for checks without
// consent below Red.
func TestConsentOverride(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		scr := e.f.Actor(mash.RoleScreener)
		c := storetest.NewContact(e.clk.Now().Add(-time.Hour))
		c.Consent = mash.Consent{Status: mash.ConsentRefused, Reason: "Mother refused", ApprovedBy: "Team manager"}
		if _, err := db.CreateContact(t.Context(), scr, c, ""); err != nil {
			t.Fatal(err)
		}
		got, err := db.Screen(t.Context(), scr, c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: "amber", ThresholdLevel: 3, Reason: "x", Version: c.Version})
		if err != nil {
			t.Fatal(err)
		}
		path := "/contacts/" + c.ID
		e.signIn(e.f.Users[mash.RoleScreener].Email)
		_, body := e.get(path)
		if strings.Contains(body, "/consent-override") {
			t.Fatal("a screener is offered the consent override")
		}
		// Without the override, the hub refuses the check.
		resp, body := e.do("POST", path+"/requests", url.Values{"version": {v(got.Version)}, "agency_id": {e.f.Police.ID}, "question": {"Anything?"}})
		wantStatus(t, resp, body, http.StatusConflict, "a manager must record a consent override")
		resp, body = e.do("POST", path+"/consent-override", url.Values{"version": {v(got.Version)}, "lawful_basis": {"x"}, "reason": {"y"}})
		wantStatus(t, resp, body, http.StatusForbidden)

		e.signIn(e.f.Users[mash.RoleManager].Email)
		resp, body = e.get(path)
		wantStatus(t, resp, body, http.StatusOK, `action="/contacts/`+c.ID+`/consent-override"`)
		resp, body = e.do("POST", path+"/consent-override", url.Values{"version": {v(got.Version)}})
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#override-lawful_basis">Lawful basis is required`, `<a href="#override-reason">`)
		resp, body = e.do("POST", path+"/consent-override", url.Values{"version": {v(got.Version)},
			"lawful_basis": {"UK GDPR Art 6(1)(e); DPA 2018 Sch 1 para 18"}, "reason": {"Risk of harm outweighs refusal"}})
		wantStatus(t, resp, body, http.StatusSeeOther)
		resp, body = e.get(path)
		wantStatus(t, resp, body, http.StatusOK, "Checks without consent: UK GDPR Art 6(1)(e)")
	})
}
