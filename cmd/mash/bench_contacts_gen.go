package main

import (
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/synth"
)

// contactGen makes a hub's history of contacts, oldest first, with the
// shapes real front doors report: about four in five about children,
// police notifications the largest source, a fifth of children referred
// again within a year or so, most contacts closed at screening or after a
// MASH decision, and some deadlines and agency returns missed. Everything is
// synthetic (names from internal/synth, NHS numbers in the 999 test range).
type contactGen struct {
	rng         *mrand.Rand
	people      *synth.Generator
	policy      mash.RAGPolicy
	start, now  time.Time
	span        time.Duration
	n, i        int
	ag          genAgencies
	screener    []string // hub user ids
	manager     []string
	referrers   map[string]string // CIN source code → a referrer user of that agency
	researchers map[string]string // agency id → the user who answers its requests
	counters    map[int]int
	ring        [2][]genFamily // recent families by cohort, for re-referrals
	ringNext    [2]int
}

type genAgencies struct {
	police, csc, asc, health, schools, probation, housing, yjs, das, earlyHelp string
}

// genFamily is a main subject and (maybe) a parent, kept for re-referrals.
type genFamily struct {
	main   mash.Subject
	parent *mash.Subject
	born   time.Time
}

const genRing = 60000

func (g *contactGen) f() float64 { return g.rng.Float64() }

// pick returns a key of a weighted table.
func pick[T any](r *mrand.Rand, table []weighted[T]) T {
	total := 0.0
	for _, w := range table {
		total += w.w
	}
	x := r.Float64() * total
	for _, w := range table {
		if x < w.w {
			return w.v
		}
		x -= w.w
	}
	return table[len(table)-1].v
}

type weighted[T any] struct {
	v T
	w float64
}

// CIN census referral source codes with a MASH's usual mix (police highest).
var childSources = []weighted[string]{
	{"6", 28}, {"2A", 18}, {"2B", 2}, {"3A", 3}, {"3B", 3}, {"3C", 1}, {"3D", 2}, {"3E", 3}, {"3F", 4},
	{"4", 2}, {"5A", 3}, {"5B", 2}, {"5C", 1}, {"5D", 3}, {"1A", 6}, {"1B", 2}, {"1C", 1}, {"1D", 1},
	{"7", 3}, {"8", 5}, {"9", 2}, {"10", 1},
}

var adultSources = []weighted[string]{
	{"6", 22}, {"3A", 6}, {"3E", 8}, {"3F", 14}, {"5A", 16}, {"5B", 3}, {"4", 5}, {"1A", 10}, {"1B", 2},
	{"1C", 2}, {"7", 2}, {"8", 6}, {"9", 3}, {"10", 1},
}

var childConcerns = []weighted[string]{
	{"3B", 18}, {"3A", 4}, {"3C", 3}, {"4B", 12}, {"4A", 6}, {"16A", 14}, {"17A", 10}, {"18C", 7}, {"18B", 2},
	{"2B", 6}, {"1B", 5}, {"10A", 4}, {"24A", 3}, {"11A", 3}, {"15A", 4}, {"14A", 3}, {"19C", 2}, {"19B", 1},
	{"5A", 2}, {"6A", 2}, {"7A", 1}, {"13A", 1}, {"9A", 1}, {"22A", 0.3}, {"23A", 0.3}, {"12A", 0.4}, {"20", 3}, {"21", 2},
}

var adultConcerns = []weighted[string]{
	{"neglect", 31}, {"physical", 19}, {"psychological", 15}, {"financial", 14}, {"self_neglect", 8},
	{"domestic", 7}, {"organisational", 4}, {"sexual", 3}, {"discriminatory", 0.5}, {"modern_slavery", 0.5},
}

var givenPool = strings.Fields("Alex Sam Jo Chris Pat Morgan Jordan Taylor Casey Robin Jamie Lee Ashley Drew Kim")

// genPerson makes a synthetic person of an age at date at.
func (g *contactGen) genPerson(role mash.SubjectRole, at time.Time, minAge, maxAge int) (mash.Subject, time.Time) {
	r, ok := g.people.Next()
	if !ok {
		panic("synth generator ran out") // sized for the run; never happens
	}
	age := minAge + g.rng.IntN(maxAge-minAge+1)
	born := at.AddDate(-age, 0, -g.rng.IntN(365))
	sex := r.Sex
	if sex == "" {
		sex = "U"
	}
	nhs := r.NHS
	if role != mash.SubjectMain && g.f() < 0.5 {
		nhs = "" // referrers rarely know others' NHS numbers
	}
	return mash.Subject{ID: uuid.Must(uuid.NewV7()).String(), PersonID: uuid.Must(uuid.NewV7()).String(), Role: role,
		GivenName: r.Given, FamilyName: r.Family, DOB: born.Format(time.DateOnly), Sex: sex,
		Address: r.Address, Postcode: r.Postcode, NHSNumber: nhs}, born
}

// newPerson records s as a new person of the batch.
func newPersonRecord(s mash.Subject, at time.Time) mash.PersonRecord {
	return mash.PersonRecord{PersonID: s.PersonID, GivenName: s.GivenName, FamilyName: s.FamilyName, DOB: s.DOB, Sex: s.Sex,
		Address: s.Address, Postcode: s.Postcode, NHSNumber: s.NHSNumber, CreatedAt: at}
}

// again is a new subject row for a person already known.
func again(s mash.Subject) mash.Subject {
	s.ID = uuid.Must(uuid.NewV7()).String()
	return s
}

// receivedAt spreads contact i over the years, mostly on weekdays in office
// hours, never after now.
func (g *contactGen) receivedAt() time.Time {
	t := g.start.Add(time.Duration((float64(g.i) + g.f()) / float64(g.n) * float64(g.span)))
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	if wd := day.Weekday(); (wd == time.Saturday || wd == time.Sunday) && g.f() < 0.7 {
		if wd == time.Saturday {
			day = day.AddDate(0, 0, -1)
		} else {
			day = day.AddDate(0, 0, 1)
		}
	}
	var tod time.Duration
	if g.f() < 0.8 {
		tod = 8*time.Hour + time.Duration(g.f()*float64(10*time.Hour))
	} else {
		tod = time.Duration(g.f() * float64(24*time.Hour))
	}
	t = day.Add(tod).Truncate(time.Second)
	if t.After(g.now) {
		t = g.now.Add(-time.Duration(g.f() * float64(time.Hour))).Truncate(time.Second)
	}
	return t
}

// hours is a random duration of about mean hours (exponential), capped.
func (g *contactGen) hours(mean, capH float64) time.Duration {
	h := g.rng.ExpFloat64() * mean
	if h > capH {
		h = capH * (0.5 + g.f()/2)
	}
	return time.Duration(h * float64(time.Hour)).Truncate(time.Second)
}

func (g *contactGen) one(list []string) string { return list[g.rng.IntN(len(list))] }

// next adds one contact and its history to b.
func (g *contactGen) next(b *store.ContactBatch) {
	rcv := g.receivedAt()
	g.i++
	cohort, ci := mash.CohortChild, 0
	if g.f() >= 0.8 {
		cohort, ci = mash.CohortAdult, 1
	}
	var source string
	if cohort == mash.CohortChild {
		source = pick(g.rng, childSources)
	} else {
		source = pick(g.rng, adultSources)
	}
	c := mash.Contact{ID: uuid.Must(uuid.NewV7()).String(), Cohort: cohort, ReceivedAt: rcv}
	c.Channel, c.Referrer = g.referrer(source)
	c.Referrer.Source = source
	created := rcv
	if c.Channel == "phone" || c.Channel == "in_person" || c.Channel == "letter" {
		created = rcv.Add(time.Duration(g.f() * float64(40*time.Minute))).Truncate(time.Second)
	}
	if created.After(g.now) {
		created = g.now
	}
	c.CreatedAt = created
	c.CreatedBy = g.one(g.screener)
	if u, ok := g.referrers[source]; ok && (c.Channel == "online_form" || c.Channel == "api") {
		c.CreatedBy = u
	}

	// Subjects: the main subject (known before a fifth of the time), a
	// parent or carer, sometimes a sibling or an alleged perpetrator.
	var fam genFamily
	ring := g.ring[ci]
	minAge, maxAge := 0, 17
	if cohort == mash.CohortAdult {
		minAge, maxAge = 18, 95
	}
	reuse := false
	if len(ring) > 100 && g.f() < 0.2 {
		fam = ring[g.rng.IntN(len(ring))]
		age := rcv.Sub(fam.born).Hours() / 24 / 365.25
		reuse = age >= float64(minAge) && age < float64(maxAge)+1
	}
	if reuse {
		c.Subjects = append(c.Subjects, again(fam.main))
		if fam.parent != nil {
			c.Subjects = append(c.Subjects, again(*fam.parent))
		}
	} else {
		if cohort == mash.CohortChild {
			minA := 0
			if g.f() < 0.6 {
				minA = 5
			}
			main, born := g.genPerson(mash.SubjectMain, rcv, minA, 17)
			fam = genFamily{main: main, born: born}
		} else {
			age := 18 + int(g.rng.ExpFloat64()*25)
			main, born := g.genPerson(mash.SubjectMain, rcv, min(age, 95), min(age, 95))
			fam = genFamily{main: main, born: born}
		}
		b.Persons = append(b.Persons, newPersonRecord(fam.main, created))
		c.Subjects = append(c.Subjects, fam.main)
		if cohort == mash.CohortChild && g.f() < 0.6 {
			p, _ := g.genPerson(mash.SubjectParentCarer, rcv, 20, 50)
			p.FamilyName, p.Address, p.Postcode = fam.main.FamilyName, fam.main.Address, fam.main.Postcode
			fam.parent = &p
			b.Persons = append(b.Persons, newPersonRecord(p, created))
			c.Subjects = append(c.Subjects, p)
		}
		if len(g.ring[ci]) < genRing {
			g.ring[ci] = append(g.ring[ci], fam)
		} else {
			g.ring[ci][g.ringNext[ci]] = fam
			g.ringNext[ci] = (g.ringNext[ci] + 1) % genRing
		}
	}
	if cohort == mash.CohortChild && g.f() < 0.15 {
		s, _ := g.genPerson(mash.SubjectHouseholdMember, rcv, 0, 17)
		s.FamilyName, s.Address, s.Postcode = fam.main.FamilyName, fam.main.Address, fam.main.Postcode
		b.Persons = append(b.Persons, newPersonRecord(s, created))
		c.Subjects = append(c.Subjects, s)
	}
	if g.f() < 0.12 {
		s, _ := g.genPerson(mash.SubjectAllegedPerpetrat, rcv, 18, 60)
		b.Persons = append(b.Persons, newPersonRecord(s, created))
		c.Subjects = append(c.Subjects, s)
	}

	// Concerns: one to three codes of the cohort's list.
	table, list := childConcerns, mash.CINFactors2025
	if cohort == mash.CohortAdult {
		table, list = adultConcerns, mash.CareActTypes2014
	}
	k := 1 + min(g.rng.IntN(4), 2)
	seen := map[string]bool{}
	for len(c.Concerns) < k {
		code := pick(g.rng, table)
		if !seen[code] {
			seen[code] = true
			c.Concerns = append(c.Concerns, code)
		}
	}
	c.ConcernCodeVersion = list.Version
	c.Narrative = "Synthetic contact for benchmarks: " + strings.ToLower(list.Label(c.Concerns[0])) + "."
	c.ImmediateRisk = g.f() < 0.05
	switch x := g.f(); {
	case x < 0.6:
		c.Consent = mash.Consent{FamilyAware: true, Status: mash.ConsentGiven}
	case x < 0.9:
		c.Consent = mash.Consent{Status: mash.ConsentNotSought, Reason: "seeking consent may place the child at risk", ApprovedBy: "MASH team manager"}
	default:
		c.Consent = mash.Consent{FamilyAware: true, Status: mash.ConsentRefused, Reason: "parent refused; concerns meet threshold", ApprovedBy: "MASH team manager"}
	}
	g.workflow(b, &c)
	year := c.ReceivedAt.Year()
	g.counters[year]++
	c.Reference = fmt.Sprintf("MASH-%d-%06d", year, g.counters[year])
	b.Counters[year] = g.counters[year]
	b.Contacts = append(b.Contacts, c)
}

// referrer picks how a contact from source arrived and who sent it.
func (g *contactGen) referrer(source string) (string, mash.Referrer) {
	ch := pick(g.rng, []weighted[string]{{"phone", 40}, {"email", 25}, {"online_form", 30}, {"letter", 2}, {"in_person", 3}})
	org := ""
	switch source[0] {
	case '6':
		org = "Northshire Police"
		if g.f() < 0.8 {
			ch = "police_notification"
		}
	case '2':
		org = "Northshire Schools"
	case '3':
		org = "Northshire Health"
	case '4':
		org = "Northshire Housing"
	case '5':
		org = "Northshire Council"
	case '7':
		org = "Northshire Probation"
	case '8':
		org = "Northshire Voluntary Sector"
	}
	if source == "10" {
		org = ""
	}
	if source == "9" {
		return pick(g.rng, []weighted[string]{{"phone", 80}, {"online_form", 20}}), mash.Referrer{Anonymous: true}
	}
	if g.f() < 0.03 && org != "" {
		ch = "api"
	}
	name := g.one(givenPool) + " " + string(rune('A'+g.rng.IntN(26))) + "."
	return ch, mash.Referrer{Name: name, Organisation: org, Email: ""}
}
