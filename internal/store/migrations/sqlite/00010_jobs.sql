-- +goose Up
-- Background jobs: reminders, escalations and alerts that must happen on
-- time, exactly once, however many hub instances share the store. A runner
-- claims a job by setting its lease; a job whose lease ran out (its runner
-- died) is claimed again. key makes enqueueing idempotent: two instances
-- scheduling the same reminder make one job. Payloads hold ids, never
-- personal data.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    run_at TIMESTAMP NOT NULL,
    state TEXT NOT NULL,             -- queued, running, done, failed
    attempts INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    lease_owner TEXT NOT NULL,
    lease_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_lease ON jobs (state, lease_until);
-- In-app notifications. A message names a contact only by its reference and
-- links to it: no case details.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    reference TEXT NOT NULL,
    link TEXT NOT NULL,
    message TEXT NOT NULL,
    job_id TEXT NOT NULL,            -- the job that sent it
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
CREATE INDEX notifications_user ON notifications (user_id, created_at);
CREATE UNIQUE INDEX notifications_job_user ON notifications (job_id, user_id);
-- Chases of information requests, for the contact's history.
CREATE TABLE request_chases (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES info_requests(id),
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    kind TEXT NOT NULL,              -- reminder or overdue
    percent INTEGER NOT NULL,        -- of the time to the due time (100 when overdue)
    at TIMESTAMP NOT NULL,
    notified INTEGER NOT NULL        -- how many people were told
);
CREATE INDEX request_chases_contact ON request_chases (contact_id, at);
-- Contacts whose RAG deadline passed before a decision or closure.
CREATE TABLE contact_breaches (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    rag TEXT NOT NULL,
    due_at TIMESTAMP NOT NULL,
    breached_at TIMESTAMP NOT NULL,
    reason TEXT NOT NULL,            -- empty until a manager gives one
    reason_by TEXT REFERENCES users(id),
    reason_at TIMESTAMP
);
CREATE UNIQUE INDEX contact_breaches_deadline ON contact_breaches (contact_id, due_at);
CREATE INDEX contact_breaches_at ON contact_breaches (breached_at);

-- +goose Down
DROP TABLE contact_breaches;
DROP TABLE request_chases;
DROP TABLE notifications;
DROP TABLE jobs;
