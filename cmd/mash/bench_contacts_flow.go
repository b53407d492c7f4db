package main

import (
	"slices"
	"time"

	"github.com/google/uuid"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
)

// workflow plays a contact through the hub's procedure from its receipt,
// stopping at the generator's now: old contacts are closed, the last few
// days' are still at work. Each step is a transition as the hub stores it.
func (g *contactGen) workflow(b *store.ContactBatch, c *mash.Contact) {
	now := g.now
	c.Version = 0
	move := func(from, to mash.Status, by string, at time.Time, reason string) bool {
		if at.After(now) {
			return false
		}
		b.Transitions = append(b.Transitions, store.BulkTransition{ContactID: c.ID,
			Transition: mash.Transition{From: from, To: to, By: by, At: at, Reason: reason}})
		c.Status, c.UpdatedAt = to, at
		c.Version++
		return true
	}
	rate := func(rag string, at time.Time, reason string) {
		screened := at
		if c.ScreenedAt != nil {
			screened = *c.ScreenedAt
		}
		due, _ := g.policy.Deadline(rag, c.ReceivedAt, screened)
		due = due.UTC()
		b.RAGChanges = append(b.RAGChanges, store.BulkRAGChange{ContactID: c.ID,
			RAGChange: mash.RAGChange{From: c.RAG, To: rag, By: g.one(g.screener), At: at, Reason: reason, DueAt: due}})
		c.RAG, c.DueAt = rag, &due
	}
	// breach records a deadline that passed with the work not done.
	// One per deadline, as the hub's unique index keeps it: a Green rating
	// can end when the screening target does.
	var breached time.Time
	breach := func(due time.Time, doneAt *time.Time) {
		at := due.Add(time.Minute)
		if at.After(now) || (doneAt != nil && !doneAt.After(due)) || due.Equal(breached) {
			return
		}
		breached = due
		br := mash.Breach{ContactID: c.ID, RAG: c.RAG, DueAt: due, BreachedAt: at}
		if r := at.Add(g.hours(8, 72)); g.f() < 0.6 && !r.After(now) {
			br.Reason = pick(g.rng, []weighted[string]{{"awaiting partner agency information", 40},
				{"high volume of contacts that day", 35}, {"manager not available to decide", 15}, {"contact received late in the day", 10}})
			br.ReasonBy, br.ReasonAt = g.one(g.manager), &r
		}
		b.Breaches = append(b.Breaches, br)
	}

	move("", mash.StatusReceived, c.CreatedBy, c.CreatedAt, "contact received by "+c.Channel)
	target := g.policy.Calendar.AddWorkingDays(c.ReceivedAt, 1).UTC()
	c.DueAt = &target
	if c.ImmediateRisk {
		rate("red", c.CreatedAt, "immediate risk flagged at intake")
	}
	screener := g.one(g.screener)
	started := c.CreatedAt.Add(g.hours(0.7, 8))
	screened := started.Add(g.hours(1.5, 20))
	if !move(mash.StatusReceived, mash.StatusScreening, screener, started, "screening started") || screened.After(now) {
		breach(*c.DueAt, nil)
		return
	}
	if c.RAG == "" {
		breach(target, &screened)
	}
	adult := c.Cohort == mash.CohortAdult
	decision := pick(g.rng, []weighted[mash.ScreeningDecision]{{mash.ScreenAccept, 50}, {mash.ScreenNFA, 20}, {mash.ScreenAdvice, 12},
		{mash.ScreenSingleAgency, 10}, {mash.ScreenOpenCase, 8}})
	if adult {
		decision = pick(g.rng, []weighted[mash.ScreeningDecision]{{mash.ScreenAccept, 42}, {mash.ScreenNFA, 23}, {mash.ScreenAdvice, 15},
			{mash.ScreenSingleAgency, 15}, {mash.ScreenOpenCase, 5}})
	}
	if c.ImmediateRisk {
		decision = mash.ScreenAccept
	}
	c.ScreenedAt = &screened
	switch decision {
	case mash.ScreenNFA, mash.ScreenAdvice:
		reason := "no further action: below the threshold for services"
		if decision == mash.ScreenAdvice {
			reason = "advice and signposting given to the referrer"
		}
		move(mash.StatusScreening, mash.StatusClosed, screener, screened, reason)
		c.ThresholdLevel, c.ClosureReason, c.DueAt = 1, string(decision), nil
		return
	case mash.ScreenSingleAgency, mash.ScreenOpenCase:
		to, reason := mash.StatusPassedSingleAgency, "passed to a single agency to respond"
		if decision == mash.ScreenOpenCase {
			to, reason = mash.StatusPassedOpenCase, "open case: passed to the allocated worker"
		}
		move(mash.StatusScreening, to, screener, screened, reason)
		c.ThresholdLevel, c.DueAt = 2, nil
		if move(to, mash.StatusClosed, screener, screened.Add(g.hours(6, 96)), reason) {
			c.ClosureReason = reason
		}
		return
	}

	// Into MASH: rated, partner checks, a manager's decision, feedback.
	move(mash.StatusScreening, mash.StatusInMASH, screener, screened, "accepted into MASH for partner checks")
	rag := pick(g.rng, []weighted[string]{{"red", 15}, {"amber", 45}, {"green", 40}})
	if c.ImmediateRisk {
		rag = "red"
	}
	rate(rag, screened, "rated at screening")
	c.ThresholdLevel = map[string]int{"red": 4, "amber": 3, "green": 2}[rag]
	if rag == "red" && g.f() < 0.3 || rag == "green" && g.f() < 0.4 {
		c.ThresholdLevel = 3
	}
	if g.f() < 0.05 {
		if at := screened.Add(g.hours(1, 6)); !at.After(now) {
			rate(map[string]string{"red": "amber", "amber": "red", "green": "amber"}[rag], at, "new information from a partner")
		}
	}
	if c.Consent.Status != mash.ConsentGiven && c.RAG != "red" {
		c.ConsentOverride = &mash.ConsentOverride{LawfulBasis: "UK GDPR Art 6(1)(e) with DPA 2018 Sch 1 para 18",
			Reason: "checks needed to decide whether the threshold is met", By: g.one(g.manager), At: screened.Add(10 * time.Minute)}
	}
	due := *c.DueAt
	agencies := []string{g.ag.police, g.ag.health, g.ag.schools, g.ag.probation, g.ag.housing, g.ag.das, g.ag.yjs}
	if adult {
		agencies = []string{g.ag.police, g.ag.health, g.ag.asc, g.ag.housing, g.ag.probation}
	}
	g.rng.Shuffle(len(agencies)-1, func(i, j int) { agencies[i+1], agencies[j+1] = agencies[j+1], agencies[i+1] })
	asked := agencies[:2+g.rng.IntN(3)]
	lastReturn := screened
	for _, a := range asked {
		at := screened.Add(10*time.Minute + g.hours(0.3, 2))
		if at.After(now) {
			continue
		}
		rdue := due
		if !rdue.After(at) {
			rdue = at.Add(time.Hour)
		}
		r := mash.InfoRequest{ID: uuid.Must(uuid.NewV7()).String(), ContactID: c.ID, AgencyID: a, Question: "What do you hold about the subjects?",
			Status: mash.RequestOpen, DueAt: rdue, RequestedBy: screener, RequestedAt: at, Version: 1}
		if g.f() < 0.96 {
			ret := at.Add(time.Duration(g.f() * 0.95 * float64(rdue.Sub(at))))
			if g.f() < 0.16 {
				ret = rdue.Add(g.hours(6, 72))
			}
			ret = ret.Truncate(time.Second)
			if !ret.After(now) {
				r.Status, r.Version = mash.RequestReturned, 2
				out := pick(g.rng, []weighted[mash.ReturnOutcome]{{mash.ReturnInformation, 55}, {mash.ReturnNothingHeld, 40}, {mash.ReturnDeclined, 5}})
				r.Return = &mash.AgencyReturn{ID: uuid.Must(uuid.NewV7()).String(), RequestID: r.ID, Outcome: out, ReturnedBy: g.researcher(a), ReturnedAt: ret}
				switch out {
				case mash.ReturnDeclined:
					r.Return.LegalBasis, r.Return.Reason = "Data Protection Act 2018 Sch 2 para 2 (prejudice to an investigation)", "live criminal investigation"
				case mash.ReturnInformation:
					for k := 0; k < 1+g.rng.IntN(2); k++ {
						r.Return.Items = append(r.Return.Items, mash.ReturnItem{Summary: "Synthetic record of earlier involvement",
							OccurredOn: c.ReceivedAt.AddDate(0, -1-g.rng.IntN(24), 0).Format(time.DateOnly), OwningAgencyID: a,
							Marking: pick(g.rng, []weighted[mash.Marking]{{mash.MarkingMASHOnly, 30}, {mash.MarkingReceivingTeam, 55}, {mash.MarkingFamily, 15}})})
					}
				}
				lastReturn = maxTime(lastReturn, ret)
			}
		}
		b.Requests = append(b.Requests, r)
	}

	var decided time.Time
	if g.f() < 0.86 {
		decided = screened.Add(time.Duration((0.3 + 0.7*g.f()) * float64(due.Sub(screened))))
		decided = maxTime(decided, lastReturn.Add(g.hours(0.5, 3)))
	} else {
		decided = maxTime(due, lastReturn).Add(g.hours(5, 60))
	}
	decided = maxTime(decided, screened.Add(20*time.Minute)).Truncate(time.Second)
	if decided.After(now) {
		breach(due, nil)
		return
	}
	breach(due, &decided)
	d := g.decision(c, asked)
	d.DecidedAt = decided
	c.ThresholdLevel, c.DueAt = d.ThresholdLevel, nil
	move(mash.StatusInMASH, mash.StatusDecided, d.DecidedBy, decided, d.Rationale)
	b.Decisions = append(b.Decisions, d)
	f := mash.Feedback{ContactID: c.ID, Status: mash.FeedbackPending, DueAt: g.policy.Calendar.AddWorkingDays(decided, 1).UTC()}
	sent := decided.Add(g.hours(6, 96))
	if move(mash.StatusDecided, mash.StatusFeedbackSent, screener, sent, "feedback sent to the referrer") {
		f.Status, f.SentBy, f.SentAt = mash.FeedbackSent, screener, &sent
		f.Text = "Thank you for your referral. The hub has decided: " + string(d.Outcomes[0]) + "."
		reason := "decision carried out"
		if move(mash.StatusFeedbackSent, mash.StatusClosed, screener, sent.Add(g.hours(3, 48)), reason) {
			c.ClosureReason = reason
		}
	}
	b.Feedback = append(b.Feedback, f)
}

// decision is a manager's decision on a contact, with the asked agencies' views.
func (g *contactGen) decision(c *mash.Contact, asked []string) mash.Decision {
	var first mash.Outcome
	if c.Cohort == mash.CohortAdult {
		first = pick(g.rng, []weighted[mash.Outcome]{{mash.OutcomeAdultS42Enquiry, 35}, {mash.OutcomeNFA, 20}, {mash.OutcomeAdvice, 18},
			{mash.OutcomeSingleAgency, 17}, {mash.OutcomeMARAC, 4}, {mash.OutcomeImmediateProtection, 2}, {mash.OutcomeTransferOut, 2}, {mash.OutcomeLADO, 2}})
	} else {
		first = pick(g.rng, []weighted[mash.Outcome]{{mash.OutcomeEarlyHelp, 28}, {mash.OutcomeCINAssessmentS17, 22}, {mash.OutcomeStrategyDiscussionS47, 12},
			{mash.OutcomeNFA, 12}, {mash.OutcomeAdvice, 10}, {mash.OutcomeSingleAgency, 8}, {mash.OutcomeTransferOut, 2},
			{mash.OutcomeImmediateProtection, 1}, {mash.OutcomeLADO, 1}})
	}
	d := mash.Decision{ContactID: c.ID, Outcomes: []mash.Outcome{first}, DecidedBy: g.one(g.manager)}
	domestic := slices.ContainsFunc(c.Concerns, func(s string) bool { return s == "3A" || s == "3B" || s == "3C" || s == "domestic" })
	if domestic && first != mash.OutcomeMARAC && first != mash.OutcomeNFA && g.f() < 0.2 {
		d.Outcomes = append(d.Outcomes, mash.OutcomeMARAC)
	}
	switch first {
	case mash.OutcomeNFA, mash.OutcomeAdvice:
		d.ThresholdLevel, d.Rationale = 1, "below the threshold for statutory services"
	case mash.OutcomeEarlyHelp, mash.OutcomeSingleAgency:
		d.ThresholdLevel, d.Rationale = 2, "additional needs best met by early help or a single agency"
		if first == mash.OutcomeEarlyHelp {
			d.ReceivingAgencyID = g.ag.earlyHelp
		}
	case mash.OutcomeStrategyDiscussionS47, mash.OutcomeImmediateProtection:
		d.ThresholdLevel, d.Rationale, d.ReceivingAgencyID = 4, "reasonable cause to suspect significant harm", g.ag.csc
	case mash.OutcomeAdultS42Enquiry:
		d.ThresholdLevel, d.Rationale, d.ReceivingAgencyID = 3+g.rng.IntN(2), "the three s42 criteria are met", g.ag.asc
	default:
		d.ThresholdLevel, d.Rationale = 3, "complex needs: a statutory assessment is needed"
		if c.Cohort == mash.CohortChild {
			d.ReceivingAgencyID = g.ag.csc
		} else {
			d.ReceivingAgencyID = g.ag.asc
		}
	}
	for _, a := range asked {
		agrees := g.f() < 0.95
		view := "agrees with the decision"
		if !agrees {
			view = "would have set a higher threshold"
		}
		d.AgencyViews = append(d.AgencyViews, mash.AgencyView{AgencyID: a, View: view, Agrees: agrees})
	}
	return d
}

// researcher is the user who answers for agency a (the hub's screener when
// the agency has none).
func (g *contactGen) researcher(a string) string {
	if u, ok := g.researchers[a]; ok {
		return u
	}
	return g.screener[0]
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
