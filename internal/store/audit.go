package store

import (
	"context"

	"openmash.org/mash"
)

// audit appends an event to the log inside tx.
func (db *DB) audit(ctx context.Context, tx querier, by mash.Actor, action, entityType, entityID, reason string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_events (id, at, actor_id, actor_role, agency_id, action,
		entity_type, entity_id, request_id, client_ip, reason, prev_hash, hash)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,'','')`,
		newID(), db.Now().UTC(), by.UserID, string(by.Role), by.AgencyID, action, entityType, entityID,
		by.RequestID, by.ClientIP, reason)
	return dbErr(err)
}
