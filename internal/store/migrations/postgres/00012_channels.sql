-- +goose Up
-- Partner systems' webhook endpoints. The secret signs every delivery, so it
-- is kept as given (it cannot be hashed); the API shows it only once, when
-- the endpoint is registered. events is a space-separated list of event
-- kinds. A deleted endpoint keeps its row (deleted_at) so its delivery log
-- stays whole.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    description TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
-- Every attempt to deliver an event to an endpoint: what answered, how fast.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks(id),
    event_id TEXT NOT NULL,
    event_kind TEXT NOT NULL,
    job_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    status_code INTEGER NOT NULL,    -- 0: no answer
    ok BOOLEAN NOT NULL,
    error TEXT NOT NULL,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, at);
-- Emails sent for in-app notifications (one per notification, whatever the
-- retries), so a delivered email is never sent again by a later attempt.
CREATE TABLE email_sends (
    notification_id TEXT PRIMARY KEY REFERENCES notifications(id),
    job_id TEXT NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE email_sends;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
