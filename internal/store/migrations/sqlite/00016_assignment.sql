-- +goose Up
-- The worker a contact is assigned to: a screener or manager who has it in
-- hand. Empty (NULL) is the unassigned queue. The index serves the board's
-- "assigned to" filter and each worker's caseload count.
-- No REFERENCES here: SQLite cannot drop a column that is a foreign key,
-- so the Down step would fail; the store checks the user exists.
ALTER TABLE contacts ADD COLUMN assigned_to TEXT;
CREATE INDEX contacts_assigned_to ON contacts (assigned_to, status);

-- +goose Down
DROP INDEX contacts_assigned_to;
ALTER TABLE contacts DROP COLUMN assigned_to;
