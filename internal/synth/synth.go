// Package synth generates synthetic UK people records for testing and
// benchmarking identity matching: households of adults and children with
// realistic name frequencies, twins and parent/child pairs who share a name,
// and the same people recorded again by other agencies with the errors real
// records have (typos, nicknames, transliterations, missing fields, swapped
// day and month, moves). Every record carries its ground truth.
//
// Everything is synthetic: names come from built-in lists, NHS numbers from
// the 999 test range (with valid check digits), phone numbers from Ofcom's
// drama ranges and postcodes are made up (syntactically valid only).
//
// Generation is deterministic for a seed and streams: memory does not grow
// with the number of records.
package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Columns are the CSV columns of a record, as `mash match` reads them.
var Columns = []string{"record_id", "source", "given_name", "middle_names", "family_name",
	"dob", "sex", "address", "postcode", "nhs_number", "phone"}

// TruthColumns are the columns of the ground-truth file.
var TruthColumns = []string{"record_id", "cluster_id", "household_id", "twin_of", "same_name_as", "duplicate"}

// Config says what to generate.
type Config struct {
	N       int     // records to generate
	Seed    uint64  // same seed, same records
	DupRate float64 // fraction of records that re-record a person already recorded (0 ≤ r < 1)
	// TwinRate is the chance that a birth is twins (default 0.0075, so about
	// 1.5% of children are twins); JuniorRate the chance that a child shares
	// a parent's given name (default 0.02).
	TwinRate, JuniorRate float64
	// TwinsHeavy makes every household a family with children, with many
	// twins and same-name parent/child pairs: a hard set for "never merge
	// twins". It sets TwinRate and JuniorRate when they are zero.
	TwinsHeavy bool
	// ClusterColumn names the ground-truth column WriteCSV adds when it
	// writes no separate truth file (default cluster_id).
	ClusterColumn string
	// Window is the number of records held for shuffling, so that a
	// person's records are not adjacent in the output (default 16384).
	Window int
}

// Record is one agency's record of a person, with its ground truth.
type Record struct {
	ID, Source, Given, Middle, Family, DOB, Sex, Address, Postcode, NHS, Phone string

	Cluster    string // the real person: records of one person share it
	Household  string
	TwinOf     string // the twin's cluster, if this person is a twin
	SameNameAs string // cluster of a parent or child with the same given and family name
	Duplicate  bool   // the person was recorded before (by record order of generation)
	Child      bool   // under 18 on the reference date
}

// Fields returns the record's CSV fields in Columns order.
func (r *Record) Fields() []string {
	return []string{r.ID, r.Source, r.Given, r.Middle, r.Family, r.DOB, r.Sex, r.Address, r.Postcode, r.NHS, r.Phone}
}

// TruthFields returns the record's ground truth in TruthColumns order.
func (r *Record) TruthFields() []string {
	d := "0"
	if r.Duplicate {
		d = "1"
	}
	return []string{r.ID, r.Cluster, r.Household, r.TwinOf, r.SameNameAs, d}
}

// refYear: ages are as at 1 January 2026, so output does not depend on the
// day the generator runs.
const refYear = 2026

type person struct {
	id                 uint64
	given, middle      string
	family             string
	sex                byte
	y, m, d            int
	nhs, mobile        string
	twinOf, sameNameAs uint64
	child              bool
}

type household struct {
	id                      uint64
	address, postcode, town string
	townIdx                 int
	landline                string
}

// Generator streams records. It is not safe for concurrent use.
type Generator struct {
	cfg      Config
	r        *rand.Rand
	key      uint64
	produced int // records made (into the window)
	emitted  int
	window   []Record
	pending  []Record
	nextPer  uint64
	nextHH   uint64
	nhsNext  uint64

	male, female, british, irish, southAsian, african, polish, arabic, chinese *table
	saMale, saFemale, arMale, arFemale, cnMale, cnFemale                       *table
	modernMale, modernFemale                                                   *table
	stems, kinds                                                               []string
	variantOf                                                                  map[string][]string
}

// New returns a generator for cfg, with defaults filled in.
func New(cfg Config) *Generator {
	if cfg.Window <= 0 {
		cfg.Window = 16384
	}
	if cfg.TwinsHeavy {
		if cfg.TwinRate == 0 {
			cfg.TwinRate = 0.3
		}
		if cfg.JuniorRate == 0 {
			cfg.JuniorRate = 0.25
		}
	}
	if cfg.TwinRate == 0 {
		cfg.TwinRate = 0.0075
	}
	if cfg.JuniorRate == 0 {
		cfg.JuniorRate = 0.02
	}
	cfg.DupRate = math.Max(0, math.Min(cfg.DupRate, 0.95))
	g := &Generator{
		cfg: cfg,
		r:   rand.New(rand.NewPCG(cfg.Seed, 0x6d617368_73796e74)),
		key: cfg.Seed*0x9E3779B97F4A7C15 + 0x1234567,
	}
	g.male, g.female = newTable(except(maleGiven, modernMale), 0.65), newTable(except(femaleGiven, modernFemale), 0.65)
	g.modernMale, g.modernFemale = newTable(modernMale, 0.6), newTable(modernFemale, 0.6)
	g.british, g.irish = newTable(britishFamily, 0.55), newTable(irishFamily, 0.55)
	g.southAsian, g.african = newTable(southAsianFamily, 0.55), newTable(africanCaribbeanFamily, 0.5)
	g.polish, g.arabic, g.chinese = newTable(polishFamily, 0.55), newTable(arabicFamily, 0.55), newTable(chineseFamily, 0.55)
	g.saMale, g.saFemale = newTable(southAsianMale, 0.8), newTable(southAsianFemale, 0.8)
	g.arMale, g.arFemale = newTable(arabicMale, 0.9), newTable(arabicFemale, 0.9)
	g.cnMale, g.cnFemale = newTable(chineseMale, 0.7), newTable(chineseFemale, 0.7)
	g.stems, g.kinds = strings.Fields(streetStems), strings.Fields(streetKinds)
	g.variantOf = map[string][]string{}
	for _, grp := range variants {
		for _, v := range grp {
			g.variantOf[v] = grp
		}
	}
	return g
}

// Next returns the next record, or false when N have been returned.
func (g *Generator) Next() (Record, bool) {
	for len(g.window) < g.cfg.Window && g.produced < g.cfg.N {
		if len(g.pending) == 0 {
			g.household()
		}
		for _, rec := range g.pending {
			if g.produced >= g.cfg.N {
				break
			}
			g.window = append(g.window, rec)
			g.produced++
		}
		g.pending = g.pending[:0]
	}
	if len(g.window) == 0 {
		return Record{}, false
	}
	i := g.r.IntN(len(g.window))
	rec := g.window[i]
	last := len(g.window) - 1
	g.window[i] = g.window[last]
	g.window[last] = Record{}
	g.window = g.window[:last]
	rec.ID = g.opaque('R', uint64(g.emitted), 0xD1B54A32D192ED03)
	g.emitted++
	return rec, true
}

// opaque turns a counter into a unique identifier that says nothing about
// generation order: an odd multiplier is a bijection modulo 2^40.
func (g *Generator) opaque(prefix byte, n, mul uint64) string {
	x := (n*mul + g.key) & (1<<40 - 1)
	b := make([]byte, 0, 11)
	b = append(b, prefix)
	s := strconv.FormatUint(x|1<<40, 16) // fixed width: 11 hex digits, drop the leading 1
	return string(append(b, s[1:]...))
}

func (g *Generator) cluster(id uint64) string {
	if id == 0 {
		return ""
	}
	return g.opaque('P', id, 0xA24BAED4963EE407)
}

// table is a weighted list of names: weight 1/(rank+5)^s.
type table struct {
	names []string
	cum   []float64
}

func newTable(list string, s float64) *table {
	t := &table{}
	seen := map[string]bool{}
	total := 0.0
	for _, n := range strings.Fields(list) {
		if seen[n] {
			continue
		}
		seen[n] = true
		total += 1 / math.Pow(float64(len(t.names)+5), s)
		t.names = append(t.names, n)
		t.cum = append(t.cum, total)
	}
	for i := range t.cum {
		t.cum[i] /= total
	}
	return t
}

func (t *table) pick(r *rand.Rand) string {
	i := sort.SearchFloat64s(t.cum, r.Float64())
	if i >= len(t.names) {
		i = len(t.names) - 1
	}
	return t.names[i]
}

// origin groups of a household, with their share of households.
const (
	oBritish = iota
	oIrish
	oSouthAsian
	oAfrican
	oPolish
	oArabic
	oChinese
)

var originCum = []float64{0.66, 0.72, 0.83, 0.89, 0.93, 0.97, 1}

func (g *Generator) familyName(o int) string {
	switch o {
	case oIrish:
		return g.irish.pick(g.r)
	case oSouthAsian:
		return g.southAsian.pick(g.r)
	case oAfrican:
		return g.african.pick(g.r)
	case oPolish:
		return g.polish.pick(g.r)
	case oArabic:
		return g.arabic.pick(g.r)
	case oChinese:
		return g.chinese.pick(g.r)
	}
	return g.british.pick(g.r)
}

// except returns the names of list that are not in drop.
func except(list, drop string) string {
	d := map[string]bool{}
	for _, n := range strings.Fields(drop) {
		d[n] = true
	}
	var keep []string
	for _, n := range strings.Fields(list) {
		if !d[n] {
			keep = append(keep, n)
		}
	}
	return strings.Join(keep, " ")
}

// givenName picks a given name for someone of origin o born in year y.
func (g *Generator) givenName(o int, sex byte, y int) string {
	f := g.r.Float64()
	switch {
	case o == oSouthAsian && f < 0.8:
		return pickSex(g.r, sex, g.saMale, g.saFemale)
	case o == oArabic && f < 0.8:
		return pickSex(g.r, sex, g.arMale, g.arFemale)
	case o == oChinese && f < 0.5:
		return pickSex(g.r, sex, g.cnMale, g.cnFemale)
	}
	var name string
	if modern := math.Max(0, math.Min(0.85, float64(y-1980)/25)); g.r.Float64() < modern {
		name = pickSex(g.r, sex, g.modernMale, g.modernFemale)
	} else {
		name = pickSex(g.r, sex, g.male, g.female)
	}
	// Spelling variants of one name are different people's choices too.
	if vs := g.variantOf[name]; vs != nil && g.r.Float64() < 0.3 {
		name = vs[g.r.IntN(len(vs))]
	}
	return name
}

func pickSex(r *rand.Rand, sex byte, m, f *table) string {
	if sex == 'M' {
		return m.pick(r)
	}
	return f.pick(r)
}

// daysIn is the number of days in month m of year y: day 0 of the next
// month is the last day of this one.
func daysIn(y, m int) int { return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day() }

// newPerson makes a person of the given age (in whole years on 1 January 2026).
func (g *Generator) newPerson(hh *household, o int, sex byte, family string, age int) *person {
	g.nextPer++
	p := &person{id: g.nextPer, sex: sex, family: family, child: age < 18}
	p.y = refYear - 1 - age
	p.given = g.givenName(o, sex, p.y)
	if f := g.r.Float64(); f < 0.35 {
		p.middle = g.givenName(o, sex, p.y)
		if f < 0.06 {
			p.middle += " " + g.givenName(o, sex, p.y)
		}
		if strings.Contains(p.middle, p.given) {
			p.middle = ""
		}
	}
	p.m = 1 + g.r.IntN(12)
	p.d = 1 + g.r.IntN(daysIn(p.y, p.m))
	p.nhs = g.nhsNumber()
	if age >= 11 {
		p.mobile = fmt.Sprintf("07700 900%03d", g.r.IntN(1000))
	}
	return p
}

// nhsNumber returns an unused NHS number in the 999 test range with a valid
// mod-11 check digit. The nine-digit stems are walked in a keyed pseudo-random
// order (a Feistel permutation of 2^20, cycle-walked below 10^6), so numbers
// do not repeat until the range's ~909,000 valid numbers are used up.
func (g *Generator) nhsNumber() string {
	for {
		x := g.nhsNext
		g.nhsNext = (g.nhsNext + 1) % 1_000_000
		for {
			x = feistel20(x, g.key)
			if x < 1_000_000 {
				break
			}
		}
		d := fmt.Sprintf("999%06d", x)
		sum := 0
		for i := 0; i < 9; i++ {
			sum += int(d[i]-'0') * (10 - i)
		}
		c := 11 - sum%11
		if c == 11 {
			c = 0
		}
		if c == 10 {
			continue
		}
		return d + strconv.Itoa(c)
	}
}

func feistel20(x, key uint64) uint64 {
	l, r := x>>10, x&1023
	for i := uint64(0); i < 4; i++ {
		f := ((r*0x9E3779B1 + key + i*0x7F4A7C15) >> 7) & 1023
		l, r = r, l^f
	}
	return l<<10 | r
}

const unitLetters = "ABDEFGHJLNPQRSTUWXYZ"

func (g *Generator) address(hh *household, townIdx int) {
	t := towns[townIdx]
	hh.townIdx, hh.town = townIdx, t.name
	street := g.stems[g.r.IntN(len(g.stems))] + " " + g.kinds[g.r.IntN(len(g.kinds))]
	num := 1 + g.r.IntN(180)
	if g.r.Float64() < 0.12 {
		hh.address = fmt.Sprintf("Flat %d, %d %s, %s", 1+g.r.IntN(24), num, street, t.name)
	} else {
		hh.address = fmt.Sprintf("%d %s, %s", num, street, t.name)
	}
	district := 1 + g.r.IntN(29)
	if len(t.area) == 2 && g.r.Float64() < 0.5 {
		district = 1 + g.r.IntN(9)
	}
	hh.postcode = fmt.Sprintf("%s%d %d%c%c", t.area, district, g.r.IntN(10),
		unitLetters[g.r.IntN(len(unitLetters))], unitLetters[g.r.IntN(len(unitLetters))])
	hh.landline = ""
	if t.dialling != "" && g.r.Float64() < 0.35 {
		hh.landline = fmt.Sprintf("%s%03d", t.dialling, g.r.IntN(1000))
	}
}

// household makes one household's people and all their records into pending.
func (g *Generator) household() {
	g.nextHH++
	hh := &household{id: g.nextHH}
	g.address(hh, g.r.IntN(len(towns)))
	o := sort.SearchFloat64s(originCum, g.r.Float64())
	family := g.familyName(o)
	if g.r.Float64() < 0.04 { // double-barrelled or hyphenated
		family = family + "-" + g.familyName(sort.SearchFloat64s(originCum, g.r.Float64()))
	}
	sexOf := func() byte {
		if g.r.IntN(2) == 0 {
			return 'M'
		}
		return 'F'
	}
	var people []*person
	kind := g.r.Float64()
	if g.cfg.TwinsHeavy {
		kind = 0.55 + 0.4*kind // families with children only
	}
	withKids := kind >= 0.50 && kind < 0.92
	var a1Age int
	switch {
	case withKids:
		a1Age = 22 + g.r.IntN(34)
	default:
		a1Age = 18 + g.r.IntN(73)
	}
	a1 := g.newPerson(hh, o, sexOf(), family, a1Age)
	people = append(people, a1)
	couple := (kind >= 0.28 && kind < 0.78) || kind >= 0.92
	if couple {
		sex := byte('F')
		if a1.sex == 'F' {
			sex = 'M'
		}
		if g.r.Float64() < 0.05 {
			sex = a1.sex
		}
		fam := family
		if g.r.Float64() < 0.25 {
			fam = g.familyName(o)
		}
		age := max(18, min(90, a1Age+g.r.IntN(13)-6))
		people = append(people, g.newPerson(hh, o, sex, fam, age))
	}
	if withKids {
		kids := 1 + sort.SearchFloat64s([]float64{0.4, 0.75, 0.93, 1}, g.r.Float64())
		if g.cfg.TwinsHeavy {
			kids++
		}
		youngest := max(0, a1Age-45)
		oldest := min(a1Age-18, 24)
		usedAge := map[int]bool{}
		for k := 0; k < kids && oldest >= youngest; k++ {
			age := youngest + g.r.IntN(oldest-youngest+1)
			if usedAge[age] {
				continue
			}
			usedAge[age] = true
			c := g.newPerson(hh, o, sexOf(), family, age)
			// A child named after a parent of the same sex: John Smith junior.
			for _, par := range people[:min(2, len(people))] {
				if par.sex == c.sex && par.family == c.family && par.sameNameAs == 0 && g.r.Float64() < g.cfg.JuniorRate {
					c.given, c.sameNameAs, par.sameNameAs = par.given, par.id, c.id
					if g.r.Float64() < 0.5 {
						c.middle = par.middle
					}
					break
				}
			}
			people = append(people, c)
			if g.r.Float64() < g.cfg.TwinRate {
				t := g.newPerson(hh, o, sexOf(), family, age)
				t.y, t.m, t.d = c.y, c.m, c.d
				for tries := 0; tries < 20 && sameName(g, t.given, c.given); tries++ {
					t.given = g.givenName(o, t.sex, t.y)
				}
				if !sameName(g, t.given, c.given) {
					t.twinOf, c.twinOf = c.id, t.id
					people = append(people, t)
				}
			}
		}
	}
	for _, p := range people {
		g.records(hh, p)
	}
}

// sameName says whether two given names could be one name recorded two ways.
func sameName(g *Generator, a, b string) bool {
	if a == b {
		return true
	}
	if va := g.variantOf[a]; va != nil && va[0] == firstOr(g.variantOf[b]) {
		return true
	}
	for _, n := range nicknames[a] {
		if n == b {
			return true
		}
	}
	for _, n := range nicknames[b] {
		if n == a {
			return true
		}
	}
	return false
}

func firstOr(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

var sources = []string{"police", "health", "school", "social_care", "housing", "probation", "early_help"}
var sourceCum = []float64{0.28, 0.52, 0.66, 0.82, 0.92, 0.96, 1}

// records writes a person's first record and any duplicates into pending.
func (g *Generator) records(hh *household, p *person) {
	n := 1
	for g.r.Float64() < g.cfg.DupRate {
		n++
	}
	addr, pc := hh.address, hh.postcode
	prev := ""
	for i := 0; i < n; i++ {
		src := sources[sort.SearchFloat64s(sourceCum, g.r.Float64())]
		for tries := 0; tries < 3 && (src == prev || (src == "school" && (!p.child || p.y > refYear-5)) ||
			(src == "probation" && p.y > refYear-18)); tries++ {
			src = sources[sort.SearchFloat64s(sourceCum, g.r.Float64())]
		}
		prev = src
		if i > 0 && g.r.Float64() < 0.12 { // moved since the last record
			var moved household
			ti := hh.townIdx
			if g.r.Float64() < 0.3 {
				ti = g.r.IntN(len(towns))
			}
			g.address(&moved, ti)
			addr, pc = moved.address, moved.postcode
		}
		g.pending = append(g.pending, g.record(hh, p, src, addr, pc, i > 0))
	}
}

func (g *Generator) chance(p float64) bool { return g.r.Float64() < p }

// record makes one agency's record of p. First records are cleaner than
// duplicates, but both miss fields.
func (g *Generator) record(hh *household, p *person, src, addr, pc string, dup bool) Record {
	rec := Record{
		Source: src, Given: p.given, Family: p.family,
		Cluster: g.cluster(p.id), Household: g.opaque('H', hh.id, 0x94D049BB133111EB),
		TwinOf: g.cluster(p.twinOf), SameNameAs: g.cluster(p.sameNameAs),
		Duplicate: dup, Child: p.child, Sex: string(p.sex),
	}
	lvl := 0.4 // error scale for first records
	if dup {
		lvl = 1
	}
	// Given name: spelling variant, nickname, typo.
	if vs := g.variantOf[rec.Given]; vs != nil && g.chance(0.5*lvl) {
		rec.Given = vs[g.r.IntN(len(vs))]
	}
	if ns := nicknames[p.given]; ns != nil && g.chance(0.25*lvl) {
		rec.Given = ns[g.r.IntN(len(ns))]
	}
	if g.chance(0.1 * lvl) {
		rec.Given = g.typo(rec.Given)
	}
	// Middle names: often left out, sometimes an initial.
	if p.middle != "" && g.chance(0.7-0.3*lvl) {
		rec.Middle = p.middle
		if g.chance(0.15) {
			rec.Middle = p.middle[:1]
		}
	}
	// Family name: variant, one part of a double-barrelled name, typo.
	if vs := g.variantOf[rec.Family]; vs != nil && g.chance(0.4*lvl) {
		rec.Family = vs[g.r.IntN(len(vs))]
	}
	if a, b, ok := strings.Cut(rec.Family, "-"); ok {
		switch f := g.r.Float64(); {
		case f < 0.3*lvl:
			rec.Family = a
		case f < 0.45*lvl:
			rec.Family = b
		case f < 0.55*lvl:
			rec.Family = a + " " + b
		}
	}
	if g.chance(0.1 * lvl) {
		rec.Family = g.typo(rec.Family)
	}
	if g.chance(0.02 * lvl) {
		rec.Given, rec.Family = rec.Family, rec.Given
	}
	// Date of birth.
	y, m, d := p.y, p.m, p.d
	switch f := g.r.Float64(); {
	case f < 0.06*lvl:
		// missing
	case f < 0.09*lvl:
		rec.DOB = strconv.Itoa(y) // year only
	case f < 0.10*lvl:
		rec.DOB = fmt.Sprintf("%04d-01-01", y) // estimated: 1 January of the year
	case f < 0.14*lvl && d <= 12 && d != m:
		rec.DOB = fmt.Sprintf("%04d-%02d-%02d", y, d, m) // day and month swapped
	case f < 0.20*lvl:
		rec.DOB = g.dobTypo(y, m, d)
	default:
		rec.DOB = fmt.Sprintf("%04d-%02d-%02d", y, m, d)
	}
	if g.chance(0.03 * lvl) {
		rec.Sex = ""
	}
	// Address and postcode.
	if !g.chance(0.06 * lvl) {
		rec.Address = addr
		if g.chance(0.15 * lvl) {
			rec.Address = abbreviate(rec.Address)
		}
	}
	if !g.chance(0.08 * lvl) {
		rec.Postcode = pc
		if g.chance(0.2) {
			rec.Postcode = strings.Replace(pc, " ", "", 1)
		}
	}
	if g.chance(0.7) {
		rec.NHS = p.nhs
		if g.chance(0.5) {
			rec.NHS = p.nhs[:3] + " " + p.nhs[3:6] + " " + p.nhs[6:]
		}
	}
	if g.chance(0.35) {
		switch {
		case p.mobile != "" && (hh.landline == "" || g.chance(0.7)):
			rec.Phone = p.mobile
		case hh.landline != "":
			rec.Phone = hh.landline
		}
	}
	// Case and spacing noise in names.
	switch f := g.r.Float64(); {
	case f < 0.06*lvl:
		rec.Given, rec.Family, rec.Middle = strings.ToUpper(rec.Given), strings.ToUpper(rec.Family), strings.ToUpper(rec.Middle)
	case f < 0.09*lvl:
		rec.Given, rec.Family = strings.ToLower(rec.Given), strings.ToLower(rec.Family)
	case f < 0.12*lvl:
		rec.Given, rec.Family = " "+rec.Given, rec.Family+"  "
	case f < 0.13*lvl:
		rec.Family = strings.ReplaceAll(strings.ReplaceAll(rec.Family, "-", " - "), "'", "")
	}
	return rec
}

var abbreviations = strings.NewReplacer(" Road", " Rd", " Street", " St", " Avenue", " Ave", " Lane", " Ln",
	" Close", " Cl", " Drive", " Dr", " Crescent", " Cres", " Gardens", " Gdns", " Terrace", " Terr", ",", "")

func abbreviate(s string) string { return abbreviations.Replace(s) }

// typo transposes, deletes, substitutes or doubles one letter.
func (g *Generator) typo(s string) string {
	rs := []rune(s)
	if len(rs) < 3 {
		return s
	}
	i := 1 + g.r.IntN(len(rs)-2) // keep the first letter: that is how people misspell
	switch g.r.IntN(4) {
	case 0:
		rs[i], rs[i+1] = rs[i+1], rs[i]
	case 1:
		rs = append(rs[:i], rs[i+1:]...)
	case 2:
		c := rune('a' + g.r.IntN(26))
		if rs[i] >= 'A' && rs[i] <= 'Z' {
			c -= 'a' - 'A'
		}
		rs[i] = c
	default:
		rs = append(rs[:i+1], rs[i:]...)
	}
	return string(rs)
}

// dobTypo changes one digit of the date, keeping it a valid date.
func (g *Generator) dobTypo(y, m, d int) string {
	for tries := 0; tries < 10; tries++ {
		yy, mm, dd := y, m, d
		switch g.r.IntN(3) {
		case 0:
			yy = y - y%10 + g.r.IntN(10)
		case 1:
			mm = m - m%10 + g.r.IntN(10)
		default:
			if g.r.IntN(2) == 0 {
				dd = d - d%10 + g.r.IntN(10)
			} else {
				dd = d%10 + 10*g.r.IntN(4)
			}
		}
		if (yy != y || mm != m || dd != d) && mm >= 1 && mm <= 12 && dd >= 1 && dd <= daysIn(yy, mm) && yy < refYear {
			return fmt.Sprintf("%04d-%02d-%02d", yy, mm, dd)
		}
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
}
