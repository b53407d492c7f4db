package match

import (
	"bytes"
	"slices"
	"testing"

	"openmash.org/mash/internal/synth"
)

// candidatePairs returns the blocker's distinct candidate pairs, sorted.
// With right non-nil (linking), only pairs with right[a] != right[b] are kept.
// Blocks larger than maxBlock are skipped (too common to discriminate).
func candidatePairs(ps []prepared, right []bool, maxBlock int, kinds string) []pair {
	b := newBlocker(ps, right, maxBlock, kinds)
	per := make([][]pair, workers())
	b.eachPair(func(w int, a, c int32) { per[w] = append(per[w], pair{a, c}) })
	out := slices.Concat(per...)
	slices.SortFunc(out, func(x, y pair) int {
		if x.a != y.a {
			return int(x.a - y.a)
		}
		return int(x.b - y.b)
	})
	return out
}

// naivePairs is the reference blocking: every distinct pair sharing a key
// whose block has at most maxBlock records.
func naivePairs(ps []prepared, right []bool, maxBlock int, kinds string) []pair {
	blocks := map[string][]int32{}
	for i := range ps {
		for _, k := range blockingKeys(&ps[i]) {
			if kinds == "" || containsByte(kinds, k[0]) {
				blocks[k] = append(blocks[k], int32(i))
			}
		}
	}
	seen := map[pair]bool{}
	var out []pair
	for _, ids := range blocks {
		if len(ids) > maxBlock {
			continue
		}
		for x := range ids {
			for y := x + 1; y < len(ids); y++ {
				p := pair{ids[x], ids[y]}
				if (right == nil || right[p.a] != right[p.b]) && !seen[p] {
					seen[p] = true
					out = append(out, p)
				}
			}
		}
	}
	slices.SortFunc(out, func(x, y pair) int {
		if x.a != y.a {
			return int(x.a - y.a)
		}
		return int(x.b - y.b)
	})
	return out
}

func TestBlockerPairs(t *testing.T) {
	var data bytes.Buffer
	if _, err := synth.WriteCSV(&data, nil, synth.Config{N: 5000, Seed: 5, DupRate: 0.3}); err != nil {
		t.Fatal(err)
	}
	recs, err := ReadRecords(&data, "", func(int, string) {})
	if err != nil {
		t.Fatal(err)
	}
	ps := prepareAll(recs)
	side := make([]bool, len(ps))
	for i := range side {
		side[i] = i%3 == 0
	}
	for _, c := range []struct {
		right    []bool
		maxBlock int
		kinds    string
	}{{nil, 300, ""}, {nil, 20, ""}, {side, 300, ""}, {nil, 300, "gd"}} {
		got, want := candidatePairs(ps, c.right, c.maxBlock, c.kinds), naivePairs(ps, c.right, c.maxBlock, c.kinds)
		if !slices.Equal(got, want) {
			t.Errorf("max %d kinds %q link %v: %d pairs, want %d", c.maxBlock, c.kinds, c.right != nil, len(got), len(want))
		}
	}
}
