package match

// JaroWinkler is the Jaro–Winkler similarity as defined by jellyfish (and so
// Splink and xrash/smetrics with boost threshold 0.7, prefix 4): 1 for equal
// strings, 0 when either is empty.
func JaroWinkler(a, b string) float64 {
	if a == b {
		if a == "" {
			return 0
		}
		return 1
	}
	s1, s2 := []rune(a), []rune(b)
	l1, l2 := len(s1), len(s2)
	if l1 == 0 || l2 == 0 {
		return 0
	}
	rng := max(l1, l2)/2 - 1
	if rng < 0 {
		rng = 0
	}
	var f1a, f2a [64]bool
	var f1, f2 []bool
	if l1 <= 64 && l2 <= 64 {
		f1, f2 = f1a[:l1], f2a[:l2]
	} else {
		f1, f2 = make([]bool, l1), make([]bool, l2)
	}
	common := 0
	for i, c := range s1 {
		lo, hi := max(0, i-rng), min(i+rng, l2-1)
		for j := lo; j <= hi; j++ {
			if !f2[j] && s2[j] == c {
				f1[i], f2[j] = true, true
				common++
				break
			}
		}
	}
	if common == 0 {
		return 0
	}
	k, trans := 0, 0
	for i := range s1 {
		if !f1[i] {
			continue
		}
		j := k
		for ; j < l2; j++ {
			if f2[j] {
				k = j + 1
				break
			}
		}
		if s1[i] != s2[j] {
			trans++
		}
	}
	trans /= 2
	c := float64(common)
	w := (c/float64(l1) + c/float64(l2) + (c-float64(trans))/c) / 3
	if w > 0.7 {
		p := 0
		for p < min(l1, l2, 4) && s1[p] == s2[p] {
			p++
		}
		w += float64(p) * 0.1 * (1 - w)
	}
	return w
}

// Soundex is the American Soundex code of a folded name (letter + 3 digits),
// used here as the phonetic code. "" for names without letters.
func Soundex(s string) string {
	codes := [26]byte{'0', '1', '2', '3', '0', '1', '2', '0', '0', '2', '2', '4', '5', '5', '0', '1', '2', '6', '2', '3', '0', '1', '0', '2', '0', '2'}
	out := make([]byte, 0, 4)
	var last byte
	for i := 0; i < len(s) && len(out) < 4; i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c < 'a' || c > 'z' {
			continue
		}
		code := codes[c-'a']
		if len(out) == 0 {
			out = append(out, c-'a'+'A')
			last = code
			continue
		}
		if c == 'h' || c == 'w' {
			continue
		}
		if code != '0' && code != last {
			out = append(out, code)
		}
		last = code
	}
	if len(out) == 0 {
		return ""
	}
	for len(out) < 4 {
		out = append(out, '0')
	}
	return string(out)
}

// editDistanceAtMost1 reports whether a and b differ by at most one
// substitution, insertion, deletion or adjacent transposition.
func editDistanceAtMost1(a, b string) bool {
	if a == b {
		return true
	}
	la, lb := len(a), len(b)
	if la-lb > 1 || lb-la > 1 {
		return false
	}
	i := 0
	for i < la && i < lb && a[i] == b[i] {
		i++
	}
	switch {
	case la == lb:
		if a[i+1:] == b[i+1:] {
			return true
		}
		return i+1 < la && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	case la > lb:
		return a[i+1:] == b[i:]
	default:
		return a[i:] == b[i+1:]
	}
}
