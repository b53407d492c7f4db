// Package match resolves identities: it normalises personal details,
// compares records field by field and scores pairs with a Fellegi–Sunter
// model whose m probabilities are estimated by EM and u probabilities by
// random sampling, as Splink does.
package match

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	mash "openmash.org/mash"
)

var foldTable = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'ā': "a", 'ă': "a", 'ą': "a",
	'æ': "ae", 'ç': "c", 'ć': "c", 'č': "c", 'ď': "d", 'đ': "d", 'ð': "d",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ē': "e", 'ė': "e", 'ę': "e", 'ě': "e",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ī': "i", 'į': "i", 'ı': "i",
	'ł': "l", 'ñ': "n", 'ń': "n", 'ň': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'ō': "o", 'ő': "o", 'œ': "oe",
	'ř': "r", 'ś': "s", 'š': "s", 'ş': "s", 'ș': "s", 'ß': "ss", 'ť': "t", 'ţ': "t", 'ț': "t", 'þ': "th",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ū': "u", 'ů': "u", 'ű': "u", 'ų': "u",
	'ý': "y", 'ÿ': "y", 'ź': "z", 'ż': "z", 'ž': "z",
}

// Fold lower-cases s, removes accents and turns every run of characters other
// than letters and digits into a single space (apostrophes vanish: O'Brien → obrien).
func Fold(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		if f, ok := foldTable[r]; ok {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteString(f)
			continue
		}
		switch {
		case r == '\'' || r == '’' || r == '`':
			continue
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		default:
			space = true
		}
	}
	return b.String()
}

var titles = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "miss": true, "mx": true, "dr": true, "prof": true,
	"rev": true, "revd": true, "sir": true, "dame": true, "master": true, "lord": true, "lady": true,
	"hon": true, "rt": true, "the": true, "col": true, "capt": true, "lt": true, "sgt": true,
	"major": true, "general": true, "colonel": true, "captain": true, "admiral": true,
	"baron": true, "baronet": true, "earl": true, "viscount": true, "first": true,
}

// NameTokens folds a name and drops titles and ordinals ("4th baronet").
func NameTokens(s string) []string {
	var out []string
	for _, t := range strings.Fields(Fold(s)) {
		if titles[t] || ordinal(t) {
			continue
		}
		out = append(out, t)
	}
	return out
}

// FamilyParts splits a family name into its parts: "Smyth-Jones" → [smyth jones].
func FamilyParts(s string) []string { return NameTokens(s) }

// translit groups spellings of the same name across transliterations.
var translit = map[string]string{}

func init() {
	for _, g := range [][]string{
		{"muhammad", "mohammed", "mohammad", "mohamed", "muhammed", "mohamad", "muhamed", "muhamad", "mohd", "mahomed"},
		{"ahmed", "ahmad", "ahmet"},
		{"yusuf", "yousef", "yusef", "youssef", "yousuf", "yousif"},
		{"hussain", "hussein", "husain", "husein", "hossain"},
		{"abdullah", "abdallah", "abdulla"},
		{"mustafa", "mustapha", "moustafa"},
		{"ibrahim", "ebrahim", "ibraheem"},
		{"aisha", "ayesha", "aysha", "aishah"},
		{"fatima", "fatimah", "fatma"},
		{"mariam", "maryam", "miriam"},
		{"oleksandr", "aleksandr", "alexandr", "olexandr"},
		{"sergei", "sergey", "serhiy"},
		{"yuri", "yury", "iurii", "yuriy"},
		{"dmitri", "dmitry", "dmytro"},
		{"andrei", "andrey", "andriy"},
	} {
		for _, n := range g {
			translit[n] = g[0]
		}
	}
}

// CanonicalGiven is the set of canonical forms of a given name: itself, its
// transliteration group and the formal names it is a nickname of (one step only,
// never chained: "bob" → {bob, robert}, not everything robert's other nicknames lead to).
func CanonicalGiven(name string) []string {
	out := []string{name}
	if t, ok := translit[name]; ok && t != name {
		out = append(out, t)
	}
	out = append(out, nicknameOf(name)...)
	return out
}

// NicknameMatch reports whether two folded given names share a canonical
// form. It runs for most compared pairs, so it walks the forms in place
// rather than building CanonicalGiven's slices.
func NicknameMatch(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	ta, tb := translit[a], translit[b]
	na, nb := nicknameOf(a), nicknameOf(b)
	inB := func(x string) bool {
		if x == "" {
			return false
		}
		if x == b || x == tb {
			return true
		}
		for _, y := range nb {
			if x == y {
				return true
			}
		}
		return false
	}
	if inB(a) || inB(ta) {
		return true
	}
	for _, x := range na {
		if inB(x) {
			return true
		}
	}
	return false
}

// Postcode is a UK postcode split into its parts; Unit holds the whole
// normalised code (or the cleaned input if it is not a UK postcode).
type Postcode struct {
	Unit, Sector, District, Area string
}

// ParsePostcode normalises a postcode: "sw1a1aa" → SW1A 1AA, sector SW1A 1,
// district SW1A, area SW. Non-UK codes keep only Unit.
func ParsePostcode(s string) Postcode {
	c := strings.ToUpper(strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, s))
	if c == "" {
		return Postcode{}
	}
	n := len(c)
	if n >= 5 && n <= 7 && isUKInward(c[n-3:]) && isUKOutward(c[:n-3]) {
		out := c[:n-3]
		area := strings.TrimRightFunc(out, func(r rune) bool { return !(r >= 'A' && r <= 'Z') })
		i := strings.IndexFunc(out, func(r rune) bool { return r >= '0' && r <= '9' })
		if i > 0 {
			area = out[:i]
		}
		return Postcode{Unit: out + " " + c[n-3:], Sector: out + " " + c[n-3:n-2], District: out, Area: area}
	}
	return Postcode{Unit: c}
}

func isUKInward(s string) bool {
	return len(s) == 3 && s[0] >= '0' && s[0] <= '9' && isAlpha(s[1]) && isAlpha(s[2])
}

func isUKOutward(s string) bool {
	if len(s) < 2 || len(s) > 4 || !isAlpha(s[0]) {
		return false
	}
	digit := false
	for i := 1; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			digit = true
		} else if !isAlpha(s[i]) {
			return false
		}
	}
	return digit
}

func isAlpha(b byte) bool { return b >= 'A' && b <= 'Z' }

// NormaliseID returns a valid NHS number in canonical form, or otherwise the
// digits and letters of the identifier (other schemes, e.g. FEBRL's soc_sec_id),
// with valid reporting whether the NHS check digit held.
func NormaliseID(s string) (id string, validNHS bool) {
	if n, err := mash.NormaliseNHSNumber(strings.TrimSpace(s)); err == nil {
		return n, true
	}
	return strings.ReplaceAll(Fold(s), " ", ""), false
}

// Date is a possibly partial date of birth; zero fields are unknown.
type Date struct{ Y, M, D int }

// Known reports whether any part of the date is known.
func (d Date) Known() bool { return d.Y != 0 }

// Full reports whether day, month and year are all known.
func (d Date) Full() bool { return d.Y != 0 && d.M != 0 && d.D != 0 }

// placeholder reports whether d is 1 January, which often stands for "born
// that year, date not known" (as Splink's and the ONS's data sets show).
func (d Date) placeholder() bool { return d.M == 1 && d.D == 1 }

func (d Date) String() string {
	switch {
	case d.Full():
		return strconv.Itoa(d.Y) + "-" + pad2(d.M) + "-" + pad2(d.D)
	case d.M != 0:
		return strconv.Itoa(d.Y) + "-" + pad2(d.M)
	case d.Y != 0:
		return strconv.Itoa(d.Y)
	}
	return ""
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// ParseDate reads YYYY-MM-DD, YYYYMMDD, DD/MM/YYYY (UK order), YYYY-MM, MM/YYYY
// and YYYY. An estimated date ("c. 2015", "est 03/2015", "12/05/2015?")
// keeps only its year: a guessed age says nothing about the day or month.
// Impossible dates give the zero Date.
func ParseDate(s string) Date {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}
	}
	if t, ok := trimEstimate(s); ok {
		return Date{Y: ParseDate(t).Y}
	}
	if len(s) == 8 && allDigits(s) {
		return mkDate(atoi(s[:4]), atoi(s[4:6]), atoi(s[6:]))
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '/' || r == '.' || r == ' ' })
	for _, p := range parts {
		if !allDigits(p) {
			return Date{}
		}
	}
	switch len(parts) {
	case 1:
		if len(parts[0]) == 4 {
			return mkDate(atoi(parts[0]), 0, 0)
		}
	case 2:
		if len(parts[0]) == 4 {
			return mkDate(atoi(parts[0]), atoi(parts[1]), 0)
		}
		if len(parts[1]) == 4 {
			return mkDate(atoi(parts[1]), atoi(parts[0]), 0)
		}
	case 3:
		if len(parts[0]) == 4 {
			return mkDate(atoi(parts[0]), atoi(parts[1]), atoi(parts[2]))
		}
		if len(parts[2]) == 4 {
			return mkDate(atoi(parts[2]), atoi(parts[1]), atoi(parts[0]))
		}
	}
	return Date{}
}

// estimateMarks are how intake forms and agency systems mark a date of
// birth as a guess, before or after the date.
var estimateMarks = []string{"approximately", "estimated", "approx.", "approx", "circa", "about", "est.", "est", "ca.", "c.", "~", "?", "(est)", "(estimated)"}

// trimEstimate removes an estimate mark from s, reporting whether it had one.
func trimEstimate(s string) (string, bool) {
	l := strings.ToLower(s)
	for _, m := range estimateMarks {
		// A prefix mark must end the word: "c." but not "ca" of "cat".
		if rest, ok := strings.CutPrefix(l, m); ok && rest != "" && (rest[0] < 'a' || rest[0] > 'z') {
			return strings.TrimSpace(rest), true
		}
		if rest, ok := strings.CutSuffix(l, m); ok && rest != "" {
			return strings.TrimSpace(rest), true
		}
	}
	return s, false
}

func mkDate(y, m, d int) Date {
	if y < 1000 || y > 2999 || m < 0 || m > 12 || d < 0 || d > 31 || (m == 0 && d != 0) {
		return Date{}
	}
	if d > 0 && d > daysIn(y, m) {
		return Date{}
	}
	return Date{y, m, d}
}

// daysIn is the number of days in month m of year y: day 0 of the next
// month is the last day of this one.
func daysIn(y, m int) int { return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day() }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// Transposed reports whether a and b are full dates with day and month swapped.
func Transposed(a, b Date) bool {
	return a.Full() && b.Full() && a != b && a.Y == b.Y && a.D == b.M && a.M == b.D
}

// OneDigitTypo reports whether the full dates differ in exactly one digit of YYYYMMDD.
func OneDigitTypo(a, b Date) bool { return digitsDiffer(a, b) == 1 }

// digitsDiffer counts the digits of YYYYMMDD in which two full dates differ
// (-1 unless both are full).
func digitsDiffer(a, b Date) int {
	if !a.Full() || !b.Full() {
		return -1
	}
	x, y := a.Y*10000+a.M*100+a.D, b.Y*10000+b.M*100+b.D
	diff := 0
	for i := 0; i < 8; i++ {
		if x%10 != y%10 {
			diff++
		}
		x, y = x/10, y/10
	}
	return diff
}

// daysApart is an approximate distance in days between two dates (partial
// parts count as the middle of the period).
func daysApart(a, b Date) int {
	d := dayNum(a) - dayNum(b)
	if d < 0 {
		d = -d
	}
	return d
}

func dayNum(d Date) int {
	m, day := d.M, d.D
	if m == 0 {
		m, day = 7, 1
	} else if day == 0 {
		day = 15
	}
	return d.Y*365 + d.Y/4 + (m-1)*304/10 + day
}

// streetWords expands the abbreviations agencies use in addresses, so that
// "12 Mill Rd" and "12 Mill Road" are the same address.
var streetWords = map[string]string{
	"rd": "road", "st": "street", "ave": "avenue", "av": "avenue", "ln": "lane", "cl": "close",
	"dr": "drive", "cres": "crescent", "gdns": "gardens", "terr": "terrace", "ter": "terrace",
	"sq": "square", "pl": "place", "ct": "court", "gr": "grove", "pk": "park", "hse": "house",
}

// AddressTokens folds an address into words with street abbreviations expanded.
func AddressTokens(s string) []string {
	t := strings.Fields(Fold(s))
	for i, w := range t {
		if x, ok := streetWords[w]; ok {
			t[i] = x
		}
	}
	return t
}

// ordinal reports whether t is like "1st", "2nd", "14th".
func ordinal(t string) bool {
	n := len(t)
	return n >= 3 && allDigits(t[:n-2]) && (t[n-2:] == "st" || t[n-2:] == "nd" || t[n-2:] == "rd" || t[n-2:] == "th")
}
