// Package api serves the hub's JSON API under /api/v1: the contract partner
// systems integrate against. Every route names the action it needs; the
// routes table is also the source of the OpenAPI document, so the two cannot
// drift apart.
package api

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"openmash.org/mash"
)

// Server is the API's HTTP handler.
type Server struct {
	hub      mash.Hub
	log      *slog.Logger
	mux      *http.ServeMux
	tokenTTL time.Duration

	docOnce sync.Once
	doc     map[string]any
}

// MaxBody caps request bodies; a contact with fifty subjects fits easily.
const MaxBody = 1 << 20

// New returns the API server over hub.
func New(hub mash.Hub, log *slog.Logger) *Server {
	s := &Server{hub: hub, log: log, mux: http.NewServeMux(), tokenTTL: 12 * time.Hour}
	for _, rt := range s.routes() {
		var h http.Handler = rt.handler
		if rt.action != "" {
			h = s.authorize(rt.action, h)
		}
		s.mux.Handle(rt.method+" "+prefix+rt.path, h)
	}
	s.mux.HandleFunc(prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		if allow := s.allowed(r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.problem(w, r, &badRequest{status: http.StatusMethodNotAllowed,
				msg: fmt.Sprintf("this route does not take %s; it takes %s", r.Method, strings.Join(allow, ", "))})
			return
		}
		s.problem(w, r, &mash.Error{Kind: mash.KindNotFound, Msg: "no such API route"})
	})
	return s
}

// allowed lists the methods the route at r's path does serve, if any. (The
// catch-all above matches every method, so the mux never answers 405 itself.)
func (s *Server) allowed(r *http.Request) []string {
	var out []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		if m == r.Method {
			continue
		}
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != prefix+"/" {
			out = append(out, m)
		}
	}
	return out
}

const prefix = "/api/v1"

type ctxKey int

const (
	actorKey ctxKey = iota
	requestIDKey
)

// ServeHTTP adds a request id, recovers panics and logs the request (method,
// route, status, duration — never bodies, query values or names).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.Header.Get("X-Request-Id")
	if id == "" || len(id) > 64 {
		id = rand.Text()[:16]
	}
	w.Header().Set("X-Request-Id", id)
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic", "request_id", id, "panic", v)
			s.problem(sw, r, &mash.Error{Kind: mash.KindInternal})
		}
		_, pattern := s.mux.Handler(r)
		s.log.Info("request", "request_id", id, "method", r.Method, "route", pattern, "status", sw.status,
			"ms", time.Since(start).Milliseconds())
	}()
	sw.Header().Set("Cache-Control", "no-store")
	sw.Header().Set("X-Content-Type-Options", "nosniff")
	s.mux.ServeHTTP(sw, r)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// authorize resolves the bearer token and checks the role may take action.
func (s *Server) authorize(action mash.Action, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The scheme is case-insensitive (RFC 9110 §11.1).
		scheme, tok, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
		if tok = strings.TrimSpace(tok); !strings.EqualFold(scheme, "Bearer") || tok == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mash"`)
			s.problem(w, r, mash.Errorf(mash.KindUnauthenticated, "an Authorization: Bearer token is required (POST /api/v1/auth/token)"))
			return
		}
		a, err := s.hub.ActorForToken(r.Context(), tok)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="mash", error="invalid_token"`)
			s.problem(w, r, err)
			return
		}
		if !mash.Can(a, action, mash.Resource{}) {
			s.problem(w, r, mash.Errorf(mash.KindForbidden, "your role (%s) may not do this (%s)", a.Role, action))
			return
		}
		a.RequestID, _ = r.Context().Value(requestIDKey).(string)
		a.ClientIP = clientIP(r)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), actorKey, a)))
	})
}

func actor(r *http.Request) mash.Actor {
	a, _ := r.Context().Value(actorKey).(mash.Actor)
	return a
}

func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}
