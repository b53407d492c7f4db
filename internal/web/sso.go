package web

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"openmash.org/mash"
)

// OIDCConfig configures single sign-on with an OpenID Connect provider (such
// as Microsoft Entra ID): the authorization code flow with PKCE.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string // this hub's callback, registered with the provider
	// GroupsClaim names the ID token claim listing the user's groups.
	GroupsClaim string
	// Groups maps a group id to what membership grants. A user must hold
	// exactly one (agency, role) through their groups.
	Groups map[string]GroupGrant
}

// GroupGrant is the agency (name or id) and role a group's members get.
type GroupGrant struct {
	Agency string    `json:"agency"`
	Role   mash.Role `json:"role"`
}

// OIDCFromEnv reads single sign-on settings: MASH_OIDC_ISSUER,
// MASH_OIDC_CLIENT_ID, MASH_OIDC_CLIENT_SECRET, MASH_OIDC_REDIRECT_URL,
// MASH_OIDC_GROUPS_CLAIM (default "groups") and MASH_OIDC_GROUP_MAP (JSON:
// {"<group id>": {"agency": "<name or id>", "role": "<role>"}}). It returns
// nil when none is set.
func OIDCFromEnv(getenv func(string) string) (*OIDCConfig, error) {
	c := &OIDCConfig{Issuer: getenv("MASH_OIDC_ISSUER"), ClientID: getenv("MASH_OIDC_CLIENT_ID"),
		ClientSecret: getenv("MASH_OIDC_CLIENT_SECRET"), RedirectURL: getenv("MASH_OIDC_REDIRECT_URL"),
		GroupsClaim: getenv("MASH_OIDC_GROUPS_CLAIM")}
	groupMap := getenv("MASH_OIDC_GROUP_MAP")
	if c.Issuer == "" && c.ClientID == "" && c.ClientSecret == "" && c.RedirectURL == "" && groupMap == "" {
		return nil, nil
	}
	if groupMap != "" {
		d := json.NewDecoder(strings.NewReader(groupMap))
		d.DisallowUnknownFields()
		if err := d.Decode(&c.Groups); err != nil {
			return nil, fmt.Errorf("MASH_OIDC_GROUP_MAP: %w", err)
		}
	}
	return c, c.check()
}

func (c *OIDCConfig) check() error {
	var missing []string
	for _, v := range []struct{ name, value string }{{"MASH_OIDC_ISSUER", c.Issuer}, {"MASH_OIDC_CLIENT_ID", c.ClientID},
		{"MASH_OIDC_CLIENT_SECRET", c.ClientSecret}, {"MASH_OIDC_REDIRECT_URL", c.RedirectURL}} {
		if v.value == "" {
			missing = append(missing, v.name)
		}
	}
	if len(c.Groups) == 0 { // no one could sign in
		missing = append(missing, "MASH_OIDC_GROUP_MAP")
	}
	if len(missing) > 0 {
		return fmt.Errorf("single sign-on needs %s", strings.Join(missing, ", "))
	}
	for g, gr := range c.Groups {
		if !slices.Contains(mash.Roles, gr.Role) || strings.TrimSpace(gr.Agency) == "" {
			return fmt.Errorf("MASH_OIDC_GROUP_MAP: group %q needs an agency and a role (one of %v)", g, mash.Roles)
		}
	}
	return nil
}

// The flow cookie carries state, nonce and PKCE verifier from the redirect
// to the provider to the callback. It is sealed (AES-GCM, with a key derived
// from the client secret, which every instance shares) rather than kept in
// the database: no table of abandoned flows to clean up, and a flow begun
// on one instance completes on any. It is bound to this browser, lives
// flowTTL, and is cleared at the callback; the provider takes each code once.
const (
	flowCookie = "mash-sso"
	flowTTL    = 10 * time.Minute
)

type flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Expires  int64  `json:"e"`
}

// sso is the running single sign-on: the configuration, the cookie key, and
// the provider's endpoints and keys once discovered.
type sso struct {
	cfg          OIDCConfig
	callbackPath string
	aead         cipher.AEAD
	client       *http.Client

	mu       sync.Mutex
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newSSO(c OIDCConfig) (*sso, error) {
	if c.GroupsClaim == "" {
		c.GroupsClaim = "groups"
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	u, err := url.Parse(c.RedirectURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return nil, errors.New("MASH_OIDC_REDIRECT_URL must be an absolute http(s) URL without a query")
	}
	switch p := u.EscapedPath(); {
	case p == "" || p == "/" || p == "/sign-in" || p == "/sign-out" || p == "/sign-in/sso" ||
		strings.HasPrefix(p, "/static/") || strings.HasPrefix(p, "/api/") || p == "/healthz":
		return nil, fmt.Errorf("MASH_OIDC_REDIRECT_URL's path %q is taken by another page; use /sign-in/sso/callback", p)
	}
	key, err := hkdf.Key(sha256.New, []byte(c.ClientSecret), nil, "openmash web: oidc flow cookie v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, err
	}
	return &sso{cfg: c, callbackPath: u.EscapedPath(), aead: aead, client: &http.Client{Timeout: 15 * time.Second}}, nil
}

// setup discovers the provider on first use (and again after a failure), so
// the hub starts while the provider is unreachable and recovers when it is
// back.
func (s *sso) setup(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.oauth != nil {
		return s.oauth, s.verifier, nil
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(context.WithoutCancel(ctx), s.client), 15*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(ctx, s.cfg.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("discover the OpenID provider: %w", err)
	}
	s.oauth = &oauth2.Config{ClientID: s.cfg.ClientID, ClientSecret: s.cfg.ClientSecret, RedirectURL: s.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
	// Verify checks signature, issuer, audience and expiry; the nonce is ours.
	s.verifier = p.Verifier(&oidc.Config{ClientID: s.cfg.ClientID})
	return s.oauth, s.verifier, nil
}

func (s *sso) seal(f flow) string {
	b, _ := json.Marshal(f)
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nil, nil, b, []byte(flowCookie)))
}

func (s *sso) open(r *http.Request) (flow, bool) {
	var f flow
	c, err := r.Cookie(cookieName(r, flowCookie))
	if err != nil {
		return f, false
	}
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return f, false
	}
	b, err = s.aead.Open(nil, nil, b, []byte(flowCookie))
	if err != nil || json.Unmarshal(b, &f) != nil || f.State == "" || f.Nonce == "" || f.Verifier == "" {
		return flow{}, false
	}
	return f, time.Now().Unix() < f.Expires
}

// handleSSOStart sends the browser to the provider with a fresh state, nonce
// and PKCE challenge (S256), remembered in the flow cookie.
func (h *Handler) handleSSOStart(w http.ResponseWriter, r *http.Request) {
	conf, _, err := h.sso.setup(r.Context())
	if err != nil {
		h.log.Warn("single sign-on unavailable", "request_id", requestID(r), "err", err)
		h.problem(w, r, http.StatusServiceUnavailable, "Single sign-on is not available",
			"Your organisation's sign-in service cannot be reached. Try again later, or sign in with your password and one-time code.")
		return
	}
	f := flow{State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(), Expires: time.Now().Add(flowTTL).Unix()}
	setCookie(w, r, flowCookie, h.sso.seal(f), int(flowTTL/time.Second))
	http.Redirect(w, r, conf.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), http.StatusFound)
}

// handleSSOCallback completes the flow: it checks the state against the flow
// cookie, redeems the code with the PKCE verifier, verifies the ID token and
// its nonce, maps the user's groups to one agency and role, and starts a
// session through the store (which creates, links or updates the user).
func (h *Handler) handleSSOCallback(w http.ResponseWriter, r *http.Request) {
	f, ok := h.sso.open(r)
	setCookie(w, r, flowCookie, "", -1) // one use, whatever happens
	q := r.URL.Query()
	startAgain := func(why string) {
		h.log.Warn("single sign-on refused", "request_id", requestID(r), "reason", why)
		h.problem(w, r, http.StatusBadRequest, "Sign-in was not completed",
			"Sign-in took too long or did not start on this page. Go to the sign-in page and start again.")
	}
	switch {
	case !ok:
		startAgain("no valid flow cookie")
		return
	case q.Get("error") != "":
		// The provider's error code is from a fixed list; its description
		// may name the user, so it is neither logged nor shown.
		h.log.Warn("single sign-on refused by the provider", "request_id", requestID(r), "error", safeCode(q.Get("error")))
		h.problem(w, r, http.StatusForbidden, "You were not signed in",
			"Your organisation's sign-in service did not sign you in. Go to the sign-in page to try again.")
		return
	case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1:
		startAgain("state mismatch")
		return
	}
	conf, verifier, err := h.sso.setup(r.Context())
	if err != nil {
		h.log.Warn("single sign-on unavailable", "request_id", requestID(r), "err", err)
		h.problem(w, r, http.StatusServiceUnavailable, "Single sign-on is not available", "Your organisation's sign-in service cannot be reached. Try again later.")
		return
	}
	ctx := oidc.ClientContext(r.Context(), h.sso.client)
	ot, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		h.log.Warn("single sign-on: code exchange failed", "request_id", requestID(r), "err", err)
		h.problem(w, r, http.StatusBadGateway, "You were not signed in",
			"Your organisation's sign-in service did not confirm who you are. Go to the sign-in page to try again.")
		return
	}
	raw, _ := ot.Extra("id_token").(string)
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		startAgain("ID token not valid: " + err.Error())
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		startAgain("nonce mismatch")
		return
	}
	user, why, err := h.ssoUser(r.Context(), idt)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if why != "" {
		h.log.Warn("single sign-on refused", "request_id", requestID(r), "reason", why)
		h.problem(w, r, http.StatusForbidden, "You cannot use OpenMASH yet", refusals[why])
		return
	}
	tok, err := h.hub.StartSSOSession(r.Context(), from(r), idt.Issuer, idt.Subject, user, h.idle, h.lifetime)
	if mash.KindOf(err) == mash.KindInvalid {
		h.problem(w, r, http.StatusForbidden, "You cannot use OpenMASH yet", refusals[refuseClaims])
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.startSession(w, r, tok)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// Why single sign-on may refuse someone the provider signed in: the log
// gets the key, the person the text.
const (
	refuseNoGroup   = "no mapped group"
	refuseManyRoles = "groups grant more than one agency or role"
	refuseOverage   = "too many groups for the token"
	refuseClaims    = "no usable email or name"
)

var refusals = map[string]string{
	refuseNoGroup: "You are signed in to your organisation, but it has not given you access to OpenMASH. " +
		"Ask your IT service desk or OpenMASH administrator to add you to an OpenMASH group.",
	refuseManyRoles: "Your organisation's groups give you more than one role or agency in OpenMASH, and each person has one. " +
		"Ask your OpenMASH administrator to correct your group membership.",
	refuseOverage: "You belong to too many groups for your organisation's sign-in service to list them. " +
		"Ask your OpenMASH administrator to limit the groups sent to OpenMASH to those assigned to it.",
	refuseClaims: "Your organisation's sign-in service did not send a usable email address and name. " +
		"Ask your OpenMASH administrator to configure the email claim.",
}

// ssoUser maps the ID token's claims to the user to sign in, or gives the
// reason (a key of refusals) they may not be.
//
// Several groups granting the same agency and role are one grant; grants
// that differ are refused rather than resolved by taking the "most
// privileged": roles are not nested (an auditor, an admin and a manager each
// may do what the others may not), and a user belongs to one agency, so any
// choice could give access the organisation did not intend.
func (h *Handler) ssoUser(ctx context.Context, idt *oidc.IDToken) (mash.User, string, error) {
	var claims struct {
		Email         string `json:"email"`
		EmailVerified *bool  `json:"email_verified"`
		Name          string `json:"name"`
		// Entra ID replaces the groups claim by a reference ("overage")
		// when a user is in more than 200 groups.
		ClaimNames map[string]string `json:"_claim_names"`
	}
	var all map[string]json.RawMessage
	if err := idt.Claims(&claims); err != nil {
		return mash.User{}, refuseClaims, nil
	}
	if err := idt.Claims(&all); err != nil {
		return mash.User{}, refuseClaims, nil
	}
	if claims.Email == "" || (claims.EmailVerified != nil && !*claims.EmailVerified) {
		return mash.User{}, refuseClaims, nil
	}
	var groups []string
	if raw, ok := all[h.sso.cfg.GroupsClaim]; ok {
		if json.Unmarshal(raw, &groups) != nil {
			var one string
			if json.Unmarshal(raw, &one) != nil {
				return mash.User{}, refuseNoGroup, nil
			}
			groups = []string{one}
		}
	} else if _, over := claims.ClaimNames[h.sso.cfg.GroupsClaim]; over {
		return mash.User{}, refuseOverage, nil
	}
	type grant struct {
		agencyID string
		role     mash.Role
	}
	found := map[grant]bool{}
	for _, g := range groups {
		gr, ok := h.sso.cfg.Groups[g]
		if !ok {
			continue
		}
		a, err := h.hub.FindAgency(ctx, gr.Agency)
		if err != nil {
			// The map was checked at start-up; the agency has gone since.
			return mash.User{}, "", &mash.Error{Kind: mash.KindInternal, Op: "web.ssoUser",
				Err: fmt.Errorf("MASH_OIDC_GROUP_MAP names an agency that does not exist: %w", err)}
		}
		found[grant{a.ID, gr.Role}] = true
	}
	if len(found) == 0 {
		return mash.User{}, refuseNoGroup, nil
	}
	if len(found) > 1 {
		return mash.User{}, refuseManyRoles, nil
	}
	u := mash.User{Email: claims.Email, Name: strings.TrimSpace(claims.Name)}
	if u.Name == "" {
		u.Name = claims.Email
	}
	for g := range found {
		u.AgencyID, u.Role = g.agencyID, g.role
	}
	return u, "", nil
}

// CheckGroupMap reports an agency in the single sign-on group map that the
// hub does not have, so a mistake shows at start-up rather than at someone's
// first sign-in.
func (h *Handler) CheckGroupMap(ctx context.Context) error {
	if h.sso == nil {
		return nil
	}
	for g, gr := range h.sso.cfg.Groups {
		if _, err := h.hub.FindAgency(ctx, gr.Agency); err != nil {
			return fmt.Errorf("MASH_OIDC_GROUP_MAP: group %q: agency %q: %w", g, gr.Agency, err)
		}
	}
	return nil
}

// safeCode keeps an OAuth error code loggable: its own characters only.
func safeCode(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
