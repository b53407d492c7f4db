-- +goose Up
-- The audit hash chain (see internal/audit). seq is part of what each event's
-- hash covers, so the store now assigns it before the INSERT (the last seq
-- + 1, in the same transaction). Every new event must be chained; events from
-- before this migration keep their empty hashes and stay outside the chain
-- (`mash audit verify` reports them).
-- +goose StatementBegin
CREATE TRIGGER audit_events_chained BEFORE INSERT ON audit_events
WHEN length(NEW.prev_hash) <> 64 OR length(NEW.hash) <> 64
BEGIN SELECT RAISE(ABORT, 'audit_events: an event must carry prev_hash and hash'); END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER audit_events_chained;
