package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Group commit (SQLite). SQLite has one writer, and each commit writes every
// page the transaction touched to the WAL and syncs it: for a contact that is
// about 24 pages. The committer runs the transactions waiting at the same
// moment one after another inside one SQLite transaction, each in its own
// savepoint, and commits them together: shared pages are written once, the
// WAL is synced once, and no one is told "done" before that commit is on disk.
// A transaction that fails rolls back to its savepoint and leaves the others
// in the batch alone.

type txJob struct {
	ctx  context.Context
	fn   func(*sql.Tx) error
	done chan error
}

// maxBatch bounds how many transactions share a commit.
const maxBatch = 64

var errClosed = errors.New("store: closed")

// groupTx hands fn to the committer and waits for the outcome. Once handed
// over, it waits for the commit even if ctx ends, so the answer is true.
func (db *DB) groupTx(ctx context.Context, fn func(*sql.Tx) error) error {
	j := &txJob{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.jobs <- j:
	case <-ctx.Done():
		return dbErr(ctx.Err())
	case <-db.closing:
		return dbErr(errClosed)
	}
	return <-j.done
}

// committer runs batches until the store closes. db.jobs is unbuffered, so a
// job is only ever taken by a committer that will run it.
func (db *DB) committer() {
	defer close(db.writerDone)
	for {
		var batch []*txJob
		select {
		case j := <-db.jobs:
			batch = append(batch, j)
		case <-db.closing:
			return
		}
	more:
		for len(batch) < maxBatch {
			select {
			case j := <-db.jobs:
				batch = append(batch, j)
			default:
				break more
			}
		}
		db.runBatch(batch)
	}
}

func (db *DB) runBatch(batch []*txJob) {
	// The batch's own context: one caller giving up must not roll back the rest.
	ctx := context.Background()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		for _, j := range batch {
			j.done <- dbErr(err)
		}
		return
	}
	var ok []*txJob
	// abort ends the batch when the SQLite transaction itself is lost: nothing
	// in it commits, so everyone still waiting hears err.
	abort := func(err error, rest []*txJob) {
		tx.Rollback()
		for _, j := range append(ok, rest...) {
			j.done <- dbErr(err)
		}
	}
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.done <- dbErr(err)
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT job"); err != nil {
			abort(err, batch[i:])
			return
		}
		if err := runJob(j.fn, tx); err != nil {
			if _, e := tx.ExecContext(ctx, "ROLLBACK TO job"); e != nil {
				j.done <- err
				abort(e, batch[i+1:])
				return
			}
			if _, e := tx.ExecContext(ctx, "RELEASE job"); e != nil {
				j.done <- err
				abort(e, batch[i+1:])
				return
			}
			j.done <- err
			continue
		}
		if _, err := tx.ExecContext(ctx, "RELEASE job"); err != nil {
			abort(err, batch[i:])
			return
		}
		ok = append(ok, j)
	}
	err = dbErr(tx.Commit())
	for _, j := range ok {
		j.done <- err
	}
}

// runJob runs one transaction's work, turning a panic into an error: the
// committer serves every writer, so one bad request must not stop it.
func runJob(fn func(*sql.Tx) error, tx *sql.Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("store: panic in transaction: %v", v)
		}
	}()
	return fn(tx)
}
