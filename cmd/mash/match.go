package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"openmash.org/mash/internal/match"
)

// cmdMatch runs the batch identity-resolution commands:
//
//	mash match train  --in records.csv --model model.json
//	mash match dedupe --in records.csv --out clusters.csv [--model model.json]
//	mash match link   --left A.csv --right B.csv --out pairs.csv [--model model.json]
//	mash match eval   --in records.csv | --left A.csv --right B.csv  (needs ground truth)
func cmdMatch(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	_, _ = ctx, stdin
	if len(args) == 0 {
		fmt.Fprintln(stderr, "match: train, dedupe, link or eval")
		return errUsage
	}
	sub, args := args[0], args[1:]
	fs := newFlags("match "+sub, stderr)
	in := fs.String("in", "", "records CSV (record_id, source, given_name, middle_names, family_name, dob, sex, address, postcode, nhs_number, phone; any subset)")
	left := fs.String("left", "", "left records CSV (link)")
	right := fs.String("right", "", "right records CSV (link)")
	out := fs.String("out", "", "output CSV (default stdout)")
	modelPath := fs.String("model", "", "model JSON: written by train; read by dedupe, link and eval (default: train on the input)")
	format := fs.String("format", "", "input columns: standard, febrl or splink (default: detect from the header)")
	threshold := fs.Float64("threshold", 0, "link threshold as a match probability (default: the model's)")
	maxBlock := fs.Int("max-block", 0, "dedupe, link: skip blocking keys shared by more records than this (default 300, or 100 above 250,000 records)")
	memLimit := fs.Int("memory-limit", 1536, "soft memory limit in MiB, near which the Go runtime collects garbage harder (0: none; GOMEMLIMIT overrides)")
	oneToOne := fs.Bool("one-to-one", false, "link: keep only each record's best partner")
	explain := fs.Bool("explain", false, "link: add an explanation column, field by field in plain words with weights in bits")
	seed := fs.Uint64("seed", 1, "train: seed for the random pairs used to estimate u")
	clustersPath := fs.String("clusters", "", "eval: score this clusters CSV (record_id, cluster_id), as written by dedupe, instead of deduplicating again")
	truthPath := fs.String("truth", "", "eval: ground truth CSV (record_id, cluster_id[, twin_of]) when the records carry none, e.g. from mash bench gen-people")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "match %s: unexpected argument %q\n", sub, fs.Arg(0))
		return errUsage
	}
	// A batch run holds every record at once; without a limit the heap may
	// grow to twice what is live before the garbage collector runs.
	if *memLimit > 0 && getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(int64(*memLimit) << 20))
	}
	began := time.Now()
	progress := func(msg string) {
		fmt.Fprintf(stderr, "match %s: %5.1fs: %s\n", sub, time.Since(began).Seconds(), msg)
	}
	read := func(path string) ([]match.Record, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		recs, err := match.ReadRecords(bufio.NewReader(f), *format, func(line int, msg string) {
			fmt.Fprintf(stderr, "%s:%d: %s\n", path, line, msg)
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		progress(fmt.Sprintf("read %d records from %s", len(recs), path))
		return recs, nil
	}
	model := func(train []match.Record) (*match.Model, error) {
		if *modelPath != "" && sub != "train" {
			f, err := os.Open(*modelPath)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			m, err := match.ReadModel(f)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", *modelPath, err)
			}
			return m, nil
		}
		start := time.Now()
		m, err := match.Train(train, match.TrainOptions{Seed: *seed})
		if err != nil {
			return nil, err
		}
		sample := ""
		if m.Trained.Records < len(train) {
			sample = fmt.Sprintf("a random %d of ", m.Trained.Records)
		}
		progress(fmt.Sprintf("trained on %s%d records in %v (prior %.3g)", sample, len(train), time.Since(start).Round(time.Millisecond), m.Prior))
		return m, nil
	}
	output := func(write func(w *csv.Writer) error) error {
		w := stdout
		var f *os.File
		if *out != "" {
			var err error
			if f, err = os.Create(*out); err != nil {
				return err
			}
			w = f
		}
		cw := csv.NewWriter(w)
		err := write(cw)
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
		if f != nil {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		return err
	}
	opt := match.Options{Threshold: *threshold, MaxBlock: *maxBlock, Progress: progress, OneToOne: *oneToOne, Explain: *explain}
	// readAndModel reads --in and the model for it (from --model, or trained
	// on the records).
	readAndModel := func() ([]match.Record, *match.Model, error) {
		recs, err := read(*in)
		if err != nil {
			return nil, nil, err
		}
		m, err := model(recs)
		return recs, m, err
	}
	needIn := func() error {
		if *in == "" {
			fmt.Fprintf(stderr, "match %s: --in is required\n", sub)
			return errUsage
		}
		return nil
	}
	needLR := func() error {
		if *left == "" || *right == "" {
			fmt.Fprintf(stderr, "match %s: --left and --right are required\n", sub)
			return errUsage
		}
		return nil
	}
	start := time.Now()
	switch sub {
	case "train":
		if err := needIn(); err != nil {
			return err
		}
		if *modelPath == "" {
			fmt.Fprintln(stderr, "match train: --model is required")
			return errUsage
		}
		_, m, err := readAndModel()
		if err != nil {
			return err
		}
		f, err := os.Create(*modelPath)
		if err != nil {
			return err
		}
		if err := m.WriteJSON(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	case "dedupe":
		if err := needIn(); err != nil {
			return err
		}
		recs, m, err := readAndModel()
		if err != nil {
			return err
		}
		// Only the ids are needed afterwards: copied, they let the records
		// (each a substring of its input line) be freed while Dedupe runs.
		ids := make([]string, len(recs))
		for i := range recs {
			ids[i] = strings.Clone(recs[i].ID)
		}
		clusters, _ := m.Dedupe(recs, opt)
		progress(fmt.Sprintf("%d records in %d clusters, %v", len(ids), countDistinct(clusters), time.Since(start).Round(time.Millisecond)))
		return output(func(w *csv.Writer) error {
			if err := w.Write([]string{"record_id", "cluster_id"}); err != nil {
				return err
			}
			for i, id := range ids {
				if err := w.Write([]string{id, strconv.Itoa(clusters[i])}); err != nil {
					return err
				}
			}
			return nil
		})
	case "link":
		if err := needLR(); err != nil {
			return err
		}
		l, r, m, err := readPair(read, model, *left, *right)
		if err != nil {
			return err
		}
		pairs := m.Link(l, r, opt)
		progress(fmt.Sprintf("%d pairs, %v", len(pairs), time.Since(start).Round(time.Millisecond)))
		return output(func(w *csv.Writer) error {
			head := []string{"left_id", "right_id", "score"}
			if *explain {
				head = append(head, "explanation")
			}
			if err := w.Write(head); err != nil {
				return err
			}
			for _, p := range pairs {
				row := []string{l[p.A].ID, r[p.B].ID, strconv.FormatFloat(p.Probability, 'f', 4, 64)}
				if *explain {
					var parts []string
					for _, c := range p.Explanation {
						if c.Level != "missing" {
							parts = append(parts, fmt.Sprintf("%s (%+.1f)", c.Wording, c.Bits))
						}
					}
					row = append(row, strings.Join(parts, "; "))
				}
				if err := w.Write(row); err != nil {
					return err
				}
			}
			return nil
		})
	case "eval":
		if *in != "" {
			var recs []match.Record
			var clusters []int
			var err error
			if *clustersPath != "" {
				if recs, err = read(*in); err == nil {
					clusters, err = readClusters(*clustersPath, recs)
				}
			} else {
				var m *match.Model
				if recs, m, err = readAndModel(); err == nil {
					clusters, _ = m.Dedupe(recs, opt)
				}
			}
			if err != nil {
				return err
			}
			twinOf := map[string]string{}
			if *truthPath != "" {
				if err := readTruth(*truthPath, recs, twinOf); err != nil {
					return err
				}
			}
			truth := make([]string, len(recs))
			for i := range recs {
				truth[i] = recs[i].Truth
				if truth[i] == "" {
					return fmt.Errorf("%s: record %s has no ground truth (cluster or cluster_id column, FEBRL rec-N ids, or --truth)", *in, recs[i].ID)
				}
			}
			fmt.Fprintf(stdout, "dedupe %s: %d records: %v; %v\n", *in, len(recs), match.EvalClusters(truth, clusters), time.Since(start).Round(time.Millisecond))
			if len(twinOf) > 0 {
				fmt.Fprintf(stdout, "twin merges: %d predicted clusters hold records of both twins (%d people with a twin)\n", twinMerges(truth, clusters, twinOf), len(twinOf))
			}
			return nil
		}
		if err := needLR(); err != nil {
			return err
		}
		l, r, m, err := readPair(read, model, *left, *right)
		if err != nil {
			return err
		}
		pairs := m.Link(l, r, opt)
		fmt.Fprintf(stdout, "link %s + %s: %v; %v\n", *left, *right, match.EvalLinks(l, r, pairs), time.Since(start).Round(time.Millisecond))
		return nil
	}
	fmt.Fprintf(stderr, "match: unknown subcommand %q (train, dedupe, link or eval)\n", sub)
	return errUsage
}

func readPair(read func(string) ([]match.Record, error), model func([]match.Record) (*match.Model, error), left, right string) ([]match.Record, []match.Record, *match.Model, error) {
	l, err := read(left)
	if err != nil {
		return nil, nil, nil, err
	}
	r, err := read(right)
	if err != nil {
		return nil, nil, nil, err
	}
	m, err := model(append(append([]match.Record{}, l...), r...))
	return l, r, m, err
}

func countDistinct[T comparable](xs []T) int {
	s := map[T]bool{}
	for _, x := range xs {
		s[x] = true
	}
	return len(s)
}

// readTruth sets each record's ground-truth cluster from a CSV with
// record_id and cluster_id columns, and fills twinOf (person → twin person)
// from an optional twin_of column.
func readTruth(path string, recs []match.Record, twinOf map[string]string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := csv.NewReader(bufio.NewReader(f)).ReadAll()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 {
		return fmt.Errorf("%s: empty", path)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	ri, ok1 := col["record_id"]
	ci, ok2 := col["cluster_id"]
	if !ok1 || !ok2 {
		return fmt.Errorf("%s: needs record_id and cluster_id columns", path)
	}
	ti, hasTwin := col["twin_of"]
	cluster := map[string]string{}
	for _, r := range rows[1:] {
		if len(r) != len(rows[0]) {
			continue
		}
		cluster[r[ri]] = r[ci]
		if hasTwin && r[ti] != "" {
			twinOf[r[ci]] = r[ti]
		}
	}
	for i := range recs {
		recs[i].Truth = cluster[recs[i].ID]
	}
	return nil
}

// readClusters reads a clusters CSV (record_id, cluster_id) and returns
// each record's cluster as a number; a record it does not list is alone.
func readClusters(path string, recs []match.Record) ([]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil || len(head) < 2 || head[0] != "record_id" || head[1] != "cluster_id" {
		return nil, fmt.Errorf("%s: want a record_id, cluster_id header", path)
	}
	byID := map[string]int{}
	num := map[string]int{}
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		c, ok := num[row[1]]
		if !ok {
			c = len(num)
			num[row[1]] = c
		}
		byID[row[0]] = c
	}
	out := make([]int, len(recs))
	for i := range recs {
		c, ok := byID[recs[i].ID]
		if !ok {
			c = len(num) + i
		}
		out[i] = c
	}
	return out, nil
}

// twinMerges counts predicted clusters holding records of two people who are twins.
func twinMerges(truth []string, clusters []int, twinOf map[string]string) int {
	people := map[int]map[string]bool{}
	for i, c := range clusters {
		if people[c] == nil {
			people[c] = map[string]bool{}
		}
		people[c][truth[i]] = true
	}
	n := 0
	for _, ps := range people {
		for p := range ps {
			if t, ok := twinOf[p]; ok && ps[t] {
				n++
				break
			}
		}
	}
	return n
}
