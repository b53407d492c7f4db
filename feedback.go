package mash

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Feedback to the referrer. The wording comes from templates that are given
// only the contact's reference, a date, the decision's outcomes and the next
// step: never the narrative, the partners' information or anyone's name. So
// a message made from them cannot reveal a mash_only item or a third party.
// Text a screener adds is checked by the store (SendFeedback) for the names
// of the contact's other subjects and for mash_only item text.

// OutcomeWording is how one decision outcome is told to the referrer.
type OutcomeWording struct {
	Outcome  Outcome `json:"outcome"`
	Summary  string  `json:"summary"`   // what the hub decided, in plain words
	NextStep string  `json:"next_step"` // what happens next
}

// FeedbackTemplates is the hub's wording for acknowledgements and outcomes.
// Acknowledgement may use {reference} and {date}; Outcome may use
// {reference}, {date}, {outcomes} and {next_steps}. Version increases with
// every change an admin saves.
type FeedbackTemplates struct {
	Version         int              `json:"version"`
	Acknowledgement string           `json:"acknowledgement"`
	Outcome         string           `json:"outcome"`
	Outcomes        []OutcomeWording `json:"outcomes"`
}

// DefaultFeedbackTemplates is the wording used until an admin changes it.
func DefaultFeedbackTemplates() FeedbackTemplates {
	return FeedbackTemplates{
		Version: 1,
		Acknowledgement: "Thank you. The safeguarding hub received your referral on {date}; its reference is {reference}. " +
			"You will hear the outcome within one working day of the hub's decision.",
		Outcome: "Referral {reference}: the safeguarding hub made its decision on {date}. {outcomes} {next_steps} " +
			"If you disagree with the decision you can raise a professional disagreement, quoting {reference}.",
		Outcomes: []OutcomeWording{
			{OutcomeNFA, "The hub decided that no further action by children's or adults' social care is needed.", "No further contact from the hub is planned."},
			{OutcomeAdvice, "The hub gave advice and signposted the family to universal services.", "No further contact from the hub is planned."},
			{OutcomeEarlyHelp, "The hub passed the referral to early help.", "An early help practitioner will offer support to the family."},
			{OutcomeSingleAgency, "The hub passed the referral to a single agency to respond.", "That agency will decide what support to offer."},
			{OutcomeCINAssessmentS17, "The hub decided that an assessment of the child's needs is required.", "A social worker will carry out a child and family assessment."},
			{OutcomeStrategyDiscussionS47, "The hub decided to hold a strategy discussion with partner agencies.", "Agencies will agree how to make the child safe; you may be asked to take part."},
			{OutcomeImmediateProtection, "The hub took action to protect the person straight away.", "The responsible team will contact you if they need anything further."},
			{OutcomeAdultS42Enquiry, "The hub decided that a safeguarding enquiry under the Care Act 2014 is required.", "The adults' safeguarding team will make the enquiry."},
			{OutcomeMARAC, "The hub referred the case to the multi-agency risk assessment conference (MARAC).", "The conference will agree a safety plan."},
			{OutcomeLADO, "The hub referred the matter to the Local Authority Designated Officer (LADO).", "The LADO will decide what happens next."},
			{OutcomeTransferOut, "The hub passed the referral to the area where the person lives.", "That area's hub will take it forward."},
		},
	}
}

var placeholderRE = regexp.MustCompile(`\{[a-z_]*\}`)

// Validate checks that every outcome has wording, once, and that the
// templates use only their own placeholders (nothing else can be filled in).
func (t *FeedbackTemplates) Validate() error {
	fe := FieldErrors{}
	t.Acknowledgement, t.Outcome = strings.TrimSpace(t.Acknowledgement), strings.TrimSpace(t.Outcome)
	check := func(field, text string, allowed ...string) {
		if text == "" {
			fe.Add(field, "is required")
			return
		}
		checkLen(fe, field, text, 2000)
		for _, p := range placeholderRE.FindAllString(text, -1) {
			if !oneOf(p, allowed) {
				fe.Add(field, fmt.Sprintf("unknown placeholder %s (allowed: %s)", p, strings.Join(allowed, ", ")))
			}
		}
	}
	check("acknowledgement", t.Acknowledgement, "{reference}", "{date}")
	check("outcome", t.Outcome, "{reference}", "{date}", "{outcomes}", "{next_steps}")
	seen := map[Outcome]bool{}
	for i := range t.Outcomes {
		w := &t.Outcomes[i]
		at := fmt.Sprintf("outcomes[%d]", i)
		w.Summary, w.NextStep = strings.TrimSpace(w.Summary), strings.TrimSpace(w.NextStep)
		switch {
		case !oneOf(w.Outcome, Outcomes):
			fe.Add(at+".outcome", "must be one of "+joinAll(Outcomes))
		case seen[w.Outcome]:
			fe.Add(at+".outcome", fmt.Sprintf("%s has wording twice", w.Outcome))
		}
		seen[w.Outcome] = true
		check(at+".summary", w.Summary)
		checkLen(fe, at+".next_step", w.NextStep, 2000)
		if p := placeholderRE.FindString(w.NextStep); p != "" {
			fe.Add(at+".next_step", "may not use placeholders")
		}
	}
	for _, o := range Outcomes {
		if !seen[o] {
			fe.Add("outcomes", fmt.Sprintf("wording for %s is missing", o))
		}
	}
	return fe.Err("the feedback templates are not valid")
}

// londonDate is a date as the referrer reads it.
func londonDate(t time.Time) string {
	if loc, err := time.LoadLocation("Europe/London"); err == nil {
		t = t.In(loc)
	}
	return t.Format("2 January 2006")
}

// Acknowledge is the acknowledgement of a referral received at received.
func (t FeedbackTemplates) Acknowledge(reference string, received time.Time) string {
	return strings.NewReplacer("{reference}", reference, "{date}", londonDate(received)).Replace(t.Acknowledgement)
}

// Render is the proportionate outcome of a decision: only the reference,
// the date and the outcomes' wording go in.
func (t FeedbackTemplates) Render(reference string, decided time.Time, outcomes []Outcome) string {
	var summary, next []string
	for _, o := range outcomes {
		for _, w := range t.Outcomes {
			if w.Outcome == o {
				summary = append(summary, w.Summary)
				if w.NextStep != "" && !oneOf(w.NextStep, next) {
					next = append(next, w.NextStep)
				}
			}
		}
	}
	out := strings.NewReplacer("{reference}", reference, "{date}", londonDate(decided),
		"{outcomes}", strings.Join(summary, " "), "{next_steps}", strings.Join(next, " ")).Replace(t.Outcome)
	return strings.Join(strings.Fields(out), " ")
}

// Acknowledgement records that the referrer was told their referral arrived.
// Channel is in_app for a referrer who is a hub user (they get a
// notification), else external (sent by the hub's outbound channels).
type Acknowledgement struct {
	ID        string    `json:"id"`
	ContactID string    `json:"contact_id"`
	Channel   string    `json:"channel"`
	Message   string    `json:"message"`
	SentAt    time.Time `json:"sent_at"`
}

// Acknowledgement channels.
const (
	AckInApp    = "in_app"
	AckExternal = "external"
)

// Referral is one of the caller's own referrals as the referrer may see it:
// its status and the proportionate outcome sent, nothing of the hub's work.
type Referral struct {
	ContactID      string     `json:"contact_id"`
	Reference      string     `json:"reference"`
	Status         Status     `json:"status"`
	ReceivedAt     time.Time  `json:"received_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	Outcome        string     `json:"outcome,omitempty"` // the feedback text, once sent
	FeedbackSentAt *time.Time `json:"feedback_sent_at,omitempty"`
}

// FeedbackBreach records feedback not sent within its working day.
type FeedbackBreach struct {
	ContactID  string    `json:"contact_id"`
	Reference  string    `json:"reference"`
	DueAt      time.Time `json:"due_at"`
	BreachedAt time.Time `json:"breached_at"`
}

// Followup is the part of the hub that closes the loop with referrers and
// partners: the feedback templates, a referrer's own referrals and
// professional disagreements with the hub's decisions.
//
// FeedbackTemplates shows the wording in force; SetFeedbackTemplates (admin)
// replaces it, bumping the version. FeedbackDraft is the templated outcome
// for a decided contact, to pre-fill the feedback form. MyReferrals lists the
// caller's own referrals. Disagreements: see disagreement.go.
type Followup interface {
	FeedbackTemplates(ctx context.Context, by Actor) (FeedbackTemplates, error)
	SetFeedbackTemplates(ctx context.Context, by Actor, t *FeedbackTemplates) error
	FeedbackDraft(ctx context.Context, by Actor, contactID string) (string, error)
	MyReferrals(ctx context.Context, by Actor, limit int) ([]Referral, error)
	ListFeedbackBreaches(ctx context.Context, by Actor, limit int) ([]FeedbackBreach, error)

	DisagreementPolicy(ctx context.Context, by Actor) (DisagreementPolicy, error)
	SetDisagreementPolicy(ctx context.Context, by Actor, p *DisagreementPolicy) error
	RaiseDisagreement(ctx context.Context, by Actor, contactID string, in NewDisagreement) (*Disagreement, error)
	ListDisagreements(ctx context.Context, by Actor, f DisagreementFilter) ([]Disagreement, error)
	GetDisagreement(ctx context.Context, by Actor, id string) (*Disagreement, error)
	RespondDisagreement(ctx context.Context, by Actor, id string, in DisagreementResponse) (*Disagreement, error)
}
