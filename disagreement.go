package mash

import (
	"fmt"
	"strings"
	"time"
)

// Professional disagreement: a referrer or a partner agency challenges a
// decision the hub made. The challenge climbs stages (by default
// practitioners, line managers, senior managers, partnership leads), each
// owned by a role (and optionally one agency) that must respond within a
// number of working days. A stage's response resolves the challenge (the
// challenger accepts the decision, the decision is changed, or the
// challenger withdraws) or escalates it to the next stage.

// DisagreementStage is one level of escalation.
type DisagreementStage struct {
	Name              string `json:"name"`
	OwnerRole         Role   `json:"owner_role"`
	OwnerAgencyID     string `json:"owner_agency_id,omitempty"` // empty: any agency
	RespondWithinDays int    `json:"respond_within_days"`       // working days
}

// DisagreementPolicy is the hub's escalation protocol, kept as data. Stage n
// is Stages[n-1]. Challenges of immediate risk start at ImmediateRiskStage.
type DisagreementPolicy struct {
	Version            int                 `json:"version"`
	Stages             []DisagreementStage `json:"stages"`
	ImmediateRiskStage int                 `json:"immediate_risk_stage"`
}

// DefaultDisagreementPolicy is the protocol used until an admin changes it.
// The hub has no senior-manager or partnership-lead role of its own, so the
// upper stages are owned by managers; a hub can name an agency per stage.
func DefaultDisagreementPolicy() DisagreementPolicy {
	return DisagreementPolicy{Version: 1, ImmediateRiskStage: 2, Stages: []DisagreementStage{
		{Name: "Practitioners", OwnerRole: RoleScreener, RespondWithinDays: 2},
		{Name: "Line managers", OwnerRole: RoleManager, RespondWithinDays: 2},
		{Name: "Senior managers", OwnerRole: RoleManager, RespondWithinDays: 5},
		{Name: "Partnership leads", OwnerRole: RoleManager, RespondWithinDays: 10},
	}}
}

// disagreementOwners are the roles that may own a stage: they can read
// the contacts they are asked about and respond.
var disagreementOwners = []Role{RoleScreener, RoleManager}

// Validate checks the protocol.
func (p *DisagreementPolicy) Validate() error {
	fe := FieldErrors{}
	if len(p.Stages) == 0 || len(p.Stages) > 10 {
		fe.Add("stages", "there must be 1 to 10 stages")
	}
	for i := range p.Stages {
		s := &p.Stages[i]
		at := fmt.Sprintf("stages[%d]", i)
		s.Name = strings.TrimSpace(s.Name)
		if s.Name == "" {
			fe.Add(at+".name", "is required")
		}
		checkLen(fe, at+".name", s.Name, 100)
		if !oneOf(s.OwnerRole, disagreementOwners) {
			fe.Add(at+".owner_role", "must be one of "+joinAll(disagreementOwners))
		}
		if s.RespondWithinDays < 1 || s.RespondWithinDays > 60 {
			fe.Add(at+".respond_within_days", "must be 1 to 60 working days")
		}
	}
	if p.ImmediateRiskStage < 1 || p.ImmediateRiskStage > max(len(p.Stages), 1) {
		fe.Add("immediate_risk_stage", "must be the number of one of the stages")
	}
	return fe.Err("the disagreement policy is not valid")
}

// DisagreementStatus is whether a challenge is still running.
type DisagreementStatus string

// The challenge states.
const (
	DisagreementOpen     DisagreementStatus = "open"
	DisagreementResolved DisagreementStatus = "resolved"
)

// DisagreementOutcome is a stage's response.
type DisagreementOutcome string

// The responses. The stage owner answers agreed (the challenger accepts the
// decision after discussion), decision_changed or escalated; the challenger
// may withdraw or, dissatisfied with the stage, escalate.
const (
	DisagreementAgreed          DisagreementOutcome = "agreed"
	DisagreementDecisionChanged DisagreementOutcome = "decision_changed"
	DisagreementWithdrawn       DisagreementOutcome = "withdrawn"
	DisagreementEscalated       DisagreementOutcome = "escalated"
)

// DisagreementOutcomes lists the valid responses.
var DisagreementOutcomes = []DisagreementOutcome{DisagreementAgreed, DisagreementDecisionChanged, DisagreementWithdrawn, DisagreementEscalated}

// DisagreementStep is one stage the challenge reached and its response.
type DisagreementStep struct {
	Stage           int                 `json:"stage"`
	Name            string              `json:"name"`
	OwnerRole       Role                `json:"owner_role"`
	OwnerAgencyID   string              `json:"owner_agency_id,omitempty"`
	StartedAt       time.Time           `json:"started_at"`
	DueAt           time.Time           `json:"due_at"`
	Response        DisagreementOutcome `json:"response,omitempty"`
	Note            string              `json:"note,omitempty"`
	RespondedBy     string              `json:"responded_by,omitempty"`
	RespondedByName string              `json:"responded_by_name,omitempty"`
	RespondedAt     *time.Time          `json:"responded_at,omitempty"`
	OverdueAt       *time.Time          `json:"overdue_at,omitempty"` // when the owners were alerted
}

// Disagreement is a challenge to the hub's decision on a contact.
type Disagreement struct {
	ID             string              `json:"id"`
	ContactID      string              `json:"contact_id"`
	Reference      string              `json:"reference"`
	Version        int                 `json:"version"`
	RaisedBy       string              `json:"raised_by"`
	RaisedByName   string              `json:"raised_by_name,omitempty"`
	RaisedAgencyID string              `json:"raised_agency_id"`
	RaisedAt       time.Time           `json:"raised_at"`
	Reason         string              `json:"reason"`
	OutcomeSought  string              `json:"outcome_sought"`
	ImmediateRisk  bool                `json:"immediate_risk"`
	Status         DisagreementStatus  `json:"status"`
	Stage          int                 `json:"stage"`
	Resolution     DisagreementOutcome `json:"resolution,omitempty"`
	ResolvedAt     *time.Time          `json:"resolved_at,omitempty"`
	Overdue        bool                `json:"overdue"` // the current stage's response is late
	Steps          []DisagreementStep  `json:"steps"`
	// Stages is the protocol in force when the challenge was raised: a later
	// change of policy does not reshape a running challenge.
	Stages []DisagreementStage `json:"stages"`
}

// Current is the step of the stage the challenge is at.
func (d *Disagreement) Current() *DisagreementStep {
	if len(d.Steps) == 0 {
		return nil
	}
	return &d.Steps[len(d.Steps)-1]
}

// NewDisagreement is the input of a challenge.
type NewDisagreement struct {
	Reason        string `json:"reason"`
	OutcomeSought string `json:"outcome_sought"`
	ImmediateRisk bool   `json:"immediate_risk"`
}

// Validate checks a challenge's fields.
func (n *NewDisagreement) Validate() error {
	fe := FieldErrors{}
	n.Reason, n.OutcomeSought = strings.TrimSpace(n.Reason), strings.TrimSpace(n.OutcomeSought)
	if len(n.Reason) < 10 {
		fe.Add("reason", "is required: say why you disagree with the decision (at least 10 characters)")
	}
	checkLen(fe, "reason", n.Reason, 5000)
	if n.OutcomeSought == "" {
		fe.Add("outcome_sought", "is required: say what outcome you are seeking")
	}
	checkLen(fe, "outcome_sought", n.OutcomeSought, 1000)
	return fe.Err("the disagreement is not valid")
}

// CanChallenge reports whether a contact in status s has a decision to
// challenge: the hub's decision, or a screening decision that closed or
// passed it on.
func CanChallenge(s Status) bool {
	switch s {
	case StatusDecided, StatusFeedbackSent, StatusClosed, StatusPassedSingleAgency, StatusPassedOpenCase:
		return true
	}
	return false
}

// DisagreementResponse is a stage's response to a challenge.
type DisagreementResponse struct {
	Response DisagreementOutcome `json:"response"`
	Note     string              `json:"note"`
	Version  int                 `json:"version"`
}

// Owns reports whether the actor owns the challenge's current stage.
func (d *Disagreement) Owns(a Actor) bool {
	s := d.Current()
	return s != nil && a.Role == s.OwnerRole && (s.OwnerAgencyID == "" || s.OwnerAgencyID == a.AgencyID)
}

// Respond applies a response by the actor: it records the current stage's
// response and either resolves the challenge or opens the next stage (the
// returned stage, whose due time the caller computes). It refuses responses
// the actor may not give (Forbidden) and bad input (Invalid).
func (d *Disagreement) Respond(a Actor, in DisagreementResponse, now time.Time) (next *DisagreementStage, err error) {
	fe := FieldErrors{}
	in.Note = strings.TrimSpace(in.Note)
	if !oneOf(in.Response, DisagreementOutcomes) {
		fe.Add("response", "must be one of "+joinAll(DisagreementOutcomes))
	}
	if in.Note == "" {
		fe.Add("note", "is required: record what was said or agreed")
	}
	checkLen(fe, "note", in.Note, 5000)
	if d.Status != DisagreementOpen {
		return nil, Errorf(KindConflict, "the disagreement is already resolved")
	}
	if in.Response == DisagreementEscalated && d.Stage >= len(d.Stages) {
		fe.Add("response", "the disagreement is at the last stage: it can only be resolved")
	}
	if err := fe.Err("the response is not valid"); err != nil {
		return nil, err
	}
	raiser, owner := a.UserID == d.RaisedBy, d.Owns(a)
	switch in.Response {
	case DisagreementWithdrawn:
		if !raiser {
			return nil, Errorf(KindForbidden, "only the person who raised the disagreement may withdraw it")
		}
	case DisagreementEscalated:
		if !raiser && !owner {
			return nil, Errorf(KindForbidden, "only the person who raised the disagreement or the stage's owners may escalate it")
		}
	default:
		if !owner {
			return nil, Errorf(KindForbidden, "only the owners of the current stage may resolve the disagreement")
		}
	}
	s := d.Current()
	s.Response, s.Note, s.RespondedBy, s.RespondedByName, s.RespondedAt = in.Response, in.Note, a.UserID, a.Name, &now
	d.Overdue = false
	if in.Response == DisagreementEscalated {
		d.Stage++
		return &d.Stages[d.Stage-1], nil
	}
	d.Status, d.Resolution, d.ResolvedAt = DisagreementResolved, in.Response, &now
	return nil, nil
}

// DisagreementFilter narrows a list of disagreements.
type DisagreementFilter struct {
	Open      bool   // only those not yet resolved
	ContactID string // one contact's
	Limit     int    // default 100, at most 1000
}
