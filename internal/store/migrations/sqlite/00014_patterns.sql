-- +goose Up
-- Pattern alerts (cumulative concern): a rule of the rule set (settings
-- 'pattern_rules') that fired for a person. At most one alert per rule and
-- person is open (not acknowledged); a later contact fitting the pattern is
-- added to it. Once acknowledged, a new alert is raised only when a contact
-- that no acknowledged alert covered makes the pattern again. summary says
-- the pattern without references: each reader gets the references of the
-- contacts they may open, and a count of the others.
CREATE TABLE pattern_alerts (
    id TEXT PRIMARY KEY,
    rule_id TEXT NOT NULL,
    rule_name TEXT NOT NULL,
    scope TEXT NOT NULL,             -- person or household
    rules_version INTEGER NOT NULL,  -- the rule set that raised it
    person_id TEXT NOT NULL REFERENCES persons(id),
    summary TEXT NOT NULL,
    raised_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    acknowledged_by TEXT REFERENCES users(id),
    acknowledged_at TIMESTAMP,
    ack_note TEXT NOT NULL
);
CREATE UNIQUE INDEX pattern_alerts_open ON pattern_alerts (rule_id, person_id) WHERE acknowledged_at IS NULL;
CREATE INDEX pattern_alerts_person ON pattern_alerts (person_id, raised_at);
CREATE INDEX pattern_alerts_raised ON pattern_alerts (raised_at);
-- The contacts that made an alert's pattern, with the person (or household
-- member) each names.
CREATE TABLE pattern_alert_contacts (
    alert_id TEXT NOT NULL REFERENCES pattern_alerts(id),
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    person_id TEXT NOT NULL,
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (alert_id, contact_id)
);
CREATE INDEX pattern_alert_contacts_contact ON pattern_alert_contacts (contact_id);

-- +goose Down
DROP TABLE pattern_alert_contacts;
DROP TABLE pattern_alerts;
