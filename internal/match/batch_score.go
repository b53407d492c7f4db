package match

import "math"

// scoreBound lets a batch run skip most candidate pairs after comparing a
// few cheap fields: once the weight so far plus the most the remaining
// fields could add falls short of the threshold, the pair cannot match.
// The pairs it keeps are scored in full, so results are unchanged.
type scoreBound struct {
	order []int       // comparisons, cheapest first
	lv    [][]float64 // log2 m/u by comparison and level, before term frequencies
	most  []float64   // the most each comparison can add (0: missing), before term frequencies
	// mostUnswapped is most without the names-swapped-over levels, which
	// only pairs with swapped names reach: a cheap test that tightens the
	// bound for nearly every pair.
	mostUnswapped []float64
	base          float64 // log2 prior odds
	// exact[i][r] is record r's weight for an exact agreement on comparison i
	// when i is term-frequency adjusted (nil otherwise).
	exact                 [][]float64
	fixed, fixedUnswapped float64 // the most all comparisons without term frequencies can add
	// addr is the address comparison and addrApart the most it can add
	// when neither the postcode units nor the addresses are the same (only
	// those reach its "both", "postcode" and "address" levels). Token
	// matching of addresses costs most of all, and most pairs are apart.
	addr      int
	addrApart float64
}

func (m *Model) newScoreBound(ps []prepared, tf *termFreq) *scoreBound {
	sb := &scoreBound{base: math.Log2(m.Prior / (1 - m.Prior))}
	// Names (Jaro–Winkler) and addresses (token matching) cost most.
	last := map[string]int{"family_name": 1, "given_name": 2, "address": 3}
	for rank := 0; rank <= 3; rank++ {
		for i, c := range comparisons {
			if last[c.Field] == rank {
				sb.order = append(sb.order, i)
			}
		}
	}
	sb.lv = make([][]float64, len(comparisons))
	sb.most = make([]float64, len(comparisons))
	sb.mostUnswapped = make([]float64, len(comparisons))
	sb.exact = make([][]float64, len(comparisons))
	for i, c := range comparisons {
		for _, l := range m.Fields[i].Levels {
			b := math.Log2(l.M / l.U)
			sb.lv[i] = append(sb.lv[i], b)
			sb.most[i] = math.Max(sb.most[i], b)
			if l.Label != "swapped" {
				sb.mostUnswapped[i] = math.Max(sb.mostUnswapped[i], b)
			}
		}
		if c.Field == "address" {
			sb.addr = i
			for _, l := range m.Fields[i].Levels {
				if l.Label != "both" && l.Label != "postcode" && l.Label != "address" {
					sb.addrApart = math.Max(sb.addrApart, math.Log2(l.M/l.U))
				}
			}
		}
		if c.TF == "" {
			sb.fixed += sb.most[i]
			sb.fixedUnswapped += sb.mostUnswapped[i]
			continue
		}
		// An exact agreement weighs by how common the name is: a's, in score.
		ex := make([]float64, len(ps))
		names := tf.given
		if c.TF == "family" {
			names = tf.family
		}
		byName := make(map[string]float64, len(names))
		for name := range names {
			byName[name] = m.bits(i, 0, &prepared{given: name, family: name}, tf)
		}
		parallel(len(ps), func(_, lo, hi int) {
			for r := lo; r < hi; r++ {
				name := ps[r].given
				if c.TF == "family" {
					name = ps[r].family
				}
				if b, ok := byName[name]; ok {
					ex[r] = b
				} else {
					ex[r] = sb.lv[i][0]
				}
			}
		})
		sb.exact[i] = ex
	}
	return sb
}

// below reports whether the pair's match weight is certainly under min.
func (sb *scoreBound) below(a, b *prepared, x int32, min float64) bool {
	min -= 1e-6 // sums in another order round differently
	most, rest := sb.most, sb.fixed
	if !swapped(a, b) { // as the name comparisons test it
		most, rest = sb.mostUnswapped, sb.fixedUnswapped
	}
	for i, ex := range sb.exact {
		if ex != nil {
			rest += math.Max(most[i], ex[x])
		}
	}
	w := sb.base
	if w+rest < min {
		return true
	}
	for k, i := range sb.order {
		ex := sb.exact[i]
		if ex != nil {
			rest -= math.Max(most[i], ex[x])
		} else {
			rest -= most[i]
		}
		if l := comparisons[i].compare(a, b); l == 0 && ex != nil {
			w += ex[x]
		} else if l >= 0 {
			w += sb.lv[i][l]
		}
		if w+rest < min {
			return true
		}
		if k == len(sb.order)-2 && sb.order[k+1] == sb.addr && w+sb.addrApart < min &&
			!(a.pc.Unit != "" && a.pc.Unit == b.pc.Unit) && !(a.addr != "" && a.addr == b.addr) {
			return true
		}
	}
	return false
}
