package mash

import (
	"context"
	"time"
)

// Assignment: a contact on the board can be in one worker's hands. Managers
// give contacts to any screener or manager; a screener may take one for
// themselves. The board filters by worker, and the workload figures count
// each worker's open contacts.

// The ContactFilter.AssignedTo values besides a user id.
const (
	AssignedToMe   = "me"   // the acting user
	AssignedToNone = "none" // no one: the unassigned queue
)

// Chase is one chase of an information request: a reminder or overdue
// notice sent by the job runner, or a manual chase by the hub's staff.
type Chase struct {
	ID        string    `json:"id"`
	RequestID string    `json:"request_id"`
	ContactID string    `json:"contact_id"`
	Kind      string    `json:"kind"`    // reminder, overdue or manual
	Percent   int       `json:"percent"` // of the time to the due time when chased
	At        time.Time `json:"at"`
	Notified  int       `json:"notified"` // how many people were told
}

// Chase kinds.
const ChaseManual = "manual"

// UserInfo is a user as the administrator's list shows them.
type UserInfo struct {
	User
	AgencyName string     `json:"agency_name"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
}

// Casework is the part of the hub for working the queue and running it:
// assignment, manual chases, the administrator's user and policy changes
// and the auditor's look-ups. Every method checks the actor's role in the
// store, and every change is audited.
//
// Assign gives a contact to userID (a screener or manager), or to no one
// when userID is empty; a stale version is a Conflict. ChaseRequest records
// a manual chase of an open request and notifies the asked agency's
// researchers in the app. Chases lists a contact's chases, oldest first.
// Workers lists the active screeners and managers, by name, for the hub's
// own staff to assign to. ListUsers lists every user for the administrator
// (and for the auditor, who picks whose reads to review). SetUserDisabled
// disables a user (ending their sessions) or enables them again.
// UpdatePolicy replaces the RAG policy, as `mash policy set` does.
// ContactIDByReference finds a contact's id from its reference, for the
// auditor's "who looked at this contact". BoardState is the live queue's
// fingerprint, for an open board to learn it is out of date.
type Casework interface {
	Assign(ctx context.Context, by Actor, contactID, userID string, version int) (*Contact, error)
	ChaseRequest(ctx context.Context, by Actor, requestID string) (*Chase, error)
	Chases(ctx context.Context, by Actor, contactID string) ([]Chase, error)
	Workers(ctx context.Context, by Actor) ([]User, error)
	ListUsers(ctx context.Context, by Actor) ([]UserInfo, error)
	SetUserDisabled(ctx context.Context, by Actor, userID string, disabled bool, reason string) error
	UpdatePolicy(ctx context.Context, by Actor, p RAGPolicy) error
	ContactIDByReference(ctx context.Context, by Actor, reference string) (string, error)
	BoardState(ctx context.Context, by Actor) (BoardState, error)
}

// BoardState says whether the live queue changed without listing it: Token
// changes whenever a contact joins or leaves the queue, changes state,
// rating, deadline, worker or version, goes overdue, or one of its requests
// is answered. It holds no names, so reading it is not audited, and the
// hub's screeners and managers may read it as often as they like.
type BoardState struct {
	Token   string `json:"token"`
	Open    int    `json:"open"`
	Overdue int    `json:"overdue"`
}
