// Package store keeps the hub's records in SQLite (embedded, the default) or
// PostgreSQL (to scale out), with one hand-written SQL code path for both.
// Every change commits in one transaction with its audit event.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // SQLite driver "sqlite"

	"openmash.org/mash"
	"openmash.org/mash/internal/auth"
)

//go:embed migrations
var migrations embed.FS

// Dialect names the SQL engine behind a DB.
type Dialect string

// The supported engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is the hub's store. It implements mash.Hub.
type DB struct {
	dialect Dialect
	// w runs every transaction. On SQLite it has one connection, so writers
	// queue in Go rather than fail with SQLITE_BUSY; r serves unaudited reads
	// (token lookups, agencies, policy) from a separate pool.
	w, r *sql.DB
	// On SQLite, jobs feeds the group committer (see commit.go): concurrent
	// transactions share one commit. Nil on PostgreSQL.
	jobs                chan *txJob
	closing, writerDone chan struct{}
	// Now is the clock; tests and the demo seeder replace it.
	Now func() time.Time
	// policy caches the parsed RAG policy (see Policy).
	policy atomic.Pointer[cachedPolicy]
	// model caches the identity model (see MatchModel).
	model atomic.Pointer[cachedModel]
	// PasswordParams sets the argon2id cost of new passwords.
	PasswordParams auth.Params
	// jobFuncs holds the handlers of background job kinds (see jobs.go).
	jobFuncs sync.Map
	// MeasuresLive works every measure out on every read, never serving a
	// stored result (measure_results.go): the benchmarks of the
	// computations set it.
	MeasuresLive bool
	// Standing, when set, names the long-range measures the pages ask for
	// by default at a time (web.StandingMeasures): the refresh job keeps
	// them worked out before anyone reads them. Set it before the job
	// runner starts.
	Standing func(now time.Time) []mash.MeasureRequest
	// stmts holds prepared statements by pool and text, readStmts counts
	// those prepareRead added (stmts.go).
	stmts     sync.Map
	readStmts atomic.Int64
}

// Options change how Open treats a database.
type Options struct {
	// AllowUnsafe lets the hub start on settings that can lose acknowledged
	// writes. Only the durability harness sets it, to prove it sees losses.
	AllowUnsafe bool
}

// DefaultURL is where the hub keeps its data when MASH_DATABASE_URL is unset.
const DefaultURL = "file:data/mash.db"

// Open connects to the database named by url: "postgres://…" (or
// "postgresql://…") for PostgreSQL, otherwise a SQLite file path or "file:"
// URL. It checks that writes are durable and refuses to run otherwise.
func Open(ctx context.Context, url string, opt Options) (*DB, error) {
	db := &DB{Now: func() time.Time { return time.Now().UTC() }, PasswordParams: auth.Default}
	var err error
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		db.dialect = Postgres
		db.w, err = sql.Open("pgx", url)
		if err != nil {
			return nil, fmt.Errorf("store: open postgres: %w", err)
		}
		db.w.SetMaxOpenConns(20)
		db.w.SetMaxIdleConns(20)
		db.r = db.w
	} else {
		db.dialect = SQLite
		// Extra query parameters come after the hub's pragmas, so an
		// operator's setting wins — and is then checked like any other.
		path, extra, _ := strings.Cut(strings.TrimPrefix(url, "file:"), "?")
		if extra != "" {
			extra = "&" + extra
		}
		if path == "" || path == ":memory:" {
			return nil, errors.New("store: SQLite needs a file path (an in-memory database cannot be durable)")
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("store: create data directory: %w", err)
			}
		}
		// busy_timeout first, so the journal_mode change itself waits rather
		// than fails when another process holds the file. synchronous=FULL:
		// in WAL mode NORMAL may lose the last commits on power loss.
		pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(ON)"
		db.w, err = sql.Open("sqlite", "file:"+path+"?"+pragmas+extra+"&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		db.w.SetMaxOpenConns(1)
		db.w.SetMaxIdleConns(1)
		db.w.SetConnMaxLifetime(0)
		db.r, err = sql.Open("sqlite", "file:"+path+"?"+pragmas+extra)
		if err != nil {
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		db.r.SetMaxOpenConns(4)
		db.r.SetMaxIdleConns(4)
		db.jobs, db.closing, db.writerDone = make(chan *txJob), make(chan struct{}), make(chan struct{})
		go db.committer()
	}
	if err := db.checkDurable(ctx); err != nil {
		if !opt.AllowUnsafe {
			db.Close()
			return nil, err
		}
		slog.Warn("starting on unsafe durability settings", "err", err)
	}
	return db, nil
}

// Dialect reports the engine.
func (db *DB) Dialect() Dialect { return db.dialect }

// Close closes the pools.
func (db *DB) Close() error {
	if db.jobs != nil {
		close(db.closing)
		<-db.writerDone
	}
	db.closeStmts()
	err := db.w.Close()
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// SQL exposes the write pool for benchmarks and tests that measure or inspect
// the raw store.
func (db *DB) SQL() *sql.DB { return db.w }

// checkDurable refuses settings under which an acknowledged commit can be lost.
func (db *DB) checkDurable(ctx context.Context) error {
	if db.dialect == SQLite {
		var mode string
		var sync int
		if err := db.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			return fmt.Errorf("store: read journal_mode: %w", err)
		}
		if err := db.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
			return fmt.Errorf("store: read synchronous: %w", err)
		}
		if !strings.EqualFold(mode, "wal") || sync < 2 {
			return fmt.Errorf("store: unsafe SQLite settings (journal_mode=%s, synchronous=%d): need WAL and FULL (2)", mode, sync)
		}
		return nil
	}
	for _, name := range []string{"fsync", "synchronous_commit"} {
		var v string
		if err := db.w.QueryRowContext(ctx, "SELECT current_setting($1)", name).Scan(&v); err != nil {
			return fmt.Errorf("store: read %s: %w", name, err)
		}
		if v == "off" {
			return fmt.Errorf("store: unsafe PostgreSQL setting %s=%s: acknowledged commits could be lost", name, v)
		}
	}
	return nil
}

// Migrate brings the schema up to date. On PostgreSQL a session advisory lock
// keeps several instances starting together from racing.
func (db *DB) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations/"+string(db.dialect))
	if err != nil {
		return err
	}
	var opts []goose.ProviderOption
	d := goose.DialectSQLite3
	if db.dialect == Postgres {
		d = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(d, db.w, sub, opts...)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	if err := db.ensurePersonKeys(ctx); err != nil {
		return fmt.Errorf("store: person keys: %w", err)
	}
	return db.prepareStatements(ctx)
}

// tx runs fn in a transaction and commits it; any error rolls back.
func (db *DB) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if db.jobs != nil {
		return db.groupTx(ctx, fn)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return dbErr(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return dbErr(err)
	}
	return nil
}

// dbErr classifies driver errors: contention and shutdown are Unavailable
// (the client may retry), uniqueness is Conflict, the rest Internal.
func dbErr(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*mash.Error](err); ok {
		return err
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "SQLITE_BUSY"), strings.Contains(msg, "database is locked"),
		strings.Contains(msg, "40001"), strings.Contains(msg, "40P01"),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &mash.Error{Kind: mash.KindUnavailable, Msg: "the store is busy; try again", Err: err}
	case strings.Contains(msg, "UNIQUE constraint"), strings.Contains(msg, "23505"):
		return &mash.Error{Kind: mash.KindConflict, Msg: "a record with the same key already exists", Err: err}
	}
	return &mash.Error{Kind: mash.KindInternal, Err: err}
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// nullTime converts an optional time for storage.
func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

func ptrTime(n sql.NullTime) *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time.UTC()
	return &t
}
