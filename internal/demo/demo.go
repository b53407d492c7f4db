// Package demo seeds a hub with a synthetic partnership: agencies, users for
// every role and contacts at every stage. Every person in it is fictional.
//
// The seed works like a simulation. It first plans every contact — who raised
// it, about whom, what screening decides, which agencies are asked and what
// they answer — with realistic gaps between the steps (minutes for intake,
// hours for screening and returns, a working day for feedback). Older
// contacts run forward from their receipt; the most recent ones are anchored
// backwards from Now at a chosen stage, so the queue always shows live work:
// unscreened contacts, open and overdue requests, decisions awaiting feedback.
// Then it replays every step of every contact in time order through the
// store's ordinary Hub methods, with db.Now set to the step's time, so the
// records, histories and audit log are exactly what real use would produce.
package demo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
)

// Options control the seed.
type Options struct {
	Now      time.Time // the demo's "now": contacts are spread over the weeks before it
	Contacts int
	Seed     int64 // the same seed gives the same data
}

// Login is a demo sign-in.
type Login struct {
	Role, Email, Password, Agency string
}

// Password is the one password of every demo account.
const Password = "demo-password-2026"

// TOTPSecret is the one TOTP secret of every demo account (base32), printed
// by mash demo so anyone trying the demo can make codes. Never use a shared
// secret outside a demo.
const TOTPSecret = "N5YGK3TNMFZWQLLEMVWW6LLUN52HALJSGAZDM"

// window is how far back the demo's contacts go.
const window = 56 * 24 * time.Hour

type agencyDef struct {
	key, name string
	kind      mash.AgencyKind
}

var agencyDefs = []agencyDef{
	{"hub", "Northshire Children's Social Care (MASH)", mash.AgencyChildrensSocialCare},
	{"adults", "Northshire Adult Social Care", mash.AgencyAdultSocialCare},
	{"police", "Northshire Constabulary", mash.AgencyPolice},
	{"health", "Northshire Community Health NHS Trust", mash.AgencyHealth},
	{"acute", "Northshire Acute Hospitals NHS Foundation Trust", mash.AgencyHealth},
	{"education", "Northshire Council Education Safeguarding", mash.AgencyEducation},
	{"probation", "Probation Service (Northshire)", mash.AgencyProbation},
	{"housing", "Northshire Council Housing Services", mash.AgencyHousing},
	{"yjs", "Northshire Youth Justice Service", mash.AgencyYouthJustice},
	{"haven", "Haven Northshire Domestic Abuse Service", mash.AgencyDomesticAbuseService},
	{"earlyhelp", "Northshire Early Help and Assessment Teams", mash.AgencyOther},
}

type userDef struct {
	key    string
	role   mash.Role
	agency string
	email  string
	name   string
}

// userDefs in the order the logins are printed.
var userDefs = []userDef{
	{"screener", mash.RoleScreener, "hub", "screener@hub.northshire.example", "Priya Ramsden"},
	{"screener_adults", mash.RoleScreener, "adults", "screener@adults.northshire.example", "Tom Harker"},
	{"manager", mash.RoleManager, "hub", "manager@hub.northshire.example", "Rachel Okafor"},
	{"researcher_police", mash.RoleResearcher, "police", "researcher@police.northshire.example", "Mark Ellison"},
	{"researcher_health", mash.RoleResearcher, "health", "researcher@health.northshire.example", "Joanne Pike"},
	{"researcher_education", mash.RoleResearcher, "education", "researcher@education.northshire.example", "Sian Matthews"},
	{"researcher_probation", mash.RoleResearcher, "probation", "researcher@probation.northshire.example", "Daniel Kerr"},
	{"researcher_housing", mash.RoleResearcher, "housing", "researcher@housing.northshire.example", "Aisha Bello"},
	{"teacher", mash.RoleReferrer, "education", "teacher@education.northshire.example", "Hannah Whitfield"},
	{"officer", mash.RoleReferrer, "police", "officer@police.northshire.example", "PC Lewis Grant"},
	{"receiver", mash.RoleReceiver, "earlyhelp", "worker@earlyhelp.northshire.example", "Beth Carrow"},
	{"auditor", mash.RoleAuditor, "hub", "auditor@hub.northshire.example", "Graham Lowe"},
	{"analyst", mash.RoleAnalyst, "hub", "analyst@hub.northshire.example", "Meera Shah"},
	{"admin", mash.RoleAdmin, "hub", "admin@hub.northshire.example", "Chris Dunmore"},
}

// The demo teacher works at a secondary school and refers through the online form.
const teacherSchool = "Northtown Academy"

// stage is where a recent contact is to be left at Now.
type stage int

const (
	stHistorical stage = iota // runs forward from receipt; mostly finished
	stReceived
	stReceivedOverdue
	stAwaiting // in MASH, requests out, not yet overdue
	stOverdueRed
	stOverdueAmber
	stReady // in MASH, every return in, awaiting the decision
	stDecided
	stFeedbackSent
	stPassedSA
	stPassedOC
	stClosedRecent
)

// live is the cycle of stages for recent contacts: enough of each for the
// queue to show every kind of live work.
var live = []stage{stReceived, stAwaiting, stDecided, stOverdueRed, stFeedbackSent, stPassedSA,
	stReceivedOverdue, stReady, stPassedOC, stAwaiting, stDecided, stOverdueAmber, stClosedRecent, stReceived}

type stepKind int

const (
	kCreate stepKind = iota
	kScreen
	kOverride
	kRequest
	kReturn
	kRerate
	kDecide
	kFeedback
	kClose
)

var stepNames = [...]string{"create", "screen", "override consent", "request", "return", "re-rate", "decide", "feedback", "close"}

// step is one call to the hub. gap is the time since the previous step (for
// create, since receipt), in working time or round the clock.
type step struct {
	kind    stepKind
	gap     time.Duration
	working bool
	req     int
	at      time.Time
}

type request struct {
	agency  string // agency key
	outcome mash.ReturnOutcome
	items   int
	dissent bool
	ret     *mash.AgencyReturn
	id      string
	version int
}

// plan is one contact's life.
type plan struct {
	n         int
	target    stage
	sc        *scenario
	codes     []string
	ref       refKind
	channel   string
	decision  mash.ScreeningDecision
	rag       string // at screening
	finalRAG  string
	rerateTo  string
	immediate bool
	consent   mash.ConsentStatus
	override  bool
	requests  []request
	outcomes  []mash.Outcome
	steps     []step
	received  time.Time

	// Filled once the people are chosen.
	contact      *mash.Contact
	people       []*person // parallel to contact.Subjects
	creator      string    // user key
	screener     string
	screenReason string
	threshold    int
	overrideWhy  string
	rerateWhy    string
	decisionRec  *mash.Decision
	feedback     string // with {ref}
	closeReason  string

	// Filled as it runs.
	id      string
	version int
	refNo   string
}

type gen struct {
	r         *rand.Rand
	now       time.Time
	from      time.Time // start of the window; people's ages are reckoned here
	cal       *mash.Calendar
	agencies  map[string]mash.Agency
	users     map[string]mash.User
	families  map[mash.Cohort][]*family
	strangers map[string][]*person
	famOf     map[*person]*family
	lastSeen  map[*family]time.Time
}

// Seed fills db with a synthetic partnership: agencies, a user for every role
// (all with the password Password) and opt.Contacts contacts received over
// the eight weeks before opt.Now. It returns the sign-ins, screener first.
// It drives db.Now while it runs and restores it before returning.
func Seed(ctx context.Context, db *store.DB, opt Options) ([]Login, error) {
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	opt.Now = opt.Now.UTC().Truncate(time.Second)
	if opt.Contacts <= 0 {
		opt.Contacts = 300
	}
	policy, err := db.Policy(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: read policy: %w", err)
	}
	g := &gen{
		r:         rand.New(rand.NewPCG(uint64(opt.Seed), 0x6d617368)),
		now:       opt.Now,
		from:      opt.Now.Add(-window),
		cal:       policy.Calendar,
		agencies:  map[string]mash.Agency{},
		users:     map[string]mash.User{},
		families:  map[mash.Cohort][]*family{},
		strangers: map[string][]*person{},
		famOf:     map[*person]*family{},
		lastSeen:  map[*family]time.Time{},
	}
	if g.cal == nil {
		g.cal = mash.DefaultCalendar()
	}

	realNow := db.Now
	defer func() { db.Now = realNow }()
	var clock time.Time
	db.Now = func() time.Time { return clock }

	// The partnership is set up a fortnight before the first contact.
	clock = g.from.Add(-14 * 24 * time.Hour)
	logins, err := g.setup(ctx, db, &clock)
	if err != nil {
		return nil, err
	}
	plans := g.plan(opt.Contacts)
	for _, p := range plans {
		g.describe(p)
	}
	if err := g.run(ctx, db, plans, &clock); err != nil {
		return nil, err
	}
	if err := g.indexes(ctx, db, plans); err != nil {
		return nil, err
	}
	return logins, nil
}

// indexes loads the police's and the school nurses' own indexes of people:
// some of the demo's people as those agencies recorded them (their own
// spellings, a missing address), linked to the hub's persons by the matcher,
// so person pages show who is known where.
func (g *gen) indexes(ctx context.Context, db *store.DB, plans []*plan) error {
	recs := map[string][]mash.PersonRecord{}
	seen := map[*person]bool{}
	for _, p := range plans {
		for _, pp := range p.people {
			if seen[pp] || pp.born.IsZero() {
				continue
			}
			seen[pp] = true
			agency := "police"
			if g.now.Year()-pp.born.Year() < 18 {
				agency = "health"
			}
			if !chance(g.r, 0.4) {
				continue
			}
			r := mash.PersonRecord{SourceRef: fmt.Sprintf("%s-%05d", strings.ToUpper(agency[:3]), len(recs[agency])+1),
				GivenName: pp.given, FamilyName: pp.family, DOB: pp.dob(), Sex: pp.sex, NHSNumber: pp.nhs}
			if pp.home != nil && chance(g.r, 0.7) {
				r.Address, r.Postcode = pp.home.address, pp.home.postcode
			}
			if agency == "police" {
				r.NHSNumber = "" // the police do not record NHS numbers
			}
			recs[agency] = append(recs[agency], r)
		}
	}
	for _, agency := range []string{"police", "health"} {
		if _, err := db.ImportAgencyRecords(ctx, store.System, g.agencies[agency].ID, recs[agency]); err != nil {
			return fmt.Errorf("demo: load the %s index: %w", agency, err)
		}
	}
	return nil
}

func (g *gen) setup(ctx context.Context, db *store.DB, clock *time.Time) ([]Login, error) {
	for _, d := range agencyDefs {
		a := mash.Agency{Name: d.name, Kind: d.kind}
		if err := db.CreateAgency(ctx, store.System, &a); err != nil {
			return nil, fmt.Errorf("demo: create agency %s: %w", d.name, err)
		}
		g.agencies[d.key] = a
		*clock = clock.Add(time.Minute)
	}
	var out []Login
	for _, d := range userDefs {
		u := mash.User{Email: d.email, Name: d.name, AgencyID: g.agencies[d.agency].ID, Role: d.role}
		if err := db.CreateUser(ctx, store.System, &u, Password); err != nil {
			return nil, fmt.Errorf("demo: create user %s: %w", d.email, err)
		}
		if _, err := db.EnrolTOTP(ctx, store.System, u.ID, TOTPSecret, false, "demo"); err != nil {
			return nil, fmt.Errorf("demo: enrol user %s: %w", d.email, err)
		}
		g.users[d.key] = u
		out = append(out, Login{Role: string(d.role), Email: d.email, Password: Password, Agency: g.agencies[d.agency].Name})
		*clock = clock.Add(time.Minute)
	}
	return out, nil
}

func (g *gen) actor(key string) mash.Actor {
	u := g.users[key]
	return mash.Actor{UserID: u.ID, Name: u.Name, Role: u.Role, AgencyID: u.AgencyID, RequestID: "demo-seed", ClientIP: "127.0.0.1"}
}

// plan decides every contact's fate and timing, and returns the plans in
// order of receipt.
func (g *gen) plan(n int) []*plan {
	nLive := min(n, max(len(live), n/10))
	liveStart := g.retreat(g.now, 16*time.Hour, true)
	plans := make([]*plan, 0, n)
	for i := range n {
		p := &plan{target: stHistorical}
		if i < nLive {
			p.target = live[i%len(live)]
		}
		g.fate(p)
		g.buildSteps(p)
		if p.target == stHistorical {
			p.received = g.receipt(g.from, liveStart)
			g.forward(p)
		} else {
			g.backward(p)
		}
		plans = append(plans, p)
	}
	slices.SortStableFunc(plans, func(a, b *plan) int { return a.received.Compare(b.received) })
	for i, p := range plans {
		p.n = i
	}
	return plans
}

// receipt picks a time in [from, to), mostly in working hours.
func (g *gen) receipt(from, to time.Time) time.Time {
	span := int64(to.Sub(from) / time.Second)
	for {
		t := from.Add(time.Duration(g.r.Int64N(span)) * time.Second)
		if g.cal.IsWorking(t) || chance(g.r, 0.15) {
			return t
		}
	}
}

func (g *gen) scenario(cohort mash.Cohort, ok func(*scenario) bool) *scenario {
	var list []weighted[*scenario]
	for _, s := range scenarios {
		if s.cohort == cohort && ok(s) {
			list = append(list, weighted[*scenario]{s, s.weight})
		}
	}
	return pickW(g.r, list)
}

var screenDecisions = [5]mash.ScreeningDecision{mash.ScreenAccept, mash.ScreenNFA, mash.ScreenAdvice, mash.ScreenSingleAgency, mash.ScreenOpenCase}

func (g *gen) fate(p *plan) {
	r := g.r
	cohort := mash.CohortChild
	if chance(r, 0.25) {
		cohort = mash.CohortAdult
	}
	p.sc = g.scenario(cohort, func(s *scenario) bool {
		switch p.target {
		case stOverdueRed:
			return s.rag[0] > 0
		case stPassedOC:
			return s.immediate
		}
		return true
	})
	p.codes = slices.Clone(pick(r, p.sc.codes))
	p.ref = pick(r, p.sc.refs)
	p.channel = pickW(r, refChannels[p.ref])

	switch p.target {
	case stAwaiting, stOverdueRed, stOverdueAmber, stReady, stDecided, stFeedbackSent:
		p.decision = mash.ScreenAccept
	case stPassedSA:
		p.decision = mash.ScreenSingleAgency
	case stPassedOC:
		p.decision = mash.ScreenOpenCase
	default:
		var w []weighted[mash.ScreeningDecision]
		for i, d := range screenDecisions {
			w = append(w, weighted[mash.ScreeningDecision]{d, p.sc.fates[i]})
		}
		p.decision = pickW(r, w)
	}

	var consent = []weighted[mash.ConsentStatus]{{mash.ConsentGiven, 84}, {mash.ConsentRefused, 8}, {mash.ConsentNotSought, 8}}
	if p.sc.perp == perpPartner || p.sc.perp == perpStranger || p.sc.perp == perpKin {
		consent = []weighted[mash.ConsentStatus]{{mash.ConsentGiven, 76}, {mash.ConsentRefused, 7}, {mash.ConsentNotSought, 17}}
	}
	p.consent = pickW(r, consent)

	if p.decision != mash.ScreenAccept {
		// A contact flagged at intake about a child or adult already open to a
		// team goes straight to the allocated worker.
		p.immediate = p.decision == mash.ScreenOpenCase && p.sc.immediate && (p.target == stPassedOC || chance(r, 0.6))
		return
	}
	rags := []weighted[string]{{"red", p.sc.rag[0]}, {"amber", p.sc.rag[1]}, {"green", p.sc.rag[2]}}
	switch p.target {
	case stOverdueRed:
		p.rag = "red"
	case stOverdueAmber:
		p.rag = "amber"
	case stAwaiting:
		p.rag = pickW(r, []weighted[string]{{"amber", 1 + p.sc.rag[1]}, {"green", p.sc.rag[2]}})
	default:
		p.rag = pickW(r, rags)
	}
	p.finalRAG = p.rag
	p.immediate = p.rag == "red" && p.sc.immediate && chance(r, 0.4)

	// Threshold before checks: without consent, checks below Red need a
	// manager's override; a few are decided on what the hub already holds.
	needChecks := p.target == stAwaiting || p.target == stOverdueAmber || p.target == stReady
	checks := true
	if p.consent != mash.ConsentGiven && p.rag != "red" {
		p.override = needChecks || chance(r, 0.8)
		checks = p.override
	}
	if checks {
		p.requests = g.chooseRequests(p)
	}
	if len(p.requests) > 0 && p.target != stOverdueRed && p.target != stOverdueAmber && chance(r, 0.18) {
		switch p.rag {
		case "amber":
			p.rerateTo = pickW(r, []weighted[string]{{"red", 70}, {"green", 30}})
		case "green":
			p.rerateTo = "amber"
		case "red":
			p.rerateTo = "amber"
		}
		p.finalRAG = p.rerateTo
	}
	switch {
	case len(p.requests) == 0 && p.sc.cohort == mash.CohortChild:
		p.outcomes = pick(r, [][]mash.Outcome{{mash.OutcomeEarlyHelp}, {mash.OutcomeAdvice}})
	case len(p.requests) == 0:
		p.outcomes = pick(r, [][]mash.Outcome{{mash.OutcomeAdvice}, {mash.OutcomeSingleAgency}})
	default:
		p.outcomes = slices.Clone(pick(r, p.sc.outcomes[p.finalRAG]))
	}
}

var returnOdds = map[string][]weighted[mash.ReturnOutcome]{
	"police":    {{mash.ReturnNothingHeld, 25}, {mash.ReturnInformation, 63}, {mash.ReturnDeclined, 12}},
	"health":    {{mash.ReturnNothingHeld, 25}, {mash.ReturnInformation, 70}, {mash.ReturnDeclined, 5}},
	"education": {{mash.ReturnNothingHeld, 30}, {mash.ReturnInformation, 67}, {mash.ReturnDeclined, 3}},
	"probation": {{mash.ReturnNothingHeld, 45}, {mash.ReturnInformation, 40}, {mash.ReturnDeclined, 15}},
	"housing":   {{mash.ReturnNothingHeld, 45}, {mash.ReturnInformation, 50}, {mash.ReturnDeclined, 5}},
}

func (g *gen) chooseRequests(p *plan) []request {
	r := g.r
	hasPerp := p.sc.perp != perpNone && p.sc.perp != perpChild
	var keys []string
	keys = append(keys, "police")
	if chance(r, 0.9) {
		keys = append(keys, "health")
	}
	if p.sc.cohort == mash.CohortChild {
		if (p.sc.ageLo >= 4 && chance(r, 0.85)) || chance(r, 0.3) {
			keys = append(keys, "education")
		}
		if (hasPerp && chance(r, 0.45)) || chance(r, 0.08) {
			keys = append(keys, "probation")
		}
		if chance(r, 0.3) {
			keys = append(keys, "housing")
		}
	} else {
		if hasPerp && chance(r, 0.4) {
			keys = append(keys, "probation")
		}
		if chance(r, 0.5) {
			keys = append(keys, "housing")
		}
	}
	out := make([]request, len(keys))
	for i, k := range keys {
		out[i] = request{agency: k, outcome: pickW(r, returnOdds[k]), items: 1 + r.IntN(3), dissent: chance(r, 0.13)}
	}
	return out
}

// buildSteps lays out the contact's steps with the gaps between them.
func (g *gen) buildSteps(p *plan) {
	r := g.r
	historical := p.target == stHistorical
	add := func(k stepKind, gap time.Duration, working bool, req int) {
		p.steps = append(p.steps, step{kind: k, gap: gap, working: working, req: req})
	}
	switch p.channel {
	case "online_form", "api", "police_notification":
		add(kCreate, between(r, 30*time.Second, 3*time.Minute), false, -1)
	case "phone":
		add(kCreate, between(r, 5*time.Minute, 25*time.Minute), false, -1)
	case "in_person":
		add(kCreate, between(r, 15*time.Minute, 45*time.Minute), false, -1)
	default: // email and letters are read in office hours
		add(kCreate, between(r, 10*time.Minute, 90*time.Minute), true, -1)
	}
	switch {
	case p.immediate:
		add(kScreen, between(r, 10*time.Minute, 45*time.Minute), false, -1)
	case p.rag == "red": // urgent work is screened round the clock
		add(kScreen, between(r, 10*time.Minute, time.Hour), false, -1)
	case historical && chance(r, 0.06): // screened late
		add(kScreen, between(r, 8*time.Hour+30*time.Minute, 12*time.Hour), true, -1)
	case p.rag == "amber":
		add(kScreen, between(r, 15*time.Minute, 2*time.Hour+30*time.Minute), true, -1)
	default:
		add(kScreen, between(r, 20*time.Minute, 4*time.Hour), true, -1)
	}
	if p.decision == mash.ScreenSingleAgency || p.decision == mash.ScreenOpenCase {
		add(kClose, between(r, 2*time.Hour, 20*time.Hour), true, -1)
	}
	if p.decision != mash.ScreenAccept {
		return
	}
	red := p.rag == "red"
	working := !red
	if p.override {
		add(kOverride, between(r, 15*time.Minute, 2*time.Hour), true, -1)
	}
	for i := range p.requests {
		if i == 0 {
			add(kRequest, between(r, 5*time.Minute, 20*time.Minute), working, i)
		} else {
			add(kRequest, between(r, time.Minute, 3*time.Minute), false, i)
		}
	}
	rerateAfter := -1
	if p.rerateTo != "" {
		rerateAfter = r.IntN(len(p.requests))
	}
	// Agencies answer in parallel: each return comes its own delay after the
	// requests went out.
	delay := make([]time.Duration, len(p.requests))
	for i := range delay {
		switch p.rag {
		case "red":
			delay[i] = between(r, 15*time.Minute, 2*time.Hour)
		case "amber":
			delay[i] = between(r, 30*time.Minute, 4*time.Hour)
		default:
			delay[i] = between(r, time.Hour, 12*time.Hour)
		}
		if historical && chance(r, 0.06) { // a late return
			delay[i] += between(r, 8*time.Hour, 16*time.Hour)
		}
	}
	order := r.Perm(len(p.requests))
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(delay[a], delay[b]) })
	var prev time.Duration
	for j, i := range order {
		gap := max(delay[i]-prev, time.Minute)
		prev = delay[i]
		add(kReturn, gap, working, i)
		if j == rerateAfter {
			add(kRerate, between(r, 5*time.Minute, 40*time.Minute), working, -1)
		}
	}
	switch {
	case len(p.requests) == 0:
		add(kDecide, between(r, time.Hour, 5*time.Hour), true, -1)
	case p.finalRAG == "red":
		add(kDecide, between(r, 15*time.Minute, time.Hour), false, -1)
	case p.finalRAG == "amber":
		add(kDecide, between(r, 30*time.Minute, 3*time.Hour), true, -1)
	default:
		add(kDecide, between(r, time.Hour, 6*time.Hour), true, -1)
	}
	add(kFeedback, between(r, 30*time.Minute, 8*time.Hour+30*time.Minute), true, -1)
	add(kClose, between(r, time.Hour, 16*time.Hour), true, -1)
}

func (g *gen) advance(t time.Time, d time.Duration, working bool) time.Time {
	if working {
		return g.cal.AddWorking(t, d).UTC()
	}
	return t.Add(d)
}

// retreat returns the latest time from which d (working or elapsed) ends at t.
func (g *gen) retreat(t time.Time, d time.Duration, working bool) time.Time {
	if !working {
		return t.Add(-d)
	}
	lo, hi := t.Add(-d-45*24*time.Hour), t
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2)
		if g.cal.WorkingBetween(mid, t) >= d {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo.Truncate(time.Second).UTC()
}

// forward times the steps from receipt, dropping any that would fall after Now.
func (g *gen) forward(p *plan) {
	t := p.received
	for i := range p.steps {
		t = g.advance(t, p.steps[i].gap, p.steps[i].working)
		if t.After(g.now.Add(-time.Minute)) {
			p.steps = p.steps[:i]
			return
		}
		p.steps[i].at = t
	}
}

// backward leaves the contact at its target stage: the last step to happen
// is placed a little before Now and the earlier ones before it.
func (g *gen) backward(p *plan) {
	r := g.r
	idx := func(k stepKind) int {
		return slices.IndexFunc(p.steps, func(s step) bool { return s.kind == k })
	}
	last := func(k stepKind) int {
		i := len(p.steps) - 1
		for i >= 0 && p.steps[i].kind != k {
			i--
		}
		return i
	}
	wh := func(lo, hi time.Duration) (time.Duration, bool) { return between(r, lo, hi), true }
	var k int
	var gap time.Duration
	working := true
	switch p.target {
	case stReceived:
		k = 0
		gap, working = wh(5*time.Minute, 3*time.Hour)
	case stReceivedOverdue:
		k = 0
		gap, working = wh(8*time.Hour+30*time.Minute, 11*time.Hour)
	case stAwaiting, stOverdueRed, stOverdueAmber:
		lr, lt := last(kRequest), last(kReturn)
		k = lr + r.IntN(lt-lr) // at least the last return is still out
		switch p.target {
		case stOverdueRed:
			gap, working = between(r, 4*time.Hour+30*time.Minute, 9*time.Hour), false
		case stOverdueAmber:
			gap, working = wh(8*time.Hour+30*time.Minute, 12*time.Hour)
		default:
			gap, working = wh(15*time.Minute, 2*time.Hour)
		}
	case stReady:
		k = idx(kDecide) - 1
		gap, working = wh(10*time.Minute, 2*time.Hour)
	case stDecided:
		k = idx(kDecide)
		gap, working = wh(10*time.Minute, 5*time.Hour)
	case stFeedbackSent:
		k = idx(kFeedback)
		gap, working = wh(20*time.Minute, 6*time.Hour)
	case stPassedSA, stPassedOC:
		k = idx(kScreen)
		gap, working = wh(30*time.Minute, 6*time.Hour)
	case stClosedRecent:
		k = len(p.steps) - 1
		gap, working = wh(10*time.Minute, 3*time.Hour)
	}
	p.steps = p.steps[:k+1]
	t := g.retreat(g.now, gap, working)
	for i := k; i >= 0; i-- {
		p.steps[i].at = t
		t = g.retreat(t, p.steps[i].gap, p.steps[i].working)
	}
	p.received = t
}

// run replays every step of every contact in time order.
func (g *gen) run(ctx context.Context, db *store.DB, plans []*plan, clock *time.Time) error {
	type event struct {
		p *plan
		i int
	}
	var events []event
	for _, p := range plans {
		for i := range p.steps {
			events = append(events, event{p, i})
		}
	}
	slices.SortFunc(events, func(a, b event) int {
		return cmp.Or(a.p.steps[a.i].at.Compare(b.p.steps[b.i].at), cmp.Compare(a.p.n, b.p.n), cmp.Compare(a.i, b.i))
	})
	for _, e := range events {
		if err := ctx.Err(); err != nil {
			return err
		}
		s := e.p.steps[e.i]
		*clock = s.at
		if err := g.do(ctx, db, e.p, s); err != nil {
			return fmt.Errorf("demo: contact %d (%s, %s) %s at %s: %w", e.p.n, e.p.sc.key, e.p.refNo,
				stepNames[s.kind], s.at.Format(time.RFC3339), err)
		}
	}
	return nil
}

func (g *gen) do(ctx context.Context, db *store.DB, p *plan, s step) error {
	var c *mash.Contact
	var err error
	switch s.kind {
	case kCreate:
		c = p.contact
		for i := range c.Subjects {
			c.Subjects[i].PersonID = p.people[i].id
		}
		if _, err = db.CreateContact(ctx, g.actor(p.creator), c, ""); err != nil {
			return err
		}
		for i, sub := range c.Subjects {
			if p.people[i].id == "" {
				p.people[i].id = sub.PersonID
			}
		}
		p.id, p.refNo = c.ID, c.Reference
	case kScreen:
		c, err = db.Screen(ctx, g.actor(p.screener), p.id, mash.Screening{Decision: p.decision, RAG: p.rag,
			ThresholdLevel: p.threshold, Reason: p.screenReason, Version: p.version})
	case kOverride:
		c, err = db.OverrideConsent(ctx, g.actor("manager"), p.id, overrideBasis, p.overrideWhy, p.version)
	case kRequest:
		q := &p.requests[s.req]
		var ir *mash.InfoRequest
		ir, err = db.CreateRequest(ctx, g.actor(p.screener), p.id, mash.NewRequest{AgencyID: g.agencies[q.agency].ID, Question: requestQuestions[q.agency]})
		if err == nil {
			q.id, q.version = ir.ID, ir.Version
		}
		return err
	case kReturn:
		q := &p.requests[s.req]
		_, err = db.SubmitReturn(ctx, g.actor("researcher_"+q.agency), q.id, q.ret, q.version)
		return err
	case kRerate:
		c, err = db.Rate(ctx, g.actor("manager"), p.id, p.rerateTo, p.rerateWhy, p.version)
	case kDecide:
		d := *p.decisionRec
		d.Version = p.version
		c, err = db.Decide(ctx, g.actor("manager"), p.id, &d)
	case kFeedback:
		c, err = db.SendFeedback(ctx, g.actor(p.screener), p.id, fill(p.feedback, map[string]string{"ref": p.refNo}), p.version)
	case kClose:
		c, err = db.CloseContact(ctx, g.actor(p.screener), p.id, p.closeReason, p.version)
	default:
		err = errors.New("unknown step")
	}
	if err != nil {
		return err
	}
	p.version = c.Version
	return nil
}
