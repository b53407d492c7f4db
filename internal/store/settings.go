package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"openmash.org/mash"
)

// Settings kept as JSON in the settings table: rule sets, templates and
// policies an admin may replace.

// loadSetting reads the setting key into a T, or the default when none is
// stored.
func loadSetting[T any](ctx context.Context, q querier, key string, def func() T) (T, error) {
	var raw string
	err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return def(), nil
	}
	var v T
	if err != nil {
		return v, dbErr(err)
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return v, &mash.Error{Kind: mash.KindInternal, Msg: "the stored setting " + key + " is unreadable", Err: err}
	}
	return v, nil
}

// putSetting stores v as the setting key, in the caller's transaction.
func putSetting(ctx context.Context, tx querier, key string, v any, now time.Time) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return &mash.Error{Kind: mash.KindInternal, Msg: "the setting cannot be stored", Err: err}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1,$2,$3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, string(raw), now)
	return dbErr(err)
}
