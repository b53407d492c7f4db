package api_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestJourney takes one contact through the API from intake to closure.
func TestJourney(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		walkJourney(t, newEnv(t, db))
	})
}

// walkJourney is the whole procedure through the API; TestOpenAPIResponses
// runs it again with every response checked against the document.
func walkJourney(t *testing.T, e *env) {
	policy := mash.DefaultRAGPolicy()
	received := base.Add(-time.Hour)

	// Intake by a referrer: 201 with id, reference, status, version, Location, ETag.
	r := e.do("POST", "/contacts", "referrer", contactBody(received))
	wantStatus(t, r, http.StatusCreated)
	var c created
	r.decode(t, &c)
	if !regexp.MustCompile(`^MASH-2026-\d{6}$`).MatchString(c.Reference) || c.Status != "received" || c.Version != 1 || c.ID == "" {
		t.Fatalf("created %+v", c)
	}
	if loc := r.Header.Get("Location"); loc != "/api/v1/contacts/"+c.ID {
		t.Errorf("Location %q", loc)
	}
	if et := r.Header.Get("ETag"); et != `"1"` {
		t.Errorf("ETag %q", et)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	// Until rated, the clock is the screening target: one working day.
	if want := policy.Calendar.AddWorkingDays(received, 1); c.DueAt == nil || !c.DueAt.Equal(want) {
		t.Errorf("screening due %v, want %v", c.DueAt, want)
	}
	id := c.ID
	path := "/contacts/" + id

	// GET: as the hub, and as the referrer who made it.
	r = e.do("GET", path, "screener", nil)
	wantStatus(t, r, 200)
	if et := r.Header.Get("ETag"); et != `"1"` {
		t.Errorf("GET ETag %q", et)
	}
	m := r.obj(t)
	if m["requests"] == nil || m["overdue"] != false || m["reference"] != c.Reference {
		t.Errorf("GET: requests %v, overdue %v, reference %v", m["requests"], m["overdue"], m["reference"])
	}
	d := e.contact("referrer", id)
	if len(d.Subjects) != 2 || d.Subjects[0].GivenName != "Kayleigh" || d.Subjects[0].Postcode != "LS1 4AP" ||
		!slices.Equal(d.Concerns, []string{"3A", "16A"}) || d.ConcernCodeVersion != "2025-26" || !d.ReceivedAt.Equal(received) {
		t.Errorf("referrer's GET: %+v", d.Contact)
	}

	// The queue: the contact is there, and the filters narrow it.
	queue := func(query string) []string {
		t.Helper()
		r := e.do("GET", "/contacts"+query, "screener", nil)
		wantStatus(t, r, 200)
		var list []mash.ContactSummary
		r.decode(t, &list)
		return ids(list, func(s mash.ContactSummary) string { return s.ID })
	}
	if got := queue(""); !slices.Contains(got, id) {
		t.Errorf("queue %v lacks %s", got, id)
	}
	if got := queue("?status=received"); !slices.Contains(got, id) {
		t.Errorf("status=received: %v", got)
	}
	if got := queue("?status=in_mash"); slices.Contains(got, id) {
		t.Errorf("status=in_mash: %v", got)
	}

	// Screening: accept, amber, version by If-Match (W/ weak form too).
	r = e.do("POST", path+"/screening", "screener",
		map[string]any{"decision": "accept", "rag": "amber", "threshold_level": 3, "reason": "Neglect and DA indicators"},
		"If-Match", `W/"1"`)
	wantStatus(t, r, 200)
	var sc mash.Contact
	r.decode(t, &sc)
	if sc.Status != mash.StatusInMASH || sc.RAG != "amber" || sc.Version != 2 || sc.ThresholdLevel != 3 || sc.ScreenedAt == nil {
		t.Fatalf("after screening: %+v", sc)
	}
	if et := r.Header.Get("ETag"); et != `"2"` {
		t.Errorf("screening ETag %q", et)
	}
	amberDue, _ := policy.Deadline("amber", received, *sc.ScreenedAt)
	if sc.DueAt == nil || !sc.DueAt.Equal(amberDue) {
		t.Errorf("amber due %v, want %v", sc.DueAt, amberDue)
	}
	if got := queue("?rag=amber&status=in_mash"); !slices.Contains(got, id) {
		t.Errorf("rag=amber: %v", got)
	}

	// Re-rate red with the version in the body: the deadline moves, and is
	// written as RFC 3339.
	r = e.do("POST", path+"/rag", "screener", map[string]any{"rag": "red", "reason": "Disclosure of injury", "version": 2})
	wantStatus(t, r, 200)
	raw := r.obj(t)
	due, err := time.Parse(time.RFC3339, raw["due_at"].(string))
	if err != nil || !due.Equal(received.Add(4*time.Hour)) || raw["rag"] != "red" || raw["version"] != 3.0 {
		t.Fatalf("re-rated: rag %v version %v due_at %v (%v)", raw["rag"], raw["version"], raw["due_at"], err)
	}
	if due.Equal(amberDue) {
		t.Error("the deadline did not move")
	}

	// An information request to the police.
	r = e.do("POST", path+"/requests", "screener", map[string]any{"agency_id": e.f.Police.ID, "question": "Any DA call-outs to the address?"})
	wantStatus(t, r, http.StatusCreated)
	var q mash.InfoRequest
	r.decode(t, &q)
	if q.Status != mash.RequestOpen || q.Version != 1 || q.AgencyID != e.f.Police.ID || q.ContactID != id || !q.DueAt.Equal(due) {
		t.Fatalf("request %+v", q)
	}
	if et := r.Header.Get("ETag"); et != `"1"` {
		t.Errorf("request ETag %q", et)
	}

	// The police researcher sees it; the health researcher does not.
	requests := func(as, query string) []string {
		t.Helper()
		r := e.do("GET", "/requests"+query, as, nil)
		wantStatus(t, r, 200)
		var list []mash.InfoRequest
		r.decode(t, &list)
		return ids(list, func(q mash.InfoRequest) string { return q.ID })
	}
	for _, query := range []string{"", "?status=open", "?contact_id=" + id} {
		if got := requests("researcher", query); !slices.Equal(got, []string{q.ID}) {
			t.Errorf("police researcher GET /requests%s: %v", query, got)
		}
		if got := requests("health", query); len(got) != 0 {
			t.Errorf("health researcher GET /requests%s: %v", query, got)
		}
	}
	if got := requests("researcher", "?status=returned"); len(got) != 0 {
		t.Errorf("status=returned before the return: %v", got)
	}
	// The police researcher may now read the contact; the health researcher
	// may not, nor answer the police's request.
	e.contact("researcher", id)
	wantProblem(t, e.do("GET", path, "health", nil), http.StatusNotFound)
	infoReturn := map[string]any{"outcome": "information", "items": []map[string]any{
		{"summary": "Domestic abuse call-out to the address", "detail": "Verbal argument; no arrests.", "occurred_on": "2026-01-15", "marking": "mash_only"},
		{"summary": "Father known for assault", "occurred_on": "2024-06-01", "marking": "receiving_team"},
	}}
	wantProblem(t, e.do("POST", "/requests/"+q.ID+"/return", "health", infoReturn, "If-Match", `"1"`), http.StatusNotFound)

	// The police return information, with markings.
	r = e.do("POST", "/requests/"+q.ID+"/return", "researcher", infoReturn, "If-Match", `"1"`)
	wantStatus(t, r, 200)
	var ret mash.InfoRequest
	r.decode(t, &ret)
	if ret.Status != mash.RequestReturned || ret.Version != 2 || ret.Return == nil || len(ret.Return.Items) != 2 ||
		ret.Return.Items[0].Marking != mash.MarkingMASHOnly || ret.Return.Items[1].Marking != mash.MarkingReceivingTeam ||
		ret.Return.Items[0].OwningAgencyID != e.f.Police.ID || ret.Return.ReturnedBy != e.users["researcher"].ID {
		t.Fatalf("return: %+v %+v", ret, ret.Return)
	}
	if et := r.Header.Get("ETag"); et != `"2"` {
		t.Errorf("return ETag %q", et)
	}
	wantProblem(t, e.do("POST", "/requests/"+q.ID+"/return", "researcher", infoReturn, "If-Match", `"2"`), http.StatusConflict)
	if got := requests("researcher", "?status=returned"); !slices.Equal(got, []string{q.ID}) {
		t.Errorf("status=returned after the return: %v", got)
	}
	d = e.contact("screener", id)
	if len(d.Requests) != 1 || d.Requests[0].Return == nil || len(d.Requests[0].Return.Items) != 2 ||
		d.Requests[0].Return.Items[0].Summary != "Domestic abuse call-out to the address" {
		t.Fatalf("the hub's view of the return: %+v", d.Requests)
	}

	// The decision is a manager's.
	decision := map[string]any{"threshold_level": 4, "outcomes": []string{"strategy_discussion_s47"},
		"rationale": "Disclosure and police history", "agency_views": []map[string]any{{"agency_id": e.f.Police.ID, "view": "Agree", "agrees": true}},
		"version": 3}
	p := wantProblem(t, e.do("POST", path+"/decision", "screener", decision), http.StatusForbidden)
	if !strings.Contains(p.Detail, "screener") {
		t.Errorf("403 detail %q does not name the role", p.Detail)
	}
	r = e.do("POST", path+"/decision", "manager", decision)
	wantStatus(t, r, 200)
	sc = mash.Contact{} // omitted fields must not survive from before
	r.decode(t, &sc)
	if sc.Status != mash.StatusDecided || sc.Version != 4 || sc.ThresholdLevel != 4 || sc.DueAt != nil {
		t.Fatalf("decided: %+v", sc)
	}
	d = e.contact("screener", id)
	if d.Decision == nil || d.Decision.Rationale != "Disclosure and police history" || d.Feedback == nil || d.Feedback.Status != mash.FeedbackPending {
		t.Fatalf("after the decision: decision %+v feedback %+v", d.Decision, d.Feedback)
	}
	// The referrer learns the outcome through the feedback, not the decision's
	// reasons, the agencies' views or their information.
	d = e.contact("referrer", id)
	if d.Decision != nil || len(d.Requests) != 0 || d.Feedback != nil || d.RAG != "" {
		t.Errorf("referrer's view before feedback: decision %+v, requests %d, feedback %+v, rag %q", d.Decision, len(d.Requests), d.Feedback, d.RAG)
	}

	// Feedback, then closure.
	r = e.do("POST", path+"/feedback", "screener", map[string]any{"text": "A strategy discussion is being held.", "version": 4})
	wantStatus(t, r, 200)
	sc = mash.Contact{}
	r.decode(t, &sc)
	if sc.Status != mash.StatusFeedbackSent || sc.Version != 5 {
		t.Fatalf("feedback: %+v", sc)
	}
	r = e.do("POST", path+"/close", "screener", map[string]any{"reason": "Passed to the assessment team"}, "If-Match", `"5"`)
	wantStatus(t, r, 200)
	sc = mash.Contact{}
	r.decode(t, &sc)
	if sc.Status != mash.StatusClosed || sc.Version != 6 || sc.ClosureReason != "Passed to the assessment team" {
		t.Fatalf("closed: %+v", sc)
	}

	// History lists every transition in order, and the rest.
	r = e.do("GET", path+"/history", "manager", nil)
	wantStatus(t, r, 200)
	var h mash.History
	r.decode(t, &h)
	var moves []string
	for _, tr := range h.Transitions {
		moves = append(moves, string(tr.From)+"→"+string(tr.To))
		if tr.By == "" || tr.ByName == "" || tr.At.IsZero() {
			t.Errorf("transition %+v lacks who or when", tr)
		}
	}
	want := []string{"→received", "received→screening", "screening→in_mash", "in_mash→decided", "decided→feedback_sent", "feedback_sent→closed"}
	if !slices.Equal(moves, want) {
		t.Errorf("transitions %v, want %v", moves, want)
	}
	if len(h.Ratings) != 2 || h.Ratings[0].To != "amber" || h.Ratings[1].From != "amber" || h.Ratings[1].To != "red" || !h.Ratings[1].DueAt.Equal(due) {
		t.Errorf("ratings %+v", h.Ratings)
	}
	if len(h.Requests) != 1 || h.Requests[0].Return == nil || h.Decision == nil || h.Feedback == nil || h.Feedback.Status != mash.FeedbackSent {
		t.Errorf("history: requests %+v decision %+v feedback %+v", h.Requests, h.Decision, h.Feedback)
	}
	if h.ContactID != id {
		t.Errorf("history contact_id %q", h.ContactID)
	}
}

// TestConsentRules: without consent, partner checks below Red need a
// manager's recorded override; screeners cannot record one.
func TestConsentRules(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		noConsent := func() map[string]any {
			b := contactBody(base.Add(-time.Hour))
			b["consent"] = map[string]any{"family_aware": false, "status": "not_sought", "reason": "Would place the child at risk", "approved_by": "Team manager"}
			return b
		}
		c := e.create("referrer", noConsent())
		path := "/contacts/" + c.ID
		e.screen(c.ID, "green", 1)

		ask := map[string]any{"agency_id": e.f.Police.ID, "question": "Anything known?"}
		before := snapshot(t, db)
		p := wantProblem(t, e.do("POST", path+"/requests", "screener", ask), http.StatusConflict)
		if !strings.Contains(p.Detail, "consent override") {
			t.Errorf("409 detail %q does not say an override is needed", p.Detail)
		}
		override := map[string]any{"lawful_basis": "UK GDPR Art 6(1)(e); DPA 2018 Sch 1 para 18", "reason": "Risk of significant harm", "version": 2}
		wantProblem(t, e.do("POST", path+"/consent-override", "screener", override), http.StatusForbidden)
		wantProblem(t, e.do("POST", path+"/consent-override", "manager", map[string]any{"version": 2}), 422, "lawful_basis", "reason")
		wantUnchanged(t, db, before, "refused checks and overrides")

		r := e.do("POST", path+"/consent-override", "manager", override)
		wantStatus(t, r, 200)
		var got mash.Contact
		r.decode(t, &got)
		if got.ConsentOverride == nil || got.ConsentOverride.By != e.users["manager"].ID || got.Version != 3 ||
			got.ConsentOverride.LawfulBasis != override["lawful_basis"] {
			t.Fatalf("override: %+v", got.ConsentOverride)
		}
		override["version"] = 3
		wantProblem(t, e.do("POST", path+"/consent-override", "manager", override), http.StatusConflict)
		wantStatus(t, e.do("POST", path+"/requests", "screener", ask), http.StatusCreated)

		// Red: checks go ahead without consent or override.
		red := e.create("referrer", noConsent())
		e.screen(red.ID, "red", 1)
		wantStatus(t, e.do("POST", "/contacts/"+red.ID+"/requests", "screener", ask), http.StatusCreated)

		// Consent given: no override is needed (409).
		given := e.create("referrer", nil)
		e.screen(given.ID, "green", 1)
		override["version"] = 2
		wantProblem(t, e.do("POST", "/contacts/"+given.ID+"/consent-override", "manager", override), http.StatusConflict)
		wantStatus(t, e.do("POST", "/contacts/"+given.ID+"/requests", "screener", ask), http.StatusCreated)
	})
}

// TestDeclinedReturn: declining to share needs a legal basis and a reason.
func TestDeclinedReturn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.create("referrer", nil)
		e.screen(c.ID, "amber", 1)
		q := e.ask(c.ID, e.f.Health.ID)
		path := "/requests/" + q.ID + "/return"

		before := snapshot(t, db)
		for _, tc := range []struct {
			name   string
			body   map[string]any
			fields []string
		}{
			{"declined bare", map[string]any{"outcome": "declined", "version": 1}, []string{"legal_basis", "reason"}},
			{"declined blank", map[string]any{"outcome": "declined", "legal_basis": " ", "reason": "\t", "version": 1}, []string{"legal_basis", "reason"}},
			{"declined with items", map[string]any{"outcome": "declined", "legal_basis": "x", "reason": "y", "version": 1,
				"items": []map[string]any{{"summary": "s", "marking": "family"}}}, []string{"items"}},
			{"no outcome", map[string]any{"version": 1}, []string{"outcome"}},
			{"information without items", map[string]any{"outcome": "information", "version": 1}, []string{"items"}},
			{"item without summary or marking", map[string]any{"outcome": "information", "version": 1,
				"items": []map[string]any{{"summary": "ok", "marking": "family"}, {"marking": "secret"}}}, []string{"items[1].summary", "items[1].marking"}},
			{"item from the future", map[string]any{"outcome": "information", "version": 1,
				"items": []map[string]any{{"summary": "s", "marking": "family", "occurred_on": "2027-01-01"}}}, []string{"items[0].occurred_on"}},
			{"nothing held with items", map[string]any{"outcome": "nothing_held", "version": 1,
				"items": []map[string]any{{"summary": "s", "marking": "family"}}}, []string{"items"}},
			{"no version", map[string]any{"outcome": "nothing_held"}, []string{"version"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantProblem(t, e.doT(t, "POST", path, "health", tc.body), 422, tc.fields...)
			})
		}
		wantUnchanged(t, db, before, "invalid returns")
		if got := e.contact("screener", c.ID).Requests[0]; got.Status != mash.RequestOpen || got.Version != 1 {
			t.Fatalf("request after invalid returns: %+v", got)
		}

		r := e.do("POST", path, "health", map[string]any{"outcome": "declined", "legal_basis": "Caldicott principle 1",
			"reason": "Not proportionate at this threshold"}, "If-Match", `"1"`)
		wantStatus(t, r, 200)
		var got mash.InfoRequest
		r.decode(t, &got)
		if got.Status != mash.RequestReturned || got.Return == nil || got.Return.Outcome != mash.ReturnDeclined || got.Return.LegalBasis != "Caldicott principle 1" {
			t.Fatalf("declined: %+v", got)
		}
	})
}

// TestQueueFilters checks the queue's filters and their errors.
func TestQueueFilters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		fresh := e.create("referrer", nil)
		// Received a week ago: its one-working-day screening clock has run out.
		late := e.create("referrer", contactBody(base.Add(-7*24*time.Hour)))
		urgent := contactBody(base.Add(-time.Hour))
		urgent["immediate_risk"] = true
		red := e.create("referrer", urgent)
		if red.RAG != "red" {
			t.Fatalf("immediate risk is not rated red at once: %+v", red)
		}

		for _, tc := range []struct {
			query string
			want  []string
			as    string
		}{
			{"", []string{red.ID, late.ID, fresh.ID}, "screener"}, // immediate risk first, then by deadline
			{"?overdue=true", []string{late.ID}, "screener"},
			{"?overdue=false", []string{red.ID, fresh.ID}, "screener"},
			{"?overdue=1", []string{late.ID}, "screener"},
			{"?rag=red", []string{red.ID}, "screener"},
			{"?status=received&rag=red", []string{red.ID}, "screener"},
			{"?status=in_mash", []string{}, "screener"},
			{"?limit=1", []string{red.ID}, "screener"},
			{"", []string{red.ID, late.ID, fresh.ID}, "referrer"}, // a referrer lists what they sent
			{"", []string{}, "referrer2"},                         // and only that
		} {
			t.Run(tc.as+tc.query, func(t *testing.T) {
				r := e.doT(t, "GET", "/contacts"+tc.query, tc.as, nil)
				wantStatus(t, r, 200)
				var list []mash.ContactSummary
				r.decode(t, &list)
				got := []string{}
				for _, s := range list {
					got = append(got, s.ID)
					if s.ID == late.ID && !s.Overdue && tc.as == "screener" {
						t.Errorf("the late contact is not marked overdue: %+v", s)
					}
					if tc.as != "screener" && (s.RAG != "" || s.DueAt != nil || s.Overdue) {
						t.Errorf("%s sees the hub's rating or clock: %+v", tc.as, s)
					}
					if s.Subject != "Kayleigh Smith" {
						t.Errorf("summary subject %q", s.Subject)
					}
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("got %v, want %v", got, tc.want)
				}
				if !strings.HasPrefix(string(r.Body), "[") {
					t.Errorf("an empty queue must be [], got %s", r.Body)
				}
			})
		}
		for _, tc := range []struct{ query, field string }{
			{"?status=bogus", "status"},
			{"?rag=purple", "rag"},
			{"?overdue=maybe", "overdue"},
			{"?limit=0", "limit"},
			{"?limit=1001", "limit"},
			{"?limit=ten", "limit"},
		} {
			t.Run(tc.query, func(t *testing.T) {
				wantProblem(t, e.doT(t, "GET", "/contacts"+tc.query, "screener", nil), 422, tc.field)
			})
		}
		for _, tc := range []struct{ query, field string }{
			{"?status=closed", "status"},
			{"?limit=-1", "limit"},
		} {
			t.Run("requests"+tc.query, func(t *testing.T) {
				wantProblem(t, e.doT(t, "GET", "/requests"+tc.query, "screener", nil), 422, tc.field)
			})
		}
	})
}
