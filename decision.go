package mash

import (
	"fmt"
	"strings"
	"time"
)

// Outcome is one thing the hub decides should happen.
type Outcome string

// The decision outcomes.
const (
	OutcomeNFA                   Outcome = "nfa"
	OutcomeAdvice                Outcome = "advice"
	OutcomeEarlyHelp             Outcome = "early_help"
	OutcomeSingleAgency          Outcome = "single_agency"
	OutcomeCINAssessmentS17      Outcome = "cin_assessment_s17"
	OutcomeStrategyDiscussionS47 Outcome = "strategy_discussion_s47"
	OutcomeImmediateProtection   Outcome = "immediate_protection"
	OutcomeAdultS42Enquiry       Outcome = "adult_s42_enquiry"
	OutcomeMARAC                 Outcome = "marac"
	OutcomeLADO                  Outcome = "lado"
	OutcomeTransferOut           Outcome = "transfer_out"
)

// Outcomes lists the valid outcomes.
var Outcomes = []Outcome{OutcomeNFA, OutcomeAdvice, OutcomeEarlyHelp, OutcomeSingleAgency,
	OutcomeCINAssessmentS17, OutcomeStrategyDiscussionS47, OutcomeImmediateProtection,
	OutcomeAdultS42Enquiry, OutcomeMARAC, OutcomeLADO, OutcomeTransferOut}

// AgencyView is one agency's view of the decision, including dissent.
type AgencyView struct {
	AgencyID string `json:"agency_id"`
	View     string `json:"view"`
	Agrees   bool   `json:"agrees"`
}

// Decision is the hub's joint decision on a contact, made by a manager.
type Decision struct {
	ID             string       `json:"id"`
	ContactID      string       `json:"contact_id"`
	ThresholdLevel int          `json:"threshold_level"`
	Outcomes       []Outcome    `json:"outcomes"`
	Rationale      string       `json:"rationale"`
	AgencyViews    []AgencyView `json:"agency_views"`
	// ReceivingAgencyID is the team the case is passed to (an assessment or
	// early-help team); its receiving practitioners then see the contact.
	ReceivingAgencyID string    `json:"receiving_agency_id,omitempty"`
	DecidedBy         string    `json:"decided_by"`
	DecidedAt         time.Time `json:"decided_at"`
	Version           int       `json:"version,omitempty"` // the contact's version the decision was made against
}

// Validate checks a decision's fields; the contact's state is checked by Decide.
func (d *Decision) Validate(cohort Cohort) error {
	fe := FieldErrors{}
	if d.ThresholdLevel < 1 || d.ThresholdLevel > 4 {
		fe.Add("threshold_level", "must be 1 to 4")
	}
	if len(d.Outcomes) == 0 {
		fe.Add("outcomes", "at least one outcome is required")
	}
	seen := map[Outcome]bool{}
	for i, o := range d.Outcomes {
		at := fmt.Sprintf("outcomes[%d]", i)
		switch {
		case !oneOf(o, Outcomes):
			fe.Add(at, "must be one of "+joinAll(Outcomes))
		case seen[o]:
			fe.Add(at, fmt.Sprintf("%s is listed twice", o))
		case o == OutcomeAdultS42Enquiry && cohort == CohortChild:
			fe.Add(at, "an adult s42 enquiry is for the adult cohort")
		case (o == OutcomeCINAssessmentS17 || o == OutcomeStrategyDiscussionS47) && cohort == CohortAdult:
			fe.Add(at, fmt.Sprintf("%s is for the child cohort", o))
		}
		seen[o] = true
	}
	d.Rationale = strings.TrimSpace(d.Rationale)
	if d.Rationale == "" {
		fe.Add("rationale", "is required: record why")
	}
	checkLen(fe, "rationale", d.Rationale, maxNarrative)
	agencies := map[string]bool{}
	for i, v := range d.AgencyViews {
		at := fmt.Sprintf("agency_views[%d]", i)
		if v.AgencyID == "" {
			fe.Add(at+".agency_id", "is required")
		} else if agencies[v.AgencyID] {
			fe.Add(at+".agency_id", "this agency's view is already given")
		}
		agencies[v.AgencyID] = true
		if strings.TrimSpace(v.View) == "" {
			fe.Add(at+".view", "is required")
		}
		checkLen(fe, at+".view", v.View, maxNarrative)
	}
	return fe.Err("the decision is not valid")
}

// Feedback is what the referrer is owed after the decision: a proportionate
// outcome within one working day.
type Feedback struct {
	ID        string     `json:"id"`
	ContactID string     `json:"contact_id"`
	Status    string     `json:"status"` // pending or sent
	DueAt     time.Time  `json:"due_at"`
	Text      string     `json:"text,omitempty"`
	SentBy    string     `json:"sent_by,omitempty"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
}

// Feedback states.
const (
	FeedbackPending = "pending"
	FeedbackSent    = "sent"
)
