package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"openmash.org/mash"
)

// Webhook endpoints: registered by admins, audited, secrets shown once.

// checkWebhook validates a registration, normalising it in place.
func checkWebhook(in *mash.NewWebhook) error {
	fe := mash.FieldErrors{}
	in.URL = strings.TrimSpace(in.URL)
	if p := webhookURLProblem(in.URL); p != "" {
		fe.Add("url", p)
	}
	var events []string
	if len(in.Events) == 0 {
		fe.Add("events", "is required: at least one of "+strings.Join(mash.WebhookEvents, ", "))
	}
	for i, e := range in.Events {
		e = strings.TrimSpace(e)
		if !slices.Contains(mash.WebhookEvents, e) {
			fe.Add(fmt.Sprintf("events[%d]", i), "must be one of "+strings.Join(mash.WebhookEvents, ", "))
		} else if !slices.Contains(events, e) {
			events = append(events, e)
		}
	}
	in.Events = events
	in.Description = strings.TrimSpace(in.Description)
	if len(in.Description) > 200 {
		fe.Add("description", "must be at most 200 characters")
	}
	if in.Secret != "" && (len(in.Secret) < 24 || len(in.Secret) > 200 || strings.ContainsAny(in.Secret, " \t\r\n")) {
		fe.Add("secret", "must be 24 to 200 characters without spaces, or left out for the hub to make one")
	}
	return fe.Err("the webhook is not valid")
}

// webhookURLProblem says what is wrong with an endpoint URL. Deliveries go
// over https; plain http is allowed only to this machine (127.0.0.1, ::1,
// localhost), for a local relay and for tests, where nothing crosses a
// network.
func webhookURLProblem(raw string) string {
	if raw == "" {
		return "is required"
	}
	if len(raw) > 2000 {
		return "must be at most 2000 characters"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "must be an absolute URL, e.g. https://partner.example/mash-events"
	}
	if u.User != nil {
		return "must not carry a user name or password: the signature authenticates the hub"
	}
	if u.Fragment != "" {
		return "must not have a fragment"
	}
	switch u.Scheme {
	case "https":
		return ""
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
			return ""
		}
		return "must use https (http only to 127.0.0.1, ::1 or localhost)"
	}
	return "must use https"
}

// CreateWebhook registers a partner endpoint (admin). The answer holds the
// secret; nothing shows it again.
func (db *DB) CreateWebhook(ctx context.Context, by mash.Actor, in mash.NewWebhook) (w *mash.Webhook, err error) {
	defer mash.Wrap(&err, "store.CreateWebhook")
	if err := may(by, mash.ActionWebhookManage); err != nil {
		return nil, err
	}
	if err := checkWebhook(&in); err != nil {
		return nil, err
	}
	if in.Secret == "" {
		b := make([]byte, 32)
		rand.Read(b)
		in.Secret = "whsec_" + hex.EncodeToString(b)
	}
	w = &mash.Webhook{ID: newID(), URL: in.URL, Events: in.Events, Description: in.Description, Secret: in.Secret,
		CreatedBy: by.UserID, CreatedAt: db.jobNow()}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhooks (id, url, secret, events, description, created_by, created_at, deleted_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,NULL)`, w.ID, w.URL, w.Secret, strings.Join(w.Events, " "), w.Description, w.CreatedBy,
			w.CreatedAt); err != nil {
			return dbErr(err)
		}
		return db.audit(ctx, tx, by, "webhook.create", "webhook", w.ID, strings.Join(w.Events, " "))
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

const webhookColumns = `id, url, events, description, created_by, created_at`

func scanWebhook(row interface{ Scan(...any) error }) (*mash.Webhook, error) {
	var w mash.Webhook
	var events string
	if err := row.Scan(&w.ID, &w.URL, &events, &w.Description, &w.CreatedBy, &w.CreatedAt); err != nil {
		return nil, dbErr(err)
	}
	w.Events, w.CreatedAt = strings.Fields(events), w.CreatedAt.UTC()
	return &w, nil
}

// ListWebhooks lists the live endpoints, oldest first, without secrets.
func (db *DB) ListWebhooks(ctx context.Context, by mash.Actor) (out []mash.Webhook, err error) {
	defer mash.Wrap(&err, "store.ListWebhooks")
	if err := may(by, mash.ActionWebhookRead); err != nil {
		return nil, err
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE deleted_at IS NULL ORDER BY created_at, id`)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	out = []mash.Webhook{}
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *w)
	}
	return out, dbErr(rows.Err())
}

// DeleteWebhook stops deliveries to an endpoint (admin); its log stays.
func (db *DB) DeleteWebhook(ctx context.Context, by mash.Actor, id string) (err error) {
	defer mash.Wrap(&err, "store.DeleteWebhook")
	if err := may(by, mash.ActionWebhookManage); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhooks SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL`, db.jobNow(), id)
		if err != nil {
			return dbErr(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return mash.Errorf(mash.KindNotFound, "no such webhook")
		}
		return db.audit(ctx, tx, by, "webhook.delete", "webhook", id, "")
	})
}

// WebhookDeliveries is an endpoint's delivery log, newest first (also for a
// deleted endpoint).
func (db *DB) WebhookDeliveries(ctx context.Context, by mash.Actor, id string, limit int) (out []mash.WebhookDelivery, err error) {
	defer mash.Wrap(&err, "store.WebhookDeliveries")
	if err := may(by, mash.ActionWebhookRead); err != nil {
		return nil, err
	}
	var one int
	if err := db.r.QueryRowContext(ctx, `SELECT 1 FROM webhooks WHERE id = $1`, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return nil, mash.Errorf(mash.KindNotFound, "no such webhook")
	} else if err != nil {
		return nil, dbErr(err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id, webhook_id, event_id, event_kind, job_id, attempt, at, status_code, ok, error, duration_ms
		FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY at DESC, attempt DESC, id DESC LIMIT `+fmt.Sprint(clampLimit(limit)), id)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	out = []mash.WebhookDelivery{}
	for rows.Next() {
		var d mash.WebhookDelivery
		if err := rows.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.EventKind, &d.JobID, &d.Attempt, &d.At, &d.StatusCode, &d.OK,
			&d.Error, &d.DurationMS); err != nil {
			return nil, dbErr(err)
		}
		d.At = d.At.UTC()
		out = append(out, d)
	}
	return out, dbErr(rows.Err())
}
