-- +goose Up
-- The board and the inboxes list open requests by due time across the whole
-- hub; without this they read every request ever made.
CREATE INDEX info_requests_status ON info_requests (status, due_at);
-- Fresh statistics, so the planner weighs it against the contact index.
ANALYZE info_requests;

-- +goose Down
DROP INDEX info_requests_status;
