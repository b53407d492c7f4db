-- +goose Up
-- The worker a contact is assigned to: a screener or manager who has it in
-- hand. Empty (NULL) is the unassigned queue. The index serves the board's
-- "assigned to" filter and each worker's caseload count.
ALTER TABLE contacts ADD COLUMN assigned_to TEXT REFERENCES users(id);
CREATE INDEX contacts_assigned_to ON contacts (assigned_to, status);

-- +goose Down
DROP INDEX contacts_assigned_to;
ALTER TABLE contacts DROP COLUMN assigned_to;
