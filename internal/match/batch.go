package match

import (
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
)

const defaultMaxBlock = 300

type pair struct{ a, b int32 }

// blockingKeys are the keys under which a record is filed; records sharing
// any key become candidate pairs.
func blockingKeys(p *prepared) []string {
	var k []string
	if p.familySx != "" && p.dob.Y != 0 {
		k = append(k, "f|"+p.familySx+"|"+strconv.Itoa(p.dob.Y))
	}
	if p.given != "" && p.dob.Full() {
		k = append(k, "g|"+p.given[:1]+"|"+p.dob.String())
	}
	if p.dob.Full() {
		k = append(k, "d|"+p.dob.String())
	}
	if p.pc.Unit != "" {
		k = append(k, "p|"+p.pc.Unit)
	}
	if p.ident != "" {
		k = append(k, "i|"+p.ident)
	}
	if p.given != "" && p.family != "" {
		k = append(k, "n|"+p.given+"|"+p.family)
		k = append(k, "s|"+p.givenSx+"|"+p.familySx)
	}
	if p.phone != "" {
		k = append(k, "t|"+p.phone)
	}
	if p.family != "" {
		k = append(k, "F|"+p.family)
	}
	if p.given != "" && p.dob.Y != 0 {
		k = append(k, "G|"+p.given+"|"+strconv.Itoa(p.dob.Y))
	}
	return k
}

// candidatePairs returns the distinct pairs sharing a blocking key. With
// right non-nil (linking), only pairs with right[a] != right[b] are kept.
// Blocks larger than maxBlock are skipped (too common to discriminate).
func candidatePairs(ps []prepared, right []bool, maxBlock int, kinds string) []pair {
	blocks := map[string][]int32{}
	for i := range ps {
		for _, k := range blockingKeys(&ps[i]) {
			if kinds != "" && !strings.Contains(kinds, k[:1]) {
				continue
			}
			blocks[k] = append(blocks[k], int32(i))
		}
	}
	seen := map[uint64]struct{}{}
	var out []pair
	for _, ids := range blocks {
		if len(ids) < 2 || len(ids) > maxBlock {
			continue
		}
		for x := 0; x < len(ids); x++ {
			for y := x + 1; y < len(ids); y++ {
				a, b := ids[x], ids[y]
				if right != nil && right[a] == right[b] {
					continue
				}
				key := uint64(a)<<32 | uint64(b)
				if _, ok := seen[key]; ok {
					continue
				}
				seen[key] = struct{}{}
				out = append(out, pair{a, b})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].a != out[j].a {
			return out[i].a < out[j].a
		}
		return out[i].b < out[j].b
	})
	return out
}

// ScoredPair is a candidate pair and its match probability.
type ScoredPair struct {
	A, B        int // indexes into the input (for Link, B indexes the right-hand records)
	Probability float64
	Weight      float64
	Twins       bool           // rejected by the twin / parent–child rule
	Explanation []Contribution // with Options.Explain: field by field
}

// Options control batch runs.
type Options struct {
	Threshold float64          // link threshold (match probability); 0 means the model's
	MaxBlock  int              // default 300
	Progress  func(msg string) // optional
	OneToOne  bool             // Link: keep each record's best partner only
	Explain   bool             // Link: fill ScoredPair.Explanation
}

func (o *Options) defaults(m *Model) {
	if o.Threshold == 0 {
		o.Threshold = m.LinkThreshold
	}
	if o.MaxBlock == 0 {
		o.MaxBlock = defaultMaxBlock
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
}

func (m *Model) scorePairs(ps []prepared, pairs []pair, tf *termFreq, threshold float64, progress func(string)) []ScoredPair {
	workers := runtime.GOMAXPROCS(0)
	results := make([][]ScoredPair, workers)
	var wg sync.WaitGroup
	chunk := (len(pairs) + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(pairs))
		wg.Add(1)
		go func(w, lo, hi int) {
			defer wg.Done()
			for k := lo; k < hi; k++ {
				p := pairs[k]
				a, b := &ps[p.a], &ps[p.b]
				s := m.score(a, b, tf, false)
				if s.Probability >= threshold {
					results[w] = append(results[w], ScoredPair{A: int(p.a), B: int(p.b), Probability: s.Probability, Weight: s.Weight, Twins: twinsOrRelatives(a, b)})
				}
				if w == 0 && (k-lo)%1_000_000 == 999_999 {
					progress(fmt.Sprintf("scored %d of %d candidate pairs", (k-lo+1)*workers, len(pairs)))
				}
			}
		}(w, lo, hi)
	}
	wg.Wait()
	var out []ScoredPair
	for _, r := range results {
		out = append(out, r...)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Weight != out[j].Weight {
			return out[i].Weight > out[j].Weight
		}
		if out[i].A != out[j].A {
			return out[i].A < out[j].A
		}
		return out[i].B < out[j].B
	})
	return out
}

// Dedupe clusters records: connected components over pairs at or above the
// threshold, merged strongest first, never joining two clusters that hold a
// twin (or parent–child) pair. It returns a cluster number per record.
func (m *Model) Dedupe(recs []Record, opt Options) ([]int, []ScoredPair) {
	opt.defaults(m)
	ps := make([]prepared, len(recs))
	for i := range recs {
		ps[i] = prepare(recs[i])
	}
	pairs := candidatePairs(ps, nil, opt.MaxBlock, "")
	opt.Progress(fmt.Sprintf("%d records, %d candidate pairs", len(ps), len(pairs)))
	tf := newTermFreq(ps)
	sc := m.scorePairs(ps, pairs, tf, opt.Threshold, opt.Progress)
	parent := make([]int, len(ps))
	members := make([][]int, len(ps))
	for i := range parent {
		parent[i] = i
		members[i] = []int{i}
	}
	find := func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for _, s := range sc {
		if s.Twins {
			continue
		}
		ra, rb := find(s.A), find(s.B)
		if ra == rb {
			continue
		}
		if conflict(ps, members[ra], members[rb]) {
			continue
		}
		if !m.coherent(ps, tf, members[ra], members[rb]) {
			continue
		}
		if len(members[ra]) < len(members[rb]) {
			ra, rb = rb, ra
		}
		parent[rb] = ra
		members[ra] = append(members[ra], members[rb]...)
		members[rb] = nil
	}
	cluster := make([]int, len(ps))
	ids := map[int]int{}
	for i := range ps {
		r := find(i)
		if _, ok := ids[r]; !ok {
			ids[r] = len(ids)
		}
		cluster[i] = ids[r]
	}
	return cluster, sc
}

// conflict reports whether joining the two clusters would put twins (or a
// parent and child) into one person.
func conflict(ps []prepared, x, y []int) bool {
	if len(x)*len(y) > 10000 {
		return false
	}
	for _, a := range x {
		for _, b := range y {
			if twinsOrRelatives(&ps[a], &ps[b]) {
				return true
			}
		}
	}
	return false
}

// Link finds the pairs of left and right records at or above the threshold.
func (m *Model) Link(left, right []Record, opt Options) []ScoredPair {
	opt.defaults(m)
	ps := make([]prepared, 0, len(left)+len(right))
	side := make([]bool, 0, len(left)+len(right))
	for _, r := range left {
		ps = append(ps, prepare(r))
		side = append(side, false)
	}
	for _, r := range right {
		ps = append(ps, prepare(r))
		side = append(side, true)
	}
	pairs := candidatePairs(ps, side, opt.MaxBlock, "")
	opt.Progress(fmt.Sprintf("%d + %d records, %d candidate pairs", len(left), len(right), len(pairs)))
	tf := newTermFreq(ps)
	sc := m.scorePairs(ps, pairs, tf, opt.Threshold, opt.Progress)
	var out []ScoredPair
	usedL, usedR := map[int]bool{}, map[int]bool{}
	for _, s := range sc {
		if s.Twins {
			continue
		}
		if opt.Explain {
			s.Explanation = m.score(&ps[s.A], &ps[s.B], tf, true).Fields
		}
		s.B -= len(left)
		if opt.OneToOne {
			if usedL[s.A] || usedR[s.B] {
				continue
			}
			usedL[s.A], usedR[s.B] = true, true
		}
		out = append(out, s)
	}
	return out
}

// CoherenceFloor is the least mean match probability, over every pair of
// records across two clusters, for the clusters to be joined. It stops one
// strong link chaining two different people's records together.
var CoherenceFloor = 0.3

func (m *Model) coherent(ps []prepared, tf *termFreq, x, y []int) bool {
	if len(x) == 1 && len(y) == 1 {
		return true
	}
	if len(x)*len(y) > 2500 {
		return false
	}
	sum := 0.0
	for _, a := range x {
		for _, b := range y {
			sum += m.score(&ps[a], &ps[b], tf, false).Probability
		}
	}
	return sum/float64(len(x)*len(y)) >= CoherenceFloor
}
