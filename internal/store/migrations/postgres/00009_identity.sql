-- +goose Up
-- Identity resolution. A person is a cluster of records: each contact subject
-- and each record an agency's index holds. Records are filed under blocking
-- keys, so an online match reads a few small key ranges instead of holding an
-- index in memory, and works the same from every hub instance. Keys are
-- derived by code: settings 'person_keys_version' names the scheme they were
-- built with, and the hub rebuilds them when it changes.
ALTER TABLE persons ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE persons ADD COLUMN merged_into TEXT REFERENCES persons(id);
ALTER TABLE persons ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE TABLE person_records (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons(id),
    kind TEXT NOT NULL,              -- subject (of a contact) or agency (an agency's index)
    agency_id TEXT REFERENCES agencies(id),
    source_ref TEXT NOT NULL,        -- the subject id, or the agency's own record id
    given_name TEXT NOT NULL,
    middle_names TEXT NOT NULL,
    family_name TEXT NOT NULL,
    dob TEXT NOT NULL,
    sex TEXT NOT NULL,
    address TEXT NOT NULL,
    postcode TEXT NOT NULL,
    nhs_number TEXT NOT NULL,
    phone TEXT NOT NULL,
    household_key TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX person_records_person ON person_records (person_id);
CREATE INDEX person_records_household ON person_records (household_key) WHERE household_key <> '';
CREATE UNIQUE INDEX person_records_source ON person_records (kind, agency_id, source_ref);
CREATE TABLE person_keys (
    key TEXT NOT NULL,
    record_id TEXT NOT NULL REFERENCES person_records(id),
    PRIMARY KEY (key, record_id)
);
CREATE INDEX person_keys_record ON person_keys (record_id);
-- Every automatic or human decision linking a record to a person.
CREATE TABLE identity_decisions (
    id TEXT PRIMARY KEY,
    record_id TEXT NOT NULL REFERENCES person_records(id),
    person_id TEXT NOT NULL REFERENCES persons(id),
    candidate_id TEXT REFERENCES persons(id),
    probability DOUBLE PRECISION NOT NULL,
    outcome TEXT NOT NULL,
    explanation TEXT NOT NULL,
    by_user TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX identity_decisions_person ON identity_decisions (person_id, at);
CREATE INDEX identity_decisions_candidate ON identity_decisions (candidate_id);
-- Matches between the thresholds wait here for a human.
CREATE TABLE match_reviews (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    record_id TEXT NOT NULL REFERENCES person_records(id),
    person_id TEXT NOT NULL REFERENCES persons(id),
    candidate_id TEXT NOT NULL REFERENCES persons(id),
    probability DOUBLE PRECISION NOT NULL,
    explanation TEXT NOT NULL,
    status TEXT NOT NULL,            -- open, same (merged), different
    created_at TIMESTAMPTZ NOT NULL,
    resolved_by TEXT REFERENCES users(id),
    resolved_at TIMESTAMPTZ,
    reason TEXT NOT NULL,
    merge_id TEXT
);
CREATE INDEX match_reviews_open ON match_reviews (status, created_at);
-- A merge moves every record (and contact subject) of one person to another;
-- the items it moved are kept, so an unmerge puts exactly those back.
CREATE TABLE person_merges (
    id TEXT PRIMARY KEY,
    survivor_id TEXT NOT NULL REFERENCES persons(id),
    merged_id TEXT NOT NULL REFERENCES persons(id),
    by_user TEXT NOT NULL REFERENCES users(id),
    at TIMESTAMPTZ NOT NULL,
    reason TEXT NOT NULL,
    undone_by TEXT REFERENCES users(id),
    undone_at TIMESTAMPTZ,
    undo_reason TEXT NOT NULL
);
CREATE INDEX person_merges_survivor ON person_merges (survivor_id);
CREATE INDEX person_merges_merged ON person_merges (merged_id);
CREATE TABLE person_merge_items (
    merge_id TEXT NOT NULL REFERENCES person_merges(id),
    kind TEXT NOT NULL,              -- record or subject
    item_id TEXT NOT NULL,
    PRIMARY KEY (merge_id, kind, item_id)
);
-- Existing subjects become records of their persons (keys follow at start-up).
INSERT INTO person_records (id, person_id, kind, agency_id, source_ref, given_name, middle_names, family_name, dob, sex,
    address, postcode, nhs_number, phone, household_key, created_at)
SELECT s.id, s.person_id, 'subject', NULL, s.id, s.given_name, '', s.family_name, s.dob, s.sex, s.address, s.postcode,
    s.nhs_number, '', '', c.created_at
FROM contact_subjects s JOIN contacts c ON c.id = s.contact_id;

-- +goose Down
DROP TABLE person_merge_items;
DROP TABLE person_merges;
DROP TABLE match_reviews;
DROP TABLE identity_decisions;
DROP TABLE person_keys;
DROP TABLE person_records;
ALTER TABLE persons DROP COLUMN version;
ALTER TABLE persons DROP COLUMN merged_into;
ALTER TABLE persons DROP COLUMN address;
