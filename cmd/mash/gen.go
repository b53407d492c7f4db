package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"openmash.org/mash/internal/synth"
)

// cmdGenPeople writes synthetic UK people records with ground truth:
//
//	mash bench gen-people --n 1000000 --out people.csv [--seed 1] [--dup-rate 0.3] [--truth truth.csv]
//	                      [--cluster-column cluster_id] [--twins-heavy]
//
// Without --truth the CSV's last column is cluster_id, or as --cluster-column
// names it (records of one real person share it); with --truth the CSV has only the matching columns and
// the truth (record_id, cluster_id, household_id, twin_of, same_name_as,
// duplicate) goes to the truth file, row for row. A summary (JSON) goes to
// stdout.
func cmdGenPeople(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench gen-people", stderr)
	n := fs.Int("n", 0, "records to generate (default 1000000, or 20000 with --twins-heavy)")
	out := fs.String("out", "", "CSV file to write (- for stdout)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same file")
	dup := fs.Float64("dup-rate", 0.3, "fraction of records that re-record a person already recorded (0 to 0.95)")
	truth := fs.String("truth", "", "write the ground truth to this file instead of a cluster_id column")
	clusterCol := fs.String("cluster-column", "cluster_id", "name of the ground-truth column when there is no --truth file\n"+
		"(mash match eval reads cluster_id, or cluster as in Splink's data sets)")
	heavy := fs.Bool("twins-heavy", false, "a hard set: families only, many twins and parent/child pairs who share a name")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *n == 0 {
		*n = 1_000_000
		if *heavy {
			*n = 20_000
		}
	}
	if fs.NArg() > 0 || *out == "" || *n < 1 || *dup < 0 || *dup > 0.95 || *clusterCol == "" {
		fmt.Fprintln(stderr, "bench gen-people: --out is required; --n at least 1; --dup-rate 0 to 0.95")
		return errUsage
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var w io.Writer = stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	var tw io.Writer
	var tf *os.File
	if *truth != "" {
		f, err := os.Create(*truth)
		if err != nil {
			return err
		}
		defer f.Close()
		tw, tf = f, f
	}
	start := time.Now()
	st, err := synth.WriteCSV(w, tw, synth.Config{N: *n, Seed: *seed, DupRate: *dup, TwinsHeavy: *heavy, ClusterColumn: *clusterCol})
	if err != nil {
		return err
	}
	if f, ok := w.(*os.File); ok && f != stdout {
		if err := f.Close(); err != nil {
			return err
		}
	}
	if tf != nil {
		if err := tf.Close(); err != nil {
			return err
		}
	}
	wall := time.Since(start).Seconds()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep := map[string]any{
		"records": st.Records, "duplicates": st.Duplicates, "people": st.People, "households": st.Households,
		"children": st.Children, "twins": st.Twins, "same_name_parent_child": st.SameName,
		"seed": *seed, "dup_rate": *dup, "twins_heavy": *heavy,
		"wall_s": wall, "records_per_s": float64(st.Records) / wall, "heap_sys_mb": float64(ms.HeapSys) / (1 << 20),
	}
	if out := *out; out == "-" {
		w = stderr // keep stdout for the CSV
	} else {
		w = stdout
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
