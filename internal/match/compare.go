package match

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Record is one agency's record of a person, as read from CSV.
type Record struct {
	ID, Source                  string
	Given, Middle, Family       string
	DOB, Sex, Address, Postcode string
	NHS, Phone                  string
	Truth                       string // ground-truth cluster, for evaluation only
}

// prepared is a normalised record ready for comparison.
type prepared struct {
	id          string
	given       string
	givenSx     string
	family      string
	familyParts []string
	familySx    string
	givenDM     [2]string // Double Metaphone primary and alternate
	familyDM    [2]string
	addrNumber  bool // the address holds a house or flat number: it names a dwelling, not a town
	dob         Date
	sex         string
	pc          Postcode
	addr        string
	addrTokens  []string
	ident       string
	validNHS    bool
	dobDigits   string // YYYYMMDD of an impossible date (e.g. month 13), for typo comparison
	phone       string
}

func prepare(r Record) prepared {
	p := prepared{id: r.ID}
	if g := NameTokens(r.Given); len(g) > 0 {
		p.given = g[0]
	}
	p.familyParts = FamilyParts(r.Family)
	p.family = strings.Join(p.familyParts, "")
	p.givenSx, p.familySx = Soundex(p.given), Soundex(p.family)
	p.givenDM[0], p.givenDM[1] = DoubleMetaphone(p.given)
	p.familyDM[0], p.familyDM[1] = DoubleMetaphone(p.family)

	p.dob = ParseDate(r.DOB)
	if !p.dob.Known() {
		if d := strings.NewReplacer("-", "", "/", "", " ", "").Replace(r.DOB); len(d) == 8 && allDigits(d) {
			p.dobDigits = d
		}
	}
	if s := Fold(r.Sex); s != "" {
		p.sex = s[:1]
	}
	p.pc = ParsePostcode(r.Postcode)
	p.addrTokens = AddressTokens(r.Address)
	p.addr = strings.Join(p.addrTokens, " ")
	p.addrNumber = strings.ContainsAny(p.addr, "0123456789")
	sort.Strings(p.addrTokens)
	p.ident, p.validNHS = NormaliseID(r.NHS)
	digits := strings.Map(func(c rune) rune {
		if c >= '0' && c <= '9' {
			return c
		}
		return -1
	}, r.Phone)
	if len(digits) > 10 {
		digits = digits[len(digits)-10:]
	}
	p.phone = digits
	return p
}

// Level is one outcome of comparing a field.
type Level struct {
	Label   string `json:"label"`
	Wording string `json:"wording"`
}

// comparison compares one field of two records, returning a level index or
// -1 when either value is missing (neutral: weight 0).
type comparison struct {
	Field   string
	Levels  []Level
	TF      string // "given" or "family": exact level gets term-frequency adjustment
	compare func(a, b *prepared) int
}

func swapped(a, b *prepared) bool {
	return a.given != "" && a.family != "" && a.given != a.family && a.given == b.family && a.family == b.given
}

var comparisons = []comparison{
	{
		Field: "given_name", TF: "given",
		Levels: []Level{
			{"exact", "given name: the same"},
			{"swapped", "given name: recorded as the family name (names swapped over)"},
			{"nickname", "given name: a nickname or other spelling of the same name"},
			{"jw_0.92", "given name: nearly the same spelling"},
			{"jw_0.88", "given name: similar spelling"},
			{"phonetic", "given name: sounds the same"},
			{"jw_0.7", "given name: somewhat similar"},
			{"initial", "given name: only an initial, which agrees"},
			{"different", "given name: different"},
		},
		compare: func(a, b *prepared) int {
			if a.given == "" || b.given == "" || loneFamily(a, b) || loneFamily(b, a) {
				return -1
			}
			return nameLevel(a.given, b.given, a.givenDM, b.givenDM, swapped(a, b), true)
		},
	},
	{
		Field: "family_name", TF: "family",
		Levels: []Level{
			{"exact", "family name: the same"},
			{"swapped", "family name: recorded as the given name (names swapped over)"},
			{"part", "family name: shares part of a double-barrelled name"},
			{"jw_0.92", "family name: nearly the same spelling"},
			{"jw_0.88", "family name: similar spelling"},
			{"phonetic", "family name: sounds the same"},
			{"jw_0.7", "family name: somewhat similar"},
			{"different", "family name: different"},
		},
		compare: func(a, b *prepared) int {
			af, bf, ap, bp, ac, bc := a.family, b.family, a.familyParts, b.familyParts, a.familyDM, b.familyDM
			if loneFamily(a, b) {
				af, ap, ac = a.given, []string{a.given}, a.givenDM
			}
			if loneFamily(b, a) {
				bf, bp, bc = b.given, []string{b.given}, b.givenDM
			}
			if af == "" || bf == "" {
				return -1
			}
			if af == bf {
				return 0
			}
			if swapped(a, b) {
				return 1
			}
			if len(ap) > 1 || len(bp) > 1 {
				for _, x := range ap {
					for _, y := range bp {
						if x == y {
							return 2
						}
					}
				}
			}
			l := nameLevel(af, bf, ac, bc, false, false)
			switch l {
			case 3, 4, 5, 6:
				return l
			}
			return 7
		},
	},
	{
		Field: "dob",
		Levels: []Level{
			{"exact", "date of birth: the same"},
			{"transposed", "date of birth: day and month swapped"},
			{"one_digit", "date of birth: one digit different"},
			{"two_digits", "date of birth: two digits different"},
			{"partial", "date of birth: agrees as far as it is known"},
			{"within_1y", "date of birth: within a year"},
			{"within_10y", "date of birth: within ten years"},
			{"different", "date of birth: different"},
		},
		compare: func(a, b *prepared) int {
			x, y := a.dob, b.dob
			if !x.Known() || !y.Known() {
				if n := rawDigitsDiffer(a, b); n == 1 {
					return 2
				} else if n == 2 {
					return 3
				}
				return -1
			}
			switch {
			case x == y && x.Full():
				return 0
			case Transposed(x, y):
				return 1
			case OneDigitTypo(x, y):
				return 2
			case digitsDiffer(x, y) == 2:
				return 3
			case (!x.Full() || !y.Full()) && x.Y == y.Y && (x.M == 0 || y.M == 0 || x.M == y.M):
				return 4
			case x.Y == y.Y && (x.placeholder() || y.placeholder()):
				// 1 January stands in for "born that year" in many systems.
				return 4
			}
			d := daysApart(x, y)
			switch {
			case d <= 366:
				return 5
			case d <= 3653:
				return 6
			}
			return 7
		},
	},
	{
		// Postcode and address are compared together: they describe one
		// place, and counting both would count the same evidence twice.
		Field: "address",
		Levels: []Level{
			{"both", "address and postcode: the same"},
			{"postcode", "postcode: the same"},
			{"address", "address: the same (postcode different or not known)"},
			{"address_close", "address: nearly the same"},
			{"sector", "postcode: same sector (neighbouring streets)"},
			{"district", "postcode: same district"},
			{"postcode_typo", "postcode: one character different"},
			{"address_some", "address: partly the same"},
			{"different", "address and postcode: different"},
		},
		compare: func(a, b *prepared) int {
			x, y := a.pc, b.pc
			pcKnown := x.Unit != "" && y.Unit != ""
			adKnown := a.addr != "" && b.addr != ""
			if !pcKnown && !adKnown {
				return -1
			}
			pcSame := pcKnown && x.Unit == y.Unit
			var j float64
			adSame := adKnown && a.addr == b.addr
			if adKnown && !adSame {
				j = fuzzyJaccard(a.addrTokens, b.addrTokens)
			}
			switch {
			case pcSame && (adSame || j >= 0.6):
				return 0
			case pcSame:
				return 1
			case adSame:
				return 2
			case j >= 0.6:
				return 3
			case pcKnown && x.Sector != "" && x.Sector == y.Sector:
				return 4
			case pcKnown && x.District != "" && x.District == y.District:
				return 5
			case pcKnown && editDistanceAtMost1(x.Unit, y.Unit):
				return 6
			case j >= 0.25:
				return 7
			}
			return 8
		},
	},
	{
		Field: "nhs_number",
		Levels: []Level{
			{"exact", "identifier (NHS number): the same"},
			{"typo", "identifier (NHS number): one digit different or two swapped"},
			{"different", "identifier (NHS number): different"},
		},
		compare: func(a, b *prepared) int {
			switch {
			case a.ident == "" || b.ident == "":
				return -1
			case a.ident == b.ident:
				return 0
			case editDistanceAtMost1(a.ident, b.ident):
				return 1
			}
			return 2
		},
	},
	{
		Field:  "sex",
		Levels: []Level{{"exact", "sex: the same"}, {"different", "sex: different"}},
		compare: func(a, b *prepared) int {
			switch {
			case a.sex == "" || b.sex == "" || a.sex == "u" || b.sex == "u":
				return -1
			case a.sex == b.sex:
				return 0
			}
			return 1
		},
	},
	{
		Field:  "phone",
		Levels: []Level{{"exact", "phone: the same"}, {"different", "phone: different"}},
		compare: func(a, b *prepared) int {
			switch {
			case len(a.phone) < 6 || len(b.phone) < 6:
				return -1
			case a.phone == b.phone:
				return 0
			}
			return 1
		},
	},
}

// loneFamily reports whether a holds a single name, recorded as its given
// name, that is b's family name (or close to it): "Pollard" alone is more
// likely Mr Pollard than someone called Pollard by his first name.
func loneFamily(a, b *prepared) bool {
	return a.family == "" && a.given != "" && b.family != "" && a.given != b.given &&
		(a.given == b.family || JaroWinkler(a.given, b.family) >= 0.88)
}

// nameLevel grades two folded names on the given-name scale; sa and sb are
// their Double Metaphone codes.
func nameLevel(a, b string, sa, sb [2]string, swap, given bool) int {
	if a == b {
		return 0
	}
	if swap {
		return 1
	}
	if given && NicknameMatch(a, b) {
		return 2
	}
	jw := JaroWinkler(a, b)
	switch {
	case jw >= 0.92:
		return 3
	case jw >= 0.88:
		return 4
	case soundAlike(sa, sb):
		return 5
	case jw >= 0.7:
		return 6
	case given && (len(a) == 1 || len(b) == 1) && a[0] == b[0]:
		return 7
	}
	return 8
}

// fuzzyJaccard is the Jaccard similarity of two token sets where tokens
// agree if equal or with Jaro–Winkler ≥ 0.9 (so "pridhamstreet" ~ "pridham").
func fuzzyJaccard(a, b []string) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	used := make([]bool, len(b))
	common := 0
	for _, x := range a {
		for j, y := range b {
			if !used[j] && (x == y || JaroWinkler(x, y) >= 0.9) {
				used[j] = true
				common++
				break
			}
		}
	}
	return float64(common) / float64(len(a)+len(b)-common)
}

// twinsOrRelatives is the hard rule no score overrides. Two records are
// never the same person when they hold two valid NHS numbers that are not one
// keying error apart; when they look like twins or siblings — one household
// (see sameHousehold), similar family names (typos, transliterations, a
// shared part of a double-barrelled name, names swapped over), dates of birth
// that agree as far as both are known (allowing a day/month swap or one wrong
// digit; an unknown date cannot tell them apart) — with given names that are
// not one name written two ways (see differentGiven); when they look like
// siblings born apart — one household, similar family names, births more than
// a year apart and plainly different given names (see unrelatedGiven); or when
// they look like a parent and child — the same name and household with birth
// years twelve or more apart, unless only a year digit or two was mistyped.
// A shared
// identifier (within one keying error) overrides the twin and parent–child
// rules: no two people share one.
func twinsOrRelatives(a, b *prepared) bool {
	if a.validNHS && b.validNHS && !editDistanceAtMost1(a.ident, b.ident) {
		return true
	}
	if a.ident != "" && b.ident != "" && editDistanceAtMost1(a.ident, b.ident) {
		return false
	}
	if !sameHousehold(a, b) {
		return twinsApart(a, b)
	}
	x, y := a.dob, b.dob
	if x.Y != 0 && y.Y != 0 && a.given == b.given && a.family == b.family {
		if d := x.Y - y.Y; (d >= 12 || d <= -12) && !yearTypo(x, y) {
			return true
		}
	}
	ag, af, bg, bf := a.given, a.family, b.given, b.family
	// One record with its names swapped over: compare like with like.
	switch {
	case bg != "" && af != "" && bf != ag && (bg == af || JaroWinkler(bg, af) >= 0.9):
		bg, bf = bf, bg
	case ag != "" && bf != "" && af != bg && (ag == bf || JaroWinkler(ag, bf) >= 0.9):
		ag, af = af, ag
	}
	if af == "" || bf == "" || !(similarFamily(af, bf) || NicknameMatch(af, bf) ||
		// Parts of a double-barrelled name, one perhaps mistyped: Jones-Robinson, Jnes.
		(af == a.family && bf == b.family && similarPart(a.familyParts, b.familyParts))) {
		return false
	}
	if x.placeholder() || y.placeholder() {
		x, y = Date{Y: x.Y}, Date{Y: y.Y}
	}
	if x.Known() && y.Known() && !Transposed(x, y) && !OneDigitTypo(x, y) &&
		(x.Y != y.Y || (x.M != 0 && y.M != 0 && x.M != y.M) || (x.D != 0 && y.D != 0 && x.D != y.D)) {
		// Not twins. Siblings, when the births are far apart and the
		// names plainly two (Callum, 2019; Isaac, 2017).
		return daysApart(x, y) > 366 && unrelatedGiven(ag, bg, a, b)
	}
	if !x.Known() || !y.Known() {
		// Nothing to tell a sibling from a twin: only clearly unrelated names.
		return unrelatedGiven(ag, bg, a, b)
	}
	return differentGiven(ag, bg, a, b)
}

// unrelatedGiven is differentGiven made stricter where sex does not already
// tell the two apart: the names must share no formal name, prefix, sound or
// more than a passing likeness of spelling.
func unrelatedGiven(g, h string, a, b *prepared) bool {
	if !differentGiven(g, h, a, b) {
		return false
	}
	if sexDiffers(a, b) {
		return true
	}
	if NicknameMatch(g, h) || namePrefix(g, h) {
		return false
	}
	jw := JaroWinkler(g, h)
	return jw < 0.7 || jw < 0.8 && !samePrimarySound(nameCodes(a, g), nameCodes(b, h))
}

func sexKnown(a, b *prepared) bool {
	return a.sex != "" && b.sex != "" && a.sex != "u" && b.sex != "u"
}

func sexDiffers(a, b *prepared) bool { return sexKnown(a, b) && a.sex != b.sex }

// twinsApart recognises twins without a shared address on record (one has
// moved, or the address was not taken): the same family name (within a typo)
// and full date of birth, both sexes recorded, and given names with nothing
// in common — no nickname, initial, prefix, likeness of spelling or sound.
func twinsApart(a, b *prepared) bool {
	x, y := a.dob, b.dob
	if !x.Full() || x != y || x.placeholder() || a.family == "" || !editDistanceAtMost1(a.family, b.family) {
		return false
	}
	g, h := a.given, b.given
	if len(g) < 2 || len(h) < 2 || NicknameMatch(g, h) || namePrefix(g, h) {
		return false
	}
	if !sexKnown(a, b) {
		// Without both sexes only names with nothing at all in common:
		// Bethany and Oscar.
		return g[0] != h[0] && JaroWinkler(g, h) < 0.7
	}
	jw := JaroWinkler(g, h)
	return jw < 0.7 || jw < 0.8 && !soundAlike(a.givenDM, b.givenDM)
}

// sameHousehold reports whether two records place their people in one
// dwelling: the same postcode or phone number, or the same address naming a
// house or flat number. A shared town or birthplace ("London") is no household.
func sameHousehold(a, b *prepared) bool {
	if a.pc.Unit != "" && a.pc.Unit == b.pc.Unit || len(a.phone) >= 6 && a.phone == b.phone {
		return true
	}
	return a.addrNumber && a.addr == b.addr
}

// yearTypo reports whether two dates agree on day and month and differ in at
// most two digits of the year: a keying error, not a generation apart.
func yearTypo(x, y Date) bool {
	if x.M != y.M || x.D != y.D {
		return false
	}
	n := 0
	for i, j := x.Y, y.Y; i > 0 || j > 0; i, j = i/10, j/10 {
		if i%10 != j%10 {
			n++
		}
	}
	return n <= 2
}

// differentGiven reports whether two given names (from records a and b)
// name different people rather than one name written two ways: not the
// same, a nickname of the other or a transliteration (directly: John and
// Nathan, both listed under Jonathan, may be twins), initial or prefix
// ("art", "arthur"), typo, very close spelling, or close spelling with the
// same sound — and always when the records' sexes differ, since boy–girl
// twins often have names that look alike (Oliver, Olivia; Theo, Thea).
func differentGiven(x, y string, a, b *prepared) bool {
	if x == "" || y == "" || x == y || slices.Contains(CanonicalGiven(x), y) || slices.Contains(CanonicalGiven(y), x) ||
		translit[x] != "" && translit[x] == translit[y] {
		return false
	}
	if len(x) == 1 || len(y) == 1 {
		return x[0] != y[0]
	}
	if sexDiffers(a, b) {
		return true
	}
	if x[0] != y[0] && !samePrimarySound(nameCodes(a, x), nameCodes(b, y)) {
		// A first letter is seldom mistyped, and then the name still sounds
		// the same (Katie, Catie): Samina and Amina are two people.
		return true
	}
	if editDistanceAtMost1(x, y) || namePrefix(x, y) {
		return false
	}
	jw := JaroWinkler(x, y)
	sound := soundAlike(nameCodes(a, x), nameCodes(b, y))
	if !sexKnown(a, b) {
		// Records without sex are mostly old or sparse ones, where one
		// person's name is written many ways: names sounding alike or
		// sharing a formal name (Bob, Bert: Robert) count as one name.
		// Sound alone, with spelling far apart, is a coincidence of the
		// codes (Kayleigh, Chloe: both KL).
		return jw < 0.92 && !(sound && jw >= 0.7) && !NicknameMatch(x, y)
	}
	// Twins' names can be close (Samina, Sana): closeness alone must be very
	// close, or close and sounding the same.
	return jw < 0.92 && !(jw >= 0.8 && sound)
}

// namePrefix reports whether the shorter name (three letters or more) begins
// the longer, or both share their first four letters: "will", "william";
// "monty", "montague".
func namePrefix(x, y string) bool {
	if len(x) > len(y) {
		x, y = y, x
	}
	if len(x) < 3 {
		return false
	}
	n := 0
	for n < len(x) && x[n] == y[n] {
		n++
	}
	return n == len(x) || n >= 4
}

// nameCodes are the Double Metaphone codes of name, one of p's names.
func nameCodes(p *prepared, name string) [2]string {
	switch name {
	case p.given:
		return p.givenDM
	case p.family:
		return p.familyDM
	}
	var c [2]string
	c[0], c[1] = DoubleMetaphone(name)
	return c
}

// soundAlike reports whether two names share a Double Metaphone code,
// primary or alternate, as Splink's array-intersect phonetic level does.
func soundAlike(x, y [2]string) bool {
	for _, c := range x {
		if c != "" && (c == y[0] || c == y[1]) {
			return true
		}
	}
	return false
}

// samePrimarySound reports whether two names share their main Double
// Metaphone code. The alternate codes are for foreign spellings and are too
// generous to tell two people apart: John's alternate is Owen's code.
func samePrimarySound(x, y [2]string) bool { return x[0] != "" && x[0] == y[0] }

func similarFamily(x, y string) bool {
	return x == y || editDistanceAtMost1(x, y) || JaroWinkler(x, y) >= 0.8
}

func similarPart(x, y []string) bool {
	for _, p := range x {
		for _, q := range y {
			if similarFamily(p, q) {
				return true
			}
		}
	}
	return false
}

// rawDigitsDiffer counts differing digits when one date of birth is
// impossible (kept as its digits) and the other full; -1 otherwise.
func rawDigitsDiffer(a, b *prepared) int {
	x, y := a.dobDigits, b.dobDigits
	if x == "" && a.dob.Full() {
		x = fmt.Sprintf("%04d%02d%02d", a.dob.Y, a.dob.M, a.dob.D)
	}
	if y == "" && b.dob.Full() {
		y = fmt.Sprintf("%04d%02d%02d", b.dob.Y, b.dob.M, b.dob.D)
	}
	if len(x) != 8 || len(y) != 8 || (a.dobDigits == "" && b.dobDigits == "") {
		return -1
	}
	n := 0
	for i := 0; i < 8; i++ {
		if x[i] != y[i] {
			n++
		}
	}
	return n
}
