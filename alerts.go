package mash

import (
	"context"
	"encoding/json"
	"time"
)

// JobState is where a background job stands.
type JobState string

// The job states. A job is queued until a runner claims it (running, with a
// lease); it ends done, or failed with its reason once its attempts are spent.
// A running job whose lease has expired (its runner died) is claimed again.
const (
	JobQueued  JobState = "queued"
	JobRunning JobState = "running"
	JobDone    JobState = "done"
	JobFailed  JobState = "failed"
)

// JobStates lists the states, for validating filters.
var JobStates = []JobState{JobQueued, JobRunning, JobDone, JobFailed}

// Job is one piece of background work, persisted so it survives restarts and
// runs exactly once however many instances share the store. Payloads and
// errors hold ids and reasons, never personal data.
type Job struct {
	ID          string          `json:"id"`
	Kind        string          `json:"kind"`
	Key         string          `json:"key"` // unique: enqueueing the same key twice makes one job
	Payload     json.RawMessage `json:"payload"`
	RunAt       time.Time       `json:"run_at"`
	State       JobState        `json:"state"`
	Attempts    int             `json:"attempts"`
	MaxAttempts int             `json:"max_attempts"`
	LastError   string          `json:"last_error,omitempty"`
	LeaseOwner  string          `json:"lease_owner,omitempty"`
	LeaseUntil  *time.Time      `json:"lease_until,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// ErrLeaseLost is the answer to running a job whose lease ran out and which
// another runner has claimed since: nothing was done.
var ErrLeaseLost error = &Error{Kind: KindConflict, Op: "jobs",
	Msg: "the job's lease was lost: another runner has claimed it"}

// JobFilter narrows the admin's list of jobs.
type JobFilter struct {
	State JobState
	Kind  string
	Limit int // default 100, at most 1000
}

// Notification is an in-app message to one user. It names a contact only by
// its reference and links to it; it carries no case details.
type Notification struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind"` // e.g. request.reminder, request.overdue, contact.approaching, contact.breach
	Reference string     `json:"reference,omitempty"`
	Link      string     `json:"link,omitempty"`
	Message   string     `json:"message"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

// Notifications is a user's in-app notifications, newest first.
type Notifications struct {
	Unread int            `json:"unread"`
	Items  []Notification `json:"items"`
}

// Breach records a contact whose RAG deadline passed before it was decided or
// closed: the raw data of the timeliness figures. Reason stays empty until a
// manager gives one.
type Breach struct {
	ID         string     `json:"id"`
	ContactID  string     `json:"contact_id"`
	Reference  string     `json:"reference"`
	RAG        string     `json:"rag"` // empty: the screening target of an unrated contact
	DueAt      time.Time  `json:"due_at"`
	BreachedAt time.Time  `json:"breached_at"`
	Reason     string     `json:"reason"`
	ReasonBy   string     `json:"reason_by,omitempty"`
	ReasonAt   *time.Time `json:"reason_at,omitempty"`
}

// Alerts is the part of the hub that keeps deadlines moving: the background
// jobs that chase requests and contacts, and what they tell people.
//
// ListJobs shows the queue to admins and managers (state, attempts, last
// error). ListBreaches lists missed contact deadlines, newest first, for
// managers and analysts; ExplainBreach records a manager's reason for one
// (once: a second is a Conflict). Notifications lists the signed-in user's own notifications with
// the unread count; MarkNotificationRead marks one of them read (NotFound
// for anyone else's).
type Alerts interface {
	ListJobs(ctx context.Context, by Actor, f JobFilter) ([]Job, error)
	Notifications(ctx context.Context, by Actor, limit int) (*Notifications, error)
	MarkNotificationRead(ctx context.Context, by Actor, id string) (*Notification, error)
	ListBreaches(ctx context.Context, by Actor, f BreachFilter) ([]Breach, error)
	ExplainBreach(ctx context.Context, by Actor, id, reason string) (*Breach, error)
}

// BreachFilter narrows the list of breaches.
type BreachFilter struct {
	Unexplained bool // only those no manager has given a reason for yet
	Limit       int  // default 100, at most 1000
}

// Deadline policy for reminders: the fractions of the time between asking
// and the due time at which the asked agency is reminded, and the fraction of
// a contact's clock at which its deadline is said to be approaching.
var (
	RequestReminderAt  = []int{50, 90} // percent
	ContactApproaching = 75            // percent
)

// PointInTime returns the moment pct percent of the way from start to due.
func PointInTime(start, due time.Time, pct int) time.Time {
	if !due.After(start) {
		return due
	}
	return start.Add(due.Sub(start) * time.Duration(pct) / 100)
}
