package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"openmash.org/mash/internal/store"
)

// TestBenchIntake runs a small bench end to end: the real server, real
// clients, the raw store path. It checks the report, never the speed.
func TestBenchIntake(t *testing.T) {
	noEnv := func(string) string { return "" }
	t.Run("default database", func(t *testing.T) {
		rep := runBench(t, noEnv, "--contacts", "50", "--concurrency", "4")
		if rep.Engine != "sqlite" || rep.Contacts != 50 || rep.Concurrency != 4 || rep.Warmup != 100 {
			t.Errorf("report header = %+v", rep)
		}
	})
	t.Run("given database", func(t *testing.T) {
		// A named file is kept, so the rows each path wrote can be counted.
		path := filepath.Join(t.TempDir(), "bench.db")
		runBench(t, noEnv, "--contacts", "30", "--concurrency", "3", "--warmup", "5", "--rounds", "3", "--db", path)
		db, err := store.Open(context.Background(), "file:"+path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, c := range []struct {
			q    string
			want int
		}{
			// 30 measured and 5 warm-up contacts on each path: API, store, raw.
			{`SELECT COUNT(*) FROM contacts WHERE reference NOT LIKE 'BENCH-RAW-%'`, 2 * 35},
			{`SELECT COUNT(*) FROM contacts WHERE reference LIKE 'BENCH-RAW-%'`, 35},
			{`SELECT COUNT(*) FROM contact_subjects`, 2 * 3 * 35},
			// The raw path writes two persons per contact; the API and the
			// store link each subject's record to a person, new or known.
			{`SELECT COUNT(*) FROM persons p JOIN contact_subjects s ON s.person_id = p.id JOIN contacts c ON c.id = s.contact_id
				WHERE c.reference LIKE 'BENCH-RAW-%'`, 2 * 35},
			{`SELECT COUNT(*) FROM person_records`, 2 * 2 * 35},
			{`SELECT COUNT(*) FROM audit_events WHERE action = 'contact.create'`, 2 * 35},
		} {
			var n int
			if err := db.SQL().QueryRow(c.q).Scan(&n); err != nil {
				t.Fatalf("%s: %v", c.q, err)
			}
			if n != c.want {
				t.Errorf("%s = %d, want %d", c.q, n, c.want)
			}
		}
	})
	t.Run("bad flags", func(t *testing.T) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"bench", "intake", "--concurrency", "0"}, noEnv, strings.NewReader(""), &out, &errOut)
		if err == nil || out.Len() != 0 {
			t.Fatalf("err = %v, stdout = %q", err, out.String())
		}
	})
}

func runBench(t *testing.T, getenv func(string) string, flags ...string) benchReport {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"bench", "intake"}, flags...), getenv, strings.NewReader(""), &out, &errOut)
	if err != nil {
		t.Fatalf("bench: %v\nstderr:\n%s", err, errOut.String())
	}
	var rep benchReport
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, out.String())
	}
	if rep.Store == nil {
		t.Fatalf("no store figures in %+v", rep)
	}
	if rep.API.Errors != 0 || rep.Store.Errors != 0 || rep.Raw.Errors != 0 {
		t.Errorf("errors: api %d (%s), store %d (%s), raw %d (%s)", rep.API.Errors, rep.API.FirstError,
			rep.Store.Errors, rep.Store.FirstError, rep.Raw.Errors, rep.Raw.FirstError)
	}
	for name, v := range map[string]float64{
		"api.contacts_per_s": rep.API.ContactsPerS, "api.p50_ms": rep.API.P50Ms, "api.p99_ms": rep.API.P99Ms,
		"api.max_ms": rep.API.MaxMs, "store.contacts_per_s": rep.Store.ContactsPerS,
		"raw.contacts_per_s": rep.Raw.ContactsPerS, "ratio_of_raw": rep.RatioOfRaw,
	} {
		if !(v > 0) {
			t.Errorf("%s = %v, want > 0", name, v)
		}
	}
	if rep.API.P50Ms > rep.API.P99Ms || rep.API.P99Ms > rep.API.MaxMs {
		t.Errorf("latencies out of order: p50 %v, p99 %v, max %v", rep.API.P50Ms, rep.API.P99Ms, rep.API.MaxMs)
	}
	if rep.Goal.MinContactsPerS != goalContactsPerS || rep.Goal.MaxP99Ms != goalP99Ms || rep.Goal.MinRatio != goalRatio {
		t.Errorf("goal = %+v", rep.Goal)
	}
	if !strings.Contains(errOut.String(), "contacts/s") {
		t.Errorf("no summary line on stderr:\n%s", errOut.String())
	}
	return rep
}
