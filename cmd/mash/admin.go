package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
)

func cmdAgencyAdd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("agency add", stderr)
	name := fs.String("name", "", "agency name")
	kind := fs.String("kind", "", "agency kind: "+strings.Join(kinds(), ", "))
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	db, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	a := mash.Agency{Name: *name, Kind: mash.AgencyKind(*kind)}
	if err := db.CreateAgency(ctx, store.System, &a); err != nil {
		return userError(err)
	}
	fmt.Fprintf(stdout, "agency %s added: %s\n", a.ID, a.Name)
	return nil
}

func kinds() []string {
	out := make([]string, len(mash.AgencyKinds))
	for i, k := range mash.AgencyKinds {
		out[i] = string(k)
	}
	return out
}

func cmdUserAdd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("user add", stderr)
	email := fs.String("email", "", "sign-in email")
	name := fs.String("name", "", "full name")
	agency := fs.String("agency", "", "agency name or id")
	role := fs.String("role", "", "role: referrer, screener, researcher, manager, auditor, analyst or admin")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	// The password comes on stdin, never as a flag, so it stays out of shell
	// history and the process list.
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("read password from stdin: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	db, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := db.FindAgency(ctx, *agency)
	if err != nil {
		return fmt.Errorf("--agency %q: %w", *agency, userError(err))
	}
	u := mash.User{Email: *email, Name: *name, AgencyID: a.ID, Role: mash.Role(*role)}
	if err := db.CreateUser(ctx, store.System, &u, password); err != nil {
		return userError(err)
	}
	fmt.Fprintf(stdout, "user %s added: %s (%s, %s)\n", u.ID, u.Email, u.Role, a.Name)
	return enrolTOTP(ctx, db, &u, false, "", stdout)
}

func cmdTokenCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("token create", stderr)
	email := fs.String("email", "", "the user the token acts as")
	ttl := fs.Duration("ttl", 30*24*time.Hour, "how long the token is valid")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *ttl <= 0 || *ttl > 366*24*time.Hour {
		return fmt.Errorf("--ttl must be between 1s and 8784h (a year)")
	}
	db, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := db.UserByEmail(ctx, *email)
	if err != nil {
		return fmt.Errorf("--email: %w", userError(err))
	}
	tok, err := db.IssueToken(ctx, u.ID, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok.Token)
	fmt.Fprintf(stderr, "token for %s (%s) expires %s\n", u.Email, u.Role, tok.ExpiresAt.Format(time.RFC3339))
	return nil
}

func cmdPolicyShow(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	db, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := db.Policy(ctx)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// cmdPolicySet replaces the RAG policy (levels and calendar) with the JSON
// read from --file or stdin, in the form policy show prints.
func cmdPolicySet(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("policy set", stderr)
	file := fs.String("file", "-", "policy JSON file (- for stdin)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	in := stdin
	if *file != "-" {
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	var p mash.RAGPolicy
	dec := json.NewDecoder(io.LimitReader(in, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return fmt.Errorf("policy: %w", userError(err))
	}
	if p.Calendar == nil {
		return errors.New("policy: a calendar is required (start from the output of mash policy show)")
	}
	db, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.SetPolicy(ctx, store.System, p); err != nil {
		return userError(err)
	}
	fmt.Fprintf(stdout, "policy saved: %d levels, %d holidays\n", len(p.Levels), len(p.Calendar.Holidays))
	return nil
}
