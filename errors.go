// Package mash holds the domain of a Multi-Agency Safeguarding Hub: contacts,
// their workflow, RAG policy and working-hours clocks, partner information
// requests and returns, decisions and feedback, and the rules that govern them.
// It imports only the standard library; storage and transport live in
// internal packages that depend on it.
package mash

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Kind is the class of an error. The set is small and closed so that one place
// (the API) can map every kind to a status code.
type Kind uint8

const (
	KindInternal        Kind = iota // a fault in the hub; details go to the log only
	KindInvalid                     // the input is wrong; the message says which field and why
	KindNotFound                    // no such record (or not one the actor may see)
	KindConflict                    // a stale version, a duplicate, or an illegal state change
	KindForbidden                   // the actor's role does not allow the action
	KindUnauthenticated             // no or bad credentials
	KindUnavailable                 // the store is busy or down; the client may retry
)

func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindNotFound:
		return "not_found"
	case KindConflict:
		return "conflict"
	case KindForbidden:
		return "forbidden"
	case KindUnauthenticated:
		return "unauthenticated"
	case KindUnavailable:
		return "unavailable"
	default:
		return "internal"
	}
}

// Error is the hub's error. Msg is safe to show to the user and must never
// contain personal data; Err keeps the underlying cause for the log.
type Error struct {
	Kind   Kind
	Op     string            // where it happened, e.g. "store.CreateContact"
	Msg    string            // safe, specific message for the user
	Fields map[string]string // per-field problems, keyed by JSON path
	Err    error             // cause, for logs
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.String())
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	if len(e.Fields) > 0 {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "; %s: %s", k, e.Fields[k])
		}
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind with a formatted safe message.
func Errorf(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// KindOf reports the kind of err: the kind of the outermost *Error in its
// chain, or KindInternal when there is none.
func KindOf(err error) Kind {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Kind
	}
	return KindInternal
}

// Message returns what err may tell a user: the safe message of the first
// *Error in its chain that has one, or err's text if none does. Use it when
// one error's message becomes a field problem of another.
func Message(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if me, ok := e.(*Error); ok && me.Msg != "" {
			return me.Msg
		}
	}
	return err.Error()
}

// Wrap adds op to *errp if it is not nil, keeping its kind. Use with defer:
//
//	defer mash.Wrap(&err, "store.CreateContact")
func Wrap(errp *error, op string) {
	if *errp == nil {
		return
	}
	// Copy rather than set Op in place: some errors are shared values.
	if e, ok := (*errp).(*Error); ok && e.Op == "" {
		c := *e
		c.Op = op
		*errp = &c
		return
	}
	*errp = &Error{Kind: KindOf(*errp), Op: op, Err: *errp}
}

// FieldErrors collects per-field validation problems.
type FieldErrors map[string]string

// Add records a problem with field unless one is already recorded.
func (f FieldErrors) Add(field, problem string) {
	if _, ok := f[field]; !ok {
		f[field] = problem
	}
}

// Err returns an invalid-input error listing the fields, or nil if none.
func (f FieldErrors) Err(msg string) error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Kind: KindInvalid, Msg: msg, Fields: f}
}
