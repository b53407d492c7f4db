-- +goose Up
CREATE TABLE agencies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE persons (
    id TEXT PRIMARY KEY,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    dob TEXT NOT NULL,
    sex TEXT NOT NULL,
    postcode TEXT NOT NULL,
    nhs_number TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    channel TEXT NOT NULL,
    cohort TEXT NOT NULL,
    referrer TEXT NOT NULL,
    concerns TEXT NOT NULL,
    concern_code_version TEXT NOT NULL,
    narrative TEXT NOT NULL,
    immediate_risk BOOLEAN NOT NULL,
    consent TEXT NOT NULL,
    consent_override TEXT,
    rag TEXT NOT NULL,
    threshold_level INTEGER NOT NULL,
    screened_at TIMESTAMPTZ,
    due_at TIMESTAMPTZ,
    closure_reason TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX contacts_queue ON contacts (status, due_at);
CREATE INDEX contacts_created_by ON contacts (created_by, received_at);
CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE TABLE contact_subjects (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    person_id TEXT NOT NULL REFERENCES persons(id),
    ord INTEGER NOT NULL,
    role TEXT NOT NULL,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    dob TEXT NOT NULL,
    sex TEXT NOT NULL,
    address TEXT NOT NULL,
    postcode TEXT NOT NULL,
    nhs_number TEXT NOT NULL
);
CREATE INDEX contact_subjects_contact ON contact_subjects (contact_id, ord);
CREATE INDEX contact_subjects_person ON contact_subjects (person_id);
CREATE TABLE transitions (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    by_user TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX transitions_contact ON transitions (contact_id, at);
CREATE TABLE rag_changes (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    from_rag TEXT NOT NULL,
    to_rag TEXT NOT NULL,
    by_user TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    reason TEXT NOT NULL,
    due_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX rag_changes_contact ON rag_changes (contact_id, at);
CREATE TABLE info_requests (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    question TEXT NOT NULL,
    status TEXT NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX info_requests_agency ON info_requests (agency_id, status, due_at);
CREATE INDEX info_requests_contact ON info_requests (contact_id);
CREATE TABLE agency_returns (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL UNIQUE REFERENCES info_requests(id),
    outcome TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    reason TEXT NOT NULL,
    returned_by TEXT NOT NULL,
    returned_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE return_items (
    id TEXT PRIMARY KEY,
    return_id TEXT NOT NULL REFERENCES agency_returns(id),
    ord INTEGER NOT NULL,
    summary TEXT NOT NULL,
    detail TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    owning_agency_id TEXT NOT NULL REFERENCES agencies(id),
    marking TEXT NOT NULL
);
CREATE INDEX return_items_return ON return_items (return_id, ord);
CREATE TABLE decisions (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL UNIQUE REFERENCES contacts(id),
    threshold_level INTEGER NOT NULL,
    outcomes TEXT NOT NULL,
    rationale TEXT NOT NULL,
    agency_views TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE feedback (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL UNIQUE REFERENCES contacts(id),
    status TEXT NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    text TEXT NOT NULL,
    sent_by TEXT NOT NULL,
    sent_at TIMESTAMPTZ
);
-- The audit log. seq orders the chain; prev_hash and hash make it
-- tamper-evident; they are written empty until the hash chain is added.
CREATE TABLE audit_events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    at TIMESTAMPTZ NOT NULL,
    actor_id TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    agency_id TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    client_ip TEXT NOT NULL,
    reason TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_events_entity ON audit_events (entity_type, entity_id);
CREATE INDEX audit_events_actor ON audit_events (actor_id, at);
-- +goose StatementBegin
CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- +goose Down
DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only;
DROP TABLE feedback;
DROP TABLE decisions;
DROP TABLE return_items;
DROP TABLE agency_returns;
DROP TABLE info_requests;
DROP TABLE rag_changes;
DROP TABLE transitions;
DROP TABLE contact_subjects;
DROP TABLE idempotency_keys;
DROP TABLE contacts;
DROP TABLE persons;
DROP TABLE settings;
DROP TABLE counters;
DROP TABLE api_tokens;
DROP TABLE users;
DROP TABLE agencies;
