package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// matchPeople writes a small standard-format file: 150 people, each recorded
// twice (the second time with a typo or nickname), a pair of twins and one
// malformed row.
func matchPeople(t *testing.T, dir string) string {
	t.Helper()
	given := []string{"Oliver", "Amelia", "Mohammed", "Kayleigh", "Robert", "Chloe", "Harry", "Isla", "Jack", "Grace", "Noah", "Freya", "Leo", "Ava", "Oscar"}
	nick := map[string]string{"Robert": "Bob", "Mohammed": "Muhammad", "Kayleigh": "Kayley"}
	family := []string{"Smith", "Jones", "Okonkwo", "Taylor", "Brown", "Williams", "Patel", "Khan", "Evans", "Smyth-Jones"}
	var b strings.Builder
	b.WriteString("record_id,source,given_name,family_name,dob,postcode,nhs_number\n")
	for i := 0; i < 150; i++ {
		g, f := given[i%len(given)], family[(i/len(given))%len(family)]
		dob := fmt.Sprintf("%04d-%02d-%02d", 1950+i%60, 1+i%12, 1+i%28)
		pc := fmt.Sprintf("LS%d %dAB", 1+i%20, i%10)
		fmt.Fprintf(&b, "p%d-a,police,%s,%s,%s,%s,\n", i, g, f, dob, pc)
		g2 := g
		if n, ok := nick[g]; ok {
			g2 = n
		}
		uk := fmt.Sprintf("%02d/%02d/%04d", 1+i%28, 1+i%12, 1950+i%60) // UK order
		fmt.Fprintf(&b, "p%d-b,school,%s,%s,%s,%s,\n", i, strings.ToUpper(g2), f, uk, strings.ToLower(strings.ReplaceAll(pc, " ", "")))
	}
	b.WriteString("twin-1,school,Aisha,Okafor,2015-04-03,M1 1AE,\n")
	b.WriteString("twin-2,school,Zara,Okafor,2015-04-03,M1 1AE,\n")
	b.WriteString("broken,row\n")
	p := filepath.Join(dir, "people.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readCSV(t *testing.T, p string) [][]string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestMatchCommands(t *testing.T) {
	dir := t.TempDir()
	in := matchPeople(t, dir)
	model := filepath.Join(dir, "model.json")
	if _, stderr, err := mashCmd(t, "", "", "match", "train", "--in", in, "--model", model); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	} else if !strings.Contains(stderr, "people.csv:304: skipped") {
		t.Errorf("malformed row not reported with its line number:\n%s", stderr)
	}
	if b, err := os.ReadFile(model); err != nil || !strings.Contains(string(b), `"date of birth: day and month swapped"`) {
		t.Fatalf("model JSON: %v\n%.300s", err, b)
	}
	out := filepath.Join(dir, "clusters.csv")
	if _, stderr, err := mashCmd(t, "", "", "match", "dedupe", "--in", in, "--model", model, "--out", out); err != nil {
		t.Fatalf("dedupe: %v\n%s", err, stderr)
	}
	rows := readCSV(t, out)
	if len(rows) != 303 || rows[0][0] != "record_id" || rows[0][1] != "cluster_id" {
		t.Fatalf("clusters.csv: %d rows, header %v", len(rows), rows[0])
	}
	cl := map[string]string{}
	for _, r := range rows[1:] {
		cl[r[0]] = r[1]
	}
	merged := 0
	for i := 0; i < 150; i++ {
		if cl[fmt.Sprintf("p%d-a", i)] == cl[fmt.Sprintf("p%d-b", i)] {
			merged++
		}
	}
	if merged < 145 {
		t.Errorf("only %d of 150 duplicate pairs merged", merged)
	}
	if cl["twin-1"] == cl["twin-2"] {
		t.Error("twins merged")
	}
	pairs := filepath.Join(dir, "pairs.csv")
	if _, stderr, err := mashCmd(t, "", "", "match", "link", "--left", in, "--right", in, "--out", pairs, "--one-to-one", "--explain"); err != nil {
		t.Fatalf("link: %v\n%s", err, stderr)
	}
	if rows := readCSV(t, pairs); len(rows) < 2 || strings.Join(rows[0], ",") != "left_id,right_id,score,explanation" ||
		!strings.Contains(rows[1][3], "date of birth: the same (+") {
		t.Errorf("pairs.csv: %v", rows[:min(len(rows), 2)])
	}
	if _, _, err := mashCmd(t, "", "", "match", "dedupe"); err == nil {
		t.Error("dedupe without --in accepted")
	}
}

// TestMatchEval scores a generated file by its own cluster_id column, and a
// clusters file written by dedupe against it, with twin merges counted from
// a --truth file.
func TestMatchEval(t *testing.T) {
	dir := t.TempDir()
	people, truthed, truth := filepath.Join(dir, "people.csv"), filepath.Join(dir, "bare.csv"), filepath.Join(dir, "truth.csv")
	for _, args := range [][]string{
		{"bench", "gen-people", "--n", "3000", "--seed", "5", "--twins-heavy", "--out", people},
		{"bench", "gen-people", "--n", "3000", "--seed", "5", "--twins-heavy", "--out", truthed, "--truth", truth},
	} {
		if _, stderr, err := mashCmd(t, "", "", args...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr)
		}
	}
	out, stderr, err := mashCmd(t, "", "", "match", "eval", "--in", people)
	if err != nil {
		t.Fatalf("eval by cluster_id: %v\n%s", err, stderr)
	}
	var p, r, f1 float64
	if _, err := fmt.Sscanf(out[strings.Index(out, "precision"):], "precision %f recall %f F1 %f", &p, &r, &f1); err != nil || f1 < 0.9 {
		t.Fatalf("eval output %q: F1 %v (%v)", out, f1, err)
	}
	clusters := filepath.Join(dir, "clusters.csv")
	if _, stderr, err := mashCmd(t, "", "", "match", "dedupe", "--in", truthed, "--out", clusters); err != nil {
		t.Fatalf("dedupe: %v\n%s", err, stderr)
	}
	out, stderr, err = mashCmd(t, "", "", "match", "eval", "--in", truthed, "--truth", truth, "--clusters", clusters)
	if err != nil {
		t.Fatalf("eval of a clusters file: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "F1 ") || !strings.Contains(out, "twin merges: 0 ") {
		t.Errorf("eval output %q", out)
	}
	if _, _, err := mashCmd(t, "", "", "match", "eval", "--in", truthed); err == nil {
		t.Error("eval without any ground truth accepted")
	}
}
