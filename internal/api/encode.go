package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"openmash.org/mash"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail,omitempty"`
	Errors    map[string]string `json:"errors,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

var statusOf = map[mash.Kind]int{
	mash.KindInvalid:         http.StatusUnprocessableEntity,
	mash.KindNotFound:        http.StatusNotFound,
	mash.KindConflict:        http.StatusConflict,
	mash.KindForbidden:       http.StatusForbidden,
	mash.KindUnauthenticated: http.StatusUnauthorized,
	mash.KindUnavailable:     http.StatusServiceUnavailable,
	mash.KindInternal:        http.StatusInternalServerError,
}

// problem writes err as a problem document. Only the error's safe message and
// fields reach the client; internal errors are logged with the request id.
func (s *Server) problem(w http.ResponseWriter, r *http.Request, err error) {
	kind := mash.KindOf(err)
	status := statusOf[kind]
	if e, ok := errors.AsType[*badRequest](err); ok {
		status, kind = e.status, mash.KindInvalid
	}
	id, _ := r.Context().Value(requestIDKey).(string)
	p := Problem{Type: "https://openmash.org/problems/" + kind.String(), Title: http.StatusText(status), Status: status, RequestID: id}
	// The safe message is the first non-empty one down the chain.
	for e := err; e != nil; e = errors.Unwrap(e) {
		if me, ok := e.(*mash.Error); ok {
			if p.Detail == "" {
				p.Detail = me.Msg
			}
			if p.Errors == nil && len(me.Fields) > 0 {
				p.Errors = me.Fields
			}
		}
	}
	if e, ok := errors.AsType[*badRequest](err); ok {
		p.Detail, p.Errors = e.msg, e.fields
	}
	if kind == mash.KindInternal {
		s.log.Error("internal error", "request_id", id, "err", err)
		p.Detail = "something went wrong in the hub; the error is logged with this request id"
	}
	if kind == mash.KindUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p)
}

// badRequest is a problem with the request's form (not its meaning): bad JSON,
// unknown fields, a body too large.
type badRequest struct {
	status int
	msg    string
	fields map[string]string
}

func (e *badRequest) Error() string { return e.msg }

func (s *Server) json(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// decode reads one JSON object into v, refusing unknown fields, trailing
// data and bodies over MaxBody, and naming the field at fault by its full
// path, e.g. "subjects[1].dob", as validation does.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return &badRequest{status: http.StatusUnsupportedMediaType, msg: "the body must be JSON (Content-Type: application/json)"}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return &badRequest{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("the body is larger than %d bytes", MaxBody)}
		}
		return &badRequest{status: http.StatusBadRequest, msg: "the body could not be read"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		if dec.More() {
			return &badRequest{status: http.StatusBadRequest, msg: "the body must hold one JSON object and nothing after it"}
		}
		if _, err := dec.Token(); err != io.EOF {
			return &badRequest{status: http.StatusBadRequest, msg: "the body must hold one JSON object and nothing after it"}
		}
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var badTime *time.ParseError
	switch {
	case errors.Is(err, io.EOF):
		return &badRequest{status: http.StatusBadRequest, msg: "the body is empty; a JSON object is required"}
	case errors.As(err, &syn):
		return &badRequest{status: http.StatusBadRequest, msg: fmt.Sprintf("the body is not valid JSON (at byte %d)", syn.Offset)}
	case errors.As(err, &typ):
		field := locate(reflect.TypeOf(v), body)
		if field == "" {
			field = typ.Field
		}
		got, _, _ := strings.Cut(typ.Value, " ") // "number 1.5": the kind, not the value
		if field == "" {
			field = "body"
		}
		return &badRequest{status: http.StatusUnprocessableEntity, msg: "a field has the wrong type",
			fields: map[string]string{field: fmt.Sprintf("must be %s, not %s", jsonType(typ.Type.Kind().String()), got)}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := locate(reflect.TypeOf(v), body)
		if name == "" {
			name = strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		}
		return &badRequest{status: http.StatusUnprocessableEntity, msg: "the body has a field the API does not know",
			fields: map[string]string{name: "unknown field"}}
	case errors.As(err, &badTime):
		field := locate(reflect.TypeOf(v), body)
		if field == "" {
			field = "body"
		}
		return &badRequest{status: http.StatusUnprocessableEntity, msg: "a field has the wrong form",
			fields: map[string]string{field: "must be an RFC 3339 time, e.g. 2026-12-24T16:00:00Z"}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &badRequest{status: http.StatusBadRequest, msg: "the body is cut short: not complete JSON"}
	}
	if me, ok := errors.AsType[*mash.Error](err); ok {
		return me
	}
	return &badRequest{status: http.StatusBadRequest, msg: "the body could not be read as JSON"}
}

// locate returns the path of the first part of body (valid JSON) that does
// not fit t: a key t has no field for, or a value of the wrong kind. It
// returns "" if it finds none. encoding/json reports neither array indexes
// nor the path of an unknown field, so decode asks locate where the fault is.
func locate(t reflect.Type, body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var j any
	if dec.Decode(&j) != nil {
		return ""
	}
	path, _ := misfit(t, j, "")
	return path
}

var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

func misfit(t reflect.Type, j any, at string) (string, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if j == nil {
		return "", false // null fits anything
	}
	if reflect.PointerTo(t).Implements(unmarshaler) {
		raw, _ := json.Marshal(j)
		if json.Unmarshal(raw, reflect.New(t).Interface()) != nil {
			return at, true
		}
		return "", false
	}
	join := func(k string) string {
		if at == "" {
			return k
		}
		return at + "." + k
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := j.(map[string]any)
		if !ok {
			return at, true
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, ok := jsonField(t, k)
			if !ok {
				return join(k), true
			}
			if p, bad := misfit(ft, m[k], join(k)); bad {
				return p, true
			}
		}
	case reflect.Map:
		m, ok := j.(map[string]any)
		if !ok {
			return at, true
		}
		for k, x := range m {
			if p, bad := misfit(t.Elem(), x, join(k)); bad {
				return p, true
			}
		}
	case reflect.Slice, reflect.Array:
		a, ok := j.([]any)
		if !ok {
			return at, true
		}
		for i, x := range a {
			if p, bad := misfit(t.Elem(), x, fmt.Sprintf("%s[%d]", at, i)); bad {
				return p, true
			}
		}
	case reflect.String:
		_, ok := j.(string)
		return at, !ok
	case reflect.Bool:
		_, ok := j.(bool)
		return at, !ok
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := j.(json.Number)
		if !ok {
			return at, true
		}
		_, err := strconv.ParseInt(string(n), 10, t.Bits())
		return at, err != nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := j.(json.Number)
		if !ok {
			return at, true
		}
		_, err := strconv.ParseUint(string(n), 10, t.Bits())
		return at, err != nil
	case reflect.Float32, reflect.Float64:
		n, ok := j.(json.Number)
		if !ok {
			return at, true
		}
		_, err := strconv.ParseFloat(string(n), t.Bits())
		return at, err != nil
	}
	return "", false
}

// jsonField finds the type of the field encoding/json would decode key
// into: by tag or name, exact match first, then case-insensitive; embedded
// structs are searched as encoding/json flattens them.
func jsonField(t reflect.Type, key string) (reflect.Type, bool) {
	var folded reflect.Type
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				if ft, ok := jsonField(et, key); ok {
					return ft, true
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		if name == key {
			return f.Type, true
		}
		if folded == nil && strings.EqualFold(name, key) {
			folded = f.Type
		}
	}
	return folded, folded != nil
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "a whole number"
	}
	return "a number"
}

// version returns the version the client last read, from If-Match (an ETag
// such as "3" or W/"3") or from the body's version field.
func version(r *http.Request, body int) (int, error) {
	h := strings.TrimPrefix(strings.TrimSpace(r.Header.Get("If-Match")), "W/")
	if h == "" {
		return body, nil
	}
	n, err := strconv.Atoi(strings.Trim(h, `"`))
	if err != nil || n < 1 {
		return 0, &mash.Error{Kind: mash.KindInvalid, Msg: "If-Match must be the record's version, e.g. \"3\"", Fields: map[string]string{"If-Match": "is not a version"}}
	}
	if body != 0 && body != n {
		return 0, &mash.Error{Kind: mash.KindInvalid, Msg: "If-Match and the version field disagree", Fields: map[string]string{"version": "differs from If-Match"}}
	}
	return n, nil
}

func etag(w http.ResponseWriter, v int) { w.Header().Set("ETag", fmt.Sprintf(`"%d"`, v)) }
