package mash

import (
	"context"
	"time"
)

// Webhook events: the hub's alerts, plus the milestones partner systems
// follow. An event names the contact by id and reference only.
const (
	EventRequestReminder    = "request.reminder"
	EventRequestOverdue     = "request.overdue"
	EventContactApproaching = "contact.approaching"
	EventContactBreach      = "contact.breach"
	EventContactCreated     = "contact.created"
	EventContactDecided     = "contact.decided"
	EventFeedbackSent       = "feedback.sent"
)

// WebhookEvents lists the kinds an endpoint may subscribe to.
var WebhookEvents = []string{EventRequestReminder, EventRequestOverdue, EventContactApproaching, EventContactBreach,
	EventContactCreated, EventContactDecided, EventFeedbackSent}

// WebhookEvent is the JSON body POSTed to an endpoint. It carries no
// personal data: a partner system that needs more asks the API, where
// access is checked and audited.
type WebhookEvent struct {
	ID         string    `json:"id"` // also in X-OpenMASH-Event-Id; the same on every retry
	Kind       string    `json:"kind"`
	ContactID  string    `json:"contact_id,omitempty"`
	Reference  string    `json:"reference,omitempty"`
	OccurredAt time.Time `json:"occurred_at"`
}

// Webhook is a partner system's endpoint. Secret is shown once, in the
// answer to its creation; it signs every delivery (see package notify).
type Webhook struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"`
	Description string    `json:"description,omitempty"`
	Secret      string    `json:"secret,omitempty"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// NewWebhook registers an endpoint. URL must be https (http only to
// loopback: 127.0.0.1, ::1 or localhost, for local relays and tests).
// Secret, if given, must be 24–200 characters; if empty the hub makes one.
type NewWebhook struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description,omitempty"`
	Secret      string   `json:"secret,omitempty"`
}

// WebhookDelivery is one attempt to deliver one event to one endpoint.
type WebhookDelivery struct {
	ID         string    `json:"id"`
	WebhookID  string    `json:"webhook_id"`
	EventID    string    `json:"event_id"`
	EventKind  string    `json:"event_kind"`
	JobID      string    `json:"job_id"`
	Attempt    int       `json:"attempt"`
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code"` // 0: no answer
	OK         bool      `json:"ok"`
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
}

// Webhooks is the admin's management of partner endpoints. Creating and
// deleting are audited; a deleted endpoint gets no more deliveries, and its
// log stays.
type Webhooks interface {
	CreateWebhook(ctx context.Context, by Actor, in NewWebhook) (*Webhook, error)
	ListWebhooks(ctx context.Context, by Actor) ([]Webhook, error)
	DeleteWebhook(ctx context.Context, by Actor, id string) error
	WebhookDeliveries(ctx context.Context, by Actor, id string, limit int) ([]WebhookDelivery, error)
}
