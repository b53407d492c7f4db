package match

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// blocker is the blocking index of a batch run, built to stream candidate
// pairs without materialising them: a million records share keys in tens of
// millions of pairs, and a set of seen pairs alone would not fit in memory.
// Keys are 64-bit hashes; records' keys lie in one flat array, and the index
// is that array's entries sorted by key.
type blocker struct {
	off    []int32  // record i's keys are keys[off[i]:off[i+1]], in blockingKeys order
	keys   []uint64 // key hashes
	active []bool   // per entry of keys: its block yields pairs (2..cap records)
	mask   []uint64 // per record: bit h%64 set for each of its active keys h
	ents   []blockEnt
	blocks []blockSpan // active blocks, as ranges of ents
	right  []bool      // linking: pairs must cross sides
	pairs  int64       // candidate pairs, counting a pair once per key it shares
}

type blockEnt struct {
	h   uint64
	rec int32
	pos int32 // index into keys
}

type blockSpan struct{ lo, hi int32 }

// keyHash is the 64-bit FNV-1a hash of a key: a million records have some
// ten million keys, and a collision only adds candidate pairs.
func keyHash(k string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(k); i++ {
		h ^= uint64(k[i])
		h *= 1099511628211
	}
	return h
}

// counter is a per-worker count, padded to its own cache line so that
// workers counting side by side do not slow each other down.
type counter struct {
	n int64
	_ [56]byte
}

// workers is how many goroutines batch runs use.
func workers() int { return max(1, runtime.GOMAXPROCS(0)) }

// parallel runs f(w, lo, hi) over [0, n) in one contiguous slice per worker.
func parallel(n int, f func(w, lo, hi int)) {
	nw := workers()
	chunk := (n + nw - 1) / nw
	var wg sync.WaitGroup
	for w := 0; w < nw; w++ {
		lo, hi := min(w*chunk, n), min((w+1)*chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(w, lo, hi)
		}()
	}
	wg.Wait()
}

// newBlocker indexes ps under their blocking keys of the given kinds (all
// when kinds is empty). With right non-nil (linking), only pairs with
// right[a] != right[b] are candidates.
func newBlocker(ps []prepared, right []bool, maxBlock int, kinds string) *blocker {
	n := len(ps)
	b := &blocker{off: make([]int32, n+1), right: right}
	// Keys per record, in parallel: making the key strings is most of the cost.
	nw := workers()
	parts := make([][]uint64, nw)
	counts := make([]uint8, n) // blockingKeys gives a dozen at most
	parallel(n, func(w, lo, hi int) {
		var out []uint64
		for i := lo; i < hi; i++ {
			start := len(out)
		keys:
			for _, k := range blockingKeys(&ps[i]) {
				if kinds != "" && !containsByte(kinds, k[0]) {
					continue
				}
				h := keyHash(k)
				for _, x := range out[start:] {
					if x == h {
						continue keys
					}
				}
				out = append(out, h)
			}
			counts[i] = uint8(len(out) - start)
		}
		parts[w] = out
	})
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	b.keys = make([]uint64, 0, total)
	for _, p := range parts {
		b.keys = append(b.keys, p...)
	}
	for i := 0; i < n; i++ {
		b.off[i+1] = b.off[i] + int32(counts[i])
	}
	// Sort by key then record, in parallel on ranges of the hash: a block
	// never spans two ranges. Records ascending makes every pair (a, b) a < b.
	nb := 4 * nw
	bucket := func(h uint64) int { return int((h >> 32) * uint64(nb) >> 32) }
	starts := make([]int, nb+1)
	for _, h := range b.keys {
		starts[bucket(h)+1]++
	}
	for k := 0; k < nb; k++ {
		starts[k+1] += starts[k]
	}
	fill := slices.Clone(starts[:nb])
	b.ents = make([]blockEnt, len(b.keys))
	for i := 0; i < n; i++ {
		for q := b.off[i]; q < b.off[i+1]; q++ {
			h := b.keys[q]
			k := bucket(h)
			b.ents[fill[k]] = blockEnt{h: h, rec: int32(i), pos: q}
			fill[k]++
		}
	}
	var next atomic.Int32
	var wg sync.WaitGroup
	for w := 0; w < nw; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := int(next.Add(1) - 1); k < nb; k = int(next.Add(1) - 1) {
				slices.SortFunc(b.ents[starts[k]:starts[k+1]], func(x, y blockEnt) int {
					if x.h != y.h {
						if x.h < y.h {
							return -1
						}
						return 1
					}
					return int(x.rec - y.rec)
				})
			}
		}()
	}
	wg.Wait()
	b.active = make([]bool, len(b.keys))
	b.mask = make([]uint64, n)
	for lo := 0; lo < len(b.ents); {
		hi := lo + 1
		for hi < len(b.ents) && b.ents[hi].h == b.ents[lo].h {
			hi++
		}
		if size := hi - lo; size >= 2 && size <= maxBlock {
			b.blocks = append(b.blocks, blockSpan{int32(lo), int32(hi)})
			b.pairs += int64(size * (size - 1) / 2)
			for _, e := range b.ents[lo:hi] {
				b.active[e.pos] = true
				b.mask[e.rec] |= 1 << (e.h % 64)
			}
		}
		lo = hi
	}
	return b
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// first reports whether key position pos of record a is the first active
// key a shares with record c, so that each pair is visited once, from the
// first block both records are in.
func (b *blocker) first(a, c int32, pos int32) bool {
	kb := b.keys[b.off[c]:b.off[c+1]]
	mc := b.mask[c]
	for q := b.off[a]; q < pos; q++ {
		h := b.keys[q]
		// Most pairs share one key only: c's mask rules most keys out.
		if mc&(1<<(h%64)) == 0 || !b.active[q] {
			continue
		}
		for _, x := range kb {
			if x == h {
				return false
			}
		}
	}
	return true
}

// eachPair calls visit(w, a, c) once for every distinct candidate pair, a < c,
// from workers() goroutines (w is the goroutine's number). Blocks are handed out in
// batches so that one large block does not hold up the rest.
func (b *blocker) eachPair(visit func(w int, a, c int32)) {
	var next atomic.Int64
	const batch = 256
	var wg sync.WaitGroup
	for w := 0; w < workers(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(batch) - batch)
				if lo >= len(b.blocks) {
					return
				}
				for _, s := range b.blocks[lo:min(lo+batch, len(b.blocks))] {
					es := b.ents[s.lo:s.hi]
					for x := range es {
						for y := x + 1; y < len(es); y++ {
							a, c := es[x].rec, es[y].rec
							if b.right != nil && b.right[a] == b.right[c] {
								continue
							}
							if b.first(a, c, es[x].pos) {
								visit(w, a, c)
							}
						}
					}
				}
			}
		}()
	}
	wg.Wait()
}
