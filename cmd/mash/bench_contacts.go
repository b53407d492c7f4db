package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"strings"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/synth"
)

// genReport is what `mash bench gen-contacts` prints on stdout.
type genReport struct {
	Engine      string  `json:"engine"`
	Database    string  `json:"database"`
	Contacts    int     `json:"contacts"`
	Persons     int     `json:"persons"`
	Subjects    int     `json:"subjects"`
	Transitions int     `json:"transitions"`
	Requests    int     `json:"requests"`
	Decisions   int     `json:"decisions"`
	Breaches    int     `json:"breaches"`
	From        string  `json:"from"`
	To          string  `json:"to"`
	Seed        uint64  `json:"seed"`
	LoadS       float64 `json:"load_s"`
	AnalyzeS    float64 `json:"analyze_s"`
	PerS        float64 `json:"contacts_per_s"`
}

// cmdGenContacts fills a database with a synthetic history of contacts for
// benchmarks: generated in process and written by store.BulkLoadContacts in
// large transactions, not through intake.
func cmdGenContacts(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("bench gen-contacts", stderr)
	n := fs.Int("contacts", 100_000, "contacts to generate")
	years := fs.Int("years", 20, "years of history the contacts span, ending now")
	seed := fs.Uint64("seed", 1, "random seed (same seed and counts, same data apart from ids)")
	dbURL := fs.String("db", "", "database to fill: a SQLite file or postgres://…; default MASH_DATABASE_URL (one of the two is required)")
	batch := fs.Int("batch", 5000, "contacts per transaction")
	appendTo := fs.Bool("append", false, "add to a database that already holds contacts")
	nowFlag := fs.String("now", "", "end of the history (RFC 3339; default the current time)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the load to this file")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 || *n < 1 || *years < 1 || *years > 50 || *batch < 1 {
		fmt.Fprintln(stderr, "bench gen-contacts: --contacts and --batch at least 1, --years 1 to 50")
		return errUsage
	}
	now := time.Now().UTC().Truncate(time.Second)
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			fmt.Fprintln(stderr, "bench gen-contacts: --now must be an RFC 3339 time, e.g. 2026-11-26T12:00:00Z")
			return errUsage
		}
		now = t.UTC()
	}
	u := *dbURL
	if u == "" {
		u = getenv("MASH_DATABASE_URL")
	}
	if u == "" {
		fmt.Fprintln(stderr, "bench gen-contacts: name the database to fill with --db (or MASH_DATABASE_URL); it never fills the default data/mash.db unasked")
		return errUsage
	}
	db, done, err := openBenchDB(ctx, u)
	if err != nil {
		return err
	}
	defer done()
	counters, err := db.ContactCounters(ctx)
	if err != nil {
		return err
	}
	if len(counters) > 0 && !*appendTo {
		return fmt.Errorf("bench gen-contacts: the database already holds contacts; use --append to add more, or give an empty database")
	}
	g, err := newContactGen(ctx, db, *n, *years, *seed, now)
	if err != nil {
		return err
	}
	g.counters = counters

	rep := genReport{Engine: string(db.Dialect()), Database: redactURL(u), Contacts: *n, Seed: *seed,
		From: g.start.Format(time.DateOnly), To: now.Format(time.DateOnly)}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	start := time.Now()
	lastLog := start
	for done := 0; done < *n; {
		b := &store.ContactBatch{Counters: map[int]int{}}
		for k := 0; k < *batch && done < *n; k++ {
			g.next(b)
			done++
		}
		rep.Persons += len(b.Persons)
		rep.Transitions += len(b.Transitions)
		rep.Requests += len(b.Requests)
		rep.Decisions += len(b.Decisions)
		rep.Breaches += len(b.Breaches)
		for i := range b.Contacts {
			rep.Subjects += len(b.Contacts[i].Subjects)
		}
		if err := db.BulkLoadContacts(ctx, store.System, b); err != nil {
			return fmt.Errorf("bench gen-contacts: after %d contacts: %w", done-len(b.Contacts), err)
		}
		if time.Since(lastLog) > 10*time.Second || done == *n {
			lastLog = time.Now()
			el := time.Since(start).Seconds()
			fmt.Fprintf(stderr, "gen-contacts: %d/%d contacts in %.0f s (%.0f/s)\n", done, *n, el, float64(done)/el)
		}
	}
	rep.LoadS = time.Since(start).Seconds()
	t := time.Now()
	if err := db.AnalyzeContacts(ctx); err != nil {
		return err
	}
	rep.AnalyzeS = time.Since(t).Seconds()
	rep.PerS = float64(*n) / rep.LoadS
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// newContactGen sets up the partnership the contacts need (agencies and
// users, made once and reused by later runs) and the generator.
func newContactGen(ctx context.Context, db *store.DB, n, years int, seed uint64, now time.Time) (*contactGen, error) {
	policy, err := db.Policy(ctx)
	if err != nil {
		return nil, err
	}
	g := &contactGen{rng: mrand.New(mrand.NewPCG(seed, 0x636f6e74)), policy: policy, now: now, n: n,
		start: now.AddDate(-years, 0, 0), referrers: map[string]string{}, researchers: map[string]string{}}
	g.span = now.Sub(g.start)
	// Enough synthetic people for every subject a contact can bring.
	g.people = synth.New(synth.Config{N: 3*n + 1000, Seed: seed, Window: 64})

	agency := func(name string, kind mash.AgencyKind) (string, error) {
		if a, err := db.FindAgency(ctx, name); err == nil {
			return a.ID, nil
		} else if mash.KindOf(err) != mash.KindNotFound {
			return "", err
		}
		a := mash.Agency{Name: name, Kind: kind}
		if err := db.CreateAgency(ctx, store.System, &a); err != nil {
			return "", err
		}
		return a.ID, nil
	}
	ag := &g.ag
	for _, x := range []struct {
		id   *string
		name string
		kind mash.AgencyKind
	}{
		{&ag.police, "Gen Police", mash.AgencyPolice}, {&ag.csc, "Gen Children's Social Care", mash.AgencyChildrensSocialCare},
		{&ag.asc, "Gen Adult Social Care", mash.AgencyAdultSocialCare}, {&ag.health, "Gen Health", mash.AgencyHealth},
		{&ag.schools, "Gen Schools", mash.AgencyEducation}, {&ag.probation, "Gen Probation", mash.AgencyProbation},
		{&ag.housing, "Gen Housing", mash.AgencyHousing}, {&ag.yjs, "Gen Youth Justice", mash.AgencyYouthJustice},
		{&ag.das, "Gen Domestic Abuse Service", mash.AgencyDomesticAbuseService}, {&ag.earlyHelp, "Gen Early Help", mash.AgencyChildrensSocialCare},
	} {
		if *x.id, err = agency(x.name, x.kind); err != nil {
			return nil, err
		}
	}
	// Generated users get random passwords: an administrator resets one
	// (mash user reset-password) to sign in as it.
	user := func(email, name, agencyID string, role mash.Role) (string, error) {
		if u, err := db.UserByEmail(ctx, email); err == nil {
			return u.ID, nil
		} else if mash.KindOf(err) != mash.KindNotFound {
			return "", err
		}
		u := mash.User{Email: email, Name: name, AgencyID: agencyID, Role: role}
		if err := db.CreateUser(ctx, store.System, &u, rand.Text()); err != nil {
			return "", err
		}
		return u.ID, nil
	}
	for i := 1; i <= 4; i++ {
		id, err := user(fmt.Sprintf("gen-screener-%d@gen.example", i), fmt.Sprintf("Gen Screener %d", i), ag.csc, mash.RoleScreener)
		if err != nil {
			return nil, err
		}
		g.screener = append(g.screener, id)
	}
	for i := 1; i <= 2; i++ {
		id, err := user(fmt.Sprintf("gen-manager-%d@gen.example", i), fmt.Sprintf("Gen Manager %d", i), ag.csc, mash.RoleManager)
		if err != nil {
			return nil, err
		}
		g.manager = append(g.manager, id)
	}
	for code, a := range map[string]string{"6": ag.police, "2A": ag.schools, "3F": ag.health, "4": ag.housing, "5D": ag.earlyHelp} {
		id, err := user("gen-referrer-"+strings.ToLower(code)+"@gen.example", "Gen Referrer "+code, a, mash.RoleReferrer)
		if err != nil {
			return nil, err
		}
		g.referrers[code] = id
	}
	for _, a := range []string{ag.police, ag.health, ag.schools, ag.probation, ag.housing, ag.das, ag.yjs, ag.asc} {
		id, err := user("gen-researcher-"+a[len(a)-8:]+"@gen.example", "Gen Researcher", a, mash.RoleResearcher)
		if err != nil {
			return nil, err
		}
		g.researchers[a] = id
	}
	return g, nil
}
