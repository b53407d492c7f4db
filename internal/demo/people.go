package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Every name, address, postcode and NHS number here is synthetic. Names are
// drawn from short lists of common UK names; addresses are in the fictional
// county of Northshire; postcodes use the unassigned "NS" area; NHS numbers
// are in the 999 range that the NHS reserves for testing.

var (
	girls = []string{"Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Freya", "Poppy", "Grace",
		"Evie", "Sophie", "Ella", "Ruby", "Maisie", "Aisha", "Zara", "Holly", "Millie", "Daisy", "Harper",
		"Willow", "Emily", "Layla", "Niamh", "Amelie", "Maryam", "Lena"}
	boys = []string{"Oliver", "George", "Noah", "Arthur", "Leo", "Harry", "Jack", "Charlie", "Oscar", "Alfie",
		"Freddie", "Theo", "Archie", "Jacob", "Riley", "Mason", "Tyler", "Kai", "Ethan", "Logan", "Harley",
		"Ibrahim", "Muhammad", "Reuben", "Jayden", "Callum", "Kacper", "Finley"}
	women = []string{"Gemma", "Kirsty", "Laura", "Sarah", "Leanne", "Stacey", "Emma", "Hayley", "Amy", "Jade",
		"Chloe", "Rebecca", "Natalie", "Danielle", "Charlotte", "Nadia", "Shabana", "Agnieszka", "Claire",
		"Michelle", "Lisa", "Kelly", "Samantha", "Kerry"}
	men = []string{"Daniel", "Jamie", "Craig", "Liam", "Ryan", "Lee", "Dean", "Scott", "Mark", "Carl", "Gary",
		"Wayne", "Ashley", "Kyle", "Jordan", "Shane", "Imran", "Tomasz", "Darren", "Paul", "Stuart", "Adam",
		"Nathan", "Connor"}
	olderWomen = []string{"Margaret", "Joan", "Patricia", "Barbara", "Jean", "Sheila", "Doreen", "Pauline",
		"Brenda", "Maureen", "Irene", "Valerie", "Eileen", "Sylvia", "Edna", "Hilda"}
	olderMen = []string{"Derek", "Brian", "Kenneth", "Roy", "Alan", "Peter", "Malcolm", "Keith", "Dennis",
		"Trevor", "Colin", "Raymond", "Geoffrey", "Barry", "Frank", "Norman"}
	surnames = []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
		"Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
		"Jackson", "Clarke", "Patel", "Khan", "Hussain", "Ahmed", "Begum", "Kaur", "Nowak", "Kowalski",
		"Murphy", "Kelly", "Hughes", "Edwards", "Turner", "Hill", "Cooper", "Ward", "Morris", "Moore",
		"Harrison", "Bailey", "Shaw", "Fletcher", "Barker", "Holmes", "Pearson", "Marsh", "Dixon",
		"Atkinson", "Armstrong", "Okoro", "Mensah", "Campbell"}
	streets = []string{"Mill Lane", "Church Road", "Station Road", "Victoria Street", "Park Avenue",
		"Queens Road", "Oak Close", "Elm Grove", "Moor View", "Canal Street", "Chapel Walk", "Brook Terrace",
		"Foundry Court", "Weavers Row", "Beacon Rise", "Larch Drive", "Market Street", "Riverside Way",
		"Highfield Crescent", "Coronation Street", "Ash Tree Lane", "Kingfisher Close"}
	// towns of Northshire and their postcode districts.
	towns = []struct {
		name      string
		districts []string
	}{
		{"Northtown", []string{"NS1", "NS2", "NS3"}},
		{"Harrowmere", []string{"NS4", "NS5"}},
		{"Ravensby", []string{"NS6"}},
		{"Eastbridge", []string{"NS7", "NS8"}},
		{"Millford", []string{"NS9"}},
		{"Ashcombe Vale", []string{"NS10", "NS11"}},
	}
	primarySchools   = []string{"St Anne's CE Primary School", "Ravensby Primary School", "Millford Junior School", "Harrowmere Infant and Nursery School", "Eastbridge Primary Academy"}
	secondarySchools = []string{"Harrowmere High School", "Eastbridge Community College", "Ashcombe Vale School"}
	gpSurgeries      = []string{"Riverside Surgery", "Mill Lane Medical Centre", "Harrowmere Health Centre", "Ravensby Family Practice", "Eastbridge Group Practice"}
)

// inward letters of a UK postcode (C, I, K, M, O and V are never used).
const inwardLetters = "ABDEFGHJLNPQRSTUWXYZ"

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// between returns a uniform duration in [lo, hi], in whole seconds.
func between(r *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r.Int64N(int64((hi-lo)/time.Second)+1))*time.Second
}

// nhsNumber returns a synthetic NHS number in the 999 test range with a valid
// modulus 11 check digit.
func nhsNumber(r *rand.Rand) string {
	for {
		d := [10]int{9, 9, 9}
		for i := 3; i < 9; i++ {
			d[i] = r.IntN(10)
		}
		sum := 0
		for i := 0; i < 9; i++ {
			sum += d[i] * (10 - i)
		}
		check := 11 - sum%11
		if check == 11 {
			check = 0
		}
		if check == 10 {
			continue // no valid check digit: draw again
		}
		d[9] = check
		var b strings.Builder
		for _, x := range d {
			b.WriteByte(byte('0' + x))
		}
		return b.String()
	}
}

type home struct {
	street, town, address, postcode string
}

func newHome(r *rand.Rand) home {
	t := pick(r, towns)
	street := pick(r, streets)
	pc := fmt.Sprintf("%s %d%c%c", pick(r, t.districts), r.IntN(10),
		inwardLetters[r.IntN(len(inwardLetters))], inwardLetters[r.IntN(len(inwardLetters))])
	return home{street: street, town: t.name, address: fmt.Sprintf("%d %s, %s", 1+r.IntN(140), street, t.name), postcode: pc}
}

// person is one synthetic individual. id is the hub's person record, known
// once a contact naming them has been stored.
type person struct {
	given, family, sex string
	born               time.Time
	nhs                string
	home               *home // nil: address not known to the referrer
	id                 string
}

func (p *person) dob() string {
	if p.born.IsZero() {
		return ""
	}
	return p.born.Format(time.DateOnly)
}

func (p *person) name() string { return p.given + " " + p.family }

// age in whole years at t.
func (p *person) age(t time.Time) int {
	y := t.Year() - p.born.Year()
	if t.YearDay() < p.born.YearDay() {
		y--
	}
	return y
}

// born returns a birth date for someone aged between lo and hi (inclusive)
// on ref.
func bornAged(r *rand.Rand, ref time.Time, lo, hi int) time.Time {
	years := lo + r.IntN(hi-lo+1)
	d := ref.AddDate(-years, 0, -r.IntN(365))
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

func givenFor(r *rand.Rand, sex string, born, ref time.Time) string {
	age := ref.Year() - born.Year()
	switch {
	case age < 18 && sex == "F":
		return pick(r, girls)
	case age < 18:
		return pick(r, boys)
	case age >= 62 && sex == "F":
		return pick(r, olderWomen)
	case age >= 62:
		return pick(r, olderMen)
	case sex == "F":
		return pick(r, women)
	}
	return pick(r, men)
}

func newPerson(r *rand.Rand, family, sex string, born, ref time.Time, h *home, nhsChance float64) *person {
	p := &person{family: family, sex: sex, born: born, home: h}
	p.given = givenFor(r, sex, born, ref)
	if chance(r, nhsChance) {
		p.nhs = nhsNumber(r)
	}
	return p
}

// family is a household known to the hub: the people who recur across
// contacts about it.
type family struct {
	surname string
	home    *home
	kids    []*person
	carer   *person // main parent or carer
	carer2  *person // other parent, if in the picture
	partner *person // carer's partner: sometimes the alleged perpetrator
	adult   *person // adult cohort: the adult at risk
	kin     *person // adult cohort: a relative (carer, or alleged perpetrator)
}

func sexOf(r *rand.Rand) string {
	if chance(r, 0.5) {
		return "F"
	}
	return "M"
}

// newChildFamily makes a household with a child aged lo..hi on ref.
func newChildFamily(r *rand.Rand, ref time.Time, lo, hi int) *family {
	f := &family{surname: pick(r, surnames)}
	h := newHome(r)
	f.home = &h
	f.kids = append(f.kids, newPerson(r, f.surname, sexOf(r), bornAged(r, ref, lo, hi), ref, f.home, 0.95))
	for n := r.IntN(4); n > 0; n-- {
		if n == 3 {
			continue // most families have one or two siblings
		}
		f.kids = append(f.kids, newPerson(r, f.surname, sexOf(r), bornAged(r, ref, 0, 16), ref, f.home, 0.95))
	}
	eldest := f.kids[0].born
	for _, k := range f.kids {
		if k.born.Before(eldest) {
			eldest = k.born
		}
	}
	carerSex := "F"
	if chance(r, 0.12) {
		carerSex = "M"
	}
	f.carer = newPerson(r, f.surname, carerSex, eldest.AddDate(-(19+r.IntN(18)), -r.IntN(12), 0), ref, f.home, 0.8)
	if chance(r, 0.35) {
		other := map[string]string{"F": "M", "M": "F"}[carerSex]
		f.carer2 = newPerson(r, f.surname, other, f.carer.born.AddDate(r.IntN(7)-3, -r.IntN(12), 0), ref, f.home, 0.75)
	}
	return f
}

// partnerOf returns (making if needed) the carer's partner.
func (f *family) partnerOf(r *rand.Rand, ref time.Time) *person {
	if f.partner == nil {
		base := f.carer.born
		if base.IsZero() {
			base = ref.AddDate(-32, 0, 0)
		}
		sex := "M"
		if f.carer.sex == "M" {
			sex = "F"
		}
		p := newPerson(r, pick(r, surnames), sex, base.AddDate(r.IntN(9)-5, -r.IntN(12), 0), ref, f.home, 0.5)
		if chance(r, 0.15) {
			p.born = time.Time{} // the referrer did not know the date of birth
		}
		f.partner = p
	}
	return f.partner
}

// newAdultFamily makes a household around an adult at risk aged lo..hi.
func newAdultFamily(r *rand.Rand, ref time.Time, lo, hi int) *family {
	f := &family{surname: pick(r, surnames)}
	h := newHome(r)
	f.home = &h
	f.adult = newPerson(r, f.surname, sexOf(r), bornAged(r, ref, lo, hi), ref, f.home, 0.95)
	return f
}

// kinOf returns (making if needed) a relative of the adult at risk: a son,
// daughter or grandchild, at least 18.
func (f *family) kinOf(r *rand.Rand, ref time.Time) *person {
	if f.kin == nil {
		born := f.adult.born.AddDate(22+r.IntN(20), -r.IntN(12), 0)
		if lim := ref.AddDate(-19, 0, 0); born.After(lim) {
			born = lim
		}
		var h *home
		if chance(r, 0.5) {
			h = f.home
		} else {
			nh := newHome(r)
			h = &nh
		}
		f.kin = newPerson(r, f.surname, sexOf(r), born, ref, h, 0.7)
	}
	return f.kin
}

// stranger is someone outside the family (an exploiter, a coach, an older
// pupil), with an age range on ref.
func stranger(r *rand.Rand, ref time.Time, lo, hi int) *person {
	sex := "M"
	if chance(r, 0.15) {
		sex = "F"
	}
	var h *home
	if chance(r, 0.5) {
		nh := newHome(r)
		h = &nh
	}
	p := newPerson(r, pick(r, surnames), sex, bornAged(r, ref, lo, hi), ref, h, 0.35)
	if chance(r, 0.3) {
		p.born = time.Time{}
	}
	return p
}

func phone(r *rand.Rand) string {
	// Ofcom reserves 01632 960xxx and 07700 900xxx for drama: never real.
	if chance(r, 0.5) {
		return fmt.Sprintf("01632 960%03d", r.IntN(1000))
	}
	return fmt.Sprintf("07700 900%03d", r.IntN(1000))
}

func emailFor(given, family, domain string) string {
	clean := func(s string) string {
		return strings.ToLower(strings.NewReplacer("'", "", " ", "").Replace(s))
	}
	return clean(given[:1]) + "." + clean(family) + "@" + domain
}

func domainOf(org string) string {
	s := strings.ToLower(org)
	s = strings.NewReplacer("'", "", " & ", "-", " ", "-", "(", "", ")", "").Replace(s)
	return s + ".example"
}
