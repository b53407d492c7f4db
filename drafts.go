package mash

import (
	"context"
	"encoding/json"
	"time"
)

// DraftKind names the form a draft belongs to.
type DraftKind string

// The long forms whose unsent input is kept as a draft.
const (
	DraftContact  DraftKind = "contact"  // the new-contact form; key "new"
	DraftReturn   DraftKind = "return"   // an agency's answer; key the request id
	DraftDecision DraftKind = "decision" // the decision form; key the contact id
	DraftFeedback DraftKind = "feedback" // feedback to the referrer; key the contact id
)

// DraftKinds lists the kinds, each with the action its form needs: only a
// user who may send the form keeps a draft of it.
var DraftKinds = map[DraftKind]Action{
	DraftContact:  ActionContactCreate,
	DraftReturn:   ActionReturnSubmit,
	DraftDecision: ActionDecide,
	DraftFeedback: ActionFeedbackSend,
}

// DraftTTL is how long an untouched draft is kept. A draft is the user's own
// unsent work, held so a timeout or a crash loses nothing; it is not a
// record of the hub, so it goes once sent, discarded, or left this long.
const DraftTTL = 7 * 24 * time.Hour

// Draft limits: a draft holds one form's values, as posted.
const (
	MaxDraftFields = 600
	MaxDraftBytes  = 60 << 10
)

// Draft is one user's unsent input to one form. Values are the form's
// fields as posted (several values for checkboxes). Version is the version
// of the record the form was filled against, 0 for a new record: restored
// against a newer one, the page shows what changed.
type Draft struct {
	ID        string              `json:"id"`
	UserID    string              `json:"user_id"`
	Kind      DraftKind           `json:"kind"`
	Key       string              `json:"key"`
	Values    map[string][]string `json:"values"`
	Version   int                 `json:"version"`
	UpdatedAt time.Time           `json:"updated_at"`
}

// Validate checks a draft's kind, key and size.
func (d *Draft) Validate() error {
	f := FieldErrors{}
	if _, ok := DraftKinds[d.Kind]; !ok {
		f.Add("kind", "is not a kind of form with drafts")
	}
	if !draftKey(d.Key) {
		f.Add("key", "must be 1 to 64 letters, digits, '-' or '_'")
	}
	if d.Version < 0 {
		f.Add("version", "must not be negative")
	}
	if len(d.Values) > MaxDraftFields {
		f.Add("values", "has too many fields")
	} else if b, err := json.Marshal(d.Values); err != nil || len(b) > MaxDraftBytes {
		f.Add("values", "is too long to keep as a draft")
	}
	return f.Err("the draft is not valid")
}

func draftKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for _, c := range []byte(k) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Drafts keeps users' unsent form input. Every method works on the acting
// user's own drafts only: another user's draft is NotFound, whatever their
// role. SaveDraft creates or replaces the draft for (kind, key) and sets its
// ID, UserID and UpdatedAt; GetDraft reads it (NotFound when there is none,
// or it is older than DraftTTL); DeleteDraft discards it (NotFound when
// there is none). Each is audited, as drafts hold personal data.
type Drafts interface {
	SaveDraft(ctx context.Context, by Actor, d *Draft) error
	GetDraft(ctx context.Context, by Actor, kind DraftKind, key string) (*Draft, error)
	DeleteDraft(ctx context.Context, by Actor, kind DraftKind, key string) error
}
