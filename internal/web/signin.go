package web

import (
	"math"
	"net/http"
	"strconv"
	"strings"

	"openmash.org/mash"
	"openmash.org/mash/internal/auth"
)

// handleHome is the signed-in user's start page; anyone else is sent to
// sign in.
func (h *Handler) handleHome(w http.ResponseWriter, r *http.Request) {
	a, ok, err := h.actor(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !ok {
		http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
		return
	}
	agency := a.AgencyID
	if ag, err := h.hub.FindAgency(r.Context(), a.AgencyID); err == nil {
		agency = ag.Name
	}
	h.render(w, r, http.StatusOK, "home", page{Title: "Home", Actor: &a, Agency: agency})
}

func (h *Handler) handleSignInForm(w http.ResponseWriter, r *http.Request) {
	next := nextPath(r.URL.Query().Get("next"))
	if _, ok, err := h.actor(w, r); err == nil && ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	p := page{Title: "Sign in", SSO: h.sso != nil}
	if next != "/" {
		p.Next = next
	}
	switch q := r.URL.Query(); {
	case q.Has("signed-out"):
		p.Notice = "You have signed out."
	case q.Has("timed-out"):
		p.Notice = "You were signed out because you had not used OpenMASH for a while. Sign in again to carry on."
	}
	h.render(w, r, http.StatusOK, "signin", p)
}

// handleSignIn checks the form with the store's sign-in (lockout, audit,
// one failure message for every wrong answer) and, on success, starts a new
// session. Failures use up the client address's allowance, as in the API.
func (h *Handler) handleSignIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		h.problem(w, r, http.StatusBadRequest, "Sign in", "The form could not be read. Go back and try again.")
		return
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	password, code := r.PostForm.Get("password"), r.PostForm.Get("code")
	p := page{Title: "Sign in", SSO: h.sso != nil, Email: email, FieldErr: map[string]string{}}
	if next := nextPath(r.PostForm.Get("next")); next != "/" {
		p.Next = next
	}
	for _, f := range []struct{ id, value, msg string }{
		{"email", email, "Enter your email address"},
		{"password", password, "Enter your password"},
		{"code", code, "Enter the one-time code from your authenticator app"},
	} {
		if strings.TrimSpace(f.value) == "" {
			p.FieldErr[f.id] = f.msg
			p.Errors = append(p.Errors, fieldError{f.id, f.msg})
		}
	}
	if len(p.Errors) > 0 {
		h.render(w, r, http.StatusBadRequest, "signin", p)
		return
	}
	key := auth.ClientKey(clientIP(r))
	if ok, retry := h.lim.Take(key); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
		p.Errors = []fieldError{{"email", "There have been too many failed sign-ins from your network. Wait a minute and try again"}}
		h.render(w, r, http.StatusTooManyRequests, "signin", p)
		return
	}
	tok, err := h.hub.StartSession(r.Context(), from(r), email, password, code, h.idle, h.lifetime)
	if mash.KindOf(err) == mash.KindUnauthenticated {
		// The store's one message, whatever was wrong; it names no field, so
		// the summary points at the first.
		p.Errors = []fieldError{{"email", capitalise(mash.Message(err))}}
		h.render(w, r, http.StatusUnauthorized, "signin", p)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.lim.Give(key)
	h.startSession(w, r, tok)
	http.Redirect(w, r, nextPath(p.Next), http.StatusSeeOther)
}

// nextPath is where to go after signing in: the page asked for, if it is
// a page on this site, else home.
func nextPath(next string) string {
	if next == "" {
		return "/"
	}
	return localPath(next)
}

func (h *Handler) handleSignOut(w http.ResponseWriter, r *http.Request) {
	h.endSession(r)
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/sign-in?signed-out", http.StatusSeeOther)
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
