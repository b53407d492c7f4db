package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"openmash.org/mash/internal/auth"
	"openmash.org/mash/internal/demo"
)

// cmdDemo starts a hub on a fresh SQLite database seeded with a synthetic
// partnership, and prints the demo sign-ins.
func cmdDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	addr := fs.String("addr", envOr(getenv, "MASH_ADDR", "127.0.0.1:8080"), "listen address")
	path := fs.String("db", filepath.Join("data", "demo.db"), "SQLite file for the demo (replaced on every start)")
	contacts := fs.Int("contacts", 300, "synthetic contacts to create")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	for _, suffix := range []string{"", "-wal", "-shm", "-audit.key", "-audit.pub"} {
		if err := os.Remove(*path + suffix); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove old demo database: %w", err)
		}
	}
	db, err := openDB(ctx, func(k string) string {
		if k == "MASH_DATABASE_URL" {
			return "file:" + *path
		}
		return getenv(k)
	})
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	logins, err := demo.Seed(ctx, db, demo.Options{Now: time.Now().UTC(), Contacts: *contacts, Seed: 1})
	if err != nil {
		return fmt.Errorf("seed demo data: %w", err)
	}
	db.Now = func() time.Time { return time.Now().UTC() }
	fmt.Fprintf(stdout, "Demo partnership seeded in %s with %d synthetic contacts (all people are fictional).\n\n", time.Since(start).Round(time.Millisecond), *contacts)
	tw := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tEMAIL\tPASSWORD\tAGENCY")
	for _, l := range logins {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.Role, l.Email, l.Password, l.Agency)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "\nEvery demo account's one-time codes come from the TOTP secret %s\n(add %s\nto an authenticator app, or run: go run ./cmd/mash totp code --secret %s).\n",
		demo.TOTPSecret, auth.TOTPURI("OpenMASH demo", "every demo account", demo.TOTPSecret), demo.TOTPSecret)
	fmt.Fprintf(stdout, "\nSign in in a browser at http://%s/ with an email and password above and the current code.\n", *addr)
	fmt.Fprintf(stdout, "\nGet a token:  curl -s -X POST http://%s/api/v1/auth/token -H 'Content-Type: application/json' -d '{\"email\":\"%s\",\"password\":\"%s\",\"totp\":\"'$(go run ./cmd/mash totp code --secret %s)'\"}'\n\n",
		*addr, logins[0].Email, logins[0].Password, demo.TOTPSecret)
	// The demo's database is new each time, so its checkpoints are too.
	cpDir := *path + "-audit-checkpoints"
	if err := os.RemoveAll(cpDir); err != nil {
		return err
	}
	go keepCheckpointing(ctx, db, cpDir, *path+"-audit.key", stderr)
	return serve(ctx, db, *addr, stdout, stderr, nil)
}
