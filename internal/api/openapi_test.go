package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/api"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

var update = flag.Bool("update", false, "rewrite testdata/openapi.golden.json from the served document")

// spec is the served OpenAPI document, with helpers to find an operation and
// check a value against a schema.
type spec struct {
	doc   map[string]any
	paths map[string]any
}

func loadSpec(t *testing.T, e *env) *spec {
	t.Helper()
	r := e.do("GET", "/openapi.json", "", nil)
	wantStatus(t, r, 200)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("openapi.json Content-Type %q", ct)
	}
	s := &spec{doc: r.obj(t)}
	if s.doc["openapi"] != "3.1.0" {
		t.Errorf("openapi %v", s.doc["openapi"])
	}
	s.paths, _ = s.doc["paths"].(map[string]any)
	if len(s.paths) == 0 {
		t.Fatal("the document has no paths")
	}
	return s
}

// operation is one path+method of the document.
type operation struct {
	method, path string // upper-case method; full path template
	op           map[string]any
}

func (s *spec) operations() []operation {
	var out []operation
	for p, item := range s.paths {
		for m, op := range item.(map[string]any) {
			out = append(out, operation{strings.ToUpper(m), p, op.(map[string]any)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path+out[i].method < out[j].path+out[j].method })
	return out
}

func (o operation) action() mash.Action { a, _ := o.op["x-action"].(string); return mash.Action(a) }

// fill replaces the path's parameters with id.
func (o operation) fill(id string) string {
	parts := strings.Split(o.path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "{") {
			parts[i] = id
		}
	}
	return strings.Join(parts, "/")
}

// route finds the operation serving method and path (query ignored).
func (s *spec) route(method, path string) (operation, bool) {
	path, _, _ = strings.Cut(path, "?")
	got := strings.Split(path, "/")
	for _, o := range s.operations() {
		if o.method != method {
			continue
		}
		want := strings.Split(o.path, "/")
		if len(want) != len(got) {
			continue
		}
		ok := true
		for i := range want {
			if want[i] != got[i] && !(strings.HasPrefix(want[i], "{") && got[i] != "") {
				ok = false
				break
			}
		}
		if ok {
			return o, true
		}
	}
	return operation{}, false
}

func (s *spec) resolve(schema any) map[string]any {
	sc, _ := schema.(map[string]any)
	for range 10 {
		ref, ok := sc["$ref"].(string)
		if !ok {
			return sc
		}
		cur := any(s.doc)
		for _, p := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			m, _ := cur.(map[string]any)
			cur = m[p]
		}
		sc, _ = cur.(map[string]any)
		if sc == nil {
			panic("unresolvable $ref " + ref)
		}
	}
	return sc
}

// schemaFor returns the documented schema of an operation's response with
// the given status, and its media type; ok is false if the status is not
// documented (the default response is problems, 4xx and 5xx, only).
func (o operation) schemaFor(status int) (schema any, media string, ok bool) {
	responses, _ := o.op["responses"].(map[string]any)
	res, ok := responses[strconv.Itoa(status)].(map[string]any)
	if !ok {
		if status < 400 {
			return nil, "", false
		}
		res = responses["default"].(map[string]any)
	}
	for m, c := range res["content"].(map[string]any) {
		return c.(map[string]any)["schema"], m, true
	}
	return nil, "", false
}

// conform checks a response against the document and reports violations.
func (s *spec) conform(t *testing.T, r *resp) {
	t.Helper()
	o, ok := s.route(r.Method, r.Path)
	if !ok {
		return
	}
	schema, media, ok := o.schemaFor(r.Status)
	if !ok {
		t.Errorf("OpenAPI: %s %s answered %d, which the document does not list", r.Method, o.path, r.Status)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != media {
		t.Errorf("OpenAPI: %s %s %d: Content-Type %q, documented %q", r.Method, o.path, r.Status, ct, media)
	}
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Errorf("OpenAPI: %s: body is not JSON: %v", r, err)
		return
	}
	for _, msg := range s.check(schema, v, "$") {
		t.Errorf("OpenAPI: %s %s %d: %s", r.Method, o.path, r.Status, msg)
	}
}

// check validates v against schema (the subset of JSON Schema the document
// uses: $ref, type, properties, additionalProperties, items, enum, format).
func (s *spec) check(schema, v any, at string) []string {
	sc := s.resolve(schema)
	if len(sc) == 0 {
		return nil
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, args...)) }
	if enum, ok := sc["enum"].([]any); ok && !slices.Contains(enum, v) {
		bad("%v is not one of %v", v, enum)
	}
	switch sc["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			bad("is %s, documented as an object", jsonKind(v))
			break
		}
		props, _ := sc["properties"].(map[string]any)
		for _, k := range sortedKeys(m) {
			if ps, ok := props[k]; ok {
				errs = append(errs, s.check(ps, m[k], at+"."+k)...)
				continue
			}
			switch ap := sc["additionalProperties"].(type) {
			case map[string]any:
				errs = append(errs, s.check(ap, m[k], at+"."+k)...)
			default:
				if props != nil || ap == false {
					bad("property %q is not documented", k)
				}
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			bad("is %s, documented as an array", jsonKind(v))
			break
		}
		for i, x := range a {
			errs = append(errs, s.check(sc["items"], x, fmt.Sprintf("%s[%d]", at, i))...)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			bad("is %s, documented as a string", jsonKind(v))
		} else if sc["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339, str); err != nil {
				bad("%q is not an RFC 3339 date-time", str)
			}
		}
	case "integer":
		if f, ok := v.(float64); !ok || f != math.Trunc(f) {
			bad("is %s %v, documented as an integer", jsonKind(v), v)
		}
	case "number":
		if _, ok := v.(float64); !ok {
			bad("is %s, documented as a number", jsonKind(v))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("is %s, documented as a boolean", jsonKind(v))
		}
	}
	return errs
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// sample builds a value for a schema with every documented property present.
func (s *spec) sample(schema any, depth int) any {
	sc := s.resolve(schema)
	if enum, ok := sc["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	switch sc["type"] {
	case "object":
		m := map[string]any{}
		if depth < 6 {
			for k, ps := range sc["properties"].(map[string]any) {
				m[k] = s.sample(ps, depth+1)
			}
		}
		return m
	case "array":
		return []any{s.sample(sc["items"], depth+1)}
	case "string":
		if sc["format"] == "date-time" {
			return base.Add(time.Hour).Format(time.RFC3339)
		}
		return "x"
	case "integer", "number":
		return 1
	case "boolean":
		return false
	}
	return nil
}

// roleFor returns a role that may take the action.
func roleFor(a mash.Action) string {
	for _, r := range []mash.Role{mash.RoleManager, mash.RoleScreener, mash.RoleResearcher, mash.RoleReferrer, mash.RoleAuditor, mash.RoleAdmin} {
		if mash.Can(mash.Actor{Role: r}, a, mash.Resource{}) {
			return string(r)
		}
	}
	return ""
}

// knownRoutes is every route the handlers serve, written out by hand.
var knownRoutes = []string{
	"GET /api/v1/referrals",
	"GET /api/v1/feedback-templates",
	"PUT /api/v1/feedback-templates",
	"GET /api/v1/contacts/{id}/feedback-draft",
	"GET /api/v1/feedback-breaches",
	"GET /api/v1/disagreement-policy",
	"PUT /api/v1/disagreement-policy",
	"POST /api/v1/contacts/{id}/disagreements",
	"GET /api/v1/disagreements",
	"GET /api/v1/disagreements/{id}",
	"POST /api/v1/disagreements/{id}/respond",
	"GET /api/v1/measures",
	"GET /api/v1/measures/{name}",
	"POST /api/v1/webhooks",
	"GET /api/v1/webhooks",
	"DELETE /api/v1/webhooks/{id}",
	"GET /api/v1/webhooks/{id}/deliveries",
	"POST /api/v1/auth/token",
	"DELETE /api/v1/auth/token",
	"GET /api/v1/openapi.json",
	"GET /api/v1/agencies",
	"GET /api/v1/policy",
	"POST /api/v1/contacts",
	"GET /api/v1/contacts",
	"GET /api/v1/contacts/{id}",
	"POST /api/v1/contacts/{id}/screening",
	"POST /api/v1/contacts/{id}/rag",
	"POST /api/v1/contacts/{id}/consent-override",
	"POST /api/v1/contacts/{id}/requests",
	"POST /api/v1/contacts/{id}/decision",
	"POST /api/v1/contacts/{id}/feedback",
	"POST /api/v1/contacts/{id}/close",
	"GET /api/v1/contacts/{id}/history",
	"GET /api/v1/requests",
	"POST /api/v1/requests/{id}/return",
	"POST /api/v1/contacts/{id}/break-glass",
	"POST /api/v1/items/{id}/release",
	"GET /api/v1/audit/events",
	"GET /api/v1/audit/break-glass",
	"POST /api/v1/audit/break-glass/{id}/review",
	"POST /api/v1/persons/match",
	"GET /api/v1/persons/{id}",
	"POST /api/v1/persons/{id}/merge",
	"POST /api/v1/merges/{id}/undo",
	"GET /api/v1/match-reviews",
	"POST /api/v1/match-reviews/{id}/resolve",
	"GET /api/v1/jobs",
	"GET /api/v1/notifications",
	"POST /api/v1/notifications/{id}/read",
	"GET /api/v1/breaches",
	"POST /api/v1/breaches/{id}/reason",
	"POST /api/v1/contacts/{id}/assignment",
	"POST /api/v1/requests/{id}/chase",
	"GET /api/v1/pattern-rules",
	"PUT /api/v1/pattern-rules",
	"GET /api/v1/contacts/{id}/alerts",
	"GET /api/v1/alerts",
	"POST /api/v1/alerts/{id}/acknowledge",
}

// TestOpenAPIRoutes: the document lists exactly the routes served.
func TestOpenAPIRoutes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		s := loadSpec(t, e)
		c := e.create("referrer", nil)

		var documented []string
		for _, o := range s.operations() {
			documented = append(documented, o.method+" "+o.path)
			if o.op["summary"] == "" || o.op["operationId"] == "" {
				t.Errorf("%s %s: no summary or operationId", o.method, o.path)
			}
			// Served: not the API's "no such API route", nor a 405.
			as := ""
			if a := o.action(); a != "" {
				as = roleFor(a)
				if as == "" {
					t.Errorf("%s %s: no role may take action %s", o.method, o.path, a)
					continue
				}
				if _, ok := o.op["security"]; !ok {
					t.Errorf("%s %s: x-action without security", o.method, o.path)
				}
			}
			var body any
			if o.method == "POST" {
				body = map[string]any{}
			}
			r := e.do(o.method, o.fill(c.ID), as, body)
			if r.Status == http.StatusMethodNotAllowed || r.Status == http.StatusNotFound && strings.Contains(string(r.Body), "no such API route") {
				t.Errorf("%s %s is documented but not served: %s", o.method, o.path, r)
			}
		}
		sort.Strings(documented)
		want := slices.Clone(knownRoutes)
		sort.Strings(want)
		for _, k := range want {
			if !slices.Contains(documented, k) {
				t.Errorf("route %s is not in the document", k)
			}
		}
		for _, d := range documented {
			if !slices.Contains(want, d) {
				t.Errorf("the document lists %s, which this test does not know: add it to knownRoutes", d)
			}
		}

		// Unknown routes are a problem 404 that says so.
		for _, path := range []string{"/api/v1/nope", "/api/v1/contacts/" + c.ID + "/nope", "/api/v1/", "/api/v1/contacts/" + c.ID + "/history/x"} {
			p := wantProblem(t, e.do("GET", path, "screener", nil), http.StatusNotFound)
			if p.Detail != "no such API route" {
				t.Errorf("GET %s: detail %q", path, p.Detail)
			}
		}
	})
}

// TestWrongMethod: a served path with a method it does not serve is a 405
// naming the allowed methods, not "no such API route".
func TestWrongMethod(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.create("referrer", nil)
		for _, tc := range []struct{ method, path, allow string }{
			{"DELETE", "/contacts", "GET, POST"},
			{"PUT", "/contacts/" + c.ID, "GET"},
			{"GET", "/contacts/" + c.ID + "/screening", "POST"},
			{"GET", "/auth/token", "DELETE, POST"},
		} {
			r := e.do(tc.method, tc.path, "screener", nil)
			p := wantProblem(t, r, http.StatusMethodNotAllowed)
			if got := r.Header.Get("Allow"); !sameMethods(got, tc.allow) {
				t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
			}
			if p.Detail == "no such API route" {
				t.Errorf("%s %s: detail %q", tc.method, tc.path, p.Detail)
			}
		}
	})
}

func sameMethods(a, b string) bool {
	split := func(s string) []string {
		var out []string
		for _, m := range strings.Split(s, ",") {
			if m = strings.TrimSpace(m); m != "" && m != "HEAD" {
				out = append(out, m)
			}
		}
		sort.Strings(out)
		return out
	}
	return slices.Equal(split(a), split(b))
}

// TestOpenAPIRequestBodies: every documented request property is accepted by
// its handler (no "unknown field", no wrong type), and an undocumented one
// is refused.
func TestOpenAPIRequestBodies(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		s := loadSpec(t, e)
		n := 0
		for _, o := range s.operations() {
			rb, ok := o.op["requestBody"].(map[string]any)
			if !ok {
				continue
			}
			n++
			schema := rb["content"].(map[string]any)["application/json"].(map[string]any)["schema"]
			body, ok := s.sample(schema, 0).(map[string]any)
			if !ok || len(body) == 0 {
				t.Errorf("%s %s: the request body has no properties", o.method, o.path)
				continue
			}
			// Times are RFC 3339 and documented so, even where the handler
			// reads them as strings to report a bad one against its field.
			for name, ps := range s.resolve(schema)["properties"].(map[string]any) {
				if strings.HasSuffix(name, "_at") && s.resolve(ps)["format"] != "date-time" {
					t.Errorf("%s %s: request property %s is not documented as a date-time: %v", o.method, o.path, name, ps)
				}
			}
			as := roleFor(o.action())
			path := o.fill("0190a0a0-0000-7000-8000-000000000000")
			t.Run(o.method+" "+o.path, func(t *testing.T) {
				r := e.doT(t, o.method, path, as, body)
				if r.Status == 400 || r.Status == 415 || r.Status == 413 {
					t.Fatalf("a body with every documented property was refused as a whole: %s", r)
				}
				var p struct {
					Detail string            `json:"detail"`
					Errors map[string]string `json:"errors"`
				}
				json.Unmarshal(r.Body, &p)
				for f, msg := range p.Errors {
					if msg == "unknown field" || strings.Contains(p.Detail, "wrong type") {
						t.Errorf("documented property %s refused: %s", f, msg)
					}
				}
				body["zz_undocumented"] = true
				wantProblem(t, e.doT(t, o.method, path, as, body), 422, "zz_undocumented")
			})
		}
		if n < 10 {
			t.Errorf("only %d request bodies documented", n)
		}
	})
}

// TestOpenAPIResponses runs the journey and more with every response checked
// against the document: every field returned is documented, with its type.
func TestOpenAPIResponses(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.spec = loadSpec(t, e)
		walkJourney(t, e)

		// Routes the journey does not visit, and states it does not reach.
		for _, path := range []string{"/agencies", "/policy", "/requests", "/contacts?overdue=true"} {
			wantStatus(t, e.do("GET", path, "manager", nil), 200)
		}
		wantStatus(t, e.do("POST", "/auth/token", "", e.signIn("manager@hub.example", e.f.Password)), 200)
		c := e.create("referrer", nil, "Idempotency-Key", "k1")
		wantStatus(t, e.do("POST", "/contacts", "referrer", contactBody(base.Add(-time.Hour)), "Idempotency-Key", "k1"), 200)
		wantStatus(t, e.do("GET", "/contacts/"+c.ID+"/history", "manager", nil), 200) // no requests yet
		e.screen(c.ID, "green", 1)
		q := e.ask(c.ID, e.f.Health.ID)
		wantStatus(t, e.do("GET", "/contacts/"+c.ID, "health", nil), 200)
		wantStatus(t, e.do("POST", "/requests/"+q.ID+"/return", "health", map[string]any{"outcome": "nothing_held", "version": 1}), 200)
		wantStatus(t, e.do("POST", "/contacts/"+c.ID+"/decision", "manager",
			map[string]any{"threshold_level": 1, "outcomes": []string{"nfa"}, "rationale": "Universal services", "version": 2}), 200)
		wantStatus(t, e.do("GET", "/contacts/"+c.ID, "referrer", nil), 200) // a referrer's view of a decision without views
		wantStatus(t, e.do("GET", "/contacts/"+c.ID+"/history", "manager", nil), 200)
		// Problems conform too.
		wantProblem(t, e.do("GET", "/contacts/nope", "manager", nil), 404)
		wantProblem(t, e.do("POST", "/contacts", "referrer", map[string]any{}), 422)
	})
}

// TestOpenAPIGolden compares the document with testdata/openapi.golden.json,
// so every change to the API contract shows in review. Run
// go test ./internal/api -run TestOpenAPIGolden -update to accept a change.
func TestOpenAPIGolden(t *testing.T) {
	t.Parallel()
	// The document does not depend on the store.
	doc := api.New(nil, slog.New(slog.DiscardHandler)).OpenAPI()
	got, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "openapi.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("the OpenAPI document differs from %s at line %d:\n got: %s\nwant: %s\n"+
					"If the change is intended, run: go test ./internal/api -run TestOpenAPIGolden -update", golden, i+1, g, w)
			}
		}
	}
}
