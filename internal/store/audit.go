package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/audit"
)

// auditChainLock is the PostgreSQL advisory lock that serialises appends to
// the audit chain ("mashaudt" in ASCII).
const auditChainLock int64 = 0x6d61736861756474

const (
	auditLastSQL   = `SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`
	auditInsertSQL = `INSERT INTO audit_events (seq, id, at, actor_id, actor_role, agency_id, action,
		entity_type, entity_id, request_id, client_ip, reason, prev_hash, hash)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`
)

// audit appends an event to the log inside tx, chained to the last event (see
// package audit). The event commits or rolls back with the change it records.
// tx must be a transaction, not the pool, and audit its last statement: on
// PostgreSQL the chain lock lasts until the transaction ends.
func (db *DB) audit(ctx context.Context, tx querier, by mash.Actor, action, entityType, entityID, reason string) error {
	// Changes partner systems follow raise webhook events (channels.go).
	if err := db.publishAudited(ctx, tx, action, entityType, entityID); err != nil {
		return err
	}
	// SQLite's committer already runs one transaction at a time. PostgreSQL
	// runs them concurrently: two could read the same last event and fork
	// the chain. Held to commit, the lock makes appends commit in seq order,
	// so a reader never sees a later event without an earlier one. As audit
	// comes last, only the append and the commit are serialised. (Without the
	// lock the seq primary key would still refuse a fork, by failing one.)
	if db.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, auditChainLock); err != nil {
			return dbErr(fmt.Errorf("lock the audit chain: %w", err))
		}
	}
	var last int64
	prev := ""
	if t, ok := tx.(*sql.Tx); ok {
		tx = preparedTx{db, db.w, t}
	}
	err := tx.QueryRowContext(ctx, auditLastSQL).Scan(&last, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return dbErr(fmt.Errorf("read the last audit event: %w", err))
	}
	if prev == "" { // an empty log, or only events from before the chain
		prev = audit.Genesis
	}
	e := audit.Event{
		Seq: last + 1, ID: newID(),
		// PostgreSQL keeps microseconds: hash what will be read back.
		At:      db.Now().UTC().Truncate(time.Microsecond),
		ActorID: by.UserID, ActorRole: string(by.Role), AgencyID: by.AgencyID,
		Action: action, EntityType: entityType, EntityID: entityID,
		RequestID: by.RequestID, ClientIP: by.ClientIP, Reason: reason,
		PrevHash: prev,
	}
	e.Hash = e.ComputeHash()
	_, err = tx.ExecContext(ctx, auditInsertSQL,
		e.Seq, e.ID, e.At, e.ActorID, e.ActorRole, e.AgencyID, e.Action, e.EntityType, e.EntityID,
		e.RequestID, e.ClientIP, e.Reason, e.PrevHash, e.Hash)
	if err != nil {
		return dbErr(fmt.Errorf("append audit event: %w", err))
	}
	return nil
}

// WalkAuditLog calls fn with each audit event in seq order, read by one
// statement (so from one snapshot) on the read pool, which keeps a long walk
// from holding up SQLite's writer. It stops at fn's first error and returns
// it as is. It makes DB an audit.Source.
func (db *DB) WalkAuditLog(ctx context.Context, fn func(*audit.Event) error) error {
	rows, err := db.r.QueryContext(ctx, `SELECT seq, id, at, actor_id, actor_role, agency_id, action,
		entity_type, entity_id, request_id, client_ip, reason, prev_hash, hash
		FROM audit_events ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("store: read audit events: %w", err)
	}
	defer rows.Close()
	var e audit.Event
	for rows.Next() {
		after := e.Seq
		if err := rows.Scan(&e.Seq, &e.ID, &e.At, &e.ActorID, &e.ActorRole, &e.AgencyID, &e.Action,
			&e.EntityType, &e.EntityID, &e.RequestID, &e.ClientIP, &e.Reason, &e.PrevHash, &e.Hash); err != nil {
			return fmt.Errorf("store: read the audit event after seq %d: %w", after, err)
		}
		e.At = e.At.UTC()
		if err := fn(&e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: read audit events after seq %d: %w", e.Seq, err)
	}
	return nil
}
