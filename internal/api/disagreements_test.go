package api_test

import (
	"net/http"
	"strings"
	"testing"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// decided is a contact the referrer raised, accepted Amber and decided as
// early help, through the API.
func (e *env) decided() mash.Contact {
	e.t.Helper()
	c := e.create("referrer", nil)
	s := e.screen(c.ID, "amber", c.Version)
	r := e.do("POST", "/contacts/"+c.ID+"/decision", "manager", map[string]any{"threshold_level": 2, "version": s.Version,
		"outcomes": []string{"early_help"}, "rationale": "Support below the statutory threshold", "receiving_agency_id": e.f.EarlyHelp.ID})
	wantStatus(e.t, r, http.StatusOK)
	var d mash.Contact
	r.decode(e.t, &d)
	return d
}

// TestReferrerFeedbackAPI: the screener's draft comes from the templates;
// the referrer sees the outcome sent on GET /referrals and nothing of the
// hub's working; the templates are read by staff and replaced by admins only.
func TestReferrerFeedbackAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.decided()
		r := e.do("GET", "/contacts/"+c.ID+"/feedback-draft", "screener", nil)
		wantStatus(t, r, http.StatusOK)
		var draft struct{ Text string }
		r.decode(t, &draft)
		if !strings.Contains(draft.Text, c.Reference) || strings.Contains(draft.Text, "Smith") {
			t.Fatalf("draft: %q", draft.Text)
		}
		wantProblem(t, e.do("GET", "/contacts/"+c.ID+"/feedback-draft", "referrer", nil), http.StatusForbidden)
		before := snapshot(t, db)
		wantProblem(t, e.do("POST", "/contacts/"+c.ID+"/feedback", "screener", map[string]any{"text": draft.Text + " Dawn Smith knows.",
			"version": c.Version}), http.StatusUnprocessableEntity, "text")
		wantUnchanged(t, db, before, "refused feedback")
		wantStatus(t, e.do("POST", "/contacts/"+c.ID+"/feedback", "screener", map[string]any{"text": draft.Text, "version": c.Version}), http.StatusOK)

		r = e.do("GET", "/referrals", "referrer", nil)
		wantStatus(t, r, http.StatusOK)
		var mine []map[string]any
		r.decode(t, &mine)
		if len(mine) != 1 || mine[0]["outcome"] != draft.Text || mine[0]["feedback_sent_at"] == nil || mine[0]["acknowledged_at"] == nil {
			t.Fatalf("referrals: %+v", mine)
		}
		for _, hidden := range []string{"rag", "rationale", "narrative", "due_at"} {
			if _, ok := mine[0][hidden]; ok {
				t.Fatalf("referrals show %s: %+v", hidden, mine[0])
			}
		}
		r = e.do("GET", "/referrals", "referrer2", nil)
		wantStatus(t, r, http.StatusOK)
		if r.decode(t, &mine); len(mine) != 0 {
			t.Fatalf("another teacher sees %+v", mine)
		}
		wantProblem(t, e.do("GET", "/referrals?limit=0", "referrer", nil), http.StatusUnprocessableEntity, "limit")
		wantProblem(t, e.do("GET", "/referrals", "analyst", nil), http.StatusForbidden)

		r = e.do("GET", "/feedback-templates", "screener", nil)
		wantStatus(t, r, http.StatusOK)
		var tpl mash.FeedbackTemplates
		r.decode(t, &tpl)
		tpl.Outcome = "{reference} {narrative}"
		before = snapshot(t, db)
		wantProblem(t, e.do("PUT", "/feedback-templates", "admin", tpl), http.StatusUnprocessableEntity, "outcome")
		wantProblem(t, e.do("PUT", "/feedback-templates", "manager", tpl), http.StatusForbidden)
		wantUnchanged(t, db, before, "refused templates")
		tpl.Outcome = "Referral {reference}, decided {date}: {outcomes}"
		r = e.do("PUT", "/feedback-templates", "admin", tpl)
		wantStatus(t, r, http.StatusOK)
		if r.decode(t, &tpl); tpl.Version != 2 {
			t.Fatalf("version after the change: %d", tpl.Version)
		}
	})
}

// TestDisagreementAPI: the referrer challenges the decision; the screener
// escalates it with the version read; a stale version is 409 and bad input
// 422 with nothing changed; a user who cannot see the contact gets 404.
func TestDisagreementAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.decided()
		path := "/contacts/" + c.ID + "/disagreements"
		before := snapshot(t, db)
		wantProblem(t, e.do("POST", path, "referrer", map[string]any{"reason": "no"}), http.StatusUnprocessableEntity, "reason", "outcome_sought")
		wantProblem(t, e.do("POST", path, "health", map[string]any{"reason": "The family need more", "outcome_sought": "An assessment"}), http.StatusNotFound)
		wantProblem(t, e.do("POST", path, "referrer2", map[string]any{"reason": "The family need more", "outcome_sought": "An assessment"}), http.StatusNotFound)
		wantProblem(t, e.do("POST", path, "manager", map[string]any{"reason": "The family need more", "outcome_sought": "An assessment"}), http.StatusForbidden)
		wantUnchanged(t, db, before, "refused challenges")

		r := e.do("POST", path, "referrer", map[string]any{"reason": "The family need a statutory assessment", "outcome_sought": "A s17 assessment"})
		wantStatus(t, r, http.StatusCreated)
		var d mash.Disagreement
		r.decode(t, &d)
		if d.Stage != 1 || r.Header.Get("ETag") != `"1"` || len(d.Steps) != 1 || d.Steps[0].OwnerRole != mash.RoleScreener {
			t.Fatalf("raised: %s", r)
		}
		one := "/disagreements/" + d.ID
		wantProblem(t, e.do("GET", one, "referrer2", nil), http.StatusNotFound)
		wantProblem(t, e.do("GET", one, "health", nil), http.StatusNotFound)
		wantStatus(t, e.do("GET", one, "referrer", nil), http.StatusOK)
		r = e.do("GET", "/disagreements?open=true", "manager", nil)
		wantStatus(t, r, http.StatusOK)
		var open []mash.Disagreement
		if r.decode(t, &open); len(open) != 1 || open[0].ID != d.ID {
			t.Fatalf("open: %+v", open)
		}
		wantProblem(t, e.do("GET", "/disagreements?open=maybe", "manager", nil), http.StatusUnprocessableEntity, "open")

		before = snapshot(t, db)
		wantProblem(t, e.do("POST", one+"/respond", "screener", map[string]any{"response": "shrug", "note": "x", "version": 1}),
			http.StatusUnprocessableEntity, "response")
		wantProblem(t, e.do("POST", one+"/respond", "screener", map[string]any{"response": "escalated", "note": "Cannot agree"},
			"If-Match", `"7"`), http.StatusConflict)
		wantProblem(t, e.do("POST", one+"/respond", "referrer", map[string]any{"response": "agreed", "note": "Fine", "version": 1}),
			http.StatusForbidden)
		wantUnchanged(t, db, before, "refused responses")
		r = e.do("POST", one+"/respond", "screener", map[string]any{"response": "escalated", "note": "Cannot agree"}, "If-Match", `"1"`)
		wantStatus(t, r, http.StatusOK)
		if r.decode(t, &d); d.Stage != 2 || d.Version != 2 || r.Header.Get("ETag") != `"2"` {
			t.Fatalf("escalated: %s", r)
		}
		r = e.do("POST", one+"/respond", "manager", map[string]any{"response": "agreed", "note": "Referrer accepts early help", "version": 2})
		wantStatus(t, r, http.StatusOK)
		if r.decode(t, &d); d.Status != mash.DisagreementResolved {
			t.Fatalf("resolved: %s", r)
		}
		r = e.do("GET", "/contacts/"+c.ID+"/history", "manager", nil)
		wantStatus(t, r, http.StatusOK)
		var h mash.History
		if r.decode(t, &h); len(h.Disagreements) != 1 || h.Acknowledgement == nil {
			t.Fatalf("history: %s", r)
		}
		r = e.do("GET", "/disagreement-policy", "referrer", nil)
		wantStatus(t, r, http.StatusOK)
		var p mash.DisagreementPolicy
		if r.decode(t, &p); len(p.Stages) != 4 || p.ImmediateRiskStage != 2 {
			t.Fatalf("policy: %s", r)
		}
		p.Stages[0].RespondWithinDays = 0
		wantProblem(t, e.do("PUT", "/disagreement-policy", "admin", p), http.StatusUnprocessableEntity, "stages[0].respond_within_days")
	})
}
