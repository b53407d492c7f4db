package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"openmash.org/mash/internal/api"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestCreateContactBadInput: every bad POST /contacts gets a 4xx problem that
// names the field (or, for a body that is not a JSON object, says so in
// detail), and stores nothing — not even an audit event.
func TestCreateContactBadInput(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		valid := func() map[string]any { return contactBody(base.Add(-time.Hour)) }
		with := func(path string, v any) any {
			b := valid()
			setPath(t, b, path, v)
			return b
		}
		without := func(paths ...string) any {
			b := valid()
			for _, p := range paths {
				delPath(t, b, p)
			}
			return b
		}
		validJSON, _ := json.Marshal(valid())
		huge := valid()
		huge["narrative"] = strings.Repeat("a", api.MaxBody+1024)

		for _, tc := range []struct {
			name   string
			body   any      // raw string/[]byte or a value sent as JSON
			hdr    []string // extra headers
			as     string   // default referrer
			status int
			fields []string // named in errors
			detail string   // contained in detail
		}{
			// Not one JSON object.
			{name: "malformed JSON", body: `{"narrative": "x", }`, status: 400, detail: "not valid JSON"},
			{name: "cut short", body: `{"narrative": "x"`, status: 400, detail: "cut short"},
			{name: "trailing garbage", body: string(validJSON) + "garbage", status: 400, detail: "nothing after it"},
			{name: "two objects", body: string(validJSON) + " {}", status: 400, detail: "nothing after it"},
			{name: "trailing bracket", body: string(validJSON) + "]", status: 400, detail: "nothing after it"},
			{name: "empty body", body: "", status: 400, detail: "empty"},
			{name: "whitespace body", body: " \n ", status: 400, detail: "empty"},
			{name: "array", body: `[]`, status: 422, fields: []string{"body"}},
			{name: "string", body: `"contact"`, status: 422, fields: []string{"body"}},
			{name: "null", body: `null`, status: 422, fields: []string{"narrative", "subjects", "concerns", "channel", "cohort", "consent.status"}},
			{name: "oversize", body: huge, status: http.StatusRequestEntityTooLarge, detail: "larger than"},
			{name: "wrong content type", body: validJSON, hdr: []string{"Content-Type", "text/plain"}, status: http.StatusUnsupportedMediaType, detail: "JSON"},
			{name: "form content type", body: validJSON, hdr: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: http.StatusUnsupportedMediaType},
			{name: "look-alike content type", body: validJSON, hdr: []string{"Content-Type", "application/jsonp"}, status: http.StatusUnsupportedMediaType},

			// Unknown fields.
			{name: "unknown top-level field", body: with("nhs_no", "9434765919"), status: 422, fields: []string{"nhs_no"}},
			{name: "server field id", body: with("id", "0190a0a0-0000-7000-8000-000000000000"), status: 422, fields: []string{"id"}},
			{name: "server field status", body: with("status", "closed"), status: 422, fields: []string{"status"}},
			{name: "unknown nested field", body: with("subjects.0.foo", 1), status: 422, fields: []string{"subjects[0].foo"}},
			{name: "unknown field in second subject", body: with("subjects.1.middle_name", "Jo"), status: 422, fields: []string{"subjects[1].middle_name"}},
			{name: "unknown field in object", body: with("consent.signed", true), status: 422, fields: []string{"consent.signed"}},

			// Wrong types.
			{name: "dob as number", body: with("subjects.0.dob", 20150403), status: 422, fields: []string{"subjects[0].dob"}},
			{name: "narrative as object", body: with("narrative", map[string]any{}), status: 422, fields: []string{"narrative"}},
			{name: "subjects as object", body: with("subjects", map[string]any{}), status: 422, fields: []string{"subjects"}},
			{name: "immediate_risk as string", body: with("immediate_risk", "yes"), status: 422, fields: []string{"immediate_risk"}},
			{name: "referrer name as number", body: with("referrer.name", 7), status: 422, fields: []string{"referrer.name"}},
			{name: "concern as number", body: with("concerns", []any{16}), status: 422, fields: []string{"concerns[0]"}},

			// Missing required fields, one at a time and all at once.
			{name: "no narrative", body: without("narrative"), status: 422, fields: []string{"narrative"}},
			{name: "blank narrative", body: with("narrative", "   "), status: 422, fields: []string{"narrative"}},
			{name: "no subjects", body: without("subjects"), status: 422, fields: []string{"subjects"}},
			{name: "empty subjects", body: with("subjects", []any{}), status: 422, fields: []string{"subjects"}},
			{name: "no concerns", body: without("concerns"), status: 422, fields: []string{"concerns"}},
			{name: "no channel", body: without("channel"), status: 422, fields: []string{"channel"}},
			{name: "no cohort", body: without("cohort"), status: 422, fields: []string{"cohort"}},
			{name: "no consent status", body: without("consent.status"), status: 422, fields: []string{"consent.status"}},
			{name: "no received_at", body: without("received_at"), status: 422, fields: []string{"received_at"}},
			{name: "no referrer name", body: without("referrer.name"), status: 422, fields: []string{"referrer.name"}},
			{name: "everything missing", body: `{}`, status: 422, fields: []string{"narrative", "subjects", "concerns", "channel", "cohort", "consent.status", "received_at"}},

			// Bad values.
			{name: "impossible date", body: with("subjects.0.dob", "2015-02-31"), status: 422, fields: []string{"subjects[0].dob"}},
			{name: "date in another form", body: with("subjects.0.dob", "03/04/2015"), status: 422, fields: []string{"subjects[0].dob"}},
			{name: "dob in the future", body: with("subjects.1.dob", base.AddDate(0, 0, 2).Format("2006-01-02")), status: 422, fields: []string{"subjects[1].dob"}},
			{name: "bad received_at", body: with("received_at", "yesterday"), status: 422, fields: []string{"received_at"}},
			{name: "received_at without zone", body: with("received_at", "2026-03-10T09:00:00"), status: 422, fields: []string{"received_at"}},
			{name: "received_at in the future", body: with("received_at", base.Add(time.Hour).Format(time.RFC3339)), status: 422, fields: []string{"received_at"}},
			{name: "bad NHS number check digit", body: with("subjects.0.nhs_number", "9434765918"), status: 422, fields: []string{"subjects[0].nhs_number"}},
			{name: "NHS number too short", body: with("subjects.0.nhs_number", "943476591"), status: 422, fields: []string{"subjects[0].nhs_number"}},
			{name: "bad postcode", body: with("subjects.0.postcode", "LS1 4A"), status: 422, fields: []string{"subjects[0].postcode"}},
			{name: "unknown concern code for cohort", body: with("concerns", []any{"physical"}), status: 422, fields: []string{"concerns[0]"}},
			{name: "adult code with child cohort", body: with("concerns", []any{"3A", "neglect"}), status: 422, fields: []string{"concerns[1]"}},
			{name: "duplicate concern", body: with("concerns", []any{"3A", "3a"}), status: 422, fields: []string{"concerns[1]"}},
			{name: "unknown channel", body: with("channel", "carrier_pigeon"), status: 422, fields: []string{"channel"}},
			{name: "unknown cohort", body: with("cohort", "teen"), status: 422, fields: []string{"cohort"}},
			{name: "unknown subject role", body: with("subjects.0.role", "victim"), status: 422, fields: []string{"subjects[0].role"}},
			{name: "no main subject", body: with("subjects.0.role", "household_member"), status: 422, fields: []string{"subjects"}},
			{name: "nameless subject", body: without("subjects.0.given_name", "subjects.0.family_name"), status: 422, fields: []string{"subjects[0].family_name"}},
			{name: "bad sex", body: with("subjects.0.sex", "female"), status: 422, fields: []string{"subjects[0].sex"}},
			{name: "bad referrer email", body: with("referrer.email", "not-an-email"), status: 422, fields: []string{"referrer.email"}},
			{name: "unknown person", body: with("subjects.0.person_id", "0190a0a0-0000-7000-8000-000000000000"), status: 422, fields: []string{"subjects[0].person_id"}},
			{name: "narrative too long", body: with("narrative", strings.Repeat("n", 20001)), status: 422, fields: []string{"narrative"}},
			{name: "consent refused without reason or approver", body: with("consent", map[string]any{"status": "refused"}), status: 422, fields: []string{"consent.reason", "consent.approved_by"}},
			{name: "consent not sought without approver", body: with("consent", map[string]any{"status": "not_sought", "reason": "risk"}), status: 422, fields: []string{"consent.approved_by"}},
			{name: "unknown consent status", body: with("consent.status", "maybe"), status: 422, fields: []string{"consent.status"}},
			{name: "Idempotency-Key too long", body: valid(), hdr: []string{"Idempotency-Key", strings.Repeat("k", 201)}, status: 422, detail: "Idempotency-Key"},

			// Wrong role, or no token.
			{name: "analyst", body: valid(), as: "analyst", status: 403},
			{name: "researcher", body: valid(), as: "researcher", status: 403},
			{name: "auditor", body: valid(), as: "auditor", status: 403},
			{name: "admin", body: valid(), as: "admin", status: 403},
			{name: "no token", body: valid(), as: "-", status: 401},
		} {
			t.Run(tc.name, func(t *testing.T) {
				as := tc.as
				switch as {
				case "":
					as = "referrer"
				case "-":
					as = ""
				}
				before := snapshot(t, db)
				r := e.doT(t, "POST", "/contacts", as, tc.body, tc.hdr...)
				p := wantProblem(t, r, tc.status, tc.fields...)
				if tc.detail != "" && !strings.Contains(p.Detail, tc.detail) {
					t.Errorf("detail %q does not contain %q", p.Detail, tc.detail)
				}
				if tc.status == 422 && len(tc.fields) > 0 && len(p.Errors) == 0 {
					t.Errorf("a 422 must name its fields: %s", r)
				}
				wantUnchanged(t, db, before, tc.name)
			})
		}

		// And the valid body is accepted, with media-type parameters and in
		// any case (media types are case-insensitive), or with no Content-Type.
		for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON", ""} {
			r := e.do("POST", "/contacts", "referrer", valid(), "Content-Type", ct)
			if r.Status != http.StatusCreated {
				t.Errorf("Content-Type %q: got %s, want 201", ct, r)
			}
		}
		// Codes are normalised: lower-case child codes, spaced NHS numbers and postcodes.
		b := valid()
		setPath(t, b, "concerns", []any{" 3a", "16a"})
		setPath(t, b, "subjects.0.nhs_number", "943 476 5919")
		setPath(t, b, "subjects.0.postcode", "ls14ap")
		d := e.contact("referrer", e.create("referrer", b).ID)
		if d.Concerns[0] != "3A" || d.Concerns[1] != "16A" || d.Subjects[0].NHSNumber != "9434765919" || d.Subjects[0].Postcode != "LS1 4AP" {
			t.Errorf("not normalised: concerns %v, subject %+v", d.Concerns, d.Subjects[0])
		}
	})
}

// TestWriteBadInput: the other writes refuse bad bodies the same way, before
// the store sees them.
func TestWriteBadInput(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.create("referrer", nil)
		p := "/contacts/" + c.ID
		for _, tc := range []struct {
			name, path, as string
			body           any
			hdr            []string
			status         int
			fields         []string
		}{
			{"screening: no decision", p + "/screening", "screener", map[string]any{"reason": "r", "version": 1}, nil, 422, []string{"decision"}},
			{"screening: no reason", p + "/screening", "screener", map[string]any{"decision": "nfa", "version": 1}, nil, 422, []string{"reason"}},
			{"screening: accept without rag or threshold", p + "/screening", "screener", map[string]any{"decision": "accept", "reason": "r", "version": 1}, nil, 422, []string{"rag", "threshold_level"}},
			{"screening: unknown rag", p + "/screening", "screener", map[string]any{"decision": "accept", "rag": "purple", "threshold_level": 2, "reason": "r", "version": 1}, nil, 422, []string{"rag"}},
			{"screening: rag on nfa", p + "/screening", "screener", map[string]any{"decision": "nfa", "rag": "red", "reason": "r", "version": 1}, nil, 422, []string{"rag"}},
			{"screening: threshold 5", p + "/screening", "screener", map[string]any{"decision": "accept", "rag": "red", "threshold_level": 5, "reason": "r", "version": 1}, nil, 422, []string{"threshold_level"}},
			{"screening: threshold as string", p + "/screening", "screener", map[string]any{"decision": "nfa", "threshold_level": "2", "reason": "r", "version": 1}, nil, 422, []string{"threshold_level"}},
			{"screening: version as string", p + "/screening", "screener", map[string]any{"decision": "nfa", "reason": "r", "version": "1"}, nil, 422, []string{"version"}},
			{"screening: unknown field", p + "/screening", "screener", map[string]any{"decision": "nfa", "reason": "r", "version": 1, "rating": "red"}, nil, 422, []string{"rating"}},
			{"screening: bad If-Match", p + "/screening", "screener", map[string]any{"decision": "nfa", "reason": "r"}, []string{"If-Match", `"one"`}, 422, []string{"If-Match"}},
			{"screening: If-Match zero", p + "/screening", "screener", map[string]any{"decision": "nfa", "reason": "r"}, []string{"If-Match", `"0"`}, 422, []string{"If-Match"}},
			{"screening: If-Match star", p + "/screening", "screener", map[string]any{"decision": "nfa", "reason": "r"}, []string{"If-Match", `*`}, 422, []string{"If-Match"}},
			{"rag: no reason", p + "/rag", "screener", map[string]any{"rag": "red", "version": 1}, nil, 422, []string{"reason"}},
			{"close: no reason", p + "/close", "screener", map[string]any{"version": 1}, nil, 422, []string{"reason"}},
			{"feedback: no text", p + "/feedback", "screener", map[string]any{"version": 1}, nil, 422, []string{"text"}},
			{"decision: empty", p + "/decision", "manager", map[string]any{"version": 1}, nil, 422, []string{"threshold_level", "outcomes", "rationale"}},
			{"decision: bad outcomes", p + "/decision", "manager", map[string]any{"version": 1, "threshold_level": 2, "rationale": "r",
				"outcomes": []string{"adult_s42_enquiry", "nfa", "nfa", "jail"}}, nil, 422, []string{"outcomes[0]", "outcomes[2]", "outcomes[3]"}},
			{"decision: view without agency", p + "/decision", "manager", map[string]any{"version": 1, "threshold_level": 2, "rationale": "r",
				"outcomes": []string{"nfa"}, "agency_views": []map[string]any{{"view": "v"}}}, nil, 422, []string{"agency_views[0].agency_id"}},
			{"requests: empty", p + "/requests", "screener", map[string]any{}, nil, 422, []string{"agency_id", "question"}},
			{"requests: bad due_at", p + "/requests", "screener", map[string]any{"agency_id": e.f.Police.ID, "question": "q", "due_at": "soon"}, nil, 422, []string{"due_at"}},
			{"requests: past due_at", p + "/requests", "screener", map[string]any{"agency_id": e.f.Police.ID, "question": "q", "due_at": base.Add(-time.Hour).Format(time.RFC3339)}, nil, 422, []string{"due_at"}},
			{"token: wrong content type", "/auth/token", "", "email=x", []string{"Content-Type", "text/plain"}, 415, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := snapshot(t, db)
				r := e.doT(t, "POST", tc.path, tc.as, tc.body, tc.hdr...)
				wantProblem(t, r, tc.status, tc.fields...)
				wantUnchanged(t, db, before, tc.name)
			})
		}
		if d := e.contact("screener", c.ID); d.Version != 1 || d.Status != "received" {
			t.Errorf("after bad writes: version %d status %s", d.Version, d.Status)
		}
	})
}
