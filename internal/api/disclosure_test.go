package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// Markers: unique text in each piece of information, so a test can say
// exactly which pieces reached which reader.
const (
	mkReferrer     = "Rosalind Quarry"  // an anonymous referrer's name
	mkPoliceMASH   = "police-mash-only" // police item, mash_only, later released
	mkPoliceRecv   = "police-receiving" // police item, receiving_team
	mkPoliceFamily = "police-family"    // police item, family
	mkThirdParty   = "Neville Thirdparty"
	mkHealthMASH   = "health-mash-only" // health item, mash_only, never released
	mkHealthRecv   = "health-receiving" // health item, receiving_team
	mkDeclined     = "health-decline-basis"
	mkRationale    = "rationale-marker"
	mkView         = "agency-view-marker"
	mkFeedback     = "feedback-marker"
)

var allMarkers = []string{mkReferrer, mkPoliceMASH, mkPoliceRecv, mkPoliceFamily, mkThirdParty, mkHealthMASH,
	mkHealthRecv, mkRationale, mkView, mkFeedback}

// TestDisclosureMatrix runs one contact through the hub with information of
// every marking from two agencies, then reads everything each role can reach
// and checks, piece by piece, what appears in any response body.
func TestDisclosureMatrix(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		body := contactBody(base.Add(-time.Hour))
		body["referrer"] = map[string]any{"name": mkReferrer, "organisation": "a neighbour", "anonymous": true}
		c := e.create("referrer", body)
		e.screen(c.ID, "amber", 1)
		police, health := e.ask(c.ID, e.f.Police.ID), e.ask(c.ID, e.f.Health.ID)

		r := e.do("POST", "/requests/"+police.ID+"/return", "researcher", map[string]any{"outcome": "information", "version": 1, "items": []map[string]any{
			{"summary": mkPoliceMASH + " intelligence", "marking": "mash_only"},
			{"summary": mkPoliceRecv + " call-out", "detail": "Reported by " + mkThirdParty + " next door", "marking": "receiving_team",
				"protected_names": []string{mkThirdParty}},
			{"summary": mkPoliceFamily + " advice given", "marking": "family"},
		}})
		wantStatus(t, r, http.StatusOK)
		var answered mash.InfoRequest
		r.decode(t, &answered)
		r = e.do("POST", "/requests/"+health.ID+"/return", "health", map[string]any{"outcome": "information", "version": 1, "items": []map[string]any{
			{"summary": mkHealthMASH + " clinical note", "marking": "mash_only"},
			{"summary": mkHealthRecv + " missed appointments", "marking": "receiving_team"},
		}})
		wantStatus(t, r, http.StatusOK)

		r = e.do("POST", "/contacts/"+c.ID+"/decision", "manager", map[string]any{"threshold_level": 3, "version": 2,
			"outcomes": []string{"cin_assessment_s17"}, "rationale": mkRationale + " cumulative neglect",
			"receiving_agency_id": e.f.EarlyHelp.ID,
			"agency_views":        []map[string]any{{"agency_id": e.f.Police.ID, "view": mkView, "agrees": true}}})
		wantStatus(t, r, http.StatusOK)
		// The police release their mash_only item to the receiving team.
		var policeMASH string
		for _, it := range answered.Return.Items {
			if strings.HasPrefix(it.Summary, mkPoliceMASH) {
				policeMASH = it.ID
			}
		}
		wantProblem(t, e.do("POST", "/items/"+policeMASH+"/release", "health", map[string]any{"reason": "not ours to release"}), 404)
		wantStatus(t, e.do("POST", "/items/"+policeMASH+"/release", "researcher", map[string]any{"reason": "Needed for the assessment plan"}), 201)
		wantStatus(t, e.do("POST", "/contacts/"+c.ID+"/feedback", "screener", map[string]any{"text": mkFeedback + " assessment", "version": 3}), 200)

		want := map[string][]string{
			"screener":               allMarkers,
			"manager":                allMarkers,
			"researcher":             {mkPoliceMASH, mkPoliceRecv, mkPoliceFamily, mkThirdParty}, // the police's own items, in full
			"health":                 {mkHealthMASH, mkHealthRecv},
			"receiving_practitioner": {mkPoliceMASH, mkPoliceRecv, mkPoliceFamily, mkHealthRecv, mkRationale},
			"referrer":               {mkReferrer, mkFeedback},
			"referrer2":              {},
			"auditor":                {},
			"analyst":                {},
			"admin":                  {},
		}
		paths := []string{"/contacts", "/contacts/" + c.ID, "/contacts/" + c.ID + "/history", "/requests", "/requests?contact_id=" + c.ID}
		for who, visible := range want {
			var all strings.Builder
			for _, p := range paths {
				all.Write(e.do("GET", p, who, nil).Body)
			}
			got := all.String()
			for _, m := range allMarkers {
				if shown, allowed := strings.Contains(got, m), contains(visible, m); shown != allowed {
					t.Errorf("%s: %q shown=%v, want %v", who, m, shown, allowed)
				}
			}
			if who == "receiving_practitioner" && !strings.Contains(got, "[withheld]") {
				t.Errorf("receiving practitioner: the protected third party is not marked withheld")
			}
		}

		// Each read records why it was allowed.
		for who, why := range map[string]string{
			"researcher": "information request to the reader's agency", "receiving_practitioner": "case passed to the reader's team",
			"referrer": "referrer of this contact", "screener": "hub social care staff",
		} {
			n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'contact.read' AND actor_id = $1 AND entity_id = $2 AND reason LIKE $3`,
				e.users[who].ID, c.ID, why+"%")
			if n == 0 {
				t.Errorf("%s's read has no audit event with reason %q", who, why)
			}
		}
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestBreakGlass: an auditor outside the case opens it with a reason; the
// grant is time-limited, audited with the reason and listed for review.
func TestBreakGlass(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.create("referrer", nil)
		path := "/contacts/" + c.ID
		wantProblem(t, e.do("GET", path, "auditor", nil), 404)
		wantProblem(t, e.do("POST", path+"/break-glass", "auditor", map[string]any{"reason": "short"}), 422, "reason")
		wantProblem(t, e.do("POST", path+"/break-glass", "analyst", map[string]any{"reason": "I am curious about this one"}), 403)
		wantProblem(t, e.do("POST", path+"/break-glass", "screener", map[string]any{"reason": "Already mine to see anyway"}), 403)
		r := e.do("POST", path+"/break-glass", "auditor", map[string]any{"reason": "Subject access request SAR-17 review"})
		wantStatus(t, r, http.StatusCreated)
		var g mash.BreakGlass
		r.decode(t, &g)
		if !g.ExpiresAt.Equal(g.At.Add(mash.BreakGlassFor)) {
			t.Fatalf("grant: %+v", g)
		}
		d := e.contact("auditor", c.ID)
		if d.Narrative == "" || d.Referrer.Name == "" {
			t.Fatalf("break-glass view: %+v", d)
		}
		wantStatus(t, e.do("GET", path+"/history", "auditor", nil), 200)
		if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'contact.read' AND actor_id = $1 AND reason = $2`,
			e.users["auditor"].ID, "break-glass: Subject access request SAR-17 review"); n != 1 {
			t.Fatalf("%d reads audited with the break-glass reason", n)
		}
		// The grant runs out.
		e.clk.Set(base.Add(mash.BreakGlassFor + time.Minute))
		wantProblem(t, e.do("GET", path, "auditor", nil), 404)

		r = e.do("GET", "/audit/break-glass?unreviewed=true", "auditor", nil)
		var list []mash.BreakGlass
		r.decode(t, &list)
		if len(list) != 1 || list[0].ID != g.ID || list[0].ReviewedAt != nil {
			t.Fatalf("to review: %+v", list)
		}
		wantStatus(t, e.do("POST", "/audit/break-glass/"+g.ID+"/review", "auditor", map[string]any{"note": "Justified: SAR in progress"}), 200)
		wantProblem(t, e.do("POST", "/audit/break-glass/"+g.ID+"/review", "auditor", map[string]any{"note": "Justified: SAR in progress"}), 409)
		r = e.do("GET", "/audit/break-glass?unreviewed=true", "auditor", nil)
		r.decode(t, &list)
		if len(list) != 0 {
			t.Fatalf("still to review: %+v", list)
		}
		// Who looked at this contact: the auditor's view of the log, as CSV too.
		r = e.do("GET", "/audit/events?entity_type=contact&entity_id="+c.ID, "auditor", nil)
		var events []mash.AuditEvent
		r.decode(t, &events)
		if len(events) < 3 {
			t.Fatalf("events on the contact: %d", len(events))
		}
		r = e.do("GET", "/audit/events?format=csv&actor_id="+e.users["auditor"].ID, "auditor", nil)
		if !strings.HasPrefix(string(r.Body), "seq,id,at,actor_id") || !strings.Contains(string(r.Body), "contact.break_glass") {
			t.Fatalf("CSV export: %s", r.Body)
		}
		wantProblem(t, e.do("GET", "/audit/events", "screener", nil), 403)
	})
}

// TestGuessedIDs: another's contact and a made-up id answer alike, so guessing
// ids tells nothing.
func TestGuessedIDs(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.create("referrer", nil)
		for _, who := range []string{"referrer2", "researcher", "receiving_practitioner"} {
			a := wantProblem(t, e.do("GET", "/contacts/"+c.ID, who, nil), 404)
			b := wantProblem(t, e.do("GET", "/contacts/0190a0a0-0000-7000-8000-000000000000", who, nil), 404)
			if a.Detail != b.Detail || a.Title != b.Title {
				t.Errorf("%s: %q vs %q", who, a.Detail, b.Detail)
			}
		}
	})
}
