-- +goose Up
-- Users' unsent form input (see mash.Draft): one per user, form kind and
-- form_key (a contact or request id, or "new"). form_values is the form as
-- posted, as JSON; version is the version of the record the form was filled
-- against. Drafts are their user's own work, never shown to anyone else, and
-- deleted when sent, discarded or older than mash.DraftTTL (PurgeDrafts).
CREATE TABLE drafts (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    form_key TEXT NOT NULL,
    form_values TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (user_id, kind, form_key)
);
CREATE INDEX drafts_updated ON drafts (updated_at);

-- +goose Down
DROP TABLE drafts;
