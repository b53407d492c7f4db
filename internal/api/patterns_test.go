package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/jobs"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestPatternAlertsAPI: three contacts about one child in 60 days raise an
// alert shown on the contact to hub staff, listed for managers and
// acknowledged with a note; the rules are read and replaced by admins, and
// bad rules change nothing.
func TestPatternAlertsAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		var cs []created
		for _, d := range []time.Duration{60 * 24 * time.Hour, 30 * 24 * time.Hour, time.Hour} {
			cs = append(cs, e.create("referrer", contactBody(base.Add(-d))))
		}
		e.clk.Set(base.Add(store.IntakePatternsAfter))
		r := &jobs.Runner{Queue: db, Owner: "test"}
		for {
			n, err := r.RunOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		res := e.do("GET", "/contacts/"+cs[2].ID+"/alerts", "screener", nil)
		wantStatus(t, res, http.StatusOK)
		var alerts []mash.PatternAlert
		res.decode(t, &alerts)
		// The fixture's contact is about domestic abuse (3A) too.
		if len(alerts) != 2 || alerts[0].RuleID == alerts[1].RuleID {
			t.Fatalf("alerts: %+v", alerts)
		}
		if alerts[0].RuleID != "repeat_contacts" {
			alerts[0], alerts[1] = alerts[1], alerts[0]
		}
		if alerts[0].RuleID != "repeat_contacts" || len(alerts[0].Contacts) != 3 || alerts[1].RuleID != "repeat_domestic_abuse" ||
			alerts[0].Why != "3 contacts in 60 days: "+cs[0].Reference+", "+cs[1].Reference+", "+cs[2].Reference {
			t.Fatalf("alerts: %+v", alerts)
		}
		wantProblem(t, e.do("GET", "/contacts/"+cs[2].ID+"/alerts", "referrer", nil), http.StatusForbidden)
		wantProblem(t, e.do("GET", "/alerts", "screener", nil), http.StatusForbidden)
		wantProblem(t, e.do("GET", "/alerts?open=maybe", "manager", nil), http.StatusUnprocessableEntity, "open")
		res = e.do("GET", "/alerts?open=true", "manager", nil)
		wantStatus(t, res, http.StatusOK)
		var open []mash.PatternAlert
		res.decode(t, &open)
		if len(open) != 2 {
			t.Fatalf("open alerts: %+v", open)
		}

		id := alerts[0].ID
		before := snapshot(t, db)
		wantProblem(t, e.do("POST", "/alerts/"+id+"/acknowledge", "screener", map[string]any{"note": "ok"}), http.StatusUnprocessableEntity, "note")
		wantProblem(t, e.do("POST", "/alerts/"+id+"/acknowledge", "screener", map[string]any{"nope": "x"}), http.StatusUnprocessableEntity, "nope")
		wantProblem(t, e.do("POST", "/alerts/"+id+"/acknowledge", "referrer", map[string]any{"note": "Seen and considered"}), http.StatusForbidden)
		wantUnchanged(t, db, before, "refused acknowledgements")
		res = e.do("POST", "/alerts/"+id+"/acknowledge", "screener", map[string]any{"note": "Seen and considered at screening"})
		wantStatus(t, res, http.StatusOK)
		var ack mash.PatternAlert
		res.decode(t, &ack)
		if ack.Open() || ack.AckNote != "Seen and considered at screening" || ack.AcknowledgedBy != e.users["screener"].ID {
			t.Fatalf("acknowledged: %+v", ack)
		}
		wantProblem(t, e.do("POST", "/alerts/"+id+"/acknowledge", "manager", map[string]any{"note": "Seen and considered again"}), http.StatusConflict)

		res = e.do("GET", "/pattern-rules", "admin", nil)
		wantStatus(t, res, http.StatusOK)
		var rs mash.PatternRules
		res.decode(t, &rs)
		if rs.Version != 0 || len(rs.Rules) != 5 {
			t.Fatalf("rules: %+v", rs)
		}
		before = snapshot(t, db)
		bad := mash.DefaultPatternRules()
		bad.Rules[0].WindowDays = -1
		wantProblem(t, e.do("PUT", "/pattern-rules", "admin", bad), http.StatusUnprocessableEntity, "rules[0].window_days")
		wantProblem(t, e.do("PUT", "/pattern-rules", "admin", map[string]any{"version": 0, "rules": []any{map[string]any{"idd": "x"}}}), http.StatusUnprocessableEntity)
		wantProblem(t, e.do("PUT", "/pattern-rules", "manager", mash.DefaultPatternRules()), http.StatusForbidden)
		wantUnchanged(t, db, before, "refused rule changes")
		res = e.do("GET", "/pattern-rules", "manager", nil)
		res.decode(t, &rs)
		if rs.Version != 0 || rs.Rules[0].WindowDays != 90 {
			t.Fatalf("rules after refused changes: %+v", rs)
		}
		good := mash.DefaultPatternRules()
		good.Rules[0].WindowDays = 60
		res = e.do("PUT", "/pattern-rules", "admin", good)
		wantStatus(t, res, http.StatusOK)
		res.decode(t, &rs)
		if rs.Version != 1 || rs.Rules[0].WindowDays != 60 || strings.Contains(string(res.Body), "Kayleigh") {
			t.Fatalf("replaced rules: %+v", rs)
		}
	})
}
