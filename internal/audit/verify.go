package audit

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Source is an audit log to walk; *store.DB is one.
type Source interface {
	// WalkAuditLog calls fn for each event in seq order, all from one
	// snapshot of the log, and stops at fn's first error, returning it.
	// fn must not keep e.
	WalkAuditLog(ctx context.Context, fn func(e *Event) error) error
}

// Report describes one walk over the log.
type Report struct {
	Events    int64     // events read
	Unchained int64     // leading events from before the chain, not covered by it
	TreeSize  int64     // events in the chain: the leaves of the Merkle tree
	LastSeq   int64     // seq of the last event read
	Root      tlog.Hash // Merkle root over the chain
	// Checked are the checkpoints the log was checked against, by tree size.
	Checked []Checkpoint
	Elapsed time.Duration
}

// EventsPerSecond is the walk's speed.
func (r *Report) EventsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Events) / r.Elapsed.Seconds()
}

// Problem is the first thing found wrong with the log.
type Problem struct {
	// Seq is the event where the problem shows, or the first missing seq;
	// 0 when a checkpoint can only bound it to a range (given in Msg).
	Seq int64
	// ID is the id of the event at Seq, when there is one.
	ID  string
	Msg string
}

func (p *Problem) Error() string {
	switch {
	case p.Seq == 0:
		return "audit log: " + p.Msg
	case p.ID == "":
		return fmt.Sprintf("audit log: seq %d: %s", p.Seq, p.Msg)
	}
	return fmt.Sprintf("audit log: seq %d (id %s): %s", p.Seq, p.ID, p.Msg)
}

// Verify walks the whole log once, in seq order: it checks that seq runs from
// 1 without gaps, recomputes every hash, checks every prev_hash link, and
// checks the chain against each of cps (a checkpoint's tree size must not
// exceed the chain's, and the root over that many events must equal its
// root). Time is linear in the log and memory logarithmic. The first problem
// found is returned as a *Problem, with the report up to it.
func Verify(ctx context.Context, src Source, cps []Checkpoint) (*Report, error) {
	start := time.Now()
	w := &walker{cps: slices.SortedStableFunc(slices.Values(cps), func(a, b Checkpoint) int { return cmp.Compare(a.Size, b.Size) })}
	err := w.checkpoints(0, "")
	if err == nil {
		err = src.WalkAuditLog(ctx, w.add)
	}
	if err == nil {
		err = w.end()
	}
	w.rep.Root = w.root()
	w.rep.Elapsed = time.Since(start)
	return &w.rep, err
}

// walker is the state of a walk: the event before, and the Merkle tree's
// frontier (the roots of its perfect subtrees, largest first).
type walker struct {
	rep             Report
	cps             []Checkpoint
	next            int // cps[next] is the next checkpoint to reach
	matched         *Checkpoint
	prevSeq         int64
	prevID, prevHex string
	prevPrevHex     string // the hash of the event before that
	frontier        []tlog.Hash
	buf             []byte
}

func (w *walker) add(e *Event) error {
	want := w.prevSeq + 1
	if e.Seq != want {
		if e.Seq > want {
			return w.missing(want, e.Seq-1, fmt.Sprintf("seq %d (id %s) follows", e.Seq, e.ID))
		}
		return &Problem{Seq: e.Seq, ID: e.ID, Msg: fmt.Sprintf("out of order after seq %d", w.prevSeq)}
	}
	w.rep.Events++
	w.rep.LastSeq = e.Seq
	defer func() { w.prevSeq, w.prevID, w.prevHex, w.prevPrevHex = e.Seq, e.ID, e.Hash, w.prevHex }()
	if e.Hash == "" && e.PrevHash == "" && w.rep.TreeSize == 0 {
		w.rep.Unchained++
		return nil
	}

	w.buf = e.AppendCanonical(w.buf[:0])
	sum := sha256.Sum256(w.buf)
	var hx [2 * sha256.Size]byte
	hex.Encode(hx[:], sum[:])
	hashOK := string(hx[:]) == e.Hash
	wantPrev := w.prevHex
	if w.rep.TreeSize == 0 {
		wantPrev = Genesis
	}
	if e.PrevHash != wantPrev {
		return &Problem{Seq: e.Seq, ID: e.ID, Msg: w.badLink(e, hashOK)}
	}
	if !hashOK {
		return &Problem{Seq: e.Seq, ID: e.ID, Msg: "altered: its content does not match its hash"}
	}
	w.push(tlog.RecordHash(sum[:]))
	w.rep.TreeSize++
	return w.checkpoints(e.Seq, e.ID)
}

// badLink says what a prev_hash that does not fit suggests.
func (w *walker) badLink(e *Event, hashOK bool) string {
	switch {
	case w.rep.TreeSize == 0:
		return "prev_hash is not the genesis value, though no chained event comes before it: the events before it were removed, or it was rewritten"
	case w.rep.TreeSize >= 2 && e.PrevHash == w.prevPrevHex:
		skip := fmt.Sprintf("prev_hash skips seq %d (id %s), so that event was inserted", w.prevSeq, w.prevID)
		if !hashOK {
			return "its content does not match its hash (was it renumbered?), and its " + skip
		}
		return skip
	case !hashOK:
		return "neither its hash nor its prev_hash fits here: the event was moved here from elsewhere in the log, or inserted, or rewritten"
	}
	return fmt.Sprintf("prev_hash is not the hash of seq %d (id %s): an event before it was inserted or replaced, or altered and re-hashed", w.prevSeq, w.prevID)
}

// push adds a leaf to the frontier: equal-sized subtrees merge, as a binary
// counter carries.
func (w *walker) push(h tlog.Hash) {
	for n := w.rep.TreeSize; n&1 == 1; n >>= 1 {
		last := len(w.frontier) - 1
		h = tlog.NodeHash(w.frontier[last], h)
		w.frontier = w.frontier[:last]
	}
	w.frontier = append(w.frontier, h)
}

// root is the RFC 6962 tree hash over the leaves so far: the frontier folded
// from the right.
func (w *walker) root() tlog.Hash {
	if len(w.frontier) == 0 {
		return sha256.Sum256(nil)
	}
	h := w.frontier[len(w.frontier)-1]
	for i := len(w.frontier) - 2; i >= 0; i-- {
		h = tlog.NodeHash(w.frontier[i], h)
	}
	return h
}

// checkpoints checks the checkpoints whose tree ends at the current event.
func (w *walker) checkpoints(seq int64, id string) error {
	for ; w.next < len(w.cps) && w.cps[w.next].Size == w.rep.TreeSize; w.next++ {
		cp := &w.cps[w.next]
		if cp.Root != w.root() {
			from := w.rep.Unchained + 1
			since := ""
			if w.matched != nil {
				from += w.matched.Size
				since = fmt.Sprintf(" (checkpoint %s, %d events, still matches)", w.matched.File, w.matched.Size)
			}
			if seq == 0 {
				return &Problem{Msg: fmt.Sprintf("checkpoint %s has tree size 0 but not the empty tree's root", cp.File)}
			}
			return &Problem{Msg: fmt.Sprintf("the events up to seq %d (id %s) do not match checkpoint %s (%d events): from some event in seq %d..%d on, the chain was rewritten (events altered, removed or inserted, and the hashes after them recomputed)%s",
				seq, id, cp.File, cp.Size, from, seq, since)}
		}
		w.matched = cp
		w.rep.Checked = append(w.rep.Checked, *cp)
	}
	return nil
}

// end checks what is left once the log is read: no checkpoint may cover more
// events than there are.
func (w *walker) end() error {
	if w.next == len(w.cps) {
		return nil
	}
	cp := w.cps[len(w.cps)-1]
	last := w.rep.Unchained + cp.Size
	return w.missing(w.prevSeq+1, last, fmt.Sprintf("checkpoint %s covers %d chained events, through seq %d, but the log ends", cp.File, cp.Size, last))
}

// missing reports seq from..to as removed.
func (w *walker) missing(from, to int64, why string) error {
	what := fmt.Sprintf("seq %d..%d", from, to)
	if from == to {
		what = fmt.Sprintf("seq %d", from)
	}
	where := "at the start of the log"
	if w.prevSeq > 0 {
		where = fmt.Sprintf("after seq %d (id %s)", w.prevSeq, w.prevID)
	}
	return &Problem{Seq: from, Msg: fmt.Sprintf("missing: %s removed %s; %s", what, where, why)}
}
