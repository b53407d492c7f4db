package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestContactPageDisagreements: the referrer raises a disagreement on the
// contact page (bad input is shown against its fields); the screener sees
// its stage, deadline and owner, the feedback form pre-filled from the
// templates, and escalates it (a stale page is refused); the manager then
// owns it.
func TestContactPageDisagreements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		ctx := t.Context()
		c := storetest.NewContact(e.clk.Now().Add(-2 * 60 * 60e9))
		if _, err := db.CreateContact(ctx, e.f.Actor(mash.RoleReferrer), c, ""); err != nil {
			t.Fatal(err)
		}
		got, err := db.Screen(ctx, e.f.Actor(mash.RoleScreener), c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: "amber",
			ThresholdLevel: 2, Reason: "Neglect concerns", Version: c.Version})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Decide(ctx, e.f.Actor(mash.RoleManager), c.ID, &mash.Decision{ThresholdLevel: 2,
			Outcomes: []mash.Outcome{mash.OutcomeEarlyHelp}, Rationale: "Early help", ReceivingAgencyID: e.f.EarlyHelp.ID, Version: got.Version}); err != nil {
			t.Fatal(err)
		}
		page := "/contacts/" + c.ID

		e.signIn(e.f.Users[mash.RoleReferrer].Email)
		resp, body := e.get(page)
		wantStatus(t, resp, body, http.StatusOK, "Professional disagreements", "Disagree with the decision", `id="disagree-reason"`)
		resp, body = e.do("POST", page+"/disagreements", url.Values{"reason": {"no"}})
		wantStatus(t, resp, body, http.StatusBadRequest, `href="#disagree-reason"`, `id="disagree-outcome_sought-error"`)
		resp, body = e.do("POST", page+"/disagreements", url.Values{"reason": {"The family need a statutory assessment"},
			"outcome_sought": {"A child and family assessment"}})
		wantStatus(t, resp, body, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != page+"?done=disagreement#disagreements" {
			t.Fatalf("redirected to %q", loc)
		}
		resp, body = e.get(page + "?done=disagreement")
		wantStatus(t, resp, body, http.StatusOK, "The disagreement was raised.", "Stage 1 of 4: Practitioners", "Withdraw the challenge")

		list, err := db.ListDisagreements(ctx, e.f.Actor(mash.RoleManager), mash.DisagreementFilter{ContactID: c.ID})
		if err != nil || len(list) != 1 {
			t.Fatalf("disagreements: %+v %v", list, err)
		}
		d := list[0]
		e.signIn(e.f.Users[mash.RoleScreener].Email)
		resp, body = e.get(page)
		wantStatus(t, resp, body, http.StatusOK, "Stage 1 of 4: Practitioners, for the screeners to answer by",
			"The family need a statutory assessment", "Record the response", "The hub passed the referral to early help.", c.Reference)
		if !strings.Contains(body, `aria-describedby="feedback-text-hint">Referral `+c.Reference+": the safeguarding hub made its decision") {
			i := strings.Index(body, `id="feedback-text"`)
			t.Fatalf("the feedback form is not pre-filled from the template: %s", body[max(i-300, 0):min(i+400, len(body))])
		}
		respond := page + "/disagreements/" + d.ID + "/respond"
		resp, body = e.do("POST", respond, url.Values{"response": {"escalated"}, "note": {"Cannot agree"}, "version": {"9"}})
		wantStatus(t, resp, body, http.StatusConflict, "This disagreement changed since you opened the page")
		resp, body = e.do("POST", respond, url.Values{"response": {"shrug"}, "version": {strconv.Itoa(d.Version)}})
		wantStatus(t, resp, body, http.StatusBadRequest, `href="#respond-`+d.ID+`-response"`, `id="respond-`+d.ID+`-note-error"`)
		resp, body = e.do("POST", respond, url.Values{"response": {"escalated"}, "note": {"Cannot agree"}, "version": {strconv.Itoa(d.Version)}})
		wantStatus(t, resp, body, http.StatusSeeOther)

		e.signIn(e.f.Users[mash.RoleManager].Email)
		resp, body = e.get(page)
		wantStatus(t, resp, body, http.StatusOK, "Stage 2 of 4: Line managers, for the managers to answer by", "Cannot agree",
			"Resolved: the decision is changed")
	})
}
