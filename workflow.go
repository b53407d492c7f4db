package mash

import (
	"fmt"
	"strings"
	"time"
)

// Status is where a contact stands in the hub's procedure.
type Status string

// The contact states. A contact moves
//
//	received → screening → closed (nfa / advice)
//	                     | passed_single_agency → closed
//	                     | passed_open_case → closed
//	                     | in_mash → decided → feedback_sent → closed
const (
	StatusReceived           Status = "received"
	StatusScreening          Status = "screening"
	StatusPassedSingleAgency Status = "passed_single_agency"
	StatusPassedOpenCase     Status = "passed_open_case"
	StatusInMASH             Status = "in_mash"
	StatusDecided            Status = "decided"
	StatusFeedbackSent       Status = "feedback_sent"
	StatusClosed             Status = "closed"
)

// Statuses lists every state in procedure order.
var Statuses = []Status{StatusReceived, StatusScreening, StatusPassedSingleAgency, StatusPassedOpenCase,
	StatusInMASH, StatusDecided, StatusFeedbackSent, StatusClosed}

var transitions = map[Status][]Status{
	StatusReceived:           {StatusScreening},
	StatusScreening:          {StatusClosed, StatusPassedSingleAgency, StatusPassedOpenCase, StatusInMASH},
	StatusPassedSingleAgency: {StatusClosed},
	StatusPassedOpenCase:     {StatusClosed},
	StatusInMASH:             {StatusDecided},
	StatusDecided:            {StatusFeedbackSent},
	StatusFeedbackSent:       {StatusClosed},
}

// Closed reports whether no further work is expected.
func (s Status) Closed() bool { return s == StatusClosed }

// CanMove reports whether the procedure allows a move from s to to.
func (s Status) CanMove(to Status) bool { return oneOf(to, transitions[s]) }

// Transition is one recorded move of a contact between states.
type Transition struct {
	From   Status    `json:"from,omitempty"` // empty for the first: the contact's receipt
	To     Status    `json:"to"`
	By     string    `json:"by"`
	ByName string    `json:"by_name,omitempty"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// Move moves the contact to a new state, refusing moves the procedure does not
// allow, and returns the transition to store.
func (c *Contact) Move(to Status, by Actor, at time.Time, reason string) (Transition, error) {
	if !c.Status.CanMove(to) {
		allowed := transitions[c.Status]
		next := "none: the contact is closed"
		if len(allowed) > 0 {
			next = joinAll(allowed)
		}
		return Transition{}, &Error{Kind: KindConflict, Msg: fmt.Sprintf(
			"a contact in state %s cannot move to %s (allowed next: %s)", c.Status, to, next)}
	}
	t := Transition{From: c.Status, To: to, By: by.UserID, ByName: by.Name, At: at, Reason: reason}
	c.Status = to
	return t, nil
}

// ScreeningDecision is the screener's choice at the end of screening.
type ScreeningDecision string

// The screening decisions.
const (
	ScreenAccept       ScreeningDecision = "accept"        // into MASH with a RAG rating
	ScreenNFA          ScreeningDecision = "nfa"           // close, no further action
	ScreenAdvice       ScreeningDecision = "advice"        // close with advice or signposting
	ScreenSingleAgency ScreeningDecision = "single_agency" // pass to a single agency
	ScreenOpenCase     ScreeningDecision = "open_case"     // pass to the open case's allocated worker
)

// ScreeningDecisions lists the valid decisions.
var ScreeningDecisions = []ScreeningDecision{ScreenAccept, ScreenNFA, ScreenAdvice, ScreenSingleAgency, ScreenOpenCase}

// Screening is the input of a screening decision.
type Screening struct {
	Decision       ScreeningDecision `json:"decision"`
	RAG            string            `json:"rag,omitempty"`
	ThresholdLevel int               `json:"threshold_level,omitempty"`
	Reason         string            `json:"reason"`
	Version        int               `json:"version"`
}

// RAGChange is one rating or re-rating of a contact; the deadline moves with it.
type RAGChange struct {
	From   string    `json:"from,omitempty"`
	To     string    `json:"to"`
	By     string    `json:"by"`
	ByName string    `json:"by_name,omitempty"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
	DueAt  time.Time `json:"due_at"`
}

// Screen applies a screening decision: it records the move out of screening
// (starting screening first if the contact was only received), and for an
// accepted contact rates it and sets the deadline. It returns the transitions
// and the rating to store.
func (c *Contact) Screen(in Screening, policy RAGPolicy, by Actor, now time.Time) ([]Transition, *RAGChange, error) {
	fe := FieldErrors{}
	if !oneOf(in.Decision, ScreeningDecisions) {
		fe.Add("decision", "must be one of "+joinAll(ScreeningDecisions))
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" {
		fe.Add("reason", "is required: record why")
	}
	checkLen(fe, "reason", in.Reason, maxNarrative)
	if in.ThresholdLevel != 0 && (in.ThresholdLevel < 1 || in.ThresholdLevel > 4) {
		fe.Add("threshold_level", "must be 1 to 4")
	}
	if in.Decision == ScreenAccept {
		if in.RAG == "" {
			fe.Add("rag", "is required when accepting into MASH")
		} else if _, err := policy.Level(in.RAG); err != nil {
			fe.Add("rag", Message(err))
		}
		if in.ThresholdLevel == 0 {
			fe.Add("threshold_level", "is required when accepting into MASH (threshold before checks)")
		}
	} else if in.RAG != "" {
		fe.Add("rag", "is only given when accepting into MASH")
	}
	if err := fe.Err("the screening decision is not valid"); err != nil {
		return nil, nil, err
	}
	var out []Transition
	if c.Status == StatusReceived {
		t, err := c.Move(StatusScreening, by, now, "screening started")
		if err != nil {
			return nil, nil, err
		}
		out = append(out, t)
	}
	to := map[ScreeningDecision]Status{
		ScreenAccept: StatusInMASH, ScreenNFA: StatusClosed, ScreenAdvice: StatusClosed,
		ScreenSingleAgency: StatusPassedSingleAgency, ScreenOpenCase: StatusPassedOpenCase,
	}[in.Decision]
	t, err := c.Move(to, by, now, in.Reason)
	if err != nil {
		return nil, nil, err
	}
	out = append(out, t)
	c.ScreenedAt = &now
	c.ThresholdLevel = in.ThresholdLevel
	if in.Decision == ScreenNFA || in.Decision == ScreenAdvice {
		c.ClosureReason = string(in.Decision)
	}
	if in.Decision != ScreenAccept {
		c.DueAt = nil
		return out, nil, nil
	}
	// Screening confirms a rating given at intake (immediate risk is rated
	// Red on arrival), so the same level again is not an error here.
	ch, err := c.rate(in.RAG, in.Reason, policy, by, now, true)
	if err != nil {
		return nil, nil, err
	}
	return out, ch, nil
}

// Rate sets or changes the RAG rating and moves the deadline. Rating is open
// while the contact is being screened or is in MASH.
func (c *Contact) Rate(rag, reason string, policy RAGPolicy, by Actor, now time.Time) (*RAGChange, error) {
	return c.rate(rag, reason, policy, by, now, false)
}

func (c *Contact) rate(rag, reason string, policy RAGPolicy, by Actor, now time.Time, confirm bool) (*RAGChange, error) {
	fe := FieldErrors{}
	if _, err := policy.Level(rag); err != nil {
		fe.Add("rag", Message(err))
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		fe.Add("reason", "is required: record why the rating is set or changed")
	}
	if err := fe.Err("the rating is not valid"); err != nil {
		return nil, err
	}
	if c.Status != StatusInMASH && c.Status != StatusScreening {
		return nil, Errorf(KindConflict, "a contact in state %s cannot be rated; only contacts in screening or in MASH", c.Status)
	}
	if rag == c.RAG && !confirm {
		return nil, Errorf(KindConflict, "the contact is already rated %s", rag)
	}
	screened := now
	if c.ScreenedAt != nil {
		screened = *c.ScreenedAt
	}
	due, err := policy.Deadline(rag, c.ReceivedAt, screened)
	if err != nil {
		return nil, err
	}
	ch := &RAGChange{From: c.RAG, To: rag, By: by.UserID, ByName: by.Name, At: now, Reason: reason, DueAt: due.UTC()}
	c.RAG = rag
	c.DueAt = &ch.DueAt
	return ch, nil
}

// StatusValid reports whether s is a known state.
func StatusValid(s Status) bool { return oneOf(s, Statuses) }
