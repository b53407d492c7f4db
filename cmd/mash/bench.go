package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"openmash.org/mash"
	"openmash.org/mash/internal/api"
	"openmash.org/mash/internal/store"
)

// The intake goal on the reference machine (2 cores, SQLite): the issue's
// acceptance point. The bench reports whether a run met it; it never fails
// because of it.
const (
	goalContactsPerS = 300
	goalP99Ms        = 100
	goalRatio        = 0.5
)

// benchReport is what `mash bench intake` prints on stdout.
type benchReport struct {
	Engine      string     `json:"engine"`
	Database    string     `json:"database"`
	Contacts    int        `json:"contacts"`
	Concurrency int        `json:"concurrency"`
	Warmup      int        `json:"warmup"`
	CPUs        int        `json:"cpus"`
	API         benchStats `json:"api"`
	// Store is store.CreateContact called in process: the API's work less
	// HTTP and JSON. It places the gap between the API and raw.
	Store      *benchStats `json:"store,omitempty"`
	Raw        benchStats  `json:"raw"`
	RatioOfRaw float64     `json:"ratio_of_raw"`
	Goal       benchGoal   `json:"goal"`
}

type benchStats struct {
	ContactsPerS float64 `json:"contacts_per_s"`
	WallS        float64 `json:"wall_s"`
	P50Ms        float64 `json:"p50_ms"`
	P99Ms        float64 `json:"p99_ms"`
	MaxMs        float64 `json:"max_ms"`
	Errors       int     `json:"errors"`
	FirstError   string  `json:"first_error,omitempty"`
}

type benchGoal struct {
	MinContactsPerS float64 `json:"min_contacts_per_s"`
	MaxP99Ms        float64 `json:"max_p99_ms"`
	MinRatio        float64 `json:"min_ratio"`
	Met             bool    `json:"met"`
}

// cmdBenchIntake measures intake on one database, in one run, three ways:
//
//   - api: C clients POST synthetic contacts to the real HTTP API on loopback
//     (token, JSON, validation, counter, contact, subjects, transition, audit);
//   - store: the same contacts through store.CreateContact in process, which
//     is the API less HTTP and JSON and places the gap between the other two;
//   - raw: the same rows (two persons, the contact, its two subjects) inserted
//     through the store's own write pool with statements prepared once, one
//     durable transaction per contact and nothing else: the ceiling this disk
//     and engine allow for the data.
//
// The paths take turns in rounds so they see the same machine and database.
// It prints one JSON report on stdout and a summary on stderr; a missed goal
// is reported, not an error, but a failed request is.
func cmdBenchIntake(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("bench intake", stderr)
	n := fs.Int("contacts", 2000, "contacts to create on each path (api, store, raw)")
	conc := fs.Int("concurrency", 16, "concurrent clients")
	warmup := fs.Int("warmup", 100, "contacts created first on each path and not measured")
	dbURL := fs.String("db", "", "database to bench: postgres://… (an empty, throwaway database: the bench\n"+
		"adds an agency, a user and its contacts and leaves them) or a SQLite file.\n"+
		"Default: a postgres:// MASH_DATABASE_URL, else a fresh SQLite file in a temporary directory, removed after")
	idem := fs.Bool("idempotency-keys", false, "send an Idempotency-Key header with every API request")
	rounds := fs.Int("rounds", 5, "rounds the measured contacts are split into; the paths take turns in each")
	storePath := fs.Bool("store", true, "also measure store.CreateContact called directly (the API's work without HTTP and JSON)")
	rawText := fs.Bool("raw-unprepared", false, "send the raw path's SQL as text each time, as the store does, instead of preparing it once")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured rounds (every path, server and clients) to this file")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 || *n < 1 || *conc < 1 || *conc > 1024 || *warmup < 0 || *rounds < 1 {
		fmt.Fprintln(stderr, "bench intake: --contacts and --rounds must be at least 1, --concurrency 1 to 1024, --warmup at least 0")
		return errUsage
	}

	// A SQLite MASH_DATABASE_URL is most likely a real hub's file (or the
	// default data/mash.db): never fill it with synthetic contacts unasked.
	u := *dbURL
	if env := getenv("MASH_DATABASE_URL"); u == "" && (strings.HasPrefix(env, "postgres://") || strings.HasPrefix(env, "postgresql://")) {
		u = env
	}
	db, done, err := openBenchDB(ctx, u)
	if err != nil {
		return err
	}
	defer done()

	// The bench's own agency, referrer and token; names are unique per run so
	// a database that already holds data (or an earlier run) is fine.
	tag := strings.ToLower(rand.Text()[:8])
	agency := mash.Agency{Name: "Bench Schools " + tag, Kind: mash.AgencyEducation}
	if err := db.CreateAgency(ctx, store.System, &agency); err != nil {
		return fmt.Errorf("bench: create agency: %w", err)
	}
	user := mash.User{Email: "bench-" + tag + "@bench.example", Name: "Bench Referrer " + tag, AgencyID: agency.ID, Role: mash.RoleReferrer}
	if err := db.CreateUser(ctx, store.System, &user, rand.Text()); err != nil {
		return fmt.Errorf("bench: create user: %w", err)
	}
	tok, err := db.IssueToken(ctx, user.ID, 24*time.Hour)
	if err != nil {
		return fmt.Errorf("bench: issue token: %w", err)
	}

	// The real server, on loopback, until the bench ends.
	srvCtx, stopSrv := context.WithCancel(ctx)
	addrc := make(chan string, 1)
	srvErr := make(chan error, 1)
	go func() { srvErr <- serve(srvCtx, db, "127.0.0.1:0", io.Discard, stderr, func(a string) { addrc <- a }) }()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-srvErr:
		stopSrv()
		return fmt.Errorf("bench: start server: %w", err)
	}
	defer func() {
		stopSrv()
		<-srvErr
	}()

	// Every input is made before the clock starts: the bench measures the
	// hub, not the generator.
	gen := newBenchGen(tag, user.ID)
	total := *warmup + *n
	bodies := make([][]byte, total)
	rows := make([]rawContact, total)
	contacts := make([]*mash.Contact, total)
	for i := range total {
		c := gen.contact(i)
		bodies[i], err = json.Marshal(c)
		if err != nil {
			return err
		}
		rows[i] = gen.row(c)
		if contacts[i], err = c.Contact(); err != nil {
			return err
		}
	}

	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		MaxIdleConns: *conc, MaxIdleConnsPerHost: *conc, IdleConnTimeout: time.Minute, DisableCompression: true,
	}}
	defer client.CloseIdleConnections()
	endpoint := "http://" + addr + "/api/v1/contacts"
	post := func(ctx context.Context, i int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(bodies[i]))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		if *idem {
			req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%s-%d", tag, i))
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("POST /api/v1/contacts: %s: %s", resp.Status, bytes.TrimSpace(body[:min(len(body), 300)]))
		}
		return nil
	}
	w := db.SQL()
	var stmts rawStmts
	if !*rawText {
		if stmts, err = prepareRaw(ctx, w); err != nil {
			return fmt.Errorf("bench: prepare raw inserts: %w", err)
		}
		defer stmts.Close()
	}
	insert := func(ctx context.Context, i int) error { return rows[i].insert(ctx, w, stmts) }
	by := mash.Actor{UserID: user.ID, Name: user.Name, Role: user.Role, AgencyID: user.AgencyID, RequestID: "bench", ClientIP: "127.0.0.1"}
	direct := func(ctx context.Context, i int) error {
		_, err := db.CreateContact(ctx, by, contacts[i], "")
		return err
	}
	paths := []*benchPath{{name: "API", op: post}, {name: "store", op: direct}, {name: "raw", op: insert}}
	if !*storePath {
		paths = slices.Delete(paths, 1, 2)
	}

	rep := benchReport{Engine: string(db.Dialect()), Database: redactURL(u), Contacts: *n, Concurrency: *conc, Warmup: *warmup, CPUs: runtime.GOMAXPROCS(0)}
	fmt.Fprintf(stderr, "bench: %s, %d contacts (+%d warm-up) per path at %d clients, API on http://%s\n", rep.Engine, *n, *warmup, *conc, addr)
	// Warm every path (connections, page cache), then measure. The paths take
	// turns in rounds, each starting the next round, so a change in load on
	// the machine or in the database's size weighs on all of them alike.
	for _, p := range paths {
		if err := p.run(ctx, 0, *warmup, *conc); err != nil {
			return fmt.Errorf("bench: warm-up (%s): %w", p.name, err)
		}
		p.reset()
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	r := min(*rounds, *n)
	for k := range r {
		from, to := *warmup+k**n/r, *warmup+(k+1)**n/r
		for j := range paths {
			if err := paths[(k+j)%len(paths)].run(ctx, from, to, *conc); err != nil {
				return err
			}
		}
	}
	stopProfile()
	rep.API, rep.Raw = paths[0].stats(), paths[len(paths)-1].stats()
	if *storePath {
		st := paths[1].stats()
		rep.Store = &st
	}
	if rep.Raw.ContactsPerS > 0 {
		rep.RatioOfRaw = round3(rep.API.ContactsPerS / rep.Raw.ContactsPerS)
	}
	failed, first := rep.API.Errors+rep.Raw.Errors, firstNonEmpty(rep.API.FirstError, rep.Raw.FirstError)
	storeLine := ""
	if rep.Store != nil {
		failed, first = failed+rep.Store.Errors, firstNonEmpty(first, rep.Store.FirstError)
		storeLine = fmt.Sprintf("store.CreateContact %.0f contacts/s; ", rep.Store.ContactsPerS)
	}
	rep.Goal = benchGoal{MinContactsPerS: goalContactsPerS, MaxP99Ms: goalP99Ms, MinRatio: goalRatio}
	rep.Goal.Met = failed == 0 && rep.API.ContactsPerS >= goalContactsPerS && rep.API.P99Ms < goalP99Ms && rep.RatioOfRaw >= goalRatio

	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return err
	}
	met := "met"
	if !rep.Goal.Met {
		met = "NOT met"
	}
	fmt.Fprintf(stderr, "bench: API %.0f contacts/s (p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d errors); %sraw store %.0f contacts/s; API at %.0f%% of raw; goal (≥%d/s, p99 <%d ms, ≥%.0f%% of raw) %s\n",
		rep.API.ContactsPerS, rep.API.P50Ms, rep.API.P99Ms, rep.API.MaxMs, rep.API.Errors, storeLine, rep.Raw.ContactsPerS,
		100*rep.RatioOfRaw, goalContactsPerS, goalP99Ms, 100*goalRatio, met)
	if failed > 0 {
		return fmt.Errorf("bench: %d requests or inserts failed (first: %s)", failed, first)
	}
	return nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// benchPath is one way to create contacts, and what its runs measured.
type benchPath struct {
	name   string
	op     func(ctx context.Context, i int) error
	lat    []time.Duration
	wall   time.Duration
	errors int
	first  string
}

func (p *benchPath) reset() { p.lat, p.wall, p.errors, p.first = nil, 0, 0, "" }

// run calls op for every i in [from, to) on conc goroutines, timing each call
// and the whole. A failed call is counted, not retried.
func (p *benchPath) run(ctx context.Context, from, to, conc int) error {
	if to <= from {
		return nil
	}
	lat := make([]time.Duration, to-from)
	var next atomic.Int64
	next.Store(int64(from))
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for range min(conc, to-from) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= to || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				err := p.op(ctx, i)
				lat[i-from] = time.Since(t0)
				if err != nil {
					mu.Lock()
					p.errors++
					if p.first == "" {
						p.first = err.Error()
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	p.wall += time.Since(start)
	p.lat = append(p.lat, lat...)
	return ctx.Err()
}

// stats sums up the runs: throughput over the time spent running, and the
// latency of each call.
func (p *benchPath) stats() benchStats {
	st := benchStats{Errors: p.errors, FirstError: p.first}
	if len(p.lat) == 0 {
		return st
	}
	lat := slices.Clone(p.lat)
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }
	st.WallS = round3(p.wall.Seconds())
	st.ContactsPerS = round3(float64(len(lat)-p.errors) / p.wall.Seconds())
	st.P50Ms, st.P99Ms, st.MaxMs = ms(percentile(lat, 0.50)), ms(percentile(lat, 0.99)), ms(lat[len(lat)-1])
	return st
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(k, len(sorted)-1))]
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// openBenchDB opens and migrates the database a bench fills: url, or when
// it is empty a fresh SQLite file in a temporary directory that done removes.
func openBenchDB(ctx context.Context, url string) (db *store.DB, done func(), err error) {
	dir := ""
	if url == "" {
		if dir, err = os.MkdirTemp("", "mash-bench-"); err != nil {
			return nil, nil, err
		}
		url = "file:" + filepath.Join(dir, "bench.db")
	}
	cleanup := func() {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	if db, err = store.Open(ctx, url, store.Options{}); err != nil {
		cleanup()
		return nil, nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		cleanup()
		return nil, nil, err
	}
	return db, func() { db.Close(); cleanup() }, nil
}

// startCPUProfile profiles the process into path until stop is called
// (more than once is harmless); an empty path profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	var once sync.Once
	return func() { once.Do(func() { pprof.StopCPUProfile(); f.Close() }) }, nil
}

// redactURL hides a password in a database URL.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	return s
}

// benchGen makes varied, valid, fictional contacts, the same for a seed.
type benchGen struct {
	rng      *mrand.Rand
	now      time.Time
	tag      string
	userID   string
	codes    []string
	codesVer string
}

func newBenchGen(tag, userID string) *benchGen {
	g := &benchGen{rng: mrand.New(mrand.NewPCG(1, 2)), now: time.Now().UTC(), tag: tag, userID: userID}
	list := mash.ConcernCodes(mash.CohortChild)
	for _, c := range list.Codes {
		g.codes = append(g.codes, c.Code)
	}
	g.codesVer = list.Version
	return g
}

var (
	benchGiven  = []string{"Kayleigh", "Tyler", "Amelia", "Mohammed", "Olivia", "Jayden", "Aisha", "Harry", "Zofia", "Callum", "Priya", "Leo", "Freya", "Kacper", "Maisie", "Reuben"}
	benchAdult  = []string{"Dawn", "Lee", "Samantha", "Imran", "Joanne", "Craig", "Nadia", "Gary", "Agnieszka", "Wayne", "Sunita", "Paul"}
	benchFamily = []string{"Smith", "Khan", "Jones", "Taylor", "Nowak", "Patel", "Brown", "Williams", "Hussain", "Walker", "Evans", "Begum", "Wright", "Kowalski", "Hughes", "Clarke"}
	benchStreet = []string{"Church Road", "Station Street", "Park Avenue", "Mill Lane", "Victoria Terrace", "Hawthorn Close", "Queens Drive", "Albert Grove"}
	benchTown   = []struct{ town, area string }{{"Leeds", "LS"}, {"Bradford", "BD"}, {"Wakefield", "WF"}, {"Huddersfield", "HD"}, {"Halifax", "HX"}}
	benchOrgs   = []string{"Hillside Primary", "St Mary's C of E Primary", "Northshire Academy", "Brookfield High", "Oakwood Nursery"}
	benchSays   = []string{
		"Child arrived at school hungry and without a coat for the third day this week.",
		"Child disclosed that there is often shouting at home late at night and that they hide upstairs.",
		"Staff noticed a bruise on the child's upper arm; the explanation given did not match the injury.",
		"Attendance has fallen to 71% this term with several unexplained absences on Mondays.",
		"Parent appeared under the influence of alcohol at collection and was unsteady on their feet.",
		"Child said a new adult has been staying at the house and that they do not like him.",
		"The child has become withdrawn in class and was seen crying at lunchtime on two occasions.",
		"A neighbour reported to the school that the child was left alone in the house overnight.",
		"Child has head lice and a persistent untreated cough; letters home have had no reply.",
		"Older sibling was seen collecting the child in a car driven by an unknown young adult.",
	}
	benchChannels = []string{"phone", "email", "online_form", "api"}
)

func (g *benchGen) pick(s []string) string { return s[g.rng.IntN(len(s))] }

// nhsNumber returns a random 10-digit NHS number with a valid check digit.
func (g *benchGen) nhsNumber() string {
	for {
		d := make([]byte, 10)
		sum := 0
		for i := range 9 {
			d[i] = byte('0' + g.rng.IntN(10))
			sum += int(d[i]-'0') * (10 - i)
		}
		check := 11 - sum%11
		if check == 11 {
			check = 0
		}
		if check == 10 {
			continue
		}
		d[9] = byte('0' + check)
		return string(d)
	}
}

func (g *benchGen) contact(i int) api.ContactIn {
	family := g.pick(benchFamily)
	t := benchTown[g.rng.IntN(len(benchTown))]
	postcode := fmt.Sprintf("%s%d %d%c%c", t.area, 1+g.rng.IntN(20), g.rng.IntN(10), 'A'+rune(g.rng.IntN(26)), 'A'+rune(g.rng.IntN(26)))
	address := fmt.Sprintf("%d %s, %s", 1+g.rng.IntN(200), g.pick(benchStreet), t.town)
	child := mash.Subject{Role: mash.SubjectMain, GivenName: g.pick(benchGiven), FamilyName: family,
		DOB: g.date(2010, 2022), Sex: []string{"F", "M"}[g.rng.IntN(2)], Address: address, Postcode: postcode, NHSNumber: g.nhsNumber()}
	carer := mash.Subject{Role: mash.SubjectParentCarer, GivenName: g.pick(benchAdult), FamilyName: family,
		DOB: g.date(1975, 1996), Sex: []string{"F", "M"}[g.rng.IntN(2)], Address: address, Postcode: postcode}
	var concerns []string
	for len(concerns) < 2+g.rng.IntN(2) {
		if c := g.pick(g.codes); !slices.Contains(concerns, c) {
			concerns = append(concerns, c)
		}
	}
	var narrative strings.Builder
	for narrative.Len() < 450 {
		if narrative.Len() > 0 {
			narrative.WriteByte(' ')
		}
		narrative.WriteString(g.pick(benchSays))
	}
	org := g.pick(benchOrgs)
	return api.ContactIn{
		// Spread over the last week; never in the future.
		ReceivedAt: g.now.Add(-time.Duration(g.rng.Int64N(int64(7 * 24 * time.Hour)))).Truncate(time.Second).Format(time.RFC3339),
		Channel:    g.pick(benchChannels), Cohort: mash.CohortChild,
		Referrer: mash.Referrer{Name: "Designated Safeguarding Lead " + g.tag, Organisation: org,
			Email: fmt.Sprintf("dsl%d@school.example", g.rng.IntN(100)), Phone: fmt.Sprintf("0113 496 %04d", g.rng.IntN(10000))},
		Subjects:  []mash.Subject{child, carer},
		Concerns:  concerns,
		Narrative: narrative.String(),
		Consent:   mash.Consent{FamilyAware: true, Status: mash.ConsentGiven},
	}
}

func (g *benchGen) date(from, to int) string {
	return time.Date(from+g.rng.IntN(to-from+1), time.Month(1+g.rng.IntN(12)), 1+g.rng.IntN(28), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// rawContact is one contact's rows, with every value ready to bind.
type rawContact struct {
	id, reference                string
	receivedAt, dueAt            time.Time
	channel, referrer, concerns  string
	codesVer, narrative, consent string
	createdBy                    string
	subjects                     [2]mash.Subject
	subjectIDs, personIDs        [2]string
}

func (g *benchGen) row(c api.ContactIn) rawContact {
	referrer, _ := json.Marshal(c.Referrer)
	concerns, _ := json.Marshal(c.Concerns)
	consent, _ := json.Marshal(c.Consent)
	at, _ := time.Parse(time.RFC3339, c.ReceivedAt)
	id := uuid.Must(uuid.NewV7()).String()
	return rawContact{
		id: id, reference: "BENCH-RAW-" + id, receivedAt: at, dueAt: at.Add(24 * time.Hour),
		channel: c.Channel, referrer: string(referrer), concerns: string(concerns), codesVer: g.codesVer,
		narrative: c.Narrative, consent: string(consent), createdBy: g.userID,
		subjects:   [2]mash.Subject{c.Subjects[0], c.Subjects[1]},
		subjectIDs: [2]string{uuid.Must(uuid.NewV7()).String(), uuid.Must(uuid.NewV7()).String()},
		personIDs:  [2]string{uuid.Must(uuid.NewV7()).String(), uuid.Must(uuid.NewV7()).String()},
	}
}

// rawSQL is the raw path's statements: the same rows CreateContact writes
// for a contact, less its counter, transition and audit event.
var rawSQL = [3]string{
	`INSERT INTO persons (id, given_name, family_name, dob, sex, postcode, nhs_number, created_at)
	VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
	`INSERT INTO contacts (id, reference, version, status, received_at, channel, cohort,
	referrer, concerns, concern_code_version, narrative, immediate_risk, consent, consent_override, rag,
	threshold_level, screened_at, due_at, closure_reason, created_by, created_at, updated_at)
	VALUES ($1,$2,1,$3,$4,$5,'child',$6,$7,$8,$9,$10,$11,NULL,'',0,NULL,$12,'',$13,$14,$14)`,
	`INSERT INTO contact_subjects (id, contact_id, person_id, ord, role, given_name, family_name,
	dob, sex, address, postcode, nhs_number) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
}

// rawStmts are rawSQL prepared once, so the ceiling does not pay to parse
// SQL on every insert. (pgx caches prepared statements itself; SQLite's
// driver does not.) Nil statements are sent as text instead.
type rawStmts [3]*sql.Stmt

func prepareRaw(ctx context.Context, w *sql.DB) (rawStmts, error) {
	var st rawStmts
	for k, q := range rawSQL {
		s, err := w.PrepareContext(ctx, q)
		if err != nil {
			st.Close()
			return rawStmts{}, err
		}
		st[k] = s
	}
	return st, nil
}

func (st rawStmts) Close() {
	for _, s := range st {
		if s != nil {
			s.Close()
		}
	}
}

// insert stores the contact's rows — two persons, the contact, its two
// subjects — in one transaction, committed durably by the store's own pool.
func (r *rawContact) insert(ctx context.Context, w *sql.DB, st rawStmts) (err error) {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	exec := func(k int, args ...any) error {
		var err error
		if st[k] != nil {
			_, err = tx.StmtContext(ctx, st[k]).ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, rawSQL[k], args...)
		}
		return err
	}
	now := time.Now().UTC()
	for k, s := range r.subjects {
		if err := exec(0, r.personIDs[k], s.GivenName, s.FamilyName, s.DOB, s.Sex, s.Postcode, s.NHSNumber, now); err != nil {
			return err
		}
	}
	if err := exec(1, r.id, r.reference, string(mash.StatusReceived), r.receivedAt, r.channel, r.referrer, r.concerns,
		r.codesVer, r.narrative, false, r.consent, r.dueAt, r.createdBy, now); err != nil {
		return err
	}
	for k, s := range r.subjects {
		if err := exec(2, r.subjectIDs[k], r.id, r.personIDs[k], k, string(s.Role), s.GivenName, s.FamilyName,
			s.DOB, s.Sex, s.Address, s.Postcode, s.NHSNumber); err != nil {
			return err
		}
	}
	return tx.Commit()
}
