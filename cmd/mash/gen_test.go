package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestGenPeople(t *testing.T) {
	dir := t.TempDir()
	noEnv := func(string) string { return "" }
	gen := func(args ...string) map[string]any {
		t.Helper()
		var out, errb bytes.Buffer
		if err := run(context.Background(), append([]string{"bench", "gen-people"}, args...), noEnv, nil, &out, &errb); err != nil {
			t.Fatalf("gen-people %v: %v\n%s", args, err, errb.String())
		}
		var rep map[string]any
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("report %q: %v", out.String(), err)
		}
		return rep
	}
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	rep := gen("--n", "2000", "--out", a, "--seed", "9")
	if rep["records"] != 2000.0 {
		t.Errorf("report %v", rep)
	}
	gen("--n", "2000", "--out", b, "--seed", "9", "--truth", filepath.Join(dir, "truth.csv"))
	fa, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(fa)).ReadAll()
	if err != nil || len(rows) != 2001 || len(rows[0]) != 12 || rows[0][11] != "cluster_id" {
		t.Fatalf("a.csv: %d rows, header %v, %v", len(rows), rows[0], err)
	}
	fb, _ := os.ReadFile(b)
	brows, err := csv.NewReader(bytes.NewReader(fb)).ReadAll()
	if err != nil || len(brows) != 2001 || len(brows[0]) != 11 {
		t.Fatalf("b.csv: %d rows, header %v, %v", len(brows), brows[0], err)
	}
	for i := range rows {
		for j := range brows[i] {
			if rows[i][j] != brows[i][j] {
				t.Fatalf("same seed, row %d differs: %v vs %v", i, rows[i], brows[i])
			}
		}
	}
	ft, _ := os.ReadFile(filepath.Join(dir, "truth.csv"))
	trows, err := csv.NewReader(bytes.NewReader(ft)).ReadAll()
	if err != nil || len(trows) != 2001 || trows[5][1] != rows[5][11] {
		t.Fatalf("truth.csv: %d rows, %v", len(trows), err)
	}
	gen("--n", "10", "--out", filepath.Join(dir, "c.csv"), "--cluster-column", "cluster")
	if fc, _ := os.ReadFile(filepath.Join(dir, "c.csv")); !bytes.Contains(fc, []byte(",phone,cluster\n")) {
		t.Errorf("--cluster-column cluster: header %q", bytes.SplitN(fc, []byte("\n"), 2)[0])
	}
	if rep := gen("--twins-heavy", "--n", "1000", "--out", filepath.Join(dir, "tw.csv")); rep["twins"].(float64) < 50 {
		t.Errorf("twins-heavy report %v", rep)
	}
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"bench", "gen-people", "--n", "10"}, noEnv, nil, &out, &errb); !errors.Is(err, errUsage) {
		t.Errorf("no --out: %v", err)
	}
}
