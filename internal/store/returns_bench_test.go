package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"openmash.org/mash/internal/returns"
	"openmash.org/mash/internal/store"
)

// BenchmarkReturnsExtract times one year's extract (read, build, write) on
// an existing database, e.g. one filled by `mash bench gen-contacts`:
//
//	MASH_BENCH_RETURNS_DB=/tmp/gen1m.db MASH_BENCH_RETURNS_YEAR=2026 \
//	  go test ./internal/store -run '^$' -bench ReturnsExtract -benchtime 3x
//
// Any year can be timed: the 2025-26 code lists stand in where a year has
// none (the lists do not change the work).
func BenchmarkReturnsExtract(b *testing.B) {
	url := os.Getenv("MASH_BENCH_RETURNS_DB")
	if url == "" {
		b.Skip("MASH_BENCH_RETURNS_DB is not set")
	}
	end, err := strconv.Atoi(os.Getenv("MASH_BENCH_RETURNS_YEAR"))
	if err != nil {
		b.Fatal("MASH_BENCH_RETURNS_YEAR: a reporting year such as 2026")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	y := returns.Year{End: end}
	lists, err := returns.ListsFor(y)
	if err != nil {
		lists, _ = returns.ListsFor(returns.Year{End: 2026})
	}
	from, to := y.Period()
	for i := 0; b.Loop(); i++ {
		cs, err := db.ReturnContacts(ctx, store.System, from, to, "benchmark")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := returns.WriteDir(filepath.Join(b.TempDir(), strconv.Itoa(i)), returns.Build(y, lists, cs), db.Now()); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(cs)), "contacts")
	}
}
