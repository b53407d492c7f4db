package store_test

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store/storetest"
)

// benchClients is how many goroutines create contacts at once: the intake
// goal's 16 concurrent clients, whatever GOMAXPROCS is.
const benchClients = 16

// BenchmarkCreateContact measures store.CreateContact — validation, the
// reference counter, the contact, two subjects and persons, the first
// transition and the audit event, one durable transaction each — from 16
// goroutines, on SQLite and (with MASH_TEST_POSTGRES_URL) PostgreSQL.
//
//	go test -run XXX -bench CreateContact -benchtime 2000x ./internal/store
func BenchmarkCreateContact(b *testing.B) {
	// A benchmark function runs more than once (b.N = 1 first), so each run
	// gets a fresh database.
	b.Run("sqlite", func(b *testing.B) {
		benchCreateContact(b, storetest.Engine{Name: "sqlite", URL: "file:" + filepath.Join(b.TempDir(), "mash.db")})
	})
	b.Run("postgres", func(b *testing.B) {
		u := storetest.PostgresURL(b)
		if u == "" {
			b.Skip("MASH_TEST_POSTGRES_URL is not set")
		}
		benchCreateContact(b, storetest.Engine{Name: "postgres", URL: u})
	})
}

func benchCreateContact(b *testing.B, e storetest.Engine) {
	db := storetest.Open(b, e)
	f := storetest.Partnership(b, db)
	by := f.Actor(mash.RoleReferrer)
	ctx := context.Background()
	b.SetParallelism((benchClients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c := storetest.NewContact(time.Now().UTC().Add(-time.Hour))
			if _, err := db.CreateContact(ctx, by, c, ""); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "contacts/s")
}
