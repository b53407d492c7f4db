// Package storetest opens real databases for tests: a SQLite file always, and
// a fresh PostgreSQL database when MASH_TEST_POSTGRES_URL is set (required
// when MASH_TEST_REQUIRE_POSTGRES=1, as in CI).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"openmash.org/mash/internal/auth"
	"openmash.org/mash/internal/store"
)

// Engine is one database to run a test against.
type Engine struct {
	Name string
	URL  string
}

// Engines returns the engines to test: SQLite in a temporary directory, and
// PostgreSQL if configured. Each call makes new, empty databases.
func Engines(t testing.TB) []Engine {
	t.Helper()
	out := []Engine{{Name: "sqlite", URL: "file:" + filepath.Join(t.TempDir(), "mash.db")}}
	if pg := PostgresURL(t); pg != "" {
		out = append(out, Engine{Name: "postgres", URL: pg})
	}
	return out
}

// PostgresURL creates a fresh database on the server named by
// MASH_TEST_POSTGRES_URL and returns its URL, dropping it when the test ends.
// It returns "" when PostgreSQL is not configured (and fails the test when it
// is required).
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("MASH_TEST_POSTGRES_URL")
	if base == "" {
		if os.Getenv("MASH_TEST_REQUIRE_POSTGRES") == "1" {
			t.Fatal("MASH_TEST_POSTGRES_URL is not set but MASH_TEST_REQUIRE_POSTGRES=1")
		}
		return ""
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer admin.Close()
	name := "mash_test_" + strings.ToLower(rand.Text()[:12])
	if _, err := admin.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("postgres: create test database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("postgres: bad MASH_TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Open opens and migrates a store on e, with cheap password hashing so tests
// that create many users stay fast.
func Open(t testing.TB, e Engine) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), e.URL, store.Options{})
	if err != nil {
		t.Fatalf("%s: open: %v", e.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("%s: migrate: %v", e.Name, err)
	}
	db.PasswordParams = auth.Params{Memory: 1024, Time: 1, Threads: 1}
	return db
}

// Each runs fn as a subtest on every engine with a fresh, migrated store.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	for _, e := range Engines(t) {
		t.Run(e.Name, func(t *testing.T) { fn(t, Open(t, e)) })
	}
}
