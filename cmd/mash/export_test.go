package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"openmash.org/mash/internal/returns"
	"openmash.org/mash/internal/store/storetest"
)

// TestExportReturns runs `mash export returns` end to end on each engine
// against a generated history: the files and manifest agree, the CIN
// contacts file has one row per child the year's child contacts are about,
// the export is audited, and bad input changes nothing.
func TestExportReturns(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			env := func(k string) string {
				if k == "MASH_DATABASE_URL" {
					return e.URL
				}
				return ""
			}
			var out, errb bytes.Buffer
			if err := run(ctx, []string{"bench", "gen-contacts", "--contacts", "400", "--years", "2", "--now", "2026-06-01T12:00:00Z"}, env, nil, &out, &errb); err != nil {
				t.Fatalf("gen-contacts: %v\n%s", err, errb.String())
			}
			base := t.TempDir()
			dir := filepath.Join(base, "returns-2026")

			// Bad input: a clear error and nothing written.
			for _, args := range [][]string{
				{"export", "returns", "--year", "26", "--out", dir},
				{"export", "returns", "--year", "2024", "--out", dir},
				{"export", "returns", "--year", "2026", "--out", filepath.Join(base, "no", "such")},
				{"export", "returns", "--year", "2026"},
			} {
				errb.Reset()
				err := run(ctx, args, env, nil, &out, &errb)
				if err == nil || strings.Contains(err.Error(), "internal") {
					t.Errorf("%v: %v", args, err)
				}
			}
			if ents, _ := os.ReadDir(base); len(ents) != 0 {
				t.Fatalf("bad exports left %d entries behind", len(ents))
			}

			out.Reset()
			errb.Reset()
			if err := run(ctx, []string{"export", "returns", "--year", "2026", "--out", dir}, env, nil, &out, &errb); err != nil {
				t.Fatalf("export: %v\n%s", err, errb.String())
			}
			if !strings.Contains(out.String(), "collection 2025-26 (2025-04-01 to 2026-03-31)") {
				t.Errorf("summary: %s", out.String())
			}
			var m returns.Manifest
			data, err := os.ReadFile(filepath.Join(dir, returns.ManifestName))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			if len(m.Files) != 3 || m.CodeLists["cin_assessment_factors"] != "2025-26" {
				t.Fatalf("manifest: %+v", m)
			}
			for _, f := range m.Files {
				fh, err := os.Open(filepath.Join(dir, f.Name))
				if err != nil {
					t.Fatal(err)
				}
				recs, err := csv.NewReader(fh).ReadAll()
				fh.Close()
				if err != nil || len(recs)-1 != f.Rows || f.Rows == 0 {
					t.Errorf("%s: %d rows read (%v), manifest says %d", f.Name, len(recs)-1, err, f.Rows)
				}
			}

			db := storetest.Open(t, e)
			y, _ := returns.ParseYear("2026")
			from, to := y.Period()
			var children, audits int
			if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM contacts c JOIN contact_subjects s ON s.contact_id = c.id AND s.role = 'subject'
				WHERE c.cohort = 'child' AND c.received_at >= $1 AND c.received_at < $2`, from, to).Scan(&children); err != nil {
				t.Fatal(err)
			}
			if m.Files[0].Name != returns.FileCINContacts || m.Files[0].Rows != children {
				t.Errorf("cin_contacts rows %d, want %d (one per child of the year's child contacts)", m.Files[0].Rows, children)
			}
			db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM audit_events WHERE action = 'returns.export' AND actor_id = 'system'`).Scan(&audits)
			if audits != 1 {
				t.Errorf("export audit events: %d, want 1", audits)
			}

			// The same directory again: refused, the first export untouched.
			if err := run(ctx, []string{"export", "returns", "--year", "2026", "--out", dir}, env, nil, &out, &errb); err == nil {
				t.Error("an export over a non-empty directory was accepted")
			}
			again, _ := os.ReadFile(filepath.Join(dir, returns.ManifestName))
			if !bytes.Equal(again, data) {
				t.Error("the first export was changed")
			}
		})
	}
}
