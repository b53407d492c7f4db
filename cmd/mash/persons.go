package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/match"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/synth"
)

// cmdPersons loads agencies' indexes and manages the identity model:
//
//	mash persons import --agency A --in records.csv [--clusters clusters.csv]
//	mash persons model install --model M.json | model show
func cmdPersons(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) >= 2 && args[0] == "model" && (args[1] == "install" || args[1] == "show") {
		return cmdPersonsModel(ctx, args[1], args[2:], getenv, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "import" {
		fmt.Fprintln(stderr, "persons: import, model install or model show")
		return errUsage
	}
	fs := newFlags("persons import", stderr)
	agencyName := fs.String("agency", "", "the agency whose index this is (name or id)")
	in := fs.String("in", "", "records CSV (record_id, given_name, middle_names, family_name, dob, sex, address, postcode, nhs_number, phone; any subset with record_id)")
	clusters := fs.String("clusters", "", "clusters CSV from mash match dedupe (record_id, cluster_id): load each cluster as one person, without online matching")
	format := fs.String("format", "", "input columns: standard, febrl or splink (default: detect from the header)")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	if *agencyName == "" || *in == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "persons import: --agency and --in are required")
		return errUsage
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	bad := 0
	recs, err := match.ReadRecords(bufio.NewReader(f), *format, func(line int, msg string) {
		bad++
		fmt.Fprintf(stderr, "%s:%d: %s (skipped)\n", *in, line, msg)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	var group []string
	if *clusters != "" {
		if group, err = clusterGroups(*clusters, recs); err != nil {
			return err
		}
	}
	db, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	ag, err := db.FindAgency(ctx, *agencyName)
	if err != nil {
		return userError(err)
	}
	prs := make([]mash.PersonRecord, 0, len(recs))
	for _, r := range recs {
		prs = append(prs, personRecord(r))
	}
	start := time.Now()
	if group != nil {
		persons, err := db.BulkLoadPersons(ctx, store.System, ag.ID, prs, group, func(done int) {
			if done%100_000 < 2000 || done == len(prs) {
				fmt.Fprintf(stderr, "persons import: %d of %d records loaded\n", done, len(prs))
			}
		})
		if err != nil {
			return userError(err)
		}
		fmt.Fprintf(stdout, "loaded %d records as %d persons in %v (%d malformed rows skipped)\n", len(prs), len(persons), time.Since(start).Round(time.Millisecond), bad)
		return nil
	}
	res, err := db.ImportAgencyRecords(ctx, store.System, ag.ID, prs)
	if err != nil {
		return userError(err)
	}
	fmt.Fprintf(stdout, "imported %d records in %v: %d linked to known persons, %d new persons (%d of them for review, %d kept apart as relatives), %d already loaded, %d malformed rows skipped\n",
		len(prs), time.Since(start).Round(time.Millisecond), res.Linked, res.NewPersons, res.Review, res.Related, res.Skipped, bad)
	return nil
}

func personRecord(r match.Record) mash.PersonRecord {
	return mash.PersonRecord{SourceRef: r.ID, GivenName: r.Given, MiddleNames: r.Middle, FamilyName: r.Family, DOB: r.DOB,
		Sex: r.Sex, Address: r.Address, Postcode: r.Postcode, NHSNumber: r.NHS, Phone: r.Phone}
}

// clusterGroups is readClusters' answer as the group names
// BulkLoadPersons takes: a record with no cluster is its own.
func clusterGroups(path string, recs []match.Record) ([]string, error) {
	cl, err := readClusters(path, recs)
	if err != nil {
		return nil, err
	}
	group := make([]string, len(cl))
	for i, c := range cl {
		group[i] = strconv.Itoa(c)
	}
	return group, nil
}

func cmdPersonsModel(ctx context.Context, sub string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("persons model "+sub, stderr)
	path := fs.String("model", "", "model JSON written by mash match train")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	db, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	if sub == "show" {
		m, err := db.MatchModel(ctx)
		if err != nil {
			return err
		}
		return m.WriteJSON(stdout)
	}
	if *path == "" {
		fmt.Fprintln(stderr, "persons model install: --model is required")
		return errUsage
	}
	f, err := os.Open(*path)
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := match.ReadModel(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *path, err)
	}
	if err := db.SetMatchModel(ctx, store.System, m); err != nil {
		return userError(err)
	}
	fmt.Fprintf(stdout, "installed the identity model from %s (link at %.3g, review from %.3g)\n", *path, m.LinkThreshold, m.ReviewThreshold)
	return nil
}

// cmdBenchMatch measures online matching: it loads synthetic people into a
// fresh store (one person per real person, through BulkLoadPersons), then
// times MatchPersons — keys, candidates, scoring, scope and the audit write,
// as the API runs it — for descriptions from records of people it loaded.
//
//	mash bench match [--persons 1000000] [--queries 2000] [--db URL]
func cmdBenchMatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("bench match", stderr)
	n := fs.Int("persons", 1_000_000, "synthetic records to load (about 0.8 persons each)")
	queries := fs.Int("queries", 2000, "match queries to time")
	seed := fs.Uint64("seed", 1, "random seed for the people")
	dbURL := fs.String("db", "", "an empty, throwaway database (postgres://… or a SQLite file); default a fresh SQLite file in a temporary directory, removed after")
	reuse := fs.Bool("reuse", false, "--db already holds the people of an earlier run with the same --persons and --seed: time the queries only")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the queries to this file")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 || *n < 100 || *queries < 1 || *reuse && *dbURL == "" {
		fmt.Fprintln(stderr, "bench match: --persons at least 100, --queries at least 1, --reuse needs --db")
		return errUsage
	}
	db, done, err := openBenchDB(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer done()
	tag := strings.ToLower(time.Now().Format("150405.000"))
	ag := mash.Agency{Name: "Bench Police " + tag, Kind: mash.AgencyPolice}
	hub := mash.Agency{Name: "Bench Hub " + tag, Kind: mash.AgencyChildrensSocialCare}
	create := []*mash.Agency{&ag, &hub}
	if *reuse {
		// The people were loaded under the earlier run's police agency.
		all, err := db.ListAgencies(ctx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(all, func(a mash.Agency) bool { return strings.HasPrefix(a.Name, "Bench Police ") })
		if i < 0 {
			return fmt.Errorf("bench match --reuse: %s holds no earlier bench run", redactURL(*dbURL))
		}
		ag, create = all[i], create[1:]
	}
	for _, a := range create {
		if err := db.CreateAgency(ctx, store.System, a); err != nil {
			return err
		}
	}
	user := mash.User{Email: "bench-" + tag + "@bench.example", Name: "Bench Screener", AgencyID: hub.ID, Role: mash.RoleScreener}
	if err := db.CreateUser(ctx, store.System, &user, "bench-password-"+tag); err != nil {
		return err
	}
	screener := mash.Actor{UserID: user.ID, Name: user.Name, Role: user.Role, AgencyID: hub.ID, RequestID: "bench"}

	// Records of people already loaded, held back as queries: the realistic
	// case, a second description of someone the hub knows.
	gen := synth.New(synth.Config{N: *n + *queries*3, Seed: *seed, DupRate: 0.3})
	var load []mash.PersonRecord
	var group []string
	var qs []benchQuery
	loaded := map[string]bool{}
	for {
		r, ok := gen.Next()
		if !ok {
			break
		}
		if r.Duplicate && loaded[r.Cluster] && len(qs) < *queries {
			qs = append(qs, benchQuery{mash.PersonQuery{GivenName: r.Given, MiddleNames: r.Middle, FamilyName: r.Family, DOB: r.DOB, Sex: r.Sex,
				Address: r.Address, Postcode: r.Postcode, NHSNumber: r.NHS, Phone: r.Phone}, r.Cluster})
			continue
		}
		if len(load) < *n {
			load = append(load, personRecord(match.Record{ID: r.ID, Given: r.Given, Middle: r.Middle, Family: r.Family, DOB: r.DOB,
				Sex: r.Sex, Address: r.Address, Postcode: r.Postcode, NHS: r.NHS, Phone: r.Phone}))
			group = append(group, r.Cluster)
			loaded[r.Cluster] = true
		}
	}
	start := time.Now()
	var persons map[string]string
	if *reuse {
		persons, err = earlierPersons(ctx, db, ag.ID, load, group, qs)
	} else {
		persons, err = db.BulkLoadPersons(ctx, store.System, ag.ID, load, group, func(done int) {
			if done%100_000 < 2000 {
				fmt.Fprintf(stderr, "bench match: %d of %d records loaded (%v)\n", done, len(load), time.Since(start).Round(time.Second))
			}
		})
	}
	if err != nil {
		return err
	}
	loadTime := time.Since(start)
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()

	lat := make([]time.Duration, 0, len(qs))
	top1, found, invalid := 0, 0, 0
	outcomes := map[string]int{}
	for _, q := range qs {
		t0 := time.Now()
		cands, err := db.MatchPersons(ctx, screener, q.q)
		d := time.Since(t0)
		if mash.KindOf(err) == mash.KindInvalid {
			invalid++ // e.g. a record with no family name and no date of birth
			continue
		}
		if err != nil {
			return err
		}
		lat = append(lat, d)
		want := persons[q.cluster]
		for i, c := range cands {
			if c.PersonID == want {
				found++
				if i == 0 {
					top1++
					outcomes[c.Outcome]++
				}
				break
			}
		}
	}
	slices.Sort(lat)
	res := map[string]any{
		"engine": string(db.Dialect()), "records_loaded": len(load), "persons": countDistinct(group), "reused": *reuse,
		"load_s": round3(loadTime.Seconds()), "queries": len(lat), "queries_refused_as_too_little": invalid,
		"p50_ms": ms(percentile(lat, 0.50)), "p90_ms": ms(percentile(lat, 0.90)), "p99_ms": ms(percentile(lat, 0.99)),
		"max_ms":           ms(percentile(lat, 1)),
		"right_person_top": round3(float64(top1) / float64(max(len(lat), 1))), "right_person_listed": round3(float64(found) / float64(max(len(lat), 1))),
		"top_outcomes": outcomes,
		"note":         "latency is MatchPersons as the API calls it: blocking-key reads, scoring, scope and the audited commit",
	}
	e := json.NewEncoder(stdout)
	e.SetIndent("", "  ")
	return e.Encode(res)
}

// benchQuery is a description of a person to search for, with the
// generator's cluster for the person it describes.
type benchQuery struct {
	q       mash.PersonQuery
	cluster string
}

// earlierPersons finds, in a database an earlier bench run loaded, the
// person holding each queried cluster, through one loaded record of it.
func earlierPersons(ctx context.Context, db *store.DB, agencyID string, load []mash.PersonRecord, group []string, qs []benchQuery) (map[string]string, error) {
	ref := map[string]string{} // cluster → a loaded record of it
	for _, q := range qs {
		ref[q.cluster] = ""
	}
	var refs []string
	for i, g := range group {
		if r, ok := ref[g]; ok && r == "" {
			ref[g] = load[i].SourceRef
			refs = append(refs, load[i].SourceRef)
		}
	}
	found, err := db.AgencyRecordPersons(ctx, agencyID, refs)
	if err != nil {
		return nil, err
	}
	if len(found) < len(refs) {
		return nil, fmt.Errorf("bench match --reuse: %d of %d queried people are not in the database (another --persons or --seed?)", len(refs)-len(found), len(refs))
	}
	persons := map[string]string{}
	for g, r := range ref {
		persons[g] = found[r]
	}
	return persons, nil
}

func ms(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }
