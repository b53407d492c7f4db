package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPersonsImport loads an agency's index twice: the first run links and
// reports the malformed row by line; the rerun skips what is loaded.
func TestPersonsImport(t *testing.T) {
	dir := t.TempDir()
	getenv := func(k string) string {
		if k == "MASH_DATABASE_URL" {
			return "file:" + filepath.Join(dir, "hub.db")
		}
		return ""
	}
	do := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, getenv, strings.NewReader(""), &out, &errOut)
		return out.String(), errOut.String(), err
	}
	if _, e, err := do("agency", "add", "--name", "Test Police", "--kind", "police"); err != nil {
		t.Fatalf("%v: %s", err, e)
	}
	in := filepath.Join(dir, "index.csv")
	os.WriteFile(in, []byte("record_id,given_name,family_name,dob,sex,postcode\n"+
		"P1,Kayleigh,Smith,2015-04-03,F,LS1 4AP\n"+
		"P2,Kayley,Smith,2015-04-03,F,LS1 4AP\n"+
		"P3,Amara\n"+
		"P4,Chloe,Smith,2015-04-03,F,LS1 4AP\n"), 0o600)
	out, e, err := do("persons", "import", "--agency", "Test Police", "--in", in)
	if err != nil {
		t.Fatalf("%v: %s", err, e)
	}
	if !strings.Contains(out, "1 linked") || !strings.Contains(out, "2 new persons") || !strings.Contains(e, "index.csv:4") {
		t.Fatalf("first import: %q, stderr %q", out, e)
	}
	out, e, err = do("persons", "import", "--agency", "Test Police", "--in", in)
	if err != nil || !strings.Contains(out, "3 already loaded") {
		t.Fatalf("rerun: %q %v %s", out, err, e)
	}
	// With clusters from match dedupe: P1 and P2 one person, P4 (in no cluster) its own.
	if _, e, err := do("agency", "add", "--name", "Test Health", "--kind", "health"); err != nil {
		t.Fatalf("%v: %s", err, e)
	}
	cl := filepath.Join(dir, "clusters.csv")
	os.WriteFile(cl, []byte("record_id,cluster_id\nP1,7\nP2,7\n"), 0o600)
	out, e, err = do("persons", "import", "--agency", "Test Health", "--in", in, "--clusters", cl)
	if err != nil || !strings.Contains(out, "loaded 3 records as 2 persons") {
		t.Fatalf("bulk import: %q %v %s", out, err, e)
	}
	if _, _, err := do("persons", "import", "--agency", "No Such Agency", "--in", in); err == nil {
		t.Fatal("an unknown agency was accepted")
	}
}

func TestBenchMatch(t *testing.T) {
	dbPath := "file:" + filepath.Join(t.TempDir(), "bench.db")
	// Load and time, then time again on the same people without loading.
	for _, extra := range [][]string{nil, {"--reuse"}} {
		var out, errOut bytes.Buffer
		args := append([]string{"bench", "match", "--persons", "2000", "--queries", "50", "--db", dbPath}, extra...)
		if err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errOut); err != nil {
			t.Fatalf("%v: %v: %s", args, err, errOut.String())
		}
		var rep struct {
			Queries int     `json:"queries"`
			Top     float64 `json:"right_person_top"`
			P50     float64 `json:"p50_ms"`
			Persons int     `json:"persons"`
		}
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Queries < 40 || rep.Top < 0.8 || rep.P50 <= 0 || rep.Persons < 1000 {
			t.Fatalf("bench match %v: %s", extra, out.String())
		}
	}
	var errOut bytes.Buffer
	err := run(context.Background(), []string{"bench", "match", "--persons", "2000", "--seed", "9", "--queries", "50", "--db", dbPath, "--reuse"},
		func(string) string { return "" }, strings.NewReader(""), io.Discard, &errOut)
	if err == nil || !strings.Contains(err.Error(), "not in the database") {
		t.Fatalf("reuse with another seed: %v", err)
	}
}
