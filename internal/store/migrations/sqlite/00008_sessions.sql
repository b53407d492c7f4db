-- +goose Up
-- Browser sessions, kept in the database so they survive restarts and hold
-- across every instance. Only the SHA-256 of the session token is stored, as
-- for API tokens. A session ends at idle_expires_at (moved on by use, by
-- idle_seconds) or at expires_at, whichever is first.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    idle_expires_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    idle_seconds INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
-- Single sign-on: the identity provider's issuer and subject a user is
-- linked to ('' = not linked). A user created by single sign-on has no
-- password ('' matches none) and no one-time codes: their identity provider
-- is responsible for multi-factor authentication.
ALTER TABLE users ADD COLUMN oidc_issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN oidc_subject TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX users_oidc ON users (oidc_issuer, oidc_subject) WHERE oidc_subject <> '';

-- +goose Down
DROP INDEX users_oidc;
ALTER TABLE users DROP COLUMN oidc_subject;
ALTER TABLE users DROP COLUMN oidc_issuer;
DROP TABLE sessions;
