package match

import "strings"

// DoubleMetaphone is Lawrence Philips' Double Metaphone (2000), written here
// from his published rules: a primary code for the most likely English
// pronunciation and an alternate for the name's likely origin (Germanic,
// Slavic, Romance, Greek…), so "Smith" (SM0/XMT) meets "Schmidt" (XMT/SMT).
// Codes use 0 for "th" and X for "sh"/"ch". Unlike Philips' default the
// codes are not cut to four characters: long names stay distinguishable.
// Accents are folded first; characters other than letters a–z are ignored.
func DoubleMetaphone(s string) (primary, alternate string) {
	b := make([]byte, 0, len(s)+5)
	for _, c := range []byte(Fold(s)) {
		if c >= 'a' && c <= 'z' {
			b = append(b, c-'a'+'A')
		}
	}
	if len(b) == 0 {
		return "", ""
	}
	w := string(b)
	d := dmState{w: w + "     ", n: len(w), last: len(w) - 1}
	d.slavoGermanic = strings.ContainsAny(w, "WK") || strings.Contains(w, "CZ")
	d.run()
	return d.p.String(), d.a.String()
}

type dmState struct {
	w             string // upper-case word padded with spaces, as Philips' code pads it
	n, last       int
	slavoGermanic bool
	p, a          strings.Builder
}

func (d *dmState) at(i int) byte {
	if i < 0 || i >= len(d.w) {
		return 0
	}
	return d.w[i]
}

// is reports whether the word holds one of opts at position i.
func (d *dmState) is(i int, opts ...string) bool {
	if i < 0 {
		return false
	}
	for _, o := range opts {
		if i+len(o) <= len(d.w) && d.w[i:i+len(o)] == o {
			return true
		}
	}
	return false
}

func (d *dmState) vowel(i int) bool {
	if i < 0 || i >= d.n {
		return false
	}
	return strings.IndexByte("AEIOUY", d.w[i]) >= 0
}

func (d *dmState) add(s string) { d.p.WriteString(s); d.a.WriteString(s) }

func (d *dmState) add2(p, a string) { d.p.WriteString(p); d.a.WriteString(a) }

// skip returns 2 when the letter at i is doubled (i+1 holds c), else 1.
func (d *dmState) skip(i int, c byte) int {
	if d.at(i+1) == c {
		return 2
	}
	return 1
}

func (d *dmState) germanic() bool { return d.is(0, "VAN ", "VON ", "SCH") }

func (d *dmState) run() {
	i := 0
	if d.is(0, "GN", "KN", "PN", "WR", "PS") {
		i++
	}
	if d.at(0) == 'X' { // Xavier
		d.add("S")
		i++
	}
	for i < d.n {
		switch c := d.at(i); c {
		case 'A', 'E', 'I', 'O', 'U', 'Y':
			if i == 0 {
				d.add("A")
			}
			i++
		case 'B':
			d.add("P")
			i += d.skip(i, 'B')
		case 'C':
			i += d.c(i)
		case 'D':
			switch {
			case d.is(i, "DG") && d.is(i+2, "I", "E", "Y"): // edge
				d.add("J")
				i += 3
			case d.is(i, "DG"): // edgar
				d.add("TK")
				i += 2
			case d.is(i, "DT", "DD"):
				d.add("T")
				i += 2
			default:
				d.add("T")
				i++
			}
		case 'F', 'V':
			d.add("F")
			i += d.skip(i, c)
		case 'K', 'Q':
			d.add("K")
			i += d.skip(i, c)
		case 'N':
			d.add("N")
			i += d.skip(i, c)
		case 'G':
			i += d.g(i)
		case 'H':
			// Kept only first or between vowels.
			if (i == 0 || d.vowel(i-1)) && d.vowel(i+1) {
				d.add("H")
				i += 2
			} else {
				i++
			}
		case 'J':
			i += d.j(i)
		case 'L':
			if d.at(i+1) == 'L' {
				// Spanish: cabrillo, gallegos.
				if (i == d.n-3 && d.is(i-1, "ILLO", "ILLA", "ALLE")) ||
					((d.is(d.last-1, "AS", "OS") || d.is(d.last, "A", "O")) && d.is(i-1, "ALLE")) {
					d.add2("L", "")
					i += 2
					continue
				}
				i += 2
			} else {
				i++
			}
			d.add("L")
		case 'M':
			if (d.is(i-1, "UMB") && (i+1 == d.last || d.is(i+2, "ER"))) || d.at(i+1) == 'M' { // dumb, thumb
				i += 2
			} else {
				i++
			}
			d.add("M")
		case 'P':
			switch {
			case d.at(i+1) == 'H':
				d.add("F")
				i += 2
			case d.is(i+1, "P", "B"): // campbell, raspberry
				d.add("P")
				i += 2
			default:
				d.add("P")
				i++
			}
		case 'R':
			// French: rogier, but not hochmeier.
			if i == d.last && !d.slavoGermanic && d.is(i-2, "IE") && !d.is(i-4, "ME", "MA") {
				d.add2("", "R")
			} else {
				d.add("R")
			}
			i += d.skip(i, 'R')
		case 'S':
			i += d.s(i)
		case 'T':
			switch {
			case d.is(i, "TION"):
				d.add("X")
				i += 3
			case d.is(i, "TIA", "TCH"):
				d.add("X")
				i += 3
			case d.is(i, "TH", "TTH"):
				// Thomas, Thames, or Germanic.
				if d.is(i+2, "OM", "AM") || d.germanic() {
					d.add("T")
				} else {
					d.add2("0", "T")
				}
				i += 2
			case d.is(i+1, "T", "D"):
				d.add("T")
				i += 2
			default:
				d.add("T")
				i++
			}
		case 'W':
			i += d.wRule(i)
		case 'X':
			// French: breaux.
			if !(i == d.last && (d.is(i-3, "IAU", "EAU") || d.is(i-2, "AU", "OU"))) {
				d.add("KS")
			}
			if d.is(i+1, "C", "X") {
				i += 2
			} else {
				i++
			}
		case 'Z':
			switch {
			case d.at(i+1) == 'H': // pinyin zhao
				d.add("J")
				i += 2
				continue
			case d.is(i+1, "ZO", "ZI", "ZA") || (d.slavoGermanic && i > 0 && d.at(i-1) != 'T'):
				d.add2("S", "TS")
			default:
				d.add("S")
			}
			i += d.skip(i, 'Z')
		default:
			i++
		}
	}
}

// c encodes a C at i and returns how many letters it consumed.
func (d *dmState) c(i int) int {
	switch {
	// Germanic: bacher, macher, but not bachi.
	case i > 1 && !d.vowel(i-2) && d.is(i-1, "ACH") && d.at(i+2) != 'I' && (d.at(i+2) != 'E' || d.is(i-2, "BACHER", "MACHER")):
		d.add("K")
		return 2
	case i == 0 && d.is(i, "CAESAR"):
		d.add("S")
		return 2
	case d.is(i, "CHIA"): // chianti
		d.add("K")
		return 2
	case d.is(i, "CH"):
		switch {
		case i > 0 && d.is(i, "CHAE"): // michael
			d.add2("K", "X")
		case i == 0 && (d.is(i+1, "HARAC", "HARIS") || d.is(i+1, "HOR", "HYM", "HIA", "HEM")) && !d.is(0, "CHORE"):
			d.add("K") // Greek roots: chorus, chemistry
		case d.germanic() || d.is(i-2, "ORCHES", "ARCHIT", "ORCHID") || d.is(i+2, "T", "S") ||
			((d.is(i-1, "A", "O", "U", "E") || i == 0) && d.is(i+2, "L", "R", "N", "M", "B", "H", "F", "V", "W", " ")):
			d.add("K") // ch for kh: wachtler, wechsler
		case i > 0 && d.is(0, "MC"):
			d.add("K")
		case i > 0:
			d.add2("X", "K")
		default:
			d.add("X")
		}
		return 2
	case d.is(i, "CZ") && !d.is(i-2, "WICZ"): // czerny
		d.add2("S", "X")
		return 2
	case d.is(i+1, "CIA"): // focaccia
		d.add("X")
		return 3
	case d.is(i, "CC") && !(i == 1 && d.at(0) == 'M'): // but not mcclellan
		if d.is(i+2, "I", "E", "H") && !d.is(i+2, "HU") { // bellocchio, not bacchus
			if (i == 1 && d.at(0) == 'A') || d.is(i-1, "UCCEE", "UCCES") {
				d.add("KS") // accident, succeed
			} else {
				d.add("X") // bacci
			}
			return 3
		}
		d.add("K")
		return 2
	case d.is(i, "CK", "CG", "CQ"):
		d.add("K")
		return 2
	case d.is(i, "CI", "CE", "CY"):
		if d.is(i, "CIO", "CIE", "CIA") { // Italian
			d.add2("S", "X")
		} else {
			d.add("S")
		}
		return 2
	}
	d.add("K")
	switch {
	case d.is(i+1, " C", " Q", " G"): // mac caffrey
		return 3
	case d.is(i+1, "C", "K", "Q") && !d.is(i+1, "CE", "CI"):
		return 2
	}
	return 1
}

func (d *dmState) g(i int) int {
	if d.at(i+1) == 'H' {
		switch {
		case i > 0 && !d.vowel(i-1):
			d.add("K")
		case i == 0: // ghislane, ghiradelli
			if d.at(i+2) == 'I' {
				d.add("J")
			} else {
				d.add("K")
			}
		// Parker's rule: hugh, bough, broughton.
		case (i > 1 && d.is(i-2, "B", "H", "D")) || (i > 2 && d.is(i-3, "B", "H", "D")) || (i > 3 && d.is(i-4, "B", "H")):
		case i > 2 && d.at(i-1) == 'U' && d.is(i-3, "C", "G", "L", "R", "T"): // laugh, tough
			d.add("F")
		case i > 0 && d.at(i-1) != 'I':
			d.add("K")
		}
		return 2
	}
	if d.at(i+1) == 'N' {
		switch {
		case i == 1 && d.vowel(0) && !d.slavoGermanic:
			d.add2("KN", "N")
		case !d.is(i+2, "EY") && d.at(i+1) != 'Y' && !d.slavoGermanic: // not cagney
			d.add2("N", "KN")
		default:
			d.add("KN")
		}
		return 2
	}
	switch {
	case d.is(i+1, "LI") && !d.slavoGermanic: // tagliaro
		d.add2("KL", "L")
		return 2
	case i == 0 && (d.at(i+1) == 'Y' || d.is(i+1, "ES", "EP", "EB", "EL", "EY", "IB", "IL", "IN", "IE", "EI", "ER")):
		d.add2("K", "J")
		return 2
	case (d.is(i+1, "ER") || d.at(i+1) == 'Y') && !d.is(0, "DANGER", "RANGER", "MANGER") && !d.is(i-1, "E", "I") && !d.is(i-1, "RGY", "OGY"):
		d.add2("K", "J")
		return 2
	case d.is(i+1, "E", "I", "Y") || d.is(i-1, "AGGI", "OGGI"): // Italian: biaggi
		switch {
		case d.germanic() || d.is(i+1, "ET"):
			d.add("K")
		case d.is(i+1, "IER "): // French ending
			d.add("J")
		default:
			d.add2("J", "K")
		}
		return 2
	}
	d.add("K")
	return d.skip(i, 'G')
}

func (d *dmState) j(i int) int {
	if d.is(i, "JOSE") || d.is(0, "SAN ") { // Spanish: jose, san jacinto
		if (i == 0 && d.at(i+4) == ' ') || d.is(0, "SAN ") {
			d.add("H")
		} else {
			d.add2("J", "H")
		}
		return 1
	}
	switch {
	case i == 0:
		d.add2("J", "A") // Yankelovich / Jankelowicz
	case d.vowel(i-1) && !d.slavoGermanic && (d.at(i+1) == 'A' || d.at(i+1) == 'O'): // bajador
		d.add2("J", "H")
	case i == d.last:
		d.add2("J", "")
	case !d.is(i+1, "L", "T", "K", "S", "N", "M", "B", "Z") && !d.is(i-1, "S", "K", "L"):
		d.add("J")
	}
	return d.skip(i, 'J')
}

func (d *dmState) s(i int) int {
	switch {
	case d.is(i-1, "ISL", "YSL"): // island, carlisle
		return 1
	case i == 0 && d.is(i, "SUGAR"):
		d.add2("X", "S")
		return 1
	case d.is(i, "SH"):
		if d.is(i+1, "HEIM", "HOEK", "HOLM", "HOLZ") { // Germanic
			d.add("S")
		} else {
			d.add("X")
		}
		return 2
	case d.is(i, "SIO", "SIA"): // Italian, Armenian
		if d.slavoGermanic {
			d.add("S")
		} else {
			d.add2("S", "X")
		}
		return 3
	// Germanic and anglicised (smith/schmidt, snider/schneider); Slavic sz.
	case (i == 0 && d.is(i+1, "M", "N", "L", "W")) || d.is(i+1, "Z"):
		d.add2("S", "X")
		return d.skip(i, 'Z')
	case d.is(i, "SC"):
		switch {
		case d.at(i+2) == 'H' && d.is(i+3, "OO", "ER", "EN", "UY", "ED", "EM"): // Dutch: school
			if d.is(i+3, "ER", "EN") { // schermerhorn
				d.add2("X", "SK")
			} else {
				d.add("SK")
			}
		case d.at(i+2) == 'H':
			if i == 0 && !d.vowel(3) && d.at(3) != 'W' {
				d.add2("X", "S")
			} else {
				d.add("X")
			}
		case d.is(i+2, "I", "E", "Y"):
			d.add("S")
		default:
			d.add("SK")
		}
		return 3
	}
	if i == d.last && d.is(i-2, "AI", "OI") { // French: artois
		d.add2("", "S")
	} else {
		d.add("S")
	}
	if d.is(i+1, "S", "Z") {
		return 2
	}
	return 1
}

func (d *dmState) wRule(i int) int {
	if d.is(i, "WR") {
		d.add("R")
		return 2
	}
	if i == 0 && (d.vowel(i+1) || d.is(i, "WH")) {
		if d.vowel(i + 1) {
			d.add2("A", "F") // Wasserman / Vasserman
		} else {
			d.add("A")
		}
	}
	switch {
	case (i == d.last && d.vowel(i-1)) || d.is(i-1, "EWSKI", "EWSKY", "OWSKI", "OWSKY") || d.is(0, "SCH"):
		d.add2("", "F") // Arnow / Arnoff
		return 1
	case d.is(i, "WICZ", "WITZ"): // Polish: filipowicz
		d.add2("TS", "FX")
		return 4
	}
	return 1
}
