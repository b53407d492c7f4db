-- +goose Up
-- The audit hash chain (see internal/audit). seq is part of what each event's
-- hash covers, so the store assigns it before the INSERT (the last seq + 1,
-- under the chain lock) instead of the identity; without one, an INSERT that
-- bypasses the chain fails for want of a seq.
ALTER TABLE audit_events ALTER COLUMN seq DROP IDENTITY;
-- Every new event must be chained. Events from before this migration keep
-- their empty hashes (NOT VALID leaves existing rows unchecked) and stay
-- outside the chain; `mash audit verify` reports them.
ALTER TABLE audit_events ADD CONSTRAINT audit_events_chained
    CHECK (length(prev_hash) = 64 AND length(hash) = 64) NOT VALID;
-- Defence in depth, and little more: PUBLIC holds no privileges on a table
-- unless someone grants them, and this takes back any such grant of these.
-- The triggers stop the hub's own SQL changing the log, not the table's
-- owner, who can always disable them (as can a superuser). In production,
-- apply migrations as the owner and run the hub as a role that does not own
-- audit_events and holds only SELECT and INSERT on it. Even so, whoever owns
-- the database can rewrite the log: the hash chain and the signed checkpoints
-- kept outside the database make that detectable, not impossible.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC;

-- +goose Down
-- (The REVOKE has nothing to undo: PUBLIC is granted nothing here.)
ALTER TABLE audit_events DROP CONSTRAINT audit_events_chained;
ALTER TABLE audit_events ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY;
SELECT setval(pg_get_serial_sequence('audit_events', 'seq'), (SELECT COALESCE(max(seq), 0) + 1 FROM audit_events), false);
