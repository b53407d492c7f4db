package api_test

import (
	"net/http"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestPersonsOverHTTP: matching, the person page, merge and unmerge and the
// review queue through the API, with their refusals.
func TestPersonsOverHTTP(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		first := e.create("referrer", nil)
		body := contactBody(base.Add(-30 * time.Minute))
		setPath(t, body, "subjects.0.given_name", "Jade")
		setPath(t, body, "subjects.0.family_name", "Okafor")
		setPath(t, body, "subjects.0.dob", "2011-07-30")
		setPath(t, body, "subjects.0.address", "9 Wharf Street, Goole")
		setPath(t, body, "subjects.0.postcode", "DN14 5AA")
		setPath(t, body, "subjects.0.nhs_number", "")
		second := e.create("referrer", body)
		kayleigh := e.contact("screener", first.ID).Subjects[0].PersonID
		jade := e.contact("screener", second.ID).Subjects[0].PersonID

		// The school's partial description finds Kayleigh first, explained.
		r := e.do("POST", "/persons/match", "screener", map[string]any{"given_name": "Kayley", "family_name": "Smith", "dob": "2015-03-04"})
		wantStatus(t, r, http.StatusOK)
		var cands []mash.PersonCandidate
		r.decode(t, &cands)
		if len(cands) == 0 || cands[0].PersonID != kayleigh || len(cands[0].Fields) == 0 || len(cands[0].VisibleContacts) != 1 {
			t.Fatalf("match: %s", r)
		}
		if !hasSwap(cands[0].Fields) {
			t.Errorf("the explanation does not say the day and month are swapped: %+v", cands[0].Fields)
		}

		// Refusals change nothing.
		before := snapshot(t, db)
		wantProblem(t, e.do("POST", "/persons/match", "screener", map[string]any{}), http.StatusUnprocessableEntity, "family_name")
		wantProblem(t, e.do("POST", "/persons/match", "screener", map[string]any{"family_name": "Smith", "dob": "03/04/2015"}), http.StatusUnprocessableEntity, "dob")
		wantProblem(t, e.do("POST", "/persons/match", "screener", map[string]any{"family_name": "Smith", "nhs_number": "123"}), http.StatusUnprocessableEntity, "nhs_number")
		wantProblem(t, e.do("POST", "/persons/match", "screener", map[string]any{"family_name": 7}), http.StatusUnprocessableEntity, "family_name")
		wantProblem(t, e.do("POST", "/persons/match", "referrer", map[string]any{"family_name": "Smith"}), http.StatusForbidden)
		wantProblem(t, e.do("GET", "/persons/"+kayleigh, "referrer", nil), http.StatusForbidden)
		wantProblem(t, e.do("GET", "/persons/"+kayleigh, "health", nil), http.StatusNotFound)
		wantProblem(t, e.do("GET", "/persons/no-such-person", "screener", nil), http.StatusNotFound)
		wantProblem(t, e.do("POST", "/persons/"+kayleigh+"/merge", "screener", map[string]any{"merge_person_id": jade, "version": 1}), http.StatusUnprocessableEntity, "reason")
		wantProblem(t, e.do("POST", "/persons/"+kayleigh+"/merge", "screener", map[string]any{"merge_person_id": jade, "reason": "x", "version": 9}), http.StatusConflict)
		wantProblem(t, e.do("POST", "/persons/"+kayleigh+"/merge", "referrer", map[string]any{"merge_person_id": jade, "reason": "x", "version": 1}), http.StatusForbidden)
		wantProblem(t, e.do("GET", "/match-reviews", "researcher", nil), http.StatusForbidden)
		wantProblem(t, e.do("POST", "/match-reviews/nope/resolve", "screener", map[string]any{"outcome": "same", "reason": "x", "version": 1}), http.StatusNotFound)
		wantProblem(t, e.do("POST", "/merges/nope/undo", "screener", map[string]any{"reason": "x"}), http.StatusNotFound)
		after := snapshot(t, db)
		after["audit_events"] = before["audit_events"] // refused reads may be audited; nothing else may change
		for k, v := range before {
			if after[k] != v {
				t.Errorf("a refused request changed %s: %d → %d", k, v, after[k])
			}
		}

		// The person page, then a merge and its undo.
		r = e.do("GET", "/persons/"+kayleigh, "screener", nil)
		wantStatus(t, r, http.StatusOK)
		var page mash.PersonPage
		r.decode(t, &page)
		if page.Person.ID != kayleigh || len(page.Contacts) != 1 || len(page.Household) == 0 {
			t.Fatalf("person page: %s", r)
		}
		r = e.do("POST", "/persons/"+kayleigh+"/merge", "screener", map[string]any{"merge_person_id": jade, "reason": "checked with the school", "version": page.Person.Version})
		wantStatus(t, r, http.StatusCreated)
		var mg mash.Merge
		r.decode(t, &mg)
		if mg.Records != 1 {
			t.Fatalf("merge: %s", r)
		}
		if got := e.contact("screener", second.ID).Subjects[0].PersonID; got != kayleigh {
			t.Fatalf("merged contact names %s", got)
		}
		wantStatus(t, e.do("POST", "/merges/"+mg.ID+"/undo", "screener", map[string]any{"reason": "two children after all"}), http.StatusOK)
		if got := e.contact("screener", second.ID).Subjects[0].PersonID; got != jade {
			t.Fatalf("unmerged contact names %s", got)
		}
		wantProblem(t, e.do("POST", "/merges/"+mg.ID+"/undo", "screener", map[string]any{"reason": "again"}), http.StatusConflict)
		wantStatus(t, e.do("GET", "/match-reviews", "manager", nil), http.StatusOK)
	})
}

func hasSwap(fs []mash.MatchField) bool {
	for _, f := range fs {
		if f.Field == "dob" && f.Level == "transposed" {
			return true
		}
	}
	return false
}
