-- +goose Up
-- The acknowledgement each referrer is sent when their contact arrives: an
-- in-app notification for a referrer who is a hub user, else a message the
-- hub's outbound channels send. The message holds only the reference.
CREATE TABLE acknowledgements (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL UNIQUE REFERENCES contacts(id),
    channel TEXT NOT NULL,           -- in_app or external
    recipient_user_id TEXT REFERENCES users(id),
    message TEXT NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL
);
-- Feedback not sent within its working day: the raw data of "feedback
-- sent within 1 working day".
CREATE TABLE feedback_breaches (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL UNIQUE REFERENCES contacts(id),
    due_at TIMESTAMPTZ NOT NULL,
    breached_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX feedback_breaches_at ON feedback_breaches (breached_at);
-- Professional disagreements with the hub's decisions. stages keeps the
-- escalation protocol in force when the challenge was raised (JSON).
CREATE TABLE disagreements (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    version INTEGER NOT NULL,
    raised_by TEXT NOT NULL REFERENCES users(id),
    raised_agency_id TEXT NOT NULL,
    raised_at TIMESTAMPTZ NOT NULL,
    reason TEXT NOT NULL,
    outcome_sought TEXT NOT NULL,
    immediate_risk BOOLEAN NOT NULL,
    status TEXT NOT NULL,            -- open or resolved
    stage INTEGER NOT NULL,
    resolution TEXT NOT NULL,        -- empty while open
    resolved_at TIMESTAMPTZ,
    stages TEXT NOT NULL
);
CREATE INDEX disagreements_contact ON disagreements (contact_id, raised_at);
CREATE INDEX disagreements_status ON disagreements (status, raised_at);
-- Each stage a disagreement reached, its deadline and response.
CREATE TABLE disagreement_steps (
    id TEXT PRIMARY KEY,
    disagreement_id TEXT NOT NULL REFERENCES disagreements(id),
    stage INTEGER NOT NULL,
    name TEXT NOT NULL,
    owner_role TEXT NOT NULL,
    owner_agency_id TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    response TEXT NOT NULL,          -- empty until the stage responds
    note TEXT NOT NULL,
    responded_by TEXT REFERENCES users(id),
    responded_at TIMESTAMPTZ,
    overdue_at TIMESTAMPTZ,                  -- when the owners were alerted
    UNIQUE (disagreement_id, stage)
);

-- +goose Down
DROP TABLE disagreement_steps;
DROP TABLE disagreements;
DROP TABLE feedback_breaches;
DROP TABLE acknowledgements;
