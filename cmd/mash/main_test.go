package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store/storetest"
)

// mashCmd runs the program in-process against url, as a shell would.
func mashCmd(t *testing.T, url, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if k == "MASH_DATABASE_URL" {
			return url
		}
		return ""
	}
	err := run(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

func TestAdminCommands(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			url := e.URL
			if out, _, err := mashCmd(t, url, "", "migrate"); err != nil || !strings.Contains(out, "up to date") {
				t.Fatalf("migrate: %q %v", out, err)
			}
			if _, _, err := mashCmd(t, url, "", "agency", "add", "--name", "Northshire Police", "--kind", "police"); err != nil {
				t.Fatalf("agency add: %v", err)
			}
			_, _, err := mashCmd(t, url, "", "agency", "add", "--name", "Northshire Police", "--kind", "police")
			if err == nil || !strings.Contains(err.Error(), "already exists") {
				t.Fatalf("duplicate agency: %v", err)
			}
			_, _, err = mashCmd(t, url, "", "agency", "add", "--name", "X", "--kind", "army")
			if err == nil || !strings.Contains(err.Error(), "kind") {
				t.Fatalf("bad kind: %v", err)
			}
			out, _, err := mashCmd(t, url, "a long enough password\n", "user", "add", "--email", "Officer@Police.example",
				"--name", "An Officer", "--agency", "Northshire Police", "--role", "researcher")
			if err != nil || !strings.Contains(out, "officer@police.example") {
				t.Fatalf("user add: %q %v", out, err)
			}
			_, _, err = mashCmd(t, url, "short\n", "user", "add", "--email", "b@police.example", "--name", "B", "--agency", "Northshire Police", "--role", "researcher")
			if err == nil || !strings.Contains(err.Error(), "password") {
				t.Fatalf("short password: %v", err)
			}
			_, _, err = mashCmd(t, url, "a long enough password\n", "user", "add", "--email", "c@police.example", "--name", "C", "--agency", "No Such Agency", "--role", "researcher")
			if err == nil || !strings.Contains(err.Error(), "--agency") {
				t.Fatalf("unknown agency: %v", err)
			}
			tok, _, err := mashCmd(t, url, "", "token", "create", "--email", "officer@police.example")
			if err != nil || !strings.HasPrefix(tok, "mash_") {
				t.Fatalf("token create: %q %v", tok, err)
			}
			db := storetest.Open(t, e)
			a, err := db.ActorForToken(context.Background(), strings.TrimSpace(tok))
			if err != nil || a.Role != mash.RoleResearcher {
				t.Fatalf("token resolves to %+v, %v", a, err)
			}
			out, _, err = mashCmd(t, url, "", "policy", "show")
			var p mash.RAGPolicy
			if err != nil || json.Unmarshal([]byte(out), &p) != nil || len(p.Levels) != 3 || p.Calendar == nil {
				t.Fatalf("policy show: %q %v", out, err)
			}
			// A local policy: Amber is 24 working hours and a new local holiday.
			edited := strings.Replace(out, `"target_hours": 8`, `"target_hours": 24`, 1)
			edited = strings.Replace(edited, `"holidays": {`, `"holidays": {"2026-12-29": "Council closure day",`, 1)
			if _, _, err := mashCmd(t, url, edited, "policy", "set"); err != nil {
				t.Fatalf("policy set: %v", err)
			}
			p, err = storetest.Open(t, e).Policy(context.Background())
			if lvl, _ := p.Level("amber"); err != nil || lvl.Target != 24*time.Hour || p.Calendar.Holidays["2026-12-29"] == "" {
				t.Fatalf("policy after set: %+v %v", lvl, err)
			}
			_, _, err = mashCmd(t, url, strings.Replace(out, `"target_hours": 4`, `"target_hours": -4`, 1), "policy", "set")
			if err == nil || !strings.Contains(err.Error(), "target") {
				t.Fatalf("negative target: %v", err)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	url := "file:" + filepath.Join(t.TempDir(), "x.db")
	for _, args := range [][]string{nil, {"frobnicate"}, {"agency"}, {"agency", "add", "--nope"}} {
		if _, _, err := mashCmd(t, url, "", args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: got %v, want a usage error", args, err)
		}
	}
	if out, _, err := mashCmd(t, url, "", "help"); err != nil || !strings.Contains(out, "bench intake") {
		t.Errorf("help: %v", err)
	}
}
