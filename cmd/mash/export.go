package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"openmash.org/mash/internal/returns"
	"openmash.org/mash/internal/store"
)

// cmdExport runs `mash export returns`: the year's statutory returns (CIN
// census-shaped contacts and referrals, SAC counts) as CSV files with a
// manifest, written whole or not at all.
func cmdExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "returns" {
		fmt.Fprintln(stderr, "usage: mash export returns --year 2026 --out DIR")
		return errUsage
	}
	fs := newFlags("export returns", stderr)
	year := fs.String("year", "", "the reporting year: 2026 is the collection year 2025-26, 1 April 2025 to 31 March 2026\n"+
		"(the DfE CIN census 2025 to 2026 and the SAC 2025-26); \"2025-26\" is accepted too")
	out := fs.String("out", "", "directory to write, new or empty (the files appear only when all are written)")
	reason := fs.String("reason", "statutory returns", "why the export is made (recorded in the audit log)")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: mash export returns --year 2026 --out DIR")
		return errUsage
	}
	y, err := returns.ParseYear(*year)
	if err != nil {
		return userError(err)
	}
	lists, err := returns.ListsFor(y)
	if err != nil {
		return userError(err)
	}
	if _, err := returns.CheckDir(*out); err != nil {
		return userError(err)
	}
	db, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	from, to := y.Period()
	contacts, err := db.ReturnContacts(ctx, store.System, from, to, *reason+" "+y.Label())
	if err != nil {
		return userError(err)
	}
	read := time.Since(start)
	m, err := returns.WriteDir(*out, returns.Build(y, lists, contacts), db.Now())
	if err != nil {
		return userError(err)
	}
	fmt.Fprintf(stdout, "collection %s (%s to %s), code lists %s\n", m.Collection, m.PeriodStart, m.PeriodEnd, lists.Version)
	for _, f := range m.Files {
		fmt.Fprintf(stdout, "  %-20s %7d rows  %s\n", f.Name, f.Rows, f.Level)
	}
	for _, u := range m.UnknownCodes {
		fmt.Fprintf(stderr, "warning: %s %s: code %q is not in %s (%d rows; written as recorded)\n", u.File, u.Field, u.Code, u.List, u.Rows)
	}
	fmt.Fprintf(stderr, "%d contacts read in %.2f s, written in %.2f s in all\n", len(contacts), read.Seconds(), time.Since(start).Seconds())
	return nil
}
