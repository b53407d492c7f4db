package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// memLog is a Source held in memory.
type memLog []Event

func (l memLog) WalkAuditLog(ctx context.Context, fn func(*Event) error) error {
	for i := range l {
		e := l[i]
		if err := fn(&e); err != nil {
			return err
		}
	}
	return nil
}

// chain returns n valid events after the given ones, which it extends.
func chain(before memLog, n int) memLog {
	out := slices.Clone(before)
	prev, seq := Genesis, int64(0)
	if len(out) > 0 {
		seq = out[len(out)-1].Seq
		if h := out[len(out)-1].Hash; h != "" {
			prev = h
		}
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for range n {
		seq++
		e := Event{Seq: seq, ID: fmt.Sprintf("event-%d", seq), At: at.Add(time.Duration(seq) * 1500 * time.Microsecond),
			ActorID: "user-1", ActorRole: "screener", AgencyID: "agency-1", Action: "contact.read",
			EntityType: "contact", EntityID: fmt.Sprintf("contact-%d", seq%7), RequestID: "req", ClientIP: "192.0.2.1",
			PrevHash: prev}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		out = append(out, e)
	}
	return out
}

// rehash recomputes the hashes of l[i:], linking each to the one before.
func rehash(l memLog, i int) {
	for ; i < len(l); i++ {
		l[i].PrevHash = Genesis
		if i > 0 {
			l[i].PrevHash = l[i-1].Hash
		}
		l[i].Hash = l[i].ComputeHash()
	}
}

func problem(t *testing.T, err error) *Problem {
	t.Helper()
	p, ok := errors.AsType[*Problem](err)
	if !ok {
		t.Fatalf("got %v, want a *Problem", err)
	}
	return p
}

// TestCanonicalEncoding pins the documented encoding byte for byte, and the
// hash of one event: changing either breaks every existing chain.
func TestCanonicalEncoding(t *testing.T) {
	e := Event{Seq: 42, ID: "0198c0de", At: time.Date(2026, 1, 2, 15, 4, 5, 123456000, time.FixedZone("BST", 3600)),
		ActorID: "u", ActorRole: "screener", AgencyID: "a", Action: "contact.read", EntityType: "contact",
		EntityID: "c", RequestID: "", ClientIP: "198.51.100.7", Reason: "ünïcode", PrevHash: Genesis}
	want := []byte("openmash-audit-event-v1")
	for _, f := range []string{"42", "0198c0de", "2026-01-02T14:04:05.123456000Z", "u", "screener", "a", "contact.read",
		"contact", "c", "", "198.51.100.7", "ünïcode", Genesis} {
		want = binary.BigEndian.AppendUint64(want, uint64(len(f)))
		want = append(want, f...)
	}
	if got := e.AppendCanonical(nil); !bytes.Equal(got, want) {
		t.Fatalf("encoding:\n got %q\nwant %q", got, want)
	}
	sum := sha256.Sum256(want)
	if got := e.ComputeHash(); got != hex.EncodeToString(sum[:]) || got != "9fa72bcc2a654b68fae0a34057061fc837388bc7046433b5b6ce6c09a056f9bb" {
		t.Fatalf("hash %s", got)
	}
}

// decodeCanonical parses an encoding back into an event: if it always
// recovers the event, the encoding is unambiguous.
func decodeCanonical(b []byte) (Event, error) {
	rest, ok := bytes.CutPrefix(b, []byte(encodingTag))
	if !ok {
		return Event{}, errors.New("no tag")
	}
	var f [13]string
	for i := range f {
		if len(rest) < 8 {
			return Event{}, errors.New("short length")
		}
		n := binary.BigEndian.Uint64(rest)
		rest = rest[8:]
		if uint64(len(rest)) < n {
			return Event{}, errors.New("short field")
		}
		f[i], rest = string(rest[:n]), rest[n:]
	}
	if len(rest) != 0 {
		return Event{}, errors.New("trailing bytes")
	}
	seq, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return Event{}, err
	}
	at, err := time.Parse(time.RFC3339Nano, f[2])
	if err != nil {
		return Event{}, err
	}
	return Event{Seq: seq, ID: f[1], At: at, ActorID: f[3], ActorRole: f[4], AgencyID: f[5], Action: f[6],
		EntityType: f[7], EntityID: f[8], RequestID: f[9], ClientIP: f[10], Reason: f[11], PrevHash: f[12]}, nil
}

func FuzzCanonical(f *testing.F) {
	f.Add(int64(1), int64(1767225600123456000), "id", "actor", "screener", "agency", "contact.read", "contact", "c1", "req", "127.0.0.1", "", Genesis)
	f.Add(int64(-7), int64(0), "", "a\x00b", "", "\xff", "", "x", "", "", "", "reason\nwith lines", "")
	f.Fuzz(func(t *testing.T, seq, at int64, id, actor, role, agency, action, etype, eid, req, ip, reason, prev string) {
		e := Event{Seq: seq, ID: id, At: time.Unix(0, at).UTC(), ActorID: actor, ActorRole: role, AgencyID: agency, Action: action,
			EntityType: etype, EntityID: eid, RequestID: req, ClientIP: ip, Reason: reason, PrevHash: prev}
		enc := e.AppendCanonical(nil)
		got, err := decodeCanonical(enc)
		if err != nil {
			t.Fatalf("decode %q: %v", enc, err)
		}
		if !got.At.Equal(e.At) {
			t.Fatalf("at: got %v, want %v", got.At, e.At)
		}
		got.At = e.At
		if got != e {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, e)
		}
		// A verifier reads back what a store wrote: the hash does not depend
		// on the time zone the time comes in.
		moved := e
		moved.At = e.At.In(time.FixedZone("X", -5*3600))
		if moved.ComputeHash() != e.ComputeHash() {
			t.Fatal("hash depends on the time zone")
		}
	})
}

// TestTreeMatchesTlog checks the walker's Merkle root against tlog's own,
// built from stored hashes, for every size up to 70.
func TestTreeMatchesTlog(t *testing.T) {
	l := chain(nil, 70)
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	for n := 0; n <= len(l); n++ {
		if n > 0 {
			raw, _ := hex.DecodeString(l[n-1].Hash)
			hs, err := tlog.StoredHashes(int64(n-1), raw, reader)
			if err != nil {
				t.Fatal(err)
			}
			stored = append(stored, hs...)
		}
		want, err := tlog.TreeHash(int64(n), reader)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Verify(context.Background(), l[:n], nil)
		if err != nil || rep.Root != want || rep.TreeSize != int64(n) {
			t.Fatalf("n=%d: root %v, want %v (%v)", n, rep.Root, want, err)
		}
	}
}

func TestVerifyChain(t *testing.T) {
	ctx := context.Background()
	l := chain(nil, 20)
	if rep, err := Verify(ctx, l, nil); err != nil || rep.Events != 20 || rep.LastSeq != 20 {
		t.Fatalf("honest chain: %+v %v", rep, err)
	}
	for _, c := range []struct {
		name   string
		tamper func(memLog) memLog
		seq    int64
		msg    string
	}{
		{"edit", func(l memLog) memLog { l[9].Reason = "edited"; return l }, 10, "altered"},
		{"edit hash too", func(l memLog) memLog { l[9].Reason = "edited"; l[9].Hash = l[9].ComputeHash(); return l }, 11, "prev_hash is not the hash of seq 10"},
		{"delete", func(l memLog) memLog { return slices.Delete(l, 9, 11) }, 10, "seq 10..11 removed after seq 9"},
		{"delete first", func(l memLog) memLog { return l[1:] }, 1, "seq 1 removed at the start"},
		{"swap", func(l memLog) memLog { l[4], l[6] = l[6], l[4]; l[4].Seq, l[6].Seq = 5, 7; return l }, 5, "moved"},
		{"uppercase hash", func(l memLog) memLog { l[3].Hash = strings.ToUpper(l[3].Hash); return l }, 4, "altered"},
		{"bad genesis", func(l memLog) memLog {
			l[0].PrevHash = strings.Repeat("1", 64)
			l[0].Hash = l[0].ComputeHash()
			rehash(l, 1)
			return l
		}, 1, "genesis"},
		{"unhashed in the chain", func(l memLog) memLog { l[5].Hash, l[5].PrevHash = "", ""; return l }, 6, "moved"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Verify(ctx, c.tamper(slices.Clone(l)), nil)
			p := problem(t, err)
			if p.Seq != c.seq || !strings.Contains(p.Msg, c.msg) {
				t.Fatalf("got %v, want seq %d and %q", p, c.seq, c.msg)
			}
		})
	}
}

// TestUnchainedPrefix: events from before the chain may only come first.
func TestUnchainedPrefix(t *testing.T) {
	ctx := context.Background()
	var legacy memLog
	for i := range 3 {
		legacy = append(legacy, Event{Seq: int64(i + 1), ID: fmt.Sprintf("old-%d", i), At: time.Unix(int64(i), 0).UTC()})
	}
	l := chain(legacy, 5)
	rep, err := Verify(ctx, l, nil)
	if err != nil || rep.Unchained != 3 || rep.TreeSize != 5 || rep.LastSeq != 8 {
		t.Fatalf("%+v %v", rep, err)
	}
	cp := Checkpoint{Size: 5, Root: rep.Root, File: "cp"}
	if _, err := Verify(ctx, l, []Checkpoint{cp}); err != nil {
		t.Fatal(err)
	}
	// Dropping the chained part leaves only unchained events: the
	// checkpoint still counts what is missing.
	p := problem(t, second(Verify(ctx, l[:3], []Checkpoint{cp})))
	if p.Seq != 4 || !strings.Contains(p.Msg, "seq 4..8 removed") {
		t.Fatal(p)
	}
}

func second[A, B any](_ A, b B) B { return b }

func TestVerifyCheckpoints(t *testing.T) {
	ctx := context.Background()
	l := chain(nil, 30)
	at := func(n int) Checkpoint {
		rep, err := Verify(ctx, l[:n], nil)
		if err != nil {
			t.Fatal(err)
		}
		return Checkpoint{Size: int64(n), Root: rep.Root, File: fmt.Sprintf("cp%d", n)}
	}
	cps := []Checkpoint{at(20), at(0), at(10), at(20)}
	rep, err := Verify(ctx, l, cps)
	if err != nil || len(rep.Checked) != 4 || rep.Checked[3].Size != 20 {
		t.Fatalf("%+v %v", rep, err)
	}
	// Truncation below the newest checkpoint.
	p := problem(t, second(Verify(ctx, l[:17], cps)))
	if p.Seq != 18 || !strings.Contains(p.Msg, "seq 18..20 removed after seq 17") || !strings.Contains(p.Msg, "cp20") {
		t.Fatal(p)
	}
	// A consistent rewrite after the first checkpoint: bounded by the two.
	rw := slices.Clone(l)
	rw[14].Reason = "rewritten"
	rehash(rw, 14)
	if _, err := Verify(ctx, rw, nil); err != nil {
		t.Fatalf("a rewritten chain is consistent on its own: %v", err)
	}
	p = problem(t, second(Verify(ctx, rw, cps)))
	if p.Seq != 0 || !strings.Contains(p.Msg, "seq 11..20") || !strings.Contains(p.Msg, "cp10") {
		t.Fatal(p)
	}
}

func TestKeys(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "keys", "signing.key")
	k, err := LoadOrCreateKey(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi.Mode(), err)
	}
	v, err := LoadVerifier(filepath.Join(dir, "keys", "signing.pub"))
	if err != nil || v.KeyHash() != k.Signer.KeyHash() || v.Name() != Origin {
		t.Fatalf("verifier: %v", err)
	}
	msg, err := note.Sign(&note.Note{Text: "hello\n"}, k.Signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
		t.Fatalf("the .pub does not verify the key's signature: %v", err)
	}
	again, err := LoadOrCreateKey(file)
	if err != nil || again.VerifierKey != k.VerifierKey {
		t.Fatalf("reload: %v", err)
	}
	// A .pub that is not the key's is refused.
	_, other, _ := note.GenerateKey(nil, Origin)
	os.WriteFile(VerifierFile(file), []byte(other+"\n"), 0o644)
	if _, err := LoadOrCreateKey(file); err == nil || !strings.Contains(err.Error(), "is not the signing key") {
		t.Fatalf("mismatched .pub: %v", err)
	}
	// A lost key is not silently replaced while its .pub remains.
	os.Remove(file)
	if _, err := LoadOrCreateKey(file); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("lost key: %v", err)
	}
}

func TestWriteCheckpoint(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "cps")
	key, err := LoadOrCreateKey(filepath.Join(t.TempDir(), "a.key"))
	if err != nil {
		t.Fatal(err)
	}
	l := chain(nil, 5)
	cp1, written, err := WriteCheckpoint(ctx, l, dir, key)
	if err != nil || !written || cp1.Size != 5 {
		t.Fatalf("%+v %v %v", cp1, written, err)
	}
	first, _ := os.ReadFile(cp1.File)
	if cp, written, err := WriteCheckpoint(ctx, l, dir, key); err != nil || written || cp.File != cp1.File {
		t.Fatalf("unchanged log: %+v %v %v", cp, written, err)
	}
	l = chain(l, 3)
	cp2, written, err := WriteCheckpoint(ctx, l, dir, key)
	if err != nil || !written || cp2.Size != 8 || cp2.File == cp1.File {
		t.Fatalf("%+v %v %v", cp2, written, err)
	}
	if again, _ := os.ReadFile(cp1.File); !bytes.Equal(again, first) {
		t.Fatal("an earlier checkpoint changed")
	}
	cps, err := ReadCheckpoints(dir, key.Verifier)
	if err != nil || len(cps) != 2 || cps[0] != cp1 || cps[1] != cp2 {
		t.Fatalf("read back: %+v %v", cps, err)
	}
	// A broken log is never signed.
	bad := slices.Clone(l)
	bad[2].Action = "contact.delete"
	if _, _, err := WriteCheckpoint(ctx, bad, dir, key); err == nil || !strings.Contains(err.Error(), "not signing") {
		t.Fatalf("signed a broken log: %v", err)
	}
	if _, _, err := WriteCheckpoint(ctx, l[:6], dir, key); err == nil {
		t.Fatal("signed a truncated log")
	}

	// Forgeries are refused: another key's checkpoint, and an edited one.
	other, err := LoadOrCreateKey(filepath.Join(t.TempDir(), "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	forged, err := note.Sign(&note.Note{Text: formatCheckpoint(3, tlog.Hash{1})}, other.Signer)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "forged.checkpoint"), forged, 0o644)
	if _, err := ReadCheckpoints(dir, key.Verifier); err == nil || !strings.Contains(err.Error(), "forged.checkpoint refused: not signed by key") {
		t.Fatalf("another key's checkpoint: %v", err)
	}
	os.Remove(filepath.Join(dir, "forged.checkpoint"))
	edited := bytes.Replace(first, []byte("\n5\n"), []byte("\n4\n"), 1)
	os.WriteFile(filepath.Join(dir, "edited.checkpoint"), edited, 0o644)
	if _, err := ReadCheckpoints(dir, key.Verifier); err == nil || !strings.Contains(err.Error(), "edited.checkpoint refused") {
		t.Fatalf("edited checkpoint: %v", err)
	}
}

// FuzzCheckpointText: whatever text is signed, a checkpoint is accepted only
// in its one canonical form.
func FuzzCheckpointText(f *testing.F) {
	f.Add(formatCheckpoint(12, tlog.Hash{1, 2, 3}))
	f.Add(Origin + "\n012\nAA==\n")
	f.Add(Origin + "\n-1\n" + strings.Repeat("A", 43) + "=\n")
	skey, vkey, err := note.GenerateKey(nil, Origin)
	if err != nil {
		f.Fatal(err)
	}
	s, _ := note.NewSigner(skey)
	v, _ := note.NewVerifier(vkey)
	f.Fuzz(func(t *testing.T, text string) {
		msg, err := note.Sign(&note.Note{Text: text}, s)
		if err != nil {
			return // not a valid note text at all
		}
		cp, err := OpenCheckpoint(msg, v)
		if err != nil {
			return
		}
		if got := formatCheckpoint(cp.Size, cp.Root); got != text {
			t.Fatalf("accepted %q, which is not the canonical %q", text, got)
		}
	})
}
