package web_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
	"openmash.org/mash/internal/web"
)

// idp is a real, minimal OpenID provider: discovery, a JWKS with one RSA
// key, an authorization endpoint that signs in its configured person at
// once, and a token endpoint that checks the client secret and the PKCE
// verifier and returns an RS256 ID token with the nonce.
type idp struct {
	t   *testing.T
	srv *httptest.Server
	key *rsa.PrivateKey

	mu       sync.Mutex
	redirect string // the registered callback
	person   person
	tweak    func(claims map[string]any) // bends the next ID token, to test refusals
	codes    map[string]grantReq
	redeemed int
}

type person struct {
	sub, email, name string
	groups           []string
}

type grantReq struct {
	challenge, nonce string
	who              person
}

const (
	clientID     = "openmash-test"
	clientSecret = "test-client-secret-not-real"
)

// testKey is made once: RSA key generation is the slow part of the suite.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func newIDP(t *testing.T) *idp {
	p := &idp{t: t, key: testKey(), codes: map[string]grantReq{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idp) set(who person, tweak func(map[string]any)) {
	p.mu.Lock()
	p.person, p.tweak = who, tweak
	p.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (p *idp) discovery(w http.ResponseWriter, r *http.Request) {
	u := p.srv.URL
	writeJSON(w, 200, map[string]any{"issuer": u, "authorization_endpoint": u + "/authorize", "token_endpoint": u + "/token",
		"jwks_uri": u + "/jwks", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"}})
}

func (p *idp) jwks(w http.ResponseWriter, r *http.Request) {
	b64 := base64.RawURLEncoding.EncodeToString
	writeJSON(w, 200, map[string]any{"keys": []map[string]string{{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k1",
		"n": b64(p.key.N.Bytes()), "e": b64(big.NewInt(int64(p.key.E)).Bytes())}}})
}

func (p *idp) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case q.Get("client_id") != clientID, q.Get("redirect_uri") != p.redirect, q.Get("response_type") != "code",
		!slices.Contains(strings.Fields(q.Get("scope")), "openid"), q.Get("code_challenge_method") != "S256",
		q.Get("code_challenge") == "", q.Get("state") == "", q.Get("nonce") == "":
		http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	code := rand.Text()
	p.codes[code] = grantReq{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), who: p.person}
	http.Redirect(w, r, p.redirect+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
}

func (p *idp) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, 400, map[string]string{"error": "invalid_request"})
		return
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != clientID || subtle.ConstantTimeCompare([]byte(secret), []byte(clientSecret)) != 1 {
		writeJSON(w, 401, map[string]string{"error": "invalid_client"})
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	g, ok := p.codes[r.PostForm.Get("code")]
	delete(p.codes, r.PostForm.Get("code")) // each code once
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !ok || r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("redirect_uri") != p.redirect ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		writeJSON(w, 400, map[string]string{"error": "invalid_grant"})
		return
	}
	p.redeemed++
	now := time.Now()
	claims := map[string]any{"iss": p.srv.URL, "sub": g.who.sub, "aud": clientID, "iat": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(), "nonce": g.nonce, "email": g.who.email, "name": g.who.name, "groups": g.who.groups}
	if p.tweak != nil {
		p.tweak(claims)
	}
	writeJSON(w, 200, map[string]any{"access_token": rand.Text(), "token_type": "Bearer", "expires_in": 300, "id_token": p.sign(claims)})
}

// sign makes a compact RS256 JWS.
func (p *idp) sign(claims map[string]any) string {
	b64 := base64.RawURLEncoding.EncodeToString
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "k1"})
	c, _ := json.Marshal(claims)
	input := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(nil, p.key, crypto.SHA256, sum[:])
	if err != nil {
		p.t.Fatal(err)
	}
	return input + "." + b64(sig)
}

// ssoEnv is the web UI with single sign-on against a fresh idp.
func ssoEnv(t *testing.T, db *store.DB) (*env, *idp) {
	p := newIDP(t)
	e := newEnv(t, db, func(base string) web.Config {
		p.redirect = base + "/sign-in/sso/callback"
		return web.Config{OIDC: &web.OIDCConfig{Issuer: p.srv.URL, ClientID: clientID, ClientSecret: clientSecret,
			RedirectURL: p.redirect, Groups: map[string]web.GroupGrant{
				"g-police-researchers": {Agency: "Northshire Police", Role: mash.RoleResearcher},
				"g-health-managers":    {Agency: "Northshire Community Health", Role: mash.RoleManager},
				"g-police-all":         {Agency: "Northshire Police", Role: mash.RoleResearcher}, // the same grant
				"g-hub-screeners":      {Agency: "Northshire Children's Services", Role: mash.RoleScreener},
			}}}
	})
	return e, p
}

// sso runs the flow as a browser would: the hub's start page, the provider,
// and back to the hub's callback (which tamper may change first). It
// returns the hub's answer to the callback.
func (e *env) sso(tamper func(callback *url.URL)) (*http.Response, string) {
	e.t.Helper()
	resp, body := e.get("/sign-in/sso")
	wantStatus(e.t, resp, body, http.StatusFound)
	resp, body = e.do("GET", resp.Header.Get("Location"), nil)
	wantStatus(e.t, resp, body, http.StatusFound)
	cb, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	if tamper != nil {
		tamper(cb)
	}
	return e.do("GET", cb.String(), nil)
}

func TestSingleSignOn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e, p := ssoEnv(t, db)
		ctx := t.Context()
		alex := person{sub: "entra-oid-0001", email: "Alex.Example@police.example", name: "Alex Example",
			groups: []string{"g-police-researchers", "g-police-all", "g-unrelated"}}
		p.set(alex, nil)

		_, body := e.get("/sign-in")
		if !strings.Contains(body, `href="/sign-in/sso"`) {
			t.Fatal("the sign-in page does not offer single sign-on")
		}

		// First sign-in: the user is made with the mapped agency and role.
		var callback string
		resp, body := e.sso(func(u *url.URL) { callback = u.String() })
		wantStatus(t, resp, body, http.StatusSeeOther)
		if resp.Header.Get("Location") != "/" || e.session() == "" {
			t.Fatalf("callback sends to %q with session %q", resp.Header.Get("Location"), e.session())
		}
		resp, body = e.get("/")
		wantStatus(t, resp, body, http.StatusOK, "Alex Example", "Researcher", "Northshire Police")
		u, err := db.UserByEmail(ctx, alex.email)
		if err != nil || u.Role != mash.RoleResearcher || u.AgencyID != e.f.Police.ID {
			t.Fatalf("user made: %+v %v", u, err)
		}
		// The flow cookie was used up: replaying the callback is refused.
		resp, body = e.get(callback)
		wantStatus(t, resp, body, http.StatusBadRequest, "Sign-in was not completed")
		first := e.session()

		// The group changes at the provider; the next sign-in moves the user.
		alex.groups = []string{"g-health-managers"}
		p.set(alex, nil)
		resp, body = e.sso(nil)
		wantStatus(t, resp, body, http.StatusSeeOther)
		resp, body = e.get("/")
		wantStatus(t, resp, body, http.StatusOK, "Manager", "Northshire Community Health")
		if e.session() == first {
			t.Fatal("the session id was not renewed at sign-in")
		}
		if _, err := db.ActorForSession(ctx, first); mash.KindOf(err) != mash.KindUnauthenticated {
			t.Fatalf("the previous session still works: %v", err)
		}
		if u2, _ := db.UserByEmail(ctx, alex.email); u2.ID != u.ID || u2.Role != mash.RoleManager {
			t.Fatalf("after the group change: %+v", u2)
		}

		// Refusals: each leaves the browser signed out and starts no session.
		e.do("POST", "/sign-out", nil)
		refused := func(name string, status int, want string, tamper func(*url.URL)) {
			t.Helper()
			before := p.redeemed
			resp, body := e.sso(tamper)
			wantStatus(t, resp, body, status, want)
			wantSecurityHeaders(t, resp)
			if e.session() != "" || e.signedIn() {
				t.Fatalf("%s: signed in", name)
			}
			if tamper != nil && p.redeemed != before {
				t.Fatalf("%s: the code was redeemed before the state was checked", name)
			}
		}
		notCompleted := "Sign-in was not completed"
		refused("wrong state", http.StatusBadRequest, notCompleted, func(u *url.URL) {
			q := u.Query()
			q.Set("state", rand.Text())
			u.RawQuery = q.Encode()
		})
		refused("no state", http.StatusBadRequest, notCompleted, func(u *url.URL) {
			q := u.Query()
			q.Del("state")
			u.RawQuery = q.Encode()
		})
		for name, tweak := range map[string]func(map[string]any){
			"wrong nonce":    func(c map[string]any) { c["nonce"] = rand.Text() },
			"no nonce":       func(c map[string]any) { delete(c, "nonce") },
			"other audience": func(c map[string]any) { c["aud"] = "another-app" },
			"other issuer":   func(c map[string]any) { c["iss"] = "https://login.evil.example" },
			"expired":        func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() },
		} {
			p.set(alex, tweak)
			refused(name, http.StatusBadRequest, notCompleted, nil)
		}
		p.set(person{sub: "entra-oid-0002", email: "sam@police.example", name: "Sam", groups: []string{"g-unrelated"}}, nil)
		refused("unmapped group", http.StatusForbidden, "has not given you access to OpenMASH", nil)
		p.set(person{sub: "entra-oid-0002", email: "sam@police.example", name: "Sam"}, nil)
		refused("no groups", http.StatusForbidden, "has not given you access to OpenMASH", nil)
		p.set(person{sub: "entra-oid-0002", email: "sam@police.example", name: "Sam",
			groups: []string{"g-police-researchers", "g-hub-screeners"}}, nil)
		refused("two roles", http.StatusForbidden, "more than one role or agency", nil)
		if _, err := db.UserByEmail(ctx, "sam@police.example"); mash.KindOf(err) != mash.KindNotFound {
			t.Fatalf("a refused person became a user: %v", err)
		}
		p.set(person{sub: "entra-oid-0003", groups: []string{"g-police-researchers"}}, nil)
		refused("no email", http.StatusForbidden, "did not send a usable email", nil)

		// A disabled user is refused, though the provider signs them in.
		if err := db.DisableUser(ctx, store.System, u.ID, "left"); err != nil {
			t.Fatal(err)
		}
		p.set(alex, nil)
		refused("disabled", http.StatusForbidden, "your OpenMASH account is disabled", nil)

		// An existing local account is linked by email at its first sign-on.
		screener := e.f.Users[mash.RoleScreener]
		p.set(person{sub: "entra-oid-0004", email: screener.Email, name: screener.Name, groups: []string{"g-hub-screeners"}}, nil)
		resp, body = e.sso(nil)
		wantStatus(t, resp, body, http.StatusSeeOther)
		if a, err := db.ActorForSession(ctx, e.session()); err != nil || a.UserID != screener.ID {
			t.Fatalf("linked sign-on: %+v %v", a, err)
		}

		// Nothing personal reaches the log.
		logs := e.logs.String()
		for _, s := range []string{alex.email, strings.ToLower(alex.email), alex.name, alex.sub, "sam@police.example", screener.Email, "code="} {
			if strings.Contains(logs, s) {
				t.Fatalf("the log contains %q:\n%s", s, logs)
			}
		}
	})
}

func TestOIDCFromEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	if c, err := web.OIDCFromEnv(env()); c != nil || err != nil {
		t.Fatalf("unset: %+v %v", c, err)
	}
	full := []string{"MASH_OIDC_ISSUER", "https://login.example/t/v2.0", "MASH_OIDC_CLIENT_ID", "id",
		"MASH_OIDC_CLIENT_SECRET", "s", "MASH_OIDC_REDIRECT_URL", "https://mash.example/sign-in/sso/callback",
		"MASH_OIDC_GROUP_MAP", `{"0b5e-group": {"agency": "Northshire Police", "role": "researcher"}}`}
	c, err := web.OIDCFromEnv(env(full...))
	if err != nil || c.Groups["0b5e-group"] != (web.GroupGrant{Agency: "Northshire Police", Role: mash.RoleResearcher}) {
		t.Fatalf("full: %+v %v", c, err)
	}
	for name, kv := range map[string][]string{
		"no secret":     full[:4],
		"bad role":      append(slices.Clone(full[:8]), "MASH_OIDC_GROUP_MAP", `{"g": {"agency": "A", "role": "superuser"}}`),
		"unknown field": append(slices.Clone(full[:8]), "MASH_OIDC_GROUP_MAP", `{"g": {"agency": "A", "role": "manager", "x": 1}}`),
		"empty map":     append(slices.Clone(full[:8]), "MASH_OIDC_GROUP_MAP", `{}`),
	} {
		if _, err := web.OIDCFromEnv(env(kv...)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A callback on another page's path is refused when the handler is made.
	c.RedirectURL = "https://mash.example/sign-in"
	if _, err := web.New(nil, web.Config{OIDC: c}); err == nil {
		t.Error("a callback on /sign-in was accepted")
	}
}
