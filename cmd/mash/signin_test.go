package main

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/auth"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

func TestAccountCommands(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			url := e.URL
			ctx := context.Background()
			must := func(stdin string, args ...string) string {
				t.Helper()
				out, _, err := mashCmd(t, url, stdin, args...)
				if err != nil {
					t.Fatalf("%v: %v", args, err)
				}
				return out
			}
			must("", "agency", "add", "--name", "Northshire Police", "--kind", "police")
			must("a long enough password\n", "user", "add", "--email", "officer@police.example",
				"--name", "An Officer", "--agency", "Northshire Police", "--role", "researcher")
			const email = "officer@police.example"

			// Enrolment prints the secret and the URI once. (--reset, so this
			// holds whether or not user add has enrolled the user already.)
			out := must("", "user", "totp", "--email", email, "--reset")
			m := regexp.MustCompile(`secret: ([A-Z2-7]{32})\n`).FindStringSubmatch(out)
			if m == nil || !strings.Contains(out, "otpauth://totp/OpenMASH:officer@police.example?") || !strings.Contains(out, "secret="+m[1]) {
				t.Fatalf("user totp: %q", out)
			}
			secret := m[1]
			_, _, err := mashCmd(t, url, "", "user", "totp", "--email", email)
			if err == nil || !strings.Contains(err.Error(), "--reset") {
				t.Fatalf("second enrolment: %v", err)
			}
			// totp code computes what the user's app shows.
			key, _ := auth.DecodeTOTPSecret(secret)
			before := auth.TOTPCode(key, auth.TOTPStep(time.Now()))
			code := strings.TrimSpace(must(secret+"\n", "totp", "code"))
			if after := auth.TOTPCode(key, auth.TOTPStep(time.Now())); code != before && code != after {
				t.Fatalf("totp code %q, want %q", code, after)
			}
			if _, _, err := mashCmd(t, url, "", "totp", "code", "--secret", "not base32!"); err == nil {
				t.Fatal("totp code took a bad secret")
			}

			db := storetest.Open(t, e)
			signIn := func(password string) error {
				c := auth.TOTPCode(key, auth.TOTPStep(db.Now()))
				_, err := db.SignIn(ctx, mash.Actor{}, email, password, c, time.Hour)
				return err
			}
			if err := signIn("a long enough password"); err != nil {
				t.Fatalf("sign in with the enrolled secret: %v", err)
			}

			// A reset replaces the secret.
			out = must("", "user", "totp", "--email", email, "--reset", "--reason", "lost phone")
			if strings.Contains(out, secret) {
				t.Fatal("the reset kept the secret")
			}
			secret = regexp.MustCompile(`secret: ([A-Z2-7]{32})\n`).FindStringSubmatch(out)[1]
			key, _ = auth.DecodeTOTPSecret(secret)

			// Password reset from stdin; the second factor stays.
			if _, _, err := mashCmd(t, url, "short\n", "user", "reset-password", "--email", email); err == nil || !strings.Contains(err.Error(), "password") {
				t.Fatalf("short password: %v", err)
			}
			must("another long password\n", "user", "reset-password", "--email", email)
			db.Now = func() time.Time { return time.Now().Add(auth.TOTPPeriod) } // a fresh code
			if err := signIn("another long password"); err != nil {
				t.Fatalf("sign in after reset: %v", err)
			}

			// Disable ends a service token at once; enable lets sign-in back.
			tok := strings.TrimSpace(must("", "token", "create", "--email", email))
			if _, err := db.ActorForToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
			must("", "user", "disable", "--email", email, "--reason", "left the force")
			if _, err := db.ActorForToken(ctx, tok); mash.KindOf(err) != mash.KindUnauthenticated {
				t.Fatalf("token of a disabled user: %v", err)
			}
			if _, _, err := mashCmd(t, url, "", "token", "create", "--email", email); err == nil || !strings.Contains(err.Error(), "disabled") {
				t.Fatalf("token for a disabled user: %v", err)
			}
			must("", "user", "enable", "--email", email)
			db.Now = func() time.Time { return time.Now().Add(2 * auth.TOTPPeriod) }
			if err := signIn("another long password"); err != nil {
				t.Fatalf("sign in when enabled: %v", err)
			}

			// Revoke every token.
			must("", "token", "create", "--email", email)
			if out := must("", "token", "revoke", "--email", email); !strings.Contains(out, "2 tokens") {
				t.Fatalf("token revoke: %q", out)
			}

			if _, _, err := mashCmd(t, url, "", "user", "disable", "--email", "nobody@police.example"); err == nil || !strings.Contains(err.Error(), "--email") {
				t.Fatalf("unknown user: %v", err)
			}
			for _, args := range [][]string{{"user", "disable"}, {"token", "revoke", "--nope"}, {"user", "totp"}} {
				if _, _, err := mashCmd(t, url, "", args...); !errors.Is(err, errUsage) {
					t.Errorf("%v: got %v, want a usage error", args, err)
				}
			}

			for _, action := range []string{"user.totp_reset", "user.password_reset", "user.disable", "user.enable", "token.revoke_all"} {
				var n int
				if err := db.SQL().QueryRow(`SELECT count(*) FROM audit_events WHERE action = $1 AND actor_id = $2`, action, store.System.UserID).Scan(&n); err != nil || n == 0 {
					t.Errorf("%s: no audit event by the system (%v)", action, err)
				}
			}
		})
	}
}
