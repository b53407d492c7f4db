package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// A panic inside one transaction fails that transaction only; the committer
// goes on serving the others.
func TestCommitterSurvivesPanic(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "file:"+filepath.Join(t.TempDir(), "p.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	err = db.tx(ctx, func(tx *sql.Tx) error { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "panic") {
		t.Fatalf("panicking transaction: %v", err)
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO counters (name, value) VALUES ('x', 1)`)
		return err
	})
	if err != nil {
		t.Fatalf("transaction after a panic: %v", err)
	}
}
