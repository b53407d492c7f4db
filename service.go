package mash

import (
	"context"
	"time"
)

// AuditEvent records one read or write of personal data, or one change to the
// hub's set-up. It is written in the same transaction as the change it records.
// Seq, PrevHash and Hash chain the log so tampering can be detected.
type AuditEvent struct {
	Seq        int64     `json:"seq"`
	ID         string    `json:"id"`
	At         time.Time `json:"at"`
	ActorID    string    `json:"actor_id"`
	ActorRole  Role      `json:"actor_role"`
	AgencyID   string    `json:"agency_id"`
	Action     string    `json:"action"` // e.g. contact.create, contact.read
	EntityType string    `json:"entity_type"`
	EntityID   string    `json:"entity_id"`
	RequestID  string    `json:"request_id"`
	ClientIP   string    `json:"client_ip"`
	Reason     string    `json:"reason,omitempty"`
	PrevHash   string    `json:"prev_hash,omitempty"`
	Hash       string    `json:"hash,omitempty"`
}

// ContactFilter narrows the contact queue.
type ContactFilter struct {
	Status  Status
	RAG     string
	Overdue *bool
	Cohort  Cohort
	Open    bool // only contacts not yet closed: the live queue
	Limit   int  // default 100, at most 1000
	// AssignedTo is AssignedToMe, AssignedToNone or a user id; Agency keeps
	// contacts with an open information request to that agency. Both are
	// the hub's working data: only its own staff filter by them.
	AssignedTo string
	Agency     string
}

// ContactSummary is one row of the queue: enough to triage, no narrative.
type ContactSummary struct {
	ID            string     `json:"id"`
	Reference     string     `json:"reference"`
	Status        Status     `json:"status"`
	Cohort        Cohort     `json:"cohort"`
	RAG           string     `json:"rag,omitempty"`
	ImmediateRisk bool       `json:"immediate_risk"`
	ReceivedAt    time.Time  `json:"received_at"`
	DueAt         *time.Time `json:"due_at,omitempty"`
	Overdue       bool       `json:"overdue"`
	Subject       string     `json:"subject"` // the main subject's name
	Version       int        `json:"version"`
	AssignedTo    string     `json:"assigned_to,omitempty"` // the worker who has it in hand (hub staff see it)
	AssignedName  string     `json:"assigned_name,omitempty"`
}

// RequestFilter narrows a list of information requests.
type RequestFilter struct {
	ContactID  string
	ContactIDs []string // any of these contacts (the board's rows)
	Status     RequestStatus
	Limit      int
}

// History is everything that happened to a contact, in order.
type History struct {
	ContactID   string        `json:"contact_id"`
	Transitions []Transition  `json:"transitions"`
	Ratings     []RAGChange   `json:"ratings"`
	Requests    []InfoRequest `json:"requests"`
	Decision    *Decision     `json:"decision,omitempty"`
	Feedback    *Feedback     `json:"feedback,omitempty"`
	// The referrer's acknowledgement, a missed feedback deadline and the
	// challenges to the decision (feedback.go, disagreement.go).
	Acknowledgement *Acknowledgement `json:"acknowledgement,omitempty"`
	FeedbackBreach  *FeedbackBreach  `json:"feedback_breach,omitempty"`
	Disagreements   []Disagreement   `json:"disagreements"`
}

// ContactDetail is a contact with its requests, decision and feedback.
type ContactDetail struct {
	Contact
	Overdue  bool          `json:"overdue"`
	Requests []InfoRequest `json:"requests"`
	Decision *Decision     `json:"decision,omitempty"`
	Feedback *Feedback     `json:"feedback,omitempty"`
	// The worker who has the contact in hand: shown to the hub's staff only.
	AssignedTo   string `json:"assigned_to,omitempty"`
	AssignedName string `json:"assigned_name,omitempty"`
}

// Token is a bearer credential for the API.
type Token struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Hub is the hub's service: every operation takes the acting user, checks what
// they may do and see, changes the store and writes the audit event in one
// transaction. Errors carry a Kind: Invalid (with per-field problems),
// NotFound (also for records outside the actor's scope), Conflict (stale
// version, illegal state change), Forbidden.
//
// Writes to an existing record take the version the caller last read; a
// stale version is a Conflict and changes nothing.
type Hub interface {
	Trust
	Identity
	Alerts
	Webhooks
	Patterns
	Casework
	Drafts
	Followup
	Measures

	// Set-up. Agencies and users are managed by admins (or the CLI, which acts
	// as the system).
	CreateAgency(ctx context.Context, by Actor, a *Agency) error
	ListAgencies(ctx context.Context) ([]Agency, error)
	FindAgency(ctx context.Context, nameOrID string) (*Agency, error)
	CreateUser(ctx context.Context, by Actor, u *User, password string) error
	Policy(ctx context.Context) (RAGPolicy, error)

	// Authentication. SignIn checks an email, password and one-time code
	// (with lockout) and issues a bearer token; from gives the request id and
	// client address for the audit log. IssueToken issues one without
	// credentials (for the server's command line); ActorForToken resolves a
	// token, refusing those of disabled users; RevokeToken ends one.
	SignIn(ctx context.Context, from Actor, email, password, code string, ttl time.Duration) (Token, error)
	IssueToken(ctx context.Context, userID string, ttl time.Duration) (Token, error)
	ActorForToken(ctx context.Context, token string) (Actor, error)
	RevokeToken(ctx context.Context, from Actor, token string) error
	//
	// Browser sessions live in the store, so they survive restarts and hold
	// across instances. StartSession is SignIn for the browser (the same
	// checks, lockout and failure message) but opens a session, which ends
	// after idle without use or after lifetime at the latest (ExpiresAt).
	// Every start makes a new random token. StartSSOSession opens one for a
	// person their identity provider vouched for: the user linked to issuer
	// and subject, else the one with the claimed email (then linked), else a
	// new user with no password or one-time codes (the provider does
	// multi-factor authentication), takes the claimed name, email, agency
	// and role. It refuses a disabled user (Forbidden) and an email linked to
	// another identity (Conflict). ActorForSession resolves a session token,
	// reading role and disabled flag on every call; PeekSession does the
	// same without counting as use, for a page's own background checks,
	// which must not keep an idle session alive. EndSession ends one.
	StartSession(ctx context.Context, from Actor, email, password, code string, idle, lifetime time.Duration) (Token, error)
	StartSSOSession(ctx context.Context, from Actor, issuer, subject string, claimed User, idle, lifetime time.Duration) (Token, error)
	ActorForSession(ctx context.Context, token string) (Actor, error)
	PeekSession(ctx context.Context, token string) (Actor, error)
	EndSession(ctx context.Context, from Actor, token string) error

	// Contacts. CreateContact with a non-empty idempotency key returns the
	// contact first created with that key (and created=false) on a retry.
	CreateContact(ctx context.Context, by Actor, c *Contact, idempotencyKey string) (created bool, err error)
	GetContact(ctx context.Context, by Actor, id string) (*ContactDetail, error)
	ListContacts(ctx context.Context, by Actor, f ContactFilter) ([]ContactSummary, error)
	Screen(ctx context.Context, by Actor, id string, s Screening) (*Contact, error)
	Rate(ctx context.Context, by Actor, id, rag, reason string, version int) (*Contact, error)
	OverrideConsent(ctx context.Context, by Actor, id, lawfulBasis, reason string, version int) (*Contact, error)
	History(ctx context.Context, by Actor, id string) (*History, error)

	// Partner information.
	CreateRequest(ctx context.Context, by Actor, contactID string, in NewRequest) (*InfoRequest, error)
	ListRequests(ctx context.Context, by Actor, f RequestFilter) ([]InfoRequest, error)
	SubmitReturn(ctx context.Context, by Actor, requestID string, r *AgencyReturn, version int) (*InfoRequest, error)

	// Decision, feedback, closure.
	Decide(ctx context.Context, by Actor, contactID string, d *Decision) (*Contact, error)
	SendFeedback(ctx context.Context, by Actor, contactID, text string, version int) (*Contact, error)
	CloseContact(ctx context.Context, by Actor, contactID, reason string, version int) (*Contact, error)
}

// BreakGlass is a time-limited grant to open a contact outside one's normal
// scope, with the reason given; the auditor reviews every one.
type BreakGlass struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	UserName   string     `json:"user_name,omitempty"`
	ContactID  string     `json:"contact_id"`
	Reason     string     `json:"reason"`
	At         time.Time  `json:"at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	ReviewedBy string     `json:"reviewed_by,omitempty"`
	ReviewedAt *time.Time `json:"reviewed_at,omitempty"`
	ReviewNote string     `json:"review_note,omitempty"`
}

// AuditFilter selects audit events for the auditor's views: who looked at a
// contact or a person, and what a user has looked at.
type AuditFilter struct {
	EntityType string
	EntityID   string
	PersonID   string // events on any contact naming this person
	ActorID    string
	From, To   time.Time
	Limit      int
}

// Trust is the part of the hub that makes access accountable: break-glass,
// the owning agency's release of mash_only items, and the auditor's views.
type Trust interface {
	BreakGlass(ctx context.Context, by Actor, contactID, reason string) (*BreakGlass, error)
	ListBreakGlass(ctx context.Context, by Actor, unreviewedOnly bool) ([]BreakGlass, error)
	ReviewBreakGlass(ctx context.Context, by Actor, id, note string) (*BreakGlass, error)
	ReleaseItem(ctx context.Context, by Actor, itemID, reason string) (*Release, error)
	AuditEvents(ctx context.Context, by Actor, f AuditFilter) ([]AuditEvent, error)
}
