package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/audit"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// auditLog is a hub with real audit events: a checkpoint of the first
// cpSize and total events in all (three contacts came after the checkpoint).
type auditLog struct {
	db            *store.DB
	dir           string
	key           *audit.Key
	cpSize, total int64
}

func newAuditLog(t *testing.T, db *store.DB) *auditLog {
	t.Helper()
	ctx := context.Background()
	f := storetest.Partnership(t, db)
	contacts := func(n int) {
		for range n {
			if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), storetest.NewContact(db.Now().Add(-time.Hour)), ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	contacts(3)
	key, err := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	l := &auditLog{db: db, dir: t.TempDir(), key: key}
	cp, written, err := audit.WriteCheckpoint(ctx, db, l.dir, key)
	if err != nil || !written {
		t.Fatalf("checkpoint: %v", err)
	}
	contacts(3)
	l.cpSize = cp.Size
	rep := l.mustVerify(t)
	l.total = rep.TreeSize
	if rep.Unchained != 0 || rep.LastSeq != l.total || l.total != l.cpSize+3 || l.cpSize < 12 {
		t.Fatalf("unexpected log: %+v, checkpoint of %d", rep, l.cpSize)
	}
	return l
}

// verify checks the log against the checkpoints in the log's directory.
func (l *auditLog) verify() (*audit.Report, error) {
	cps, err := audit.ReadCheckpoints(l.dir, l.key.Verifier)
	if err != nil {
		return nil, err
	}
	return audit.Verify(context.Background(), l.db, cps)
}

func (l *auditLog) mustVerify(t *testing.T) *audit.Report {
	t.Helper()
	rep, err := l.verify()
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

// events reads the whole log.
func (l *auditLog) events(t *testing.T) []audit.Event {
	t.Helper()
	var out []audit.Event
	if err := l.db.WalkAuditLog(context.Background(), func(e *audit.Event) error { out = append(out, *e); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// unprotect removes what stops the hub's own SQL changing the log, as
// someone with the owner's or a superuser's rights could.
func (l *auditLog) unprotect(t *testing.T) {
	t.Helper()
	stmts := []string{`DROP TRIGGER audit_events_no_update`, `DROP TRIGGER audit_events_no_delete`}
	if l.db.Dialect() == store.Postgres {
		stmts = []string{`ALTER TABLE audit_events DISABLE TRIGGER USER`}
	}
	for _, s := range stmts {
		l.exec(t, s)
	}
}

func (l *auditLog) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := l.db.SQL().Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// put writes e as a row, bypassing the store.
func (l *auditLog) put(t *testing.T, e audit.Event) {
	t.Helper()
	l.exec(t, `INSERT INTO audit_events (seq, id, at, actor_id, actor_role, agency_id, action, entity_type, entity_id,
		request_id, client_ip, reason, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`,
		e.Seq, e.ID, e.At, e.ActorID, e.ActorRole, e.AgencyID, e.Action, e.EntityType, e.EntityID,
		e.RequestID, e.ClientIP, e.Reason, e.PrevHash, e.Hash)
}

// TestAuditTampering changes the log directly in the database, each way an
// insider might, and checks that verification names where.
func TestAuditTampering(t *testing.T) {
	const m = 8 // a middle event, before the checkpoint
	for _, c := range []struct {
		name   string
		tamper func(t *testing.T, l *auditLog)
		// want returns the seq the problem must name (0: a range) and
		// what its message must say.
		want func(l *auditLog) (int64, []string)
	}{{
		name: "edit a field",
		tamper: func(t *testing.T, l *auditLog) {
			l.exec(t, `UPDATE audit_events SET reason = 'nothing happened' WHERE seq = $1`, m)
		},
		want: func(*auditLog) (int64, []string) { return m, []string{"altered"} },
	}, {
		name: "edit the time",
		tamper: func(t *testing.T, l *auditLog) {
			l.exec(t, `UPDATE audit_events SET at = $1 WHERE seq = $2`, time.Now().UTC(), m)
		},
		want: func(*auditLog) (int64, []string) { return m, []string{"altered"} },
	}, {
		name:   "delete a middle event",
		tamper: func(t *testing.T, l *auditLog) { l.exec(t, `DELETE FROM audit_events WHERE seq = $1`, m) },
		want: func(*auditLog) (int64, []string) {
			return m, []string{fmt.Sprintf("missing: seq %d removed after seq %d", m, m-1)}
		},
	}, {
		name:   "delete the last events",
		tamper: func(t *testing.T, l *auditLog) { l.exec(t, `DELETE FROM audit_events WHERE seq > $1`, l.cpSize-2) },
		want: func(l *auditLog) (int64, []string) {
			return l.cpSize - 1, []string{fmt.Sprintf("seq %d..%d removed", l.cpSize-1, l.cpSize), "checkpoint"}
		},
	}, {
		name: "delete the last events and carry on",
		tamper: func(t *testing.T, l *auditLog) {
			l.exec(t, `DELETE FROM audit_events WHERE seq > $1`, l.cpSize-2)
			for range 4 {
				if err := l.db.CreateAgency(context.Background(), store.System, &mash.Agency{Name: "A " + rand8(), Kind: mash.AgencyHousing}); err != nil {
					t.Fatal(err)
				}
			}
		},
		want: func(l *auditLog) (int64, []string) { return 0, []string{"do not match checkpoint"} },
	}, {
		name: "swap two events",
		tamper: func(t *testing.T, l *auditLog) {
			evs := l.events(t)
			a, b := evs[m-1], evs[m+1]
			l.exec(t, `DELETE FROM audit_events WHERE seq IN ($1, $2)`, a.Seq, b.Seq)
			a.Seq, b.Seq = b.Seq, a.Seq
			l.put(t, a)
			l.put(t, b)
		},
		want: func(*auditLog) (int64, []string) { return m, []string{"moved"} },
	}, {
		name: "replace an event, re-hashed",
		tamper: func(t *testing.T, l *auditLog) {
			evs := l.events(t)
			e := evs[m-1]
			l.exec(t, `DELETE FROM audit_events WHERE seq = $1`, m)
			e.ID, e.Action, e.Reason = "forged-id", "user.create", "forged"
			e.Hash = e.ComputeHash()
			l.put(t, e)
		},
		want: func(*auditLog) (int64, []string) {
			return m + 1, []string{fmt.Sprintf("prev_hash is not the hash of seq %d (id forged-id)", m)}
		},
	}, {
		name: "insert a forged event",
		tamper: func(t *testing.T, l *auditLog) {
			evs := l.events(t)
			for seq := l.total; seq >= m; seq-- { // one row at a time: seq stays unique throughout
				l.exec(t, `UPDATE audit_events SET seq = seq + 1 WHERE seq = $1`, seq)
			}
			e := evs[m-1]
			e.ID, e.Reason = "forged-id", "forged"
			e.Hash = e.ComputeHash()
			l.put(t, e)
		},
		want: func(*auditLog) (int64, []string) {
			return m + 1, []string{fmt.Sprintf("prev_hash skips seq %d (id forged-id), so that event was inserted", m)}
		},
	}, {
		name: "rewrite the whole chain",
		tamper: func(t *testing.T, l *auditLog) {
			evs := l.events(t)
			evs[m-1].Reason = "rewritten"
			for i := m - 1; i < len(evs); i++ {
				evs[i].PrevHash = evs[i-1].Hash
				evs[i].Hash = evs[i].ComputeHash()
				l.exec(t, `UPDATE audit_events SET reason = $1, prev_hash = $2, hash = $3 WHERE seq = $4`,
					evs[i].Reason, evs[i].PrevHash, evs[i].Hash, evs[i].Seq)
			}
			// Consistent on its own: only the checkpoint can tell.
			if _, err := audit.Verify(context.Background(), l.db, nil); err != nil {
				t.Fatalf("the rewritten chain should hold together: %v", err)
			}
		},
		want: func(l *auditLog) (int64, []string) {
			return 0, []string{"do not match checkpoint", fmt.Sprintf("seq 1..%d", l.cpSize)}
		},
	}} {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				l := newAuditLog(t, db)
				l.unprotect(t)
				c.tamper(t, l)
				_, err := l.verify()
				p, ok := errors.AsType[*audit.Problem](err)
				if !ok {
					t.Fatalf("verify: got %v, want a problem", err)
				}
				t.Log(p)
				seq, says := c.want(l)
				if p.Seq != seq {
					t.Errorf("names seq %d, want %d: %v", p.Seq, seq, p)
				}
				for _, s := range says {
					if !strings.Contains(p.Error(), s) {
						t.Errorf("%q does not say %q", p, s)
					}
				}
			})
		})
	}
}

// TestAuditForgedCheckpoint: a checkpoint signed by any other key is refused,
// even one that matches the log.
func TestAuditForgedCheckpoint(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		l := newAuditLog(t, db)
		other, err := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), "other.key"))
		if err != nil {
			t.Fatal(err)
		}
		cp, written, err := audit.WriteCheckpoint(context.Background(), db, t.TempDir(), other)
		if err != nil || !written {
			t.Fatal(err)
		}
		forged, err := os.ReadFile(cp.File)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(l.dir, filepath.Base(cp.File)), forged, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := l.verify(); err == nil || !strings.Contains(err.Error(), "refused: not signed by key "+audit.Origin) {
			t.Fatalf("another key's checkpoint: %v", err)
		}
	})
}

// TestAuditChainConcurrent: writers racing on every engine still make one
// linear chain, with seq in chain order.
func TestAuditChainConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := storetest.Partnership(t, db)
		before, err := audit.Verify(ctx, db, nil)
		if err != nil {
			t.Fatal(err)
		}
		const writers, each = 16, 15
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for range writers {
			wg.Go(func() {
				for range each {
					_, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), storetest.NewContact(db.Now().Add(-time.Hour)), "")
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		rep, err := audit.Verify(ctx, db, nil)
		if err != nil {
			t.Fatalf("verify after concurrent writes: %v", err)
		}
		if got := rep.TreeSize - before.TreeSize; got != writers*each {
			t.Fatalf("%d events appended, want %d", got, writers*each)
		}
	})
}

// TestAuditFailureFailsTheChange: a change whose audit event cannot be
// written does not happen.
func TestAuditFailureFailsTheChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := storetest.Partnership(t, db)
		block := `CREATE TRIGGER audit_block BEFORE INSERT ON audit_events WHEN NEW.action = 'contact.create'
			BEGIN SELECT RAISE(ABORT, 'blocked'); END`
		if db.Dialect() == store.Postgres {
			block = `ALTER TABLE audit_events ADD CONSTRAINT audit_block CHECK (action <> 'contact.create')`
		}
		if _, err := db.SQL().Exec(block); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), storetest.NewContact(db.Now().Add(-time.Hour)), ""); err == nil {
			t.Fatal("contact created without its audit event")
		}
		var n int
		if err := db.SQL().QueryRow(`SELECT count(*) FROM contacts`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d contacts, %v", n, err)
		}
		if _, err := audit.Verify(ctx, db, nil); err != nil {
			t.Fatal(err)
		}
	})
}

// rand8 is a short unique suffix.
func rand8() string { return fmt.Sprintf("%08x", time.Now().UnixNano()&0xffffffff) }

// BenchmarkVerify measures audit.Verify over 100,000 synthetic events:
//
//	go test -run XXX -bench Verify -benchtime 5x ./internal/store
func BenchmarkVerify(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		benchVerify(b, storetest.Engine{Name: "sqlite", URL: "file:" + filepath.Join(b.TempDir(), "mash.db")})
	})
	b.Run("postgres", func(b *testing.B) {
		u := storetest.PostgresURL(b)
		if u == "" {
			b.Skip("MASH_TEST_POSTGRES_URL is not set")
		}
		benchVerify(b, storetest.Engine{Name: "postgres", URL: u})
	})
}

func benchVerify(b *testing.B, e storetest.Engine) {
	const n = 100_000
	db := storetest.Open(b, e)
	ctx := context.Background()
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO audit_events (seq, id, at, actor_id, actor_role, agency_id, action,
		entity_type, entity_id, request_id, client_ip, reason, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`)
	if err != nil {
		b.Fatal(err)
	}
	prev, at := audit.Genesis, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := range int64(n) {
		ev := audit.Event{Seq: i + 1, ID: fmt.Sprintf("0198c0de-0000-7000-8000-%012d", i), At: at.Add(time.Duration(i) * time.Millisecond),
			ActorID: "0198c0de-1111-7000-8000-000000000001", ActorRole: "screener", AgencyID: "0198c0de-2222-7000-8000-000000000001",
			Action: "contact.read", EntityType: "contact", EntityID: fmt.Sprintf("0198c0de-3333-7000-8000-%012d", i%5000),
			RequestID: fmt.Sprintf("req-%d", i), ClientIP: "192.0.2.10", PrevHash: prev}
		ev.Hash = ev.ComputeHash()
		prev = ev.Hash
		if _, err := stmt.ExecContext(ctx, ev.Seq, ev.ID, ev.At, ev.ActorID, ev.ActorRole, ev.AgencyID, ev.Action,
			ev.EntityType, ev.EntityID, ev.RequestID, ev.ClientIP, ev.Reason, ev.PrevHash, ev.Hash); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		rep, err := audit.Verify(ctx, db, nil)
		if err != nil || rep.Events != n {
			b.Fatalf("%+v %v", rep, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
