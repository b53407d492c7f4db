package auth

import (
	"strings"
	"testing"
	"time"
)

// rfcKey is the SHA-1 seed of RFC 4226 appendix D and RFC 6238 appendix B.
var rfcKey = []byte("12345678901234567890")

func TestHOTPVectors(t *testing.T) {
	// RFC 4226 appendix D.
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for i, w := range want {
		if got := hotp(rfcKey, uint64(i), 6); got != w {
			t.Errorf("HOTP(%d) = %s, want %s", i, got, w)
		}
	}
}

func TestTOTPVectors(t *testing.T) {
	// RFC 6238 appendix B, SHA-1 rows (8 digits); the 6-digit code is the
	// last six of them.
	for _, v := range []struct {
		unix int64
		code string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		at := time.Unix(v.unix, 0)
		if got := hotp(rfcKey, uint64(TOTPStep(at)), 8); got != v.code {
			t.Errorf("TOTP at %d = %s, want %s", v.unix, got, v.code)
		}
		if got := TOTPCode(rfcKey, TOTPStep(at)); got != v.code[2:] {
			t.Errorf("6-digit TOTP at %d = %s, want %s", v.unix, got, v.code[2:])
		}
	}
}

func TestVerifyTOTP(t *testing.T) {
	now := time.Unix(1111111111, 0) // step 37037037
	cur := TOTPStep(now)
	code := func(s int64) string { return TOTPCode(rfcKey, s) }
	for _, tc := range []struct {
		name  string
		code  string
		after int64
		ok    bool
		step  int64
	}{
		{"current", code(cur), 0, true, cur},
		{"spaced as apps show it", code(cur)[:3] + " " + code(cur)[3:], 0, true, cur},
		{"one step behind (drift)", code(cur - 1), 0, true, cur - 1},
		{"one step ahead (drift)", code(cur + 1), 0, true, cur + 1},
		{"two steps behind", code(cur - 2), 0, false, 0},
		{"two steps ahead", code(cur + 2), 0, false, 0},
		{"already used", code(cur), cur, false, 0},
		{"older than the last used", code(cur - 1), cur, false, 0},
		{"newer than the last used", code(cur + 1), cur, true, cur + 1},
		{"empty", "", 0, false, 0},
		{"too short", code(cur)[:5], 0, false, 0},
		{"too long", code(cur) + "0", 0, false, 0},
		{"not digits", "abcdef", 0, false, 0},
	} {
		step, ok := VerifyTOTP(rfcKey, tc.code, now, tc.after)
		if ok != tc.ok || step != tc.step {
			t.Errorf("%s: got (%d, %v), want (%d, %v)", tc.name, step, ok, tc.step, tc.ok)
		}
	}
}

func TestTOTPSecret(t *testing.T) {
	a, b := NewTOTPSecret(), NewTOTPSecret()
	if a == b || len(a) != 32 {
		t.Fatalf("secrets %q %q: want distinct 32-character base32", a, b)
	}
	key, err := DecodeTOTPSecret(strings.ToLower(a[:4]) + " " + a[4:])
	if err != nil || len(key) != 20 {
		t.Fatalf("decode: %d bytes, %v", len(key), err)
	}
	if _, err := DecodeTOTPSecret("not base32!"); err == nil {
		t.Error("decoded a bad secret")
	}
	uri := TOTPURI("OpenMASH Northshire", "a.person@police.example", a)
	want := "otpauth://totp/OpenMASH%20Northshire:a.person@police.example?algorithm=SHA1&digits=6&issuer=OpenMASH+Northshire&period=30&secret=" + a
	if uri != want {
		t.Errorf("URI\n %s\nwant\n %s", uri, want)
	}
}

func TestNeedsRehash(t *testing.T) {
	weak := Params{Memory: 1024, Time: 1, Threads: 1}
	h, err := HashPassword("correct horse", weak)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		p    Params
		want bool
	}{
		{weak, false},
		{Params{Memory: 512, Time: 1, Threads: 1}, false},
		{Params{Memory: 2048, Time: 1, Threads: 1}, true},
		{Params{Memory: 1024, Time: 2, Threads: 1}, true},
		{Params{Memory: 1024, Time: 1, Threads: 2}, true},
	} {
		if got := NeedsRehash(h, tc.p); got != tc.want {
			t.Errorf("NeedsRehash(%+v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if !NeedsRehash("$bcrypt$x", weak) {
		t.Error("an unreadable hash does not need a rehash")
	}
	if err := CheckPassword("$argon2id$v=19$m=1024,t=0,p=1$c2FsdA$a2V5", "x"); err == nil || err == ErrMismatch {
		t.Errorf("t=0 (argon2 panics on it): got %v", err)
	}
}

// FuzzVerifyTOTP: any code string is handled without panic, and only the
// true code of a step in the window, after the last used, is accepted.
func FuzzVerifyTOTP(f *testing.F) {
	now := time.Unix(1111111111, 0)
	for _, s := range []string{"", "050471", "05047", " 050 471", "0504711", "\x00\x00\x00\x00\x00\x00", "٠١٢٣٤٥"} {
		f.Add(s, int64(0))
	}
	f.Add("050471", TOTPStep(now))
	f.Fuzz(func(t *testing.T, code string, after int64) {
		step, ok := VerifyTOTP(rfcKey, code, now, after)
		if !ok {
			return
		}
		cur := TOTPStep(now)
		if step <= after || step < cur-TOTPSkew || step > cur+TOTPSkew || TOTPCode(rfcKey, step) != strings.ReplaceAll(code, " ", "") {
			t.Fatalf("accepted %q (after %d) as step %d", code, after, step)
		}
	})
}

// FuzzCheckPassword: stored hashes and passwords of any shape never panic.
func FuzzCheckPassword(f *testing.F) {
	f.Add("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$a2V5", "pw")
	f.Add("$argon2id$v=19$m=8,t=0,p=0$$", "")
	f.Fuzz(func(t *testing.T, hash, password string) {
		if p, _, _, err := parseHash(hash); err == nil && (p.Memory > 64 || p.Time > 2 || p.Threads > 2) {
			t.Skip() // costly parameters would only make the fuzzer slow
		}
		CheckPassword(hash, password)
		NeedsRehash(hash, Default)
	})
}
