-- +goose Up
-- The team a decided case is passed to: its receiving practitioners see it.
ALTER TABLE decisions ADD COLUMN receiving_agency_id TEXT NOT NULL DEFAULT '';
CREATE INDEX decisions_receiving ON decisions (receiving_agency_id);
-- People an item names whose identity must be withheld below the hub (JSON list).
ALTER TABLE return_items ADD COLUMN protected_names TEXT NOT NULL DEFAULT '[]';
-- The owning agency's approval to pass a mash_only item to the receiving team.
CREATE TABLE item_releases (
    item_id TEXT PRIMARY KEY REFERENCES return_items(id),
    approved_by TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    reason TEXT NOT NULL
);
-- Break-glass grants: time-limited access outside one's scope, for review.
CREATE TABLE break_glass (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    reason TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    reviewed_by TEXT NOT NULL DEFAULT '',
    reviewed_at TIMESTAMP,
    review_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX break_glass_user ON break_glass (user_id, contact_id, expires_at);
CREATE INDEX break_glass_review ON break_glass (reviewed_at, at);

-- +goose Down
DROP TABLE break_glass;
DROP TABLE item_releases;
DROP INDEX decisions_receiving;
ALTER TABLE return_items DROP COLUMN protected_names;
ALTER TABLE decisions DROP COLUMN receiving_agency_id;
