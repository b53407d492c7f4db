package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"openmash.org/mash"
	"openmash.org/mash/internal/auth"
	"openmash.org/mash/internal/store/storetest"
	"openmash.org/mash/internal/web"
)

// FuzzSessionCookie sends arbitrary session cookies, and arbitrary Cookie
// headers, to the home page: none may panic or be taken for a session,
// while a real session exists in the store.
func FuzzSessionCookie(f *testing.F) {
	db := storetest.Open(f, storetest.Engines(f)[0])
	clk := &clock{t: start}
	db.Now = clk.Now
	fx := storetest.Partnership(f, db)
	h, err := web.New(db, web.Config{})
	if err != nil {
		f.Fatal(err)
	}
	real, err := db.StartSession(f.Context(), mash.Actor{}, fx.Users[mash.RoleScreener].Email, fx.Password,
		storetest.Code(auth.TOTPStep(clk.Now())), web.DefaultIdle, web.DefaultLifetime)
	if err != nil {
		f.Fatal(err)
	}
	// The real cookie works, so a refusal below means something.
	if !signedIn(f, h, "mash-session="+real.Token) {
		f.Fatal("the real session is refused")
	}
	tok := real.Token
	for _, s := range []string{"", "mash_", tok[:len(tok)-1], tok + "A", strings.ToLower(tok), tok[:len(tok)-1] + "=",
		"mash_AAAAAAAAAAAAAAAAAAAAAAAAAA", `"` + tok + `"`, tok + "\x00", "mash_\xff\xfe", strings.Repeat("A", 5000)} {
		f.Add(s, false)
		f.Add("mash-session="+s, true)
	}
	f.Add("mash-session=a; mash-session="+tok[:len(tok)-2]+"AA", true)
	f.Fuzz(func(t *testing.T, v string, raw bool) {
		header := v
		if !raw {
			header = "mash-session=" + v
		}
		if strings.Contains(header, tok) {
			t.Skip() // the real token itself is not a guess
		}
		if signedIn(t, h, header) {
			t.Fatalf("cookie %q was taken for a session", header)
		}
	})
}

// signedIn sends Cookie: header to the home page and reports whether it was
// served (rather than sent to sign in).
func signedIn(t testing.TB, h http.Handler, header string) bool {
	t.Helper()
	r := httptest.NewRequest("GET", "http://127.0.0.1:8080/", nil)
	r.Header.Set("Cookie", header)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	switch {
	case w.Code == http.StatusOK:
		return true
	case w.Code == http.StatusSeeOther && w.Header().Get("Location") == "/sign-in":
		return false
	}
	t.Fatalf("home with Cookie %q: %d", header, w.Code)
	return false
}
