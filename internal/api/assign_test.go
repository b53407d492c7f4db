package api_test

import (
	"net/http"
	"testing"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestAssignOverHTTP: taking and giving contacts, the queue's worker and
// agency filters, and manual chases through the API, with their refusals.
func TestAssignOverHTTP(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.create("referrer", nil)
		scr, scr2 := e.users["screener"], e.users["screener2"]

		before := snapshot(t, db)
		path := "/contacts/" + c.ID + "/assignment"
		wantProblem(t, e.do("POST", path, "referrer", map[string]any{"user_id": scr.ID, "version": c.Version}), http.StatusForbidden)
		wantProblem(t, e.do("POST", path, "screener", map[string]any{"user_id": scr2.ID, "version": c.Version}), http.StatusForbidden)
		wantProblem(t, e.do("POST", path, "manager", map[string]any{"user_id": e.users["auditor"].ID, "version": c.Version}), http.StatusUnprocessableEntity, "user")
		wantProblem(t, e.do("POST", path, "screener", map[string]any{"user_id": scr.ID, "version": c.Version + 5}), http.StatusConflict)
		wantProblem(t, e.do("POST", path, "screener", map[string]any{"user_id": scr.ID}), http.StatusUnprocessableEntity, "version")
		wantProblem(t, e.do("GET", "/contacts?assigned=me", "referrer", nil), http.StatusForbidden)
		wantUnchanged(t, db, before, "refused assignments")

		r := e.do("POST", path, "screener", map[string]any{"user_id": scr.ID, "version": c.Version})
		wantStatus(t, r, http.StatusOK)
		var got mash.Contact
		r.decode(t, &got)
		if got.Version != c.Version+1 {
			t.Fatalf("assign: %s", r)
		}
		r = e.do("GET", "/contacts?assigned=me", "screener", nil)
		wantStatus(t, r, http.StatusOK)
		var list []mash.ContactSummary
		r.decode(t, &list)
		if len(list) != 1 || list[0].AssignedTo != scr.ID || list[0].AssignedName != scr.Name {
			t.Fatalf("assigned to me: %s", r)
		}
		r = e.do("GET", "/contacts?assigned=none", "manager", nil)
		r.decode(t, &list)
		if len(list) != 0 {
			t.Fatalf("unassigned: %s", r)
		}
		// The manager moves it to the second screener.
		r = e.do("POST", path, "manager", map[string]any{"user_id": scr2.ID, "version": got.Version})
		wantStatus(t, r, http.StatusOK)
		if d := e.contact("manager", c.ID); d.AssignedTo != scr2.ID {
			t.Fatalf("after the move the contact is assigned to %q", d.AssignedTo)
		}
		if d := e.contact("referrer", c.ID); d.AssignedTo != "" {
			t.Fatal("the referrer sees who has the contact")
		}

		// The agency filter and a manual chase.
		s := e.screen(c.ID, "amber", got.Version+1)
		q := e.ask(s.ID, e.f.Police.ID)
		r = e.do("GET", "/contacts?agency="+e.f.Police.ID, "screener", nil)
		r.decode(t, &list)
		if len(list) != 1 {
			t.Fatalf("by agency: %s", r)
		}
		wantProblem(t, e.do("POST", "/requests/"+q.ID+"/chase", "researcher", nil), http.StatusForbidden)
		r = e.do("POST", "/requests/"+q.ID+"/chase", "screener", nil)
		wantStatus(t, r, http.StatusCreated)
		var ch mash.Chase
		r.decode(t, &ch)
		if ch.Kind != mash.ChaseManual || ch.Notified != 1 {
			t.Fatalf("chase: %s", r)
		}
		wantProblem(t, e.do("POST", "/requests/"+q.ID+"/chase", "manager", nil), http.StatusConflict)
	})
}
