package api

import (
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"openmash.org/mash"
)

// OpenAPI returns the OpenAPI 3.1 document for the API, built from the
// routes table and the Go types of bodies and responses, so it always
// describes exactly what the handlers accept and return.
func (s *Server) OpenAPI() map[string]any {
	s.docOnce.Do(func() { s.doc = s.buildOpenAPI() })
	return s.doc
}

var pathParam = regexp.MustCompile(`\{(\w+)\}`)

func (s *Server) buildOpenAPI() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]any{}
	for _, rt := range s.routes() {
		op := map[string]any{
			"summary":     rt.summary,
			"operationId": strings.ToLower(rt.method) + strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_", ".", "_").Replace(rt.path),
			"responses": map[string]any{
				strconv.Itoa(rt.status): map[string]any{"description": http.StatusText(rt.status),
					"content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.resp))}}},
				"default": map[string]any{"description": "A problem document (RFC 9457) naming the fields at fault",
					"content": map[string]any{"application/problem+json": map[string]any{"schema": g.schema(reflect.TypeOf(Problem{}))}}},
			},
		}
		if rt.action != "" {
			op["security"] = []any{map[string]any{"bearer": []any{}}}
			op["x-action"] = string(rt.action)
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.query {
			params = append(params, map[string]any{"name": q.name, "in": "query", "description": q.desc, "schema": map[string]any{"type": "string"}})
		}
		if rt.method == "POST" && rt.body != nil && strings.Contains(rt.path, "{") {
			params = append(params, map[string]any{"name": "If-Match", "in": "header",
				"description": "the record's version as last read (or the body's version field)", "schema": map[string]any{"type": "string"}})
		}
		if rt.path == "/contacts" && rt.method == "POST" {
			op["responses"].(map[string]any)["200"] = map[string]any{"description": "A retry with the same Idempotency-Key: the contact first created",
				"content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.resp))}}}
			params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header",
				"description": "retrying with the same key returns the contact first created (200) instead of a duplicate", "schema": map[string]any{"type": "string", "maxLength": 200}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.body != nil {
			op["requestBody"] = map[string]any{"required": true,
				"content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.body))}}}
		}
		p, _ := paths[prefix+rt.path].(map[string]any)
		if p == nil {
			p = map[string]any{}
			paths[prefix+rt.path] = p
		}
		p[strings.ToLower(rt.method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "OpenMASH API", "version": "1",
			"description": "The JSON API of a Multi-Agency Safeguarding Hub. Additions are made in place; renames need a new version. Times are RFC 3339."},
		"paths": paths,
		"components": map[string]any{
			"schemas":         g.defs,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
		},
	}
}

// schemaGen writes JSON Schemas for Go types, named structs as $refs.
type schemaGen struct{ defs map[string]any }

var timeType = reflect.TypeOf(time.Time{})

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	if t == nil {
		return map[string]any{}
	}
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	if s, ok := custom[t]; ok {
		return s
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.schema(t.Elem())
	case reflect.String:
		s := map[string]any{"type": "string"}
		if e := enums[t]; e != nil {
			s["enum"] = e
		}
		return s
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		name := t.Name()
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = map[string]any{} // placeholder breaks cycles
			props := map[string]any{}
			g.fields(t, props)
			g.defs[name] = map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

// fields adds t's JSON fields to props, flattening embedded structs as
// encoding/json does.
func (g *schemaGen) fields(t reflect.Type, props map[string]any) {
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			g.fields(f.Type, props)
			continue
		}
		if name == "" {
			name = f.Name
		}
		ps := g.schema(f.Type)
		if format := f.Tag.Get("format"); format != "" { // e.g. a time read as a string
			ps = maps.Clone(ps)
			ps["format"] = format
		}
		props[name] = ps
	}
}

var enums = map[reflect.Type][]any{
	reflect.TypeOf(mash.Cohort("")):            anys(mash.Cohorts),
	reflect.TypeOf(mash.Status("")):            anys(mash.Statuses),
	reflect.TypeOf(mash.SubjectRole("")):       anys(mash.SubjectRoles),
	reflect.TypeOf(mash.ConsentStatus("")):     anys(mash.ConsentStatuses),
	reflect.TypeOf(mash.ScreeningDecision("")): anys(mash.ScreeningDecisions),
	reflect.TypeOf(mash.Marking("")):           anys(mash.Markings),
	reflect.TypeOf(mash.ReturnOutcome("")):     anys(mash.ReturnOutcomes),
	reflect.TypeOf(mash.Outcome("")):           anys(mash.Outcomes),
	reflect.TypeOf(mash.AgencyKind("")):        anys(mash.AgencyKinds),
	reflect.TypeOf(mash.Role("")):              anys(mash.Roles),
	reflect.TypeOf(mash.RequestStatus("")):     {"open", "returned", "overdue"},
	reflect.TypeOf(mash.JobState("")):          anys(mash.JobStates),
}

func anys[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	s.json(w, http.StatusOK, s.OpenAPI())
}

// custom holds the schemas of types with their own JSON form.
var custom = map[reflect.Type]map[string]any{
	reflect.TypeOf(json.RawMessage(nil)): {"type": "object"}, // a job's payload
	reflect.TypeOf(mash.RAGLevel{}): {"type": "object", "properties": map[string]any{
		"code": str, "label": str, "target_hours": map[string]any{"type": "number"},
		"clock": map[string]any{"type": "string", "enum": []any{mash.ClockWorking, mash.ClockElapsed}},
		"start": map[string]any{"type": "string", "enum": []any{mash.ClockStartReceived, mash.ClockStartScreened}}}},
	reflect.TypeOf(mash.Calendar{}): {"type": "object", "properties": map[string]any{
		"timezone": str, "days": map[string]any{"type": "array", "items": str},
		"start": str, "end": str, "holidays": map[string]any{"type": "object", "additionalProperties": str}}},
}

var str = map[string]any{"type": "string"}
