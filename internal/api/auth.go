package api

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/auth"
)

// Sign-in attempts per client address: a burst of signInBurst, then one per
// signInEvery. Only failures use them up, so many people behind one address
// (an agency's network) signing in correctly are not held back.
const (
	signInBurst = 20
	signInEvery = 3 * time.Second
)

// authRoutes are sign-in and credentials.
func (s *Server) authRoutes() []route {
	lim := &auth.Limiter{Burst: signInBurst, Every: signInEvery, Max: 100_000}
	return []route{
		{method: "POST", path: "/auth/token", summary: "Exchange an email, password and current one-time code (TOTP) for a bearer token",
			body: tokenIn{}, resp: mash.Token{}, status: 200, handler: func(w http.ResponseWriter, r *http.Request) { s.handleToken(w, r, lim) }},
		{method: "DELETE", path: "/auth/token", summary: "Revoke the bearer token sent in Authorization (sign out); 204 whether or not it was valid",
			status: 204, handler: s.handleRevoke},
	}
}

type tokenIn struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	TOTP     string `json:"totp"` // the authenticator app's current code
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request, lim *auth.Limiter) {
	key := auth.ClientKey(clientIP(r))
	if ok, retry := lim.Take(key); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
		s.problem(w, r, &badRequest{status: http.StatusTooManyRequests, msg: "too many failed sign-ins from your address; try again later"})
		return
	}
	var in tokenIn
	if err := decode(w, r, &in); err != nil {
		s.problem(w, r, err)
		return
	}
	fe := mash.FieldErrors{}
	if in.Email == "" {
		fe.Add("email", "is required")
	}
	if in.Password == "" {
		fe.Add("password", "is required")
	}
	if err := fe.Err("email and password are required"); err != nil {
		s.problem(w, r, err)
		return
	}
	// A missing code is the hub's answer to give (401), not a form error.
	tok, err := s.hub.SignIn(r.Context(), caller(r), in.Email, in.Password, in.TOTP, s.tokenTTL)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	lim.Give(key)
	s.json(w, http.StatusOK, tok)
}

// handleRevoke ends the token presented. Like OAuth token revocation (RFC
// 7009 §2.2) it answers 204 even for a missing or unknown token: the caller
// wants it unusable, which it is, and the answer tells a guesser nothing.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	scheme, tok, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if tok = strings.TrimSpace(tok); strings.EqualFold(scheme, "Bearer") && tok != "" {
		if err := s.hub.RevokeToken(r.Context(), caller(r), tok); err != nil && mash.KindOf(err) != mash.KindUnauthenticated {
			s.problem(w, r, err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// caller is who sends r before they are authenticated: only the request id
// and address, for the audit log.
func caller(r *http.Request) mash.Actor {
	id, _ := r.Context().Value(requestIDKey).(string)
	return mash.Actor{RequestID: id, ClientIP: clientIP(r)}
}
