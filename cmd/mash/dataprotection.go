package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
)

// cmdSARExport writes everything held about a person, with each item's owner
// and marking and what must be reviewed before release.
func cmdSARExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("sar export", stderr)
	person := fs.String("person", "", "the person's id")
	out := fs.String("out", "-", "file to write (- for standard output)")
	if err := fs.Parse(args); err != nil || *person == "" {
		fmt.Fprintln(stderr, "usage: mash sar export --person ID [--out FILE]")
		return errUsage
	}
	db, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := db.SubjectAccess(ctx, store.System, *person)
	if err != nil {
		return userError(err)
	}
	w := stdout
	if *out != "-" {
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return err
	}
	review := 0
	for _, it := range rep.Items {
		if it.Review != "" {
			review++
		}
	}
	fmt.Fprintf(stderr, "%d items, %d to review before release (nothing marked mash_only or naming third parties is released automatically)\n", len(rep.Items), review)
	return nil
}

// cmdRetention lists (and with --apply anonymises) closed contacts past their
// retention period; legal holds are listed and left alone.
func cmdRetention(ctx context.Context, sub string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("retention "+sub, stderr)
	apply := fs.Bool("apply", false, "anonymise (without it, only list: a dry run)")
	policy := fs.String("policy", "", "retention rules as JSON (default: closed at screening 2 years, decided 6 years)")
	contact := fs.String("contact", "", "contact reference or id (hold, release)")
	reason := fs.String("reason", "", "why (hold, release)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	db, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	switch sub {
	case "hold":
		if err := db.PlaceHold(ctx, store.System, *contact, *reason); err != nil {
			return userError(err)
		}
		fmt.Fprintln(stdout, "legal hold placed")
		return nil
	case "release":
		if err := db.ReleaseHold(ctx, store.System, *contact, *reason); err != nil {
			return userError(err)
		}
		fmt.Fprintln(stdout, "legal hold lifted")
		return nil
	}
	rules := mash.DefaultRetention
	if *policy != "" {
		b, err := os.ReadFile(*policy)
		if err != nil {
			return err
		}
		rules = nil
		if err := json.Unmarshal(b, &rules); err != nil {
			return fmt.Errorf("--policy: %w", err)
		}
	}
	due, err := db.RetentionDue(ctx, rules)
	if err != nil {
		return userError(err)
	}
	why := map[string]string{}
	for _, r := range rules {
		why[r.RecordType] = r.Why
	}
	done, held := 0, 0
	for _, c := range due {
		state := "due"
		switch {
		case c.Held != "":
			state, held = "held ("+c.Held+")", held+1
		case *apply:
			if err := db.Anonymise(ctx, store.System, c, why[c.RecordType]); err != nil {
				return fmt.Errorf("%s: %w", c.Reference, userError(err))
			}
			state, done = "anonymised", done+1
		}
		fmt.Fprintf(stdout, "%s\t%s\tclosed %s\t%s\n", c.Reference, c.RecordType, c.ClosedAt.Format("2006-01-02"), state)
	}
	if *apply {
		fmt.Fprintf(stderr, "%d anonymised, %d held\n", done, held)
	} else {
		fmt.Fprintf(stderr, "dry run: %d due, %d of them held; run with --apply to anonymise\n", len(due), held)
	}
	return nil
}
