package match

import (
	"math/rand/v2"
	"slices"
)

// pattern is one comparison vector and how many sampled pairs have it.
type pattern struct {
	g gamma
	n float64
}

// maxStridePairs bounds the candidate pairs EM's sample is drawn from as a
// sorted list (8 bytes a pair); beyond it a hash of each pair decides.
const maxStridePairs = 30_000_000

// emPatterns counts the comparison patterns of the blocker's candidate
// pairs, with excluded comparisons set missing, and returns them with the
// number of distinct candidate pairs. Patterns are proportions, so when there
// are more than maxEMPairs pairs an even sample stands for them: every k-th
// of the sorted pairs (the same sample as before pairs were streamed, so
// models do not change), or for very many pairs those whose hash falls
// below a bound. Either is the same every run.
func emPatterns(ps []prepared, bk *blocker, exclude map[int]bool) ([]pattern, int) {
	nw := workers()
	counts := make([]map[string]float64, nw)
	npairs := make([]counter, nw)
	bufs := make([][]byte, nw)
	for w := range counts {
		counts[w] = map[string]float64{}
		bufs[w] = make([]byte, len(comparisons))
	}
	count := func(w int, a, b int32) {
		buf := bufs[w]
		for i, c := range comparisons {
			l := int8(-1)
			if !exclude[i] {
				l = int8(c.compare(&ps[a], &ps[b]))
			}
			buf[i] = byte(l)
		}
		counts[w][string(buf)]++
	}
	switch {
	case bk.pairs <= maxEMPairs:
		bk.eachPair(func(w int, a, b int32) {
			npairs[w].n++
			count(w, a, b)
		})
	case bk.pairs <= maxStridePairs:
		per := make([][]pair, nw)
		bk.eachPair(func(w int, a, b int32) { per[w] = append(per[w], pair{a, b}) })
		all := slices.Concat(per...)
		per = nil
		slices.SortFunc(all, func(x, y pair) int {
			if x.a != y.a {
				return int(x.a - y.a)
			}
			return int(x.b - y.b)
		})
		npairs[0].n = int64(len(all))
		step := (len(all) + maxEMPairs - 1) / maxEMPairs
		parallel((len(all)+step-1)/step, func(w, lo, hi int) {
			for k := lo; k < hi; k++ {
				p := all[k*step]
				count(w, p.a, p.b)
			}
		})
	default:
		keep := uint64(float64(^uint64(0)) * float64(maxEMPairs) / float64(bk.pairs))
		bk.eachPair(func(w int, a, b int32) {
			if npairs[w].n++; mix64(uint64(a)<<32|uint64(b)) <= keep {
				count(w, a, b)
			}
		})
	}
	for _, c := range counts[1:] {
		for k, v := range c {
			counts[0][k] += v
		}
	}
	pats := make([]pattern, 0, len(counts[0]))
	for k, c := range counts[0] {
		g := make(gamma, len(k))
		for i := 0; i < len(k); i++ {
			g[i] = int8(k[i])
		}
		pats = append(pats, pattern{g, c})
	}
	// A fixed order keeps EM's sums, and so the model, the same every run.
	slices.SortFunc(pats, func(x, y pattern) int { return slices.Compare(x.g, y.g) })
	total := 0
	for _, c := range npairs {
		total += int(c.n)
	}
	return pats, total
}

// mix64 is the SplitMix64 finaliser: a well-spread hash of a pair's indexes.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// trainingSample returns recs, or a random sample of max of them (in input
// order) when there are more.
func trainingSample(recs []Record, max int, seed uint64) []Record {
	if len(recs) <= max {
		return recs
	}
	rng := rand.New(rand.NewPCG(seed, 0x73616d70))
	idx := rng.Perm(len(recs))[:max]
	slices.Sort(idx)
	out := make([]Record, max)
	for k, i := range idx {
		out[k] = recs[i]
	}
	return out
}
