-- +goose Up
-- Sign-in hardening. A disabled user's tokens stop working on the next
-- request; the TOTP secret is base32 as enrolled ('' = not enrolled) and is
-- stored in the clear for now; totp_last_step makes each code single-use;
-- failed_signins counts failures since failed_since, towards locked_until.
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN failed_signins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN failed_since TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN locked_until TIMESTAMPTZ;
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- +goose Down
DROP INDEX api_tokens_user;
ALTER TABLE users DROP COLUMN locked_until;
ALTER TABLE users DROP COLUMN failed_since;
ALTER TABLE users DROP COLUMN failed_signins;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_secret;
ALTER TABLE users DROP COLUMN disabled_at;
