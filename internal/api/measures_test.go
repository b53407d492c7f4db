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

// TestMeasuresAPI: the list and one measure as JSON (plain and suppressed)
// and as CSV (always suppressed); 422 for a bad query, 403 for a referrer,
// 404 for an unknown measure, none of which writes anything.
func TestMeasuresAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		wantStatus(t, e.do("POST", "/contacts", "referrer", contactBody(base)), http.StatusCreated)

		var defs []mash.MeasureDef
		r := e.do("GET", "/measures", "analyst", nil)
		wantStatus(t, r, http.StatusOK)
		r.decode(t, &defs)
		if len(defs) < 19 || defs[0].Name != mash.MeasureContactsBySource || defs[0].Definition == "" {
			t.Fatalf("measures: %d, first %+v", len(defs), defs[0])
		}

		path := "/measures/contacts_by_source?from=2026-03-10&to=2026-03-10"
		var res mash.MeasureResult
		r = e.do("GET", path, "manager", nil)
		wantStatus(t, r, http.StatusOK)
		r.decode(t, &res)
		if res.Definition == "" || len(res.Rows) != 1 || res.Rows[0].Labels[0] != "2A" || res.Rows[0].Values[0].String() != "1" ||
			!res.From.Equal(base.Truncate(24*time.Hour)) || !res.To.Equal(base.Truncate(24*time.Hour).Add(24*time.Hour)) {
			t.Fatalf("measure: %s", r)
		}
		r = e.do("GET", path+"&suppress=true", "analyst", nil)
		wantStatus(t, r, http.StatusOK)
		res = mash.MeasureResult{}
		r.decode(t, &res)
		if !res.Suppressed || res.Rows[0].Values[0].String() != mash.SuppressedMarker || res.Rows[0].Values[0].Value != nil {
			t.Fatalf("suppressed: %s", r)
		}
		r = e.do("GET", path+"&format=csv", "analyst", nil)
		wantStatus(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") ||
			string(r.Body) != "source,Contacts\n2A,[c]\n" {
			t.Fatalf("csv: %s %q", ct, r.Body)
		}

		before := snapshot(t, db)
		for _, q := range []struct{ query, field string }{
			{"from=2026-02-31&to=2026-03-10", "from"},
			{"from=2026-03-10&to=2026-03-01", "to"},
			{"from=2026-03-10&to=2026-03-11&cohort=teen", "cohort"},
			{"from=2026-03-10&to=2026-03-11&period=year", "period"},
			{"from=2026-03-10&to=2026-03-11&format=xml", "format"},
		} {
			wantProblem(t, e.do("GET", "/measures/funnel?"+q.query, "analyst", nil), http.StatusUnprocessableEntity, q.field)
		}
		wantProblem(t, e.do("GET", "/measures", "referrer", nil), http.StatusForbidden)
		wantProblem(t, e.do("GET", "/measures/funnel", "referrer", nil), http.StatusForbidden)
		wantProblem(t, e.do("GET", "/measures/funnel", "auditor", nil), http.StatusForbidden)
		wantProblem(t, e.do("GET", "/measures/no_such_measure", "analyst", nil), http.StatusNotFound)
		wantUnchanged(t, db, before, "refused measure reads")
	})
}
