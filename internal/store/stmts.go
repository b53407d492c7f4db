package store

import (
	"context"
	"database/sql"
	"fmt"
)

// preparedTx runs a transaction's statements through statements prepared
// once per pool, where it has them. A person search runs the same handful of
// statements as a user types, and each write its audit append; parsing them
// afresh took about a tenth of a search's CPU on SQLite. Callers pad IN lists
// to fixed lengths (padIDs) so that one text serves every search. Other
// texts run on the transaction as usual.
type preparedTx struct {
	db   *DB
	pool *sql.DB // the pool tx came from
	tx   *sql.Tx
}

type stmtKey struct {
	pool *sql.DB
	text string
}

// prepareStatements prepares the hot paths' statements, after migration and
// before any transaction: on SQLite's one writer connection, preparing on the
// pool inside a transaction would wait for itself. PostgreSQL's driver keeps
// its own statement cache per connection.
func (db *DB) prepareStatements(ctx context.Context) error {
	if db.dialect != SQLite {
		return nil
	}
	some := make([]string, candidateCap)
	texts := map[*sql.DB][]string{
		db.r: {keysQuery(some[:keyPad]), recordsQuery(some), personsQuery(some[:idPad]), knownToQuery(some[:idPad])},
		db.w: {auditLastSQL, auditInsertSQL},
	}
	for pool, ts := range texts {
		for _, t := range ts {
			if _, err := db.prepareOn(ctx, pool, t); err != nil {
				return fmt.Errorf("store: prepare statements: %w", err)
			}
		}
	}
	return nil
}

// readStmtMax bounds the statements prepareRead adds.
const readStmtMax = 64

// prepareRead prepares a read statement on the read pool if it is not yet:
// for texts that depend on the actor, known only at a request. It must be
// called outside a transaction on the read pool, which could otherwise wait
// on itself for a connection.
func (db *DB) prepareRead(ctx context.Context, text string) error {
	if db.dialect != SQLite || db.readStmts.Load() >= readStmtMax {
		return nil
	}
	added, err := db.prepareOn(ctx, db.r, text)
	if added {
		db.readStmts.Add(1)
	}
	return dbErr(err)
}

// prepareOn prepares text on pool unless it already is, reporting whether
// it added the statement.
func (db *DB) prepareOn(ctx context.Context, pool *sql.DB, text string) (bool, error) {
	k := stmtKey{pool, text}
	if _, ok := db.stmts.Load(k); ok {
		return false, nil
	}
	s, err := pool.PrepareContext(ctx, text)
	if err != nil {
		return false, err
	}
	if _, loaded := db.stmts.LoadOrStore(k, s); loaded {
		s.Close()
		return false, nil
	}
	return true, nil
}

func (p preparedTx) stmt(ctx context.Context, text string) *sql.Stmt {
	if s, ok := p.db.stmts.Load(stmtKey{p.pool, text}); ok {
		return p.tx.StmtContext(ctx, s.(*sql.Stmt))
	}
	return nil
}

func (p preparedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := p.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return p.tx.QueryContext(ctx, query, args...)
}

func (p preparedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := p.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return p.tx.QueryRowContext(ctx, query, args...)
}

func (p preparedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := p.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return p.tx.ExecContext(ctx, query, args...)
}

// closeStmts closes the prepared statements, before the pools close.
func (db *DB) closeStmts() {
	db.stmts.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		db.stmts.Delete(k)
		return true
	})
}

// idPad is the length persons' IN lists are padded to: a search returns
// ten candidates by default.
const idPad = 10

// padIDs pads values with empty strings (never an id or a key) to the next
// multiple of n, so that an IN list of them has one of a few lengths.
func padIDs(values []string, n int) []string {
	if r := len(values) % n; r != 0 {
		values = append(values[:len(values):len(values)], make([]string, n-r)...)
	}
	return values
}
