-- +goose Up
-- When retention anonymised the contact (it then holds no personal data).
ALTER TABLE contacts ADD COLUMN anonymised_at TIMESTAMP;
-- Legal holds stop retention from touching a contact.
CREATE TABLE legal_holds (
    contact_id TEXT PRIMARY KEY REFERENCES contacts(id),
    reason TEXT NOT NULL,
    by_user TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE legal_holds;
ALTER TABLE contacts DROP COLUMN anonymised_at;
