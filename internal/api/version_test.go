package api_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestStaleVersion: two screeners read version 1; the first screening wins,
// the second is a 409 naming version and changes nothing.
func TestStaleVersion(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.create("referrer", nil)
		path := "/contacts/" + c.ID
		for _, as := range []string{"screener", "screener2"} {
			if d := e.contact(as, c.ID); d.Version != 1 {
				t.Fatalf("%s read version %d", as, d.Version)
			}
		}
		first := e.do("POST", path+"/screening", "screener",
			map[string]any{"decision": "accept", "rag": "amber", "threshold_level": 3, "reason": "Neglect"}, "If-Match", `"1"`)
		wantStatus(t, first, 200)

		transitions := count(t, db, "SELECT count(*) FROM transitions WHERE contact_id = $1", c.ID)
		before := snapshot(t, db)
		for _, tc := range []struct {
			name string
			body map[string]any
			hdr  []string
		}{
			{"If-Match", map[string]any{"decision": "nfa", "reason": "Nothing to do"}, []string{"If-Match", `"1"`}},
			{"body version", map[string]any{"decision": "nfa", "reason": "Nothing to do", "version": 1}, nil},
			{"same decision", map[string]any{"decision": "accept", "rag": "green", "threshold_level": 2, "reason": "Low", "version": 1}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := wantProblem(t, e.doT(t, "POST", path+"/screening", "screener2", tc.body, tc.hdr...), http.StatusConflict, "version")
				if !strings.Contains(p.Detail, "version 1") || !strings.Contains(p.Detail, "version is 2") {
					t.Errorf("409 detail %q should give both versions", p.Detail)
				}
			})
		}
		// Every other versioned write refuses version 1 too.
		for _, tc := range []struct {
			path, as string
			body     map[string]any
		}{
			{path + "/rag", "screener2", map[string]any{"rag": "red", "reason": "r", "version": 1}},
			{path + "/close", "screener2", map[string]any{"reason": "r", "version": 1}},
			{path + "/feedback", "screener2", map[string]any{"text": "t", "version": 1}},
			{path + "/consent-override", "manager", map[string]any{"lawful_basis": "b", "reason": "r", "version": 1}},
			{path + "/decision", "manager", map[string]any{"threshold_level": 3, "outcomes": []string{"nfa"}, "rationale": "r", "version": 1}},
		} {
			t.Run(tc.path[strings.LastIndexByte(tc.path, '/'):], func(t *testing.T) {
				wantProblem(t, e.doT(t, "POST", tc.path, tc.as, tc.body), http.StatusConflict, "version")
			})
		}
		wantUnchanged(t, db, before, "stale writes")
		if n := count(t, db, "SELECT count(*) FROM transitions WHERE contact_id = $1", c.ID); n != transitions {
			t.Errorf("transitions %d → %d", transitions, n)
		}
		d := e.contact("screener", c.ID)
		if d.Status != mash.StatusInMASH || d.RAG != "amber" || d.Version != 2 || d.ThresholdLevel != 3 {
			t.Errorf("after the stale screening: status %s rag %s version %d threshold %d", d.Status, d.RAG, d.Version, d.ThresholdLevel)
		}

		// A missing version is a 422, and so is an If-Match that disagrees
		// with the body.
		before = snapshot(t, db)
		wantProblem(t, e.do("POST", path+"/rag", "screener", map[string]any{"rag": "red", "reason": "r"}), 422, "version")
		wantProblem(t, e.do("POST", path+"/rag", "screener", map[string]any{"rag": "red", "reason": "r", "version": 0}), 422, "version")
		wantProblem(t, e.do("POST", path+"/rag", "screener", map[string]any{"rag": "red", "reason": "r", "version": 1}, "If-Match", `"2"`), 422, "version")
		wantProblem(t, e.do("POST", path+"/rag", "screener", map[string]any{"rag": "red", "reason": "r", "version": 2}, "If-Match", `"1"`), 422, "version")
		wantUnchanged(t, db, before, "writes without a good version")
		q := e.ask(c.ID, e.f.Police.ID)
		before = snapshot(t, db)
		wantProblem(t, e.do("POST", "/requests/"+q.ID+"/return", "researcher", map[string]any{"outcome": "nothing_held"}), 422, "version")
		wantProblem(t, e.do("POST", "/requests/"+q.ID+"/return", "researcher", map[string]any{"outcome": "nothing_held"}, "If-Match", `"2"`), http.StatusConflict, "version")
		wantProblem(t, e.do("POST", "/requests/"+q.ID+"/return", "researcher", map[string]any{"outcome": "nothing_held", "version": 2}, "If-Match", `"1"`), 422, "version")
		wantUnchanged(t, db, before, "writes without a good version")
		// The matching pair is fine.
		wantStatus(t, e.do("POST", path+"/rag", "screener", map[string]any{"rag": "red", "reason": "r", "version": 2}, "If-Match", `"2"`), 200)
	})
}

// TestStaleScreeningRace: many screeners screen version 1 at once; exactly
// one wins.
func TestStaleScreeningRace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.create("referrer", nil)
		const n = 8
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				as := []string{"screener", "screener2", "manager"}[i%3]
				r := e.doT(t, "POST", "/contacts/"+c.ID+"/screening", as,
					map[string]any{"decision": "accept", "rag": "amber", "threshold_level": 3, "reason": "r", "version": 1})
				statuses[i] = r.Status
			})
		}
		wg.Wait()
		ok, conflict := 0, 0
		for _, s := range statuses {
			switch s {
			case 200:
				ok++
			case 409:
				conflict++
			}
		}
		if ok != 1 || conflict != n-1 {
			t.Fatalf("statuses %v: want one 200 and %d 409s", statuses, n-1)
		}
		if got := count(t, db, "SELECT count(*) FROM transitions WHERE contact_id = $1", c.ID); got != 3 {
			t.Errorf("%d transitions, want 3 (received, screening, in_mash)", got)
		}
	})
}

// TestIllegalTransitions: moves the procedure does not allow are 409s with a
// message saying what is allowed, and change nothing.
func TestIllegalTransitions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		received := e.create("referrer", nil)
		inMASH := e.create("referrer", nil)
		e.screen(inMASH.ID, "amber", 1)
		closed := e.create("referrer", nil)
		wantStatus(t, e.do("POST", "/contacts/"+closed.ID+"/screening", "screener",
			map[string]any{"decision": "nfa", "reason": "No concerns", "version": 1}), 200)

		decide := map[string]any{"threshold_level": 2, "outcomes": []string{"early_help"}, "rationale": "Early help"}
		for _, tc := range []struct {
			name, id, route, as string
			version             int
			body                map[string]any
			detail              []string
		}{
			{"decision on received", received.ID, "decision", "manager", 1, decide, []string{"state received", "decided", "allowed next: screening"}},
			{"feedback on received", received.ID, "feedback", "screener", 1, map[string]any{"text": "t"}, []string{"state received"}},
			{"close received", received.ID, "close", "screener", 1, map[string]any{"reason": "r"}, []string{"state received"}},
			{"rate received", received.ID, "rag", "screener", 1, map[string]any{"rag": "red", "reason": "r"}, []string{"cannot be rated"}},
			{"request on received", received.ID, "requests", "screener", 0, map[string]any{"agency_id": e.f.Police.ID, "question": "q"}, []string{"in MASH"}},
			{"screen closed", closed.ID, "screening", "screener", 2, map[string]any{"decision": "accept", "rag": "red", "threshold_level": 4, "reason": "r"}, []string{"state closed", "the contact is closed"}},
			{"rate closed", closed.ID, "rag", "screener", 2, map[string]any{"rag": "red", "reason": "r"}, []string{"state closed"}},
			{"close closed", closed.ID, "close", "screener", 2, map[string]any{"reason": "r"}, []string{"state closed"}},
			{"screen in MASH", inMASH.ID, "screening", "screener", 2, map[string]any{"decision": "nfa", "reason": "r"}, []string{"state in_mash"}},
			{"feedback before decision", inMASH.ID, "feedback", "screener", 2, map[string]any{"text": "t"}, []string{"state in_mash", "allowed next: decided"}},
			{"close in MASH", inMASH.ID, "close", "screener", 2, map[string]any{"reason": "r"}, []string{"state in_mash"}},
			{"same rating again", inMASH.ID, "rag", "screener", 2, map[string]any{"rag": "amber", "reason": "r"}, []string{"already rated amber"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.version > 0 {
					tc.body["version"] = tc.version
				}
				before := snapshot(t, db)
				p := wantProblem(t, e.doT(t, "POST", "/contacts/"+tc.id+"/"+tc.route, tc.as, tc.body), http.StatusConflict)
				for _, s := range tc.detail {
					if !strings.Contains(p.Detail, s) {
						t.Errorf("detail %q does not say %q", p.Detail, s)
					}
				}
				wantUnchanged(t, db, before, tc.name)
				delete(tc.body, "version")
			})
		}
		for id, want := range map[string]int{received.ID: 1, inMASH.ID: 2, closed.ID: 2} {
			if d := e.contact("screener", id); d.Version != want {
				t.Errorf("%s: version %d, want %d", d.Status, d.Version, want)
			}
		}
	})
}

// TestIdempotencyKey: a retry with the same key returns the first contact.
func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		body := contactBody(base.Add(-30 * time.Minute))
		key := []string{"Idempotency-Key", "form-42-submit"}
		first := e.do("POST", "/contacts", "referrer", body, key...)
		wantStatus(t, first, http.StatusCreated)
		var a, b created
		first.decode(t, &a)
		n := count(t, db, "SELECT count(*) FROM contacts")

		again := e.do("POST", "/contacts", "referrer", body, key...)
		wantStatus(t, again, http.StatusOK)
		again.decode(t, &b)
		if a.ID != b.ID || a.Reference != b.Reference || a.Version != b.Version || a.Status != b.Status ||
			a.DueAt == nil || b.DueAt == nil || !a.DueAt.Equal(*b.DueAt) {
			t.Errorf("retry: %+v, first %+v", b, a)
		}
		if again.Header.Get("Location") != first.Header.Get("Location") || again.Header.Get("ETag") != `"1"` {
			t.Errorf("retry headers: Location %q ETag %q", again.Header.Get("Location"), again.Header.Get("ETag"))
		}
		if got := count(t, db, "SELECT count(*) FROM contacts"); got != n {
			t.Errorf("the retry stored a contact: %d → %d", n, got)
		}
		// After the contact moves on, a retry still returns it (at its version).
		e.screen(a.ID, "green", 1)
		again = e.do("POST", "/contacts", "referrer", body, key...)
		wantStatus(t, again, http.StatusOK)
		b = created{}
		again.decode(t, &b)
		if b.ID != a.ID || b.Version != 2 || b.Status != "in_mash" {
			t.Errorf("retry after screening: %+v", b)
		}

		// Another user's key is their own.
		other := e.do("POST", "/contacts", "referrer2", body, key...)
		wantStatus(t, other, http.StatusCreated)
		other.decode(t, &b)
		if b.ID == a.ID || b.Reference == a.Reference {
			t.Errorf("another user's same key returned the first contact: %+v", b)
		}
		if e.do("GET", "/contacts/"+a.ID, "referrer2", nil).Status != http.StatusNotFound {
			t.Error("referrer2 can read referrer's contact")
		}
		// No key, no deduplication.
		wantStatus(t, e.do("POST", "/contacts", "referrer", body), http.StatusCreated)
		wantStatus(t, e.do("POST", "/contacts", "referrer", body), http.StatusCreated)

		// Concurrent retries: one 201, the rest 200, all the same contact.
		const k = 6
		res := make([]created, k)
		statuses := make([]int, k)
		var wg sync.WaitGroup
		for i := range k {
			wg.Go(func() {
				r := e.doT(t, "POST", "/contacts", "referrer", body, "Idempotency-Key", "double-click")
				statuses[i] = r.Status
				if r.Status < 300 {
					r.decode(t, &res[i])
				}
			})
		}
		wg.Wait()
		n201 := 0
		for i, s := range statuses {
			if s == 201 {
				n201++
			} else if s != 200 {
				t.Errorf("concurrent retry %d: status %d", i, s)
			}
			if res[i].ID != res[0].ID {
				t.Errorf("concurrent retries made different contacts: %v", res)
			}
		}
		if n201 != 1 {
			t.Errorf("statuses %v: want exactly one 201", statuses)
		}
		if got := count(t, db, "SELECT count(*) FROM idempotency_keys WHERE key = 'double-click'"); got != 1 {
			t.Errorf("%d keys stored", got)
		}
	})
}
