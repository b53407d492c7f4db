package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/auth"
	"openmash.org/mash/internal/store"
)

// totpIssuer names the hub in authenticator apps.
const totpIssuer = "OpenMASH"

// accountFlags makes the flags every account command takes: --email, and
// --reason for the audit log. Commands add their own before parseAccount.
func accountFlags(name string, stderr io.Writer) (fs *flag.FlagSet, email, reason *string) {
	fs = newFlags(name, stderr)
	return fs, fs.String("email", "", "the user's sign-in email"), fs.String("reason", "", "why, for the audit log")
}

func parseAccount(fs *flag.FlagSet, args []string, email *string, stderr io.Writer) error {
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *email == "" {
		fmt.Fprintf(stderr, "%s: --email is required\n", fs.Name())
		return errUsage
	}
	return nil
}

// withUser opens the database, finds the user by email and runs fn.
func withUser(ctx context.Context, getenv func(string) string, email string, fn func(db *store.DB, u *mash.User) error) error {
	db, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := db.UserByEmail(ctx, email)
	if err != nil {
		return fmt.Errorf("--email: %w", userError(err))
	}
	return fn(db, u)
}

// cmdUserTOTP enrols a user for one-time codes, or with --reset replaces the
// enrolment (a lost phone). Only the server's command line can do either, so
// an administrator's reset cannot be done over the API by someone who took
// over an admin account.
func cmdUserTOTP(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, email, reason := accountFlags("user totp", stderr)
	reset := fs.Bool("reset", false, "replace an existing enrolment (ends the user's tokens)")
	if err := parseAccount(fs, args, email, stderr); err != nil {
		return err
	}
	return withUser(ctx, getenv, *email, func(db *store.DB, u *mash.User) error {
		return enrolTOTP(ctx, db, u, *reset, *reason, stdout)
	})
}

// enrolTOTP gives u a new secret and prints it once, with the otpauth URI
// to show as a QR code; the hub never shows it again.
func enrolTOTP(ctx context.Context, db *store.DB, u *mash.User, reset bool, reason string, stdout io.Writer) error {
	secret, err := db.EnrolTOTP(ctx, store.System, u.ID, "", reset, reason)
	if err != nil {
		if mash.KindOf(err) == mash.KindConflict {
			return fmt.Errorf("%s is already enrolled for one-time codes (use --reset to replace the enrolment)", u.Email)
		}
		return userError(err)
	}
	fmt.Fprintf(stdout, "one-time codes for %s: give the user this secret (shown only now)\n", u.Email)
	fmt.Fprintf(stdout, "secret: %s\n", secret)
	fmt.Fprintf(stdout, "uri:    %s\n", auth.TOTPURI(totpIssuer, u.Email, secret))
	return nil
}

func cmdUserDisable(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, email, reason := accountFlags("user disable", stderr)
	if err := parseAccount(fs, args, email, stderr); err != nil {
		return err
	}
	return withUser(ctx, getenv, *email, func(db *store.DB, u *mash.User) error {
		if err := db.DisableUser(ctx, store.System, u.ID, *reason); err != nil {
			return userError(err)
		}
		fmt.Fprintf(stdout, "user %s disabled; their tokens no longer work\n", u.Email)
		return nil
	})
}

func cmdUserEnable(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, email, reason := accountFlags("user enable", stderr)
	if err := parseAccount(fs, args, email, stderr); err != nil {
		return err
	}
	return withUser(ctx, getenv, *email, func(db *store.DB, u *mash.User) error {
		if err := db.EnableUser(ctx, store.System, u.ID, *reason); err != nil {
			return userError(err)
		}
		fmt.Fprintf(stdout, "user %s enabled\n", u.Email)
		return nil
	})
}

// cmdUserResetPassword sets a new password read from stdin. The user keeps
// their TOTP enrolment, so whoever learns the new password still needs the
// user's phone.
func cmdUserResetPassword(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs, email, reason := accountFlags("user reset-password", stderr)
	if err := parseAccount(fs, args, email, stderr); err != nil {
		return err
	}
	password, err := readLine(stdin, "password")
	if err != nil {
		return err
	}
	return withUser(ctx, getenv, *email, func(db *store.DB, u *mash.User) error {
		if err := db.ResetPassword(ctx, store.System, u.ID, password, *reason); err != nil {
			return userError(err)
		}
		fmt.Fprintf(stdout, "password of %s reset; their one-time codes are unchanged and their tokens ended\n", u.Email)
		return nil
	})
}

func cmdTokenRevoke(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, email, reason := accountFlags("token revoke", stderr)
	if err := parseAccount(fs, args, email, stderr); err != nil {
		return err
	}
	return withUser(ctx, getenv, *email, func(db *store.DB, u *mash.User) error {
		n, err := db.RevokeTokens(ctx, store.System, u.ID, *reason)
		if err != nil {
			return userError(err)
		}
		fmt.Fprintf(stdout, "%d tokens of %s revoked\n", n, u.Email)
		return nil
	})
}

// cmdTOTPCode prints the current one-time code for a base32 secret (from
// --secret or stdin). It reads no database, so it gives nothing to someone
// who does not already hold the secret; it is for the demo and for scripts
// signing in as a test user.
func cmdTOTPCode(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("totp code", stderr)
	secret := fs.String("secret", "", "the base32 secret (stdin if not given)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *secret == "" {
		s, err := readLine(stdin, "secret")
		if err != nil {
			return err
		}
		*secret = s
	}
	key, err := auth.DecodeTOTPSecret(*secret)
	if err != nil || len(key) == 0 {
		return errors.New("the secret is not base32")
	}
	fmt.Fprintln(stdout, auth.TOTPCode(key, auth.TOTPStep(time.Now())))
	return nil
}

// readLine reads one line of stdin: secrets come that way, never as flags,
// so they stay out of shell history and the process list.
func readLine(stdin io.Reader, what string) (string, error) {
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read %s from stdin: %w", what, err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
