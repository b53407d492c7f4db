package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

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
// data and bodies over MaxBody, and naming the field at fault.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &badRequest{status: http.StatusUnsupportedMediaType, msg: "the body must be JSON (Content-Type: application/json)"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
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
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return &badRequest{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("the body is larger than %d bytes", MaxBody)}
	case errors.Is(err, io.EOF):
		return &badRequest{status: http.StatusBadRequest, msg: "the body is empty; a JSON object is required"}
	case errors.As(err, &syn):
		return &badRequest{status: http.StatusBadRequest, msg: fmt.Sprintf("the body is not valid JSON (at byte %d)", syn.Offset)}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return &badRequest{status: http.StatusUnprocessableEntity, msg: "a field has the wrong type",
			fields: map[string]string{field: fmt.Sprintf("must be %s, not %s", jsonType(typ.Type.Kind().String()), typ.Value)}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &badRequest{status: http.StatusUnprocessableEntity, msg: "the body has a field the API does not know",
			fields: map[string]string{name: "unknown field"}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &badRequest{status: http.StatusBadRequest, msg: "the body is cut short: not complete JSON"}
	}
	if me, ok := errors.AsType[*mash.Error](err); ok {
		return me
	}
	return &badRequest{status: http.StatusBadRequest, msg: "the body could not be read as JSON"}
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
