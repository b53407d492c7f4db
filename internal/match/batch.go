package match

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// defaultMaxBlock bounds the records one blocking key may bring together in
// a batch run; larger blocks are too common to discriminate.
const defaultMaxBlock = 300

// Above largeInput records the bound is largeMaxBlock: blocks of 100 to 300
// records (a popular given name and birth year, a shared switchboard
// number) become common, and their pairs cost more than they find. At a
// million synthetic records the lower bound halves the candidate pairs, loses
// 0.2% of true pairs directly (clustering recovers most through other
// records) and raises pairwise F1 (0.9583 to 0.9594), by fewer false links.
const (
	largeInput    = 250_000
	largeMaxBlock = 100
)

// trainMaxBlock is the bound for training's blocked pairs, which EM samples.
const trainMaxBlock = 300

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
	MaxBlock  int              // default 300, or 100 above 250,000 records
	Progress  func(msg string) // optional
	OneToOne  bool             // Link: keep each record's best partner only
	Explain   bool             // Link: fill ScoredPair.Explanation
}

func (o *Options) defaults(m *Model, n int) {
	if o.Threshold == 0 {
		o.Threshold = m.LinkThreshold
	}
	if o.MaxBlock == 0 {
		o.MaxBlock = defaultMaxBlock
		if n > largeInput {
			o.MaxBlock = largeMaxBlock
		}
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
}

// prepareAll prepares records in parallel. Names, postcodes and address
// words repeat across a large input, so each worker keeps one copy of each
// (a fifth less live memory at a million records). The id is copied too: as a
// substring of its CSV line it would keep the whole line in memory.
func prepareAll(recs []Record) []prepared {
	ps := make([]prepared, len(recs))
	parallel(len(recs), func(_, lo, hi int) {
		seen := map[string]string{}
		in := func(s *string) {
			if v, ok := seen[*s]; ok {
				*s = v
			} else {
				seen[*s] = *s
			}
		}
		for i := lo; i < hi; i++ {
			p := &ps[i]
			*p = prepare(recs[i])
			p.id = strings.Clone(p.id)
			for _, s := range []*string{&p.given, &p.givenSx, &p.family, &p.familySx, &p.givenDM[0], &p.givenDM[1],
				&p.familyDM[0], &p.familyDM[1], &p.sex, &p.pc.Unit, &p.pc.Sector, &p.pc.District, &p.pc.Area, &p.addr, &p.phone} {
				in(s)
			}
			for _, ss := range [][]string{p.familyParts, p.addrTokens} {
				for k := range ss {
					in(&ss[k])
				}
			}
		}
	})
	return ps
}

// scorePairs scores every candidate pair, streamed from the blocker, and
// returns those at or above the threshold, strongest first.
func (m *Model) scorePairs(ps []prepared, bk *blocker, tf *termFreq, threshold float64, progress func(string)) []ScoredPair {
	results := make([][]ScoredPair, workers())
	var done atomic.Int64
	stop := make(chan struct{})
	ticker := time.NewTicker(5 * time.Second)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-ticker.C:
				progress(fmt.Sprintf("scored %d of at most %d candidate pairs", done.Load(), bk.pairs))
			}
		}
	}()
	local := make([]counter, workers())
	sb := m.newScoreBound(ps, tf)
	minWeight := math.Log2(threshold / (1 - threshold))
	bk.eachPair(func(w int, x, y int32) {
		a, b := &ps[x], &ps[y]
		if local[w].n++; local[w].n%4096 == 0 {
			done.Add(4096)
		}
		if sb.below(a, b, x, minWeight) {
			return
		}
		if s := m.score(a, b, tf, false); s.Probability >= threshold {
			results[w] = append(results[w], ScoredPair{A: int(x), B: int(y), Probability: s.Probability, Weight: s.Weight, Twins: twinsOrRelatives(a, b)})
		}
	})
	ticker.Stop()
	close(stop)
	out := slices.Concat(results...)
	slices.SortFunc(out, func(x, y ScoredPair) int {
		switch {
		case x.Weight != y.Weight:
			if x.Weight > y.Weight {
				return -1
			}
			return 1
		case x.A != y.A:
			return x.A - y.A
		}
		return x.B - y.B
	})
	return out
}

// Dedupe clusters records: connected components over pairs at or above the
// threshold, merged strongest first, never joining two clusters that hold a
// twin (or parent–child) pair. It returns a cluster number per record.
func (m *Model) Dedupe(recs []Record, opt Options) ([]int, []ScoredPair) {
	opt.defaults(m, len(recs))
	ps := prepareAll(recs)
	opt.Progress(fmt.Sprintf("prepared %d records", len(ps)))
	bk := newBlocker(ps, nil, opt.MaxBlock, "")
	opt.Progress(fmt.Sprintf("%d records, %d blocks, at most %d candidate pairs", len(ps), len(bk.blocks), bk.pairs))
	tf := newTermFreq(ps)
	sc := m.scorePairs(ps, bk, tf, opt.Threshold, opt.Progress)
	bk = nil
	opt.Progress(fmt.Sprintf("%d pairs at or above the threshold", len(sc)))
	parent := make([]int32, len(ps))
	// members of each root; nil means the record alone (most records are).
	members := map[int32][]int{}
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	membersOf := func(r int32) []int {
		if ms, ok := members[r]; ok {
			return ms
		}
		return []int{int(r)}
	}
	for _, s := range sc {
		if s.Twins {
			continue
		}
		ra, rb := find(int32(s.A)), find(int32(s.B))
		if ra == rb {
			continue
		}
		ma, mb := membersOf(ra), membersOf(rb)
		if conflict(ps, ma, mb) || !m.coherent(ps, tf, ma, mb) {
			continue
		}
		if len(ma) < len(mb) {
			ra, rb, ma, mb = rb, ra, mb, ma
		}
		parent[rb] = ra
		members[ra] = append(ma, mb...)
		delete(members, rb)
	}
	cluster := make([]int, len(ps))
	ids := make([]int32, len(ps)) // root → cluster number + 1
	next := int32(0)
	for i := range ps {
		r := find(int32(i))
		if ids[r] == 0 {
			next++
			ids[r] = next
		}
		cluster[i] = int(ids[r] - 1)
	}
	return cluster, sc
}

// conflictShare is the share of pairs across two clusters that, looking like
// twins or relatives, keeps them apart (see conflict).
const conflictShare = 0.25

// conflict reports whether joining the two clusters would put twins (or
// relatives) into one person: whether at least conflictShare of the pairs
// across them look like two people. Twins' records look so pair after pair;
// one badly mistyped record ("Hrnry" beside "Harold") makes a few pairs look
// so, and alone should not split a person. One pair in four keeps apart the
// twins whose records are mostly alike (Isobel, and Isabella known as Bella).
func conflict(ps []prepared, x, y []int) bool {
	if len(x)*len(y) > 10000 {
		return false
	}
	n := 0
	for _, a := range x {
		for _, b := range y {
			if twinsOrRelatives(&ps[a], &ps[b]) {
				n++
			}
		}
	}
	return float64(n) >= conflictShare*float64(len(x)*len(y))
}

// Link finds the pairs of left and right records at or above the threshold.
func (m *Model) Link(left, right []Record, opt Options) []ScoredPair {
	opt.defaults(m, len(left)+len(right))
	ps := prepareAll(slices.Concat(left, right))
	side := make([]bool, len(ps))
	for i := len(left); i < len(ps); i++ {
		side[i] = true
	}
	bk := newBlocker(ps, side, opt.MaxBlock, "")
	opt.Progress(fmt.Sprintf("%d + %d records, at most %d candidate pairs", len(left), len(right), bk.pairs))
	tf := newTermFreq(ps)
	sc := m.scorePairs(ps, bk, tf, opt.Threshold, opt.Progress)
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
