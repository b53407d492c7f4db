package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/audit"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

func TestAuditCommands(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			env := map[string]string{
				"MASH_DATABASE_URL":         e.URL,
				"MASH_AUDIT_CHECKPOINT_DIR": filepath.Join(dir, "checkpoints"),
				"MASH_AUDIT_KEY_FILE":       filepath.Join(dir, "keys", "audit.key"),
			}
			cmd := func(args ...string) (string, error) {
				var out, errb bytes.Buffer
				err := run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb)
				return out.String() + errb.String(), err
			}
			db := storetest.Open(t, e)
			f := storetest.Partnership(t, db)
			contact := func() {
				if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), storetest.NewContact(db.Now().Add(-time.Hour)), ""); err != nil {
					t.Fatal(err)
				}
			}
			contact()

			// No key yet, then no checkpoint: both fail, saying what to do.
			if out, err := cmd("audit", "verify"); err == nil || !strings.Contains(err.Error(), "mash audit checkpoint") {
				t.Fatalf("verify with no key: %v\n%s", err, out)
			}
			out, err := cmd("audit", "checkpoint")
			if err != nil || !strings.Contains(out, "checkpoint ") {
				t.Fatalf("checkpoint: %v\n%s", err, out)
			}
			if fi, err := os.Stat(env["MASH_AUDIT_KEY_FILE"]); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("signing key: %v", err)
			}
			os.RemoveAll(env["MASH_AUDIT_CHECKPOINT_DIR"])
			if out, err := cmd("audit", "verify"); err == nil || !strings.Contains(err.Error(), "no checkpoint") {
				t.Fatalf("verify with no checkpoint: %v\n%s", err, out)
			}

			if out, err := cmd("audit", "checkpoint"); err != nil {
				t.Fatalf("checkpoint: %v\n%s", err, out)
			}
			if out, err := cmd("audit", "checkpoint"); err != nil || !strings.Contains(out, "no new audit events") {
				t.Fatalf("checkpoint of an unchanged log: %v\n%s", err, out)
			}
			contact()
			if out, err := cmd("audit", "checkpoint"); err != nil {
				t.Fatalf("checkpoint: %v\n%s", err, out)
			}
			if files, _ := filepath.Glob(filepath.Join(env["MASH_AUDIT_CHECKPOINT_DIR"], "*.checkpoint")); len(files) != 2 {
				t.Fatalf("checkpoint files: %v", files)
			}
			out, err = cmd("audit", "verify")
			if err != nil || !strings.Contains(out, "audit log verified") || !strings.Contains(out, "checkpoints matched: 2") || !strings.Contains(out, "events/s") {
				t.Fatalf("verify: %v\n%s", err, out)
			}

			// Checkpoints are checked against the key given, not whatever
			// key sits beside them.
			if _, err := audit.LoadOrCreateKey(filepath.Join(dir, "other.key")); err != nil {
				t.Fatal(err)
			}
			if out, err := cmd("audit", "verify", "--key", audit.VerifierFile(filepath.Join(dir, "other.key"))); err == nil || !strings.Contains(err.Error(), "not signed by key") {
				t.Fatalf("verify with another key: %v\n%s", err, out)
			}

			// Tampering fails verification, naming the event.
			stmts := []string{`DROP TRIGGER audit_events_no_update`}
			if db.Dialect() == store.Postgres {
				stmts = []string{`ALTER TABLE audit_events DISABLE TRIGGER USER`}
			}
			stmts = append(stmts, `UPDATE audit_events SET actor_id = 'someone else' WHERE seq = 3`)
			for _, s := range stmts {
				if _, err := db.SQL().Exec(s); err != nil {
					t.Fatal(err)
				}
			}
			out, err = cmd("audit", "verify")
			if _, ok := errors.AsType[*audit.Problem](err); !ok || !strings.Contains(err.Error(), "seq 3 (id ") || !strings.Contains(out, "events/s") {
				t.Fatalf("verify after tampering: %v\n%s", err, out)
			}
			if out, err := cmd("audit", "checkpoint"); err == nil || !strings.Contains(err.Error(), "not signing") {
				t.Fatalf("checkpoint of a tampered log: %v\n%s", err, out)
			}
		})
	}
}

func TestAuditUsage(t *testing.T) {
	url := "file:" + filepath.Join(t.TempDir(), "x.db")
	for _, args := range [][]string{{"audit"}, {"audit", "frobnicate"}, {"audit", "verify", "extra"}, {"audit", "checkpoint", "--nope"}} {
		if _, _, err := mashCmd(t, url, "", args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: got %v, want a usage error", args, err)
		}
	}
}
