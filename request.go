package mash

import (
	"fmt"
	"strings"
	"time"
)

// Marking says how far an item returned by an agency may travel. The owning
// agency sets it; the hub enforces it.
type Marking string

// The disclosure markings, from most to least restricted.
const (
	MarkingMASHOnly      Marking = "mash_only"      // inside the hub only; the owner must approve any release
	MarkingReceivingTeam Marking = "receiving_team" // may go to the team that receives the case
	MarkingFamily        Marking = "family"         // may be shared with the family
)

// Markings lists the valid markings.
var Markings = []Marking{MarkingMASHOnly, MarkingReceivingTeam, MarkingFamily}

// RequestStatus is where an information request stands.
type RequestStatus string

// The request states. Overdue is not stored: it is an open request past its
// due time, computed when read.
const (
	RequestOpen     RequestStatus = "open"
	RequestReturned RequestStatus = "returned"
	RequestOverdue  RequestStatus = "overdue"
)

// InfoRequest asks one partner agency what it holds about a contact's subjects.
type InfoRequest struct {
	ID          string        `json:"id"`
	ContactID   string        `json:"contact_id"`
	Reference   string        `json:"contact_reference,omitempty"`
	AgencyID    string        `json:"agency_id"`
	AgencyName  string        `json:"agency_name,omitempty"`
	Question    string        `json:"question"`
	Status      RequestStatus `json:"status"`
	DueAt       time.Time     `json:"due_at"`
	RequestedBy string        `json:"requested_by"`
	RequestedAt time.Time     `json:"requested_at"`
	Version     int           `json:"version"`
	Return      *AgencyReturn `json:"return,omitempty"`
}

// Effective sets Status to overdue when an open request is past due at now.
func (r *InfoRequest) Effective(now time.Time) {
	if r.Status == RequestOpen && now.After(r.DueAt) {
		r.Status = RequestOverdue
	}
}

// NewRequest is the input of an information request.
type NewRequest struct {
	AgencyID string     `json:"agency_id"`
	Question string     `json:"question"`
	DueAt    *time.Time `json:"due_at,omitempty"` // default: the contact's RAG deadline
}

// CheckRequest decides whether the hub may ask partners about this contact now.
// Threshold comes before checks (the 2013 Haringey judgment): without consent,
// checks below Red need a manager's recorded override.
func (c *Contact) CheckRequest(in *NewRequest, now time.Time) error {
	fe := FieldErrors{}
	if in.AgencyID == "" {
		fe.Add("agency_id", "is required")
	}
	in.Question = strings.TrimSpace(in.Question)
	if in.Question == "" {
		fe.Add("question", "is required: say what the hub needs to know")
	}
	checkLen(fe, "question", in.Question, maxNarrative)
	if in.DueAt != nil && !in.DueAt.After(now) {
		fe.Add("due_at", "must be in the future")
	}
	if err := fe.Err("the information request is not valid"); err != nil {
		return err
	}
	if c.Status != StatusInMASH {
		return Errorf(KindConflict, "information requests can only be sent for contacts in MASH; this one is %s", c.Status)
	}
	if c.Consent.Status != ConsentGiven && c.RAG != "red" && c.ConsentOverride == nil {
		return Errorf(KindConflict, "consent was %s and the contact is rated %s: a manager must record a consent override with lawful basis and reason before partner checks", c.Consent.Status, c.RAG)
	}
	if in.DueAt == nil {
		if c.DueAt == nil {
			return Errorf(KindInvalid, "the contact has no deadline: give due_at")
		}
		d := *c.DueAt
		in.DueAt = &d
	}
	return nil
}

// Override records a manager's decision to check without consent.
func (c *Contact) Override(lawfulBasis, reason string, by Actor, now time.Time) (*ConsentOverride, error) {
	fe := FieldErrors{}
	if strings.TrimSpace(lawfulBasis) == "" {
		fe.Add("lawful_basis", "is required (e.g. UK GDPR Art 6(1)(e) with DPA 2018 Sch 1 para 18)")
	}
	if strings.TrimSpace(reason) == "" {
		fe.Add("reason", "is required")
	}
	checkLen(fe, "lawful_basis", lawfulBasis, maxShortText)
	checkLen(fe, "reason", reason, maxNarrative)
	if err := fe.Err("the consent override is not valid"); err != nil {
		return nil, err
	}
	if by.Role != RoleManager {
		return nil, Errorf(KindForbidden, "only a manager may override consent")
	}
	if c.Consent.Status == ConsentGiven {
		return nil, Errorf(KindConflict, "consent was given: no override is needed")
	}
	if c.ConsentOverride != nil {
		return nil, Errorf(KindConflict, "a consent override is already recorded")
	}
	c.ConsentOverride = &ConsentOverride{LawfulBasis: strings.TrimSpace(lawfulBasis), Reason: strings.TrimSpace(reason), By: by.UserID, At: now}
	return c.ConsentOverride, nil
}

// ReturnOutcome is the kind of an agency's answer.
type ReturnOutcome string

// The return outcomes.
const (
	ReturnNothingHeld ReturnOutcome = "nothing_held"
	ReturnInformation ReturnOutcome = "information"
	ReturnDeclined    ReturnOutcome = "declined"
)

// ReturnOutcomes lists the valid outcomes.
var ReturnOutcomes = []ReturnOutcome{ReturnNothingHeld, ReturnInformation, ReturnDeclined}

// AgencyReturn is an agency's answer to an information request.
type AgencyReturn struct {
	ID          string        `json:"id"`
	RequestID   string        `json:"request_id"`
	Outcome     ReturnOutcome `json:"outcome"`
	Items       []ReturnItem  `json:"items,omitempty"`
	LegalBasis  string        `json:"legal_basis,omitempty"`
	Reason      string        `json:"reason,omitempty"`
	ReturnedBy  string        `json:"returned_by"`
	ReturnedAt  time.Time     `json:"returned_at"`
	RequestVers int           `json:"version,omitempty"`
}

// ReturnItem is one piece of information an agency holds.
type ReturnItem struct {
	ID             string  `json:"id,omitempty"`
	Summary        string  `json:"summary"`
	Detail         string  `json:"detail,omitempty"`
	OccurredOn     string  `json:"occurred_on,omitempty"` // YYYY-MM-DD
	OwningAgencyID string  `json:"owning_agency_id,omitempty"`
	Marking        Marking `json:"marking"`
	// ProtectedNames are people whose identity must not be disclosed (say, a
	// neighbour who reported). They are withheld, with their names in the
	// text, from everyone below the hub's own view.
	ProtectedNames []string `json:"protected_names,omitempty"`
	// Released is set when the owning agency has approved passing a
	// mash_only item to the receiving team.
	Released *Release `json:"released,omitempty"`
}

// Release records the owning agency's approval to pass a mash_only item on.
type Release struct {
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// Validate checks a return. The owning agency of every item defaults to the
// agency that was asked.
func (r *AgencyReturn) Validate(agencyID string, now time.Time) error {
	fe := FieldErrors{}
	switch r.Outcome {
	case ReturnNothingHeld:
		if len(r.Items) > 0 {
			fe.Add("items", "must be empty when nothing is held")
		}
	case ReturnInformation:
		if len(r.Items) == 0 {
			fe.Add("items", "at least one item is required for outcome information")
		}
		if len(r.Items) > 500 {
			fe.Add("items", "at most 500 items")
		}
	case ReturnDeclined:
		if strings.TrimSpace(r.LegalBasis) == "" {
			fe.Add("legal_basis", "is required when declining to share")
		}
		if strings.TrimSpace(r.Reason) == "" {
			fe.Add("reason", "is required when declining to share")
		}
		if len(r.Items) > 0 {
			fe.Add("items", "must be empty when declining to share")
		}
	default:
		fe.Add("outcome", "must be one of "+joinAll(ReturnOutcomes))
	}
	checkLen(fe, "legal_basis", r.LegalBasis, maxShortText)
	checkLen(fe, "reason", r.Reason, maxNarrative)
	for i := range r.Items {
		it := &r.Items[i]
		at := fmt.Sprintf("items[%d]", i)
		it.Summary = strings.TrimSpace(it.Summary)
		if it.Summary == "" {
			fe.Add(at+".summary", "is required")
		}
		checkLen(fe, at+".summary", it.Summary, maxShortText*2)
		checkLen(fe, at+".detail", it.Detail, maxNarrative)
		if !oneOf(it.Marking, Markings) {
			fe.Add(at+".marking", "must be one of "+joinAll(Markings))
		}
		if it.OccurredOn != "" {
			if d, err := ParseDate(it.OccurredOn); err != nil {
				fe.Add(at+".occurred_on", err.Error())
			} else if d.After(now) {
				fe.Add(at+".occurred_on", "is in the future")
			}
		}
		if it.OwningAgencyID == "" {
			it.OwningAgencyID = agencyID
		}
		if len(it.ProtectedNames) > 20 {
			fe.Add(at+".protected_names", "at most 20 names")
		}
		for j, n := range it.ProtectedNames {
			if n = strings.TrimSpace(n); n == "" || len(n) > 200 {
				fe.Add(fmt.Sprintf("%s.protected_names[%d]", at, j), "must be a name of 1 to 200 characters")
			}
			it.ProtectedNames[j] = strings.TrimSpace(n)
		}
		it.Released = nil
	}
	return fe.Err("the return is not valid")
}
