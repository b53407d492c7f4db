package demo

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"openmash.org/mash"
)

// describe chooses the people a planned contact is about, who raised it and
// what everyone writes. Plans are described in order of receipt, so a family
// seen before can come back.
func (g *gen) describe(p *plan) {
	r := g.r
	sc := p.sc
	at := p.received
	subj, fam, reused := g.subject(p)

	type named struct {
		role mash.SubjectRole
		p    *person
	}
	subjects := []named{{mash.SubjectMain, subj}}
	var carer, perp *person
	relation := ""
	if sc.cohort == mash.CohortChild {
		carer = fam.carer
		subjects = append(subjects, named{mash.SubjectParentCarer, carer})
		if fam.carer2 != nil && chance(r, 0.5) {
			subjects = append(subjects, named{mash.SubjectParentCarer, fam.carer2})
		}
		for _, k := range fam.kids {
			if k != subj && chance(r, 0.6) {
				subjects = append(subjects, named{mash.SubjectHouseholdMember, k})
			}
		}
		switch sc.perp {
		case perpPartner:
			perp = fam.partnerOf(r, g.from)
		case perpStranger, perpChild:
			perp = g.stranger(sc)
		}
	} else {
		switch sc.perp {
		case perpKin:
			perp = fam.kinOf(r, g.from)
			relation = g.relation(perp, subj)
		case perpPartner:
			if fam.partner == nil {
				sex := "M"
				if subj.sex == "M" {
					sex = "F"
				}
				fam.partner = newPerson(r, pick(r, surnames), sex, subj.born.AddDate(r.IntN(11)-5, -r.IntN(12), 0), g.from, fam.home, 0.6)
			}
			perp = fam.partner
		case perpStranger:
			perp = g.stranger(sc)
		default:
			if chance(r, 0.5) {
				carer = fam.kinOf(r, g.from)
				relation = g.relation(carer, subj)
				subjects = append(subjects, named{mash.SubjectParentCarer, carer})
			}
		}
	}
	if perp != nil {
		subjects = append(subjects, named{mash.SubjectAllegedPerpetrat, perp})
	}

	c := &mash.Contact{ReceivedAt: p.received, Channel: p.channel, Cohort: sc.cohort, Concerns: p.codes,
		ImmediateRisk: p.immediate}
	for _, s := range subjects {
		sub := mash.Subject{Role: s.role, GivenName: s.p.given, FamilyName: s.p.family, DOB: s.p.dob(),
			Sex: s.p.sex, NHSNumber: s.p.nhs}
		if s.p.home != nil {
			sub.Address, sub.Postcode = s.p.home.address, s.p.home.postcode
		}
		c.Subjects = append(c.Subjects, sub)
		p.people = append(p.people, s.p)
	}

	vars := g.vars(p, subj, carer, perp, fam)
	if relation != "" {
		vars["relation"] = relation
	}
	c.Narrative = fill(pick(r, sc.narratives), vars)
	if last, ok := g.lastSeen[fam]; ok && reused {
		c.Narrative += fmt.Sprintf(" The family is known to the MASH: previous contact on %s.", last.In(time.UTC).Format("2 January 2006"))
	}
	g.lastSeen[fam] = at

	c.Consent = mash.Consent{FamilyAware: true, Status: p.consent}
	if p.consent != mash.ConsentGiven {
		c.Consent.FamilyAware = p.consent == mash.ConsentRefused
		c.Consent.Reason = pick(r, consentReasons[p.consent])
		c.Consent.ApprovedBy = consentApprover
	}
	c.Referrer, p.creator = g.referrer(p, subj, fam)
	p.contact = c

	p.screener = "screener"
	if sc.cohort == mash.CohortAdult {
		p.screener = "screener_adults"
	}
	if p.decision == mash.ScreenAccept {
		p.threshold = map[string]int{"red": 4, "amber": 3, "green": 2}[p.rag]
		p.screenReason = fmt.Sprintf("Accepted into MASH at threshold level %d, rated %s: %s.", p.threshold, p.rag, ragScreenText[p.rag])
	} else {
		p.screenReason = pick(r, screenReasons[p.decision][sc.cohort])
		if p.decision == mash.ScreenSingleAgency || p.decision == mash.ScreenOpenCase {
			p.threshold = 2
			p.closeReason = pick(r, passedCloseReasons[p.decision])
		} else {
			p.threshold = 1
		}
	}
	if p.override {
		p.overrideWhy = pick(r, overrideReasons)
	}
	p.rerateWhy = rerateReasons[p.rag+">"+p.rerateTo]
	for i := range p.requests {
		p.requests[i].ret = g.agencyReturn(p, &p.requests[i], vars, perp != nil)
	}
	if p.decision == mash.ScreenAccept {
		g.decide(p, vars)
	}
}

var rerateReasons = map[string]string{
	"amber>red":   "Police return shows escalating incidents and a weapons marker at the address: risk raised to red.",
	"amber>green": "All partner returns show nothing of concern beyond the referral: lowered to green.",
	"green>amber": "Partner returns show cumulative concerns (missed health appointments, poor attendance): raised to amber.",
	"red>amber":   "Police confirm the alleged perpetrator has been remanded in custody: immediate risk reduced, lowered to amber.",
}

// subject returns the person the contact is about and their family: about
// three in ten contacts are about a family the hub has seen before.
func (g *gen) subject(p *plan) (*person, *family, bool) {
	r := g.r
	sc := p.sc
	fits := func(x *person) bool {
		if x == nil || x.born.IsZero() {
			return false
		}
		a := x.age(p.received)
		return a >= sc.ageLo && a <= sc.ageHi
	}
	if chance(r, 0.27) {
		var cands []*person
		for _, f := range g.families[sc.cohort] {
			if sc.cohort == mash.CohortAdult {
				if fits(f.adult) {
					cands = append(cands, f.adult)
				}
				continue
			}
			for _, k := range f.kids {
				if fits(k) {
					cands = append(cands, k)
				}
			}
		}
		if len(cands) > 0 {
			s := pick(r, cands)
			return s, g.famOf[s], true
		}
	}
	var f *family
	if sc.cohort == mash.CohortAdult {
		f = newAdultFamily(r, g.from, sc.ageLo, sc.ageHi)
		g.famOf[f.adult] = f
	} else {
		f = newChildFamily(r, g.from, sc.ageLo, sc.ageHi)
		for _, k := range f.kids {
			g.famOf[k] = f
		}
	}
	g.families[sc.cohort] = append(g.families[sc.cohort], f)
	if sc.cohort == mash.CohortAdult {
		return f.adult, f, false
	}
	return f.kids[0], f, false
}

// stranger returns an alleged perpetrator from outside the family; some
// recur across contacts (the same exploiter, the same older pupil).
func (g *gen) stranger(sc *scenario) *person {
	pool := g.strangers[sc.key]
	if len(pool) > 0 && chance(g.r, 0.25) {
		return pick(g.r, pool)
	}
	p := stranger(g.r, g.from, sc.perpLo, sc.perpHi)
	g.strangers[sc.key] = append(pool, p)
	return p
}

func (g *gen) relation(kin, adult *person) string {
	gap := adult.age(g.now) - kin.age(g.now)
	switch {
	case gap > 40 && kin.sex == "F":
		return "granddaughter"
	case gap > 40:
		return "grandson"
	case kin.sex == "F":
		return "daughter"
	}
	return "son"
}

func (g *gen) vars(p *plan, subj, carer, perp *person, fam *family) map[string]string {
	r := g.r
	he, his, him := "they", "their", "them"
	switch subj.sex {
	case "F":
		he, his, him = "she", "her", "her"
	case "M":
		he, his, him = "he", "his", "him"
	}
	title := func(s string) string { return strings.ToUpper(s[:1]) + s[1:] }
	age := subj.age(p.received)
	school := pick(r, primarySchools)
	if age >= 11 {
		school = pick(r, secondarySchools)
	}
	v := map[string]string{
		"subj": subj.given, "subjFull": subj.name(), "age": strconv.Itoa(age),
		"he": he, "He": title(he), "his": his, "His": title(his), "him": him,
		"carer": "the parent", "perp": "an unknown adult", "perpGiven": "the adult", "perpAge": "age not known",
		"address": fam.home.address, "street": fam.home.street, "town": fam.home.town,
		"school": school, "gp": pick(r, gpSurgeries),
		"day":    p.received.AddDate(0, 0, -1-r.IntN(3)).Weekday().String(),
		"amount": strconv.Itoa(150 + 10*r.IntN(400)), "att": strconv.Itoa(71 + r.IntN(19)),
		"dash":     map[string]string{"red": "high", "amber": "medium"}[p.rag],
		"relation": "relative",
		"date":     p.received.AddDate(0, -2-r.IntN(10), 0).Format("January 2006"),
		"future":   g.now.AddDate(0, 3+r.IntN(20), 0).Format("January 2006"),
		"year":     strconv.Itoa(g.now.Year() - 1 - r.IntN(12)),
	}
	if v["dash"] == "" {
		v["dash"] = "standard"
	}
	if carer != nil {
		v["carer"] = carer.name()
	}
	if perp != nil {
		v["perp"], v["perpGiven"] = perp.name(), perp.given
		if !perp.born.IsZero() {
			v["perpAge"] = "aged " + strconv.Itoa(perp.age(p.received))
		}
	}
	return v
}

// referrer says who raised the concern and which user recorded it: the demo
// teacher and police officer record their own referrals; the hub's screeners
// record the rest.
func (g *gen) referrer(p *plan, subj *person, fam *family) (mash.Referrer, string) {
	r := g.r
	screener := "screener"
	if p.sc.cohort == mash.CohortAdult {
		screener = "screener_adults"
	}
	adult := func() (string, string) {
		sex := sexOf(r)
		born := bornAged(r, g.from, 25, 60)
		return givenFor(r, sex, born, g.from), pick(r, surnames)
	}
	named := func(title, org, domain string) mash.Referrer {
		given, family := adult()
		name := given + " " + family
		if title != "" {
			name = title + " " + name
		}
		return mash.Referrer{Name: name, Organisation: org, Email: emailFor(given, family, domain), Phone: phone(r)}
	}
	switch p.ref {
	case refTeacher:
		age := subj.age(p.received)
		if age >= 11 && p.channel == "online_form" && chance(r, 0.7) {
			u := g.users["teacher"]
			return mash.Referrer{Name: u.Name + " (Designated Safeguarding Lead)", Organisation: teacherSchool, Email: u.Email, Phone: "01632 960412"}, "teacher"
		}
		school := pick(r, primarySchools)
		if age >= 11 {
			school = pick(r, secondarySchools)
		}
		return named("", school, domainOf(school)), screener
	case refPolice:
		if p.channel == "police_notification" && chance(r, 0.45) {
			u := g.users["officer"]
			return mash.Referrer{Name: u.Name + " (4417)", Organisation: agencyName("police"), Email: u.Email, Phone: "01632 960101"}, "officer"
		}
		ref := named(pick(r, []string{"PC", "PC", "DC", "PS"}), agencyName("police"), "police.northshire.example")
		return ref, screener
	case refGP:
		s := pick(r, gpSurgeries)
		return named("Dr", s, domainOf(s)), screener
	case refHealthVisitor:
		return named("", "Health Visiting, "+agencyName("health"), "health.northshire.example"), screener
	case refSchoolNurse:
		return named("", "School Nursing, "+agencyName("health"), "health.northshire.example"), screener
	case refHospital:
		return named("", "Emergency Department, Northtown General Hospital", "hospital.northshire.example"), screener
	case refPublic:
		given, family := adult()
		return mash.Referrer{Name: given + " " + family, Organisation: pick(r, []string{"Member of the public (neighbour)", "Member of the public (family friend)"}), Phone: phone(r)}, screener
	case refAnonymous:
		ref := mash.Referrer{Anonymous: true, Organisation: "Member of the public"}
		if chance(r, 0.4) {
			given, family := adult()
			ref.Name = given + " " + family
			ref.Phone = phone(r)
		}
		return ref, screener
	case refHousing:
		return named("", agencyName("housing"), "housing.northshire.example"), screener
	case refRelative:
		given, _ := adult()
		rel := pick(r, []string{"grandparent", "aunt or uncle"})
		if p.sc.cohort == mash.CohortAdult {
			rel = pick(r, []string{"daughter", "son", "niece or nephew"})
		}
		return mash.Referrer{Name: given + " " + fam.surname, Organisation: "Relative (" + rel + ")", Phone: phone(r)}, screener
	case refProbation:
		return named("", agencyName("probation"), "probation.northshire.example"), screener
	case refCareProvider:
		org := pick(r, []string{"Brightcare Home Support", "Harrow Court Care Home", "Northshire Shared Lives"})
		return named("", org, domainOf(org)), screener
	case refBank:
		return named("", "Northshire Building Society (fraud team)", "northshire-bs.example"), screener
	case refAmbulance:
		return named("", "Northshire Ambulance Service", "ambulance.northshire.example"), screener
	}
	return named("", "", "example.org.example"), screener
}

func agencyName(key string) string {
	for _, d := range agencyDefs {
		if d.key == key {
			return d.name
		}
	}
	return key
}

// agencyReturn writes an agency's answer.
func (g *gen) agencyReturn(p *plan, q *request, vars map[string]string, hasPerp bool) *mash.AgencyReturn {
	r := g.r
	switch q.outcome {
	case mash.ReturnDeclined:
		d := declines[q.agency]
		return &mash.AgencyReturn{Outcome: mash.ReturnDeclined, LegalBasis: d[0], Reason: d[1]}
	case mash.ReturnNothingHeld:
		return &mash.AgencyReturn{Outcome: mash.ReturnNothingHeld}
	}
	var fit []itemTmpl
	for _, t := range returnItems[q.agency] {
		if (t.needsPerp && !hasPerp) || (t.childOnly && p.sc.cohort != mash.CohortChild) || (t.adultOnly && p.sc.cohort != mash.CohortAdult) {
			continue
		}
		if strings.Contains(t.summary, "{carer}") && vars["carer"] == "the parent" {
			continue
		}
		fit = append(fit, t)
	}
	if len(fit) == 0 {
		return &mash.AgencyReturn{Outcome: mash.ReturnNothingHeld}
	}
	ret := &mash.AgencyReturn{Outcome: mash.ReturnInformation}
	for _, i := range r.Perm(len(fit))[:min(q.items, len(fit))] {
		t := fit[i]
		it := mash.ReturnItem{Summary: fill(t.summary, vars), Detail: fill(t.detail, vars), Marking: t.marking,
			OccurredOn: p.received.AddDate(0, 0, -2-r.IntN(700)).Format(time.DateOnly)}
		if t.acute {
			it.OwningAgencyID = g.agencies["acute"].ID
		}
		ret.Items = append(ret.Items, it)
	}
	// Chronology order.
	slices.SortFunc(ret.Items, func(a, b mash.ReturnItem) int { return strings.Compare(a.OccurredOn, b.OccurredOn) })
	return ret
}

var checkSaid = map[mash.ReturnOutcome]string{
	mash.ReturnInformation: "shared information", mash.ReturnNothingHeld: "held nothing",
	mash.ReturnDeclined: "declined to share (legal basis recorded)",
}

var outcomeLevel = map[mash.Outcome]int{
	mash.OutcomeStrategyDiscussionS47: 4, mash.OutcomeImmediateProtection: 4,
	mash.OutcomeCINAssessmentS17: 3, mash.OutcomeAdultS42Enquiry: 3, mash.OutcomeMARAC: 3, mash.OutcomeLADO: 3,
	mash.OutcomeEarlyHelp: 2, mash.OutcomeSingleAgency: 2, mash.OutcomeTransferOut: 2,
	mash.OutcomeAdvice: 1, mash.OutcomeNFA: 1,
}

// decide writes the manager's decision, the agencies' views, the feedback
// and the closing note.
func (g *gen) decide(p *plan, vars map[string]string) {
	r := g.r
	level := 1
	var why, said []string
	for _, o := range p.outcomes {
		level = max(level, outcomeLevel[o])
		why = append(why, fill(outcomeRationale[o], vars))
		said = append(said, outcomeFeedback[o])
	}
	var checks []string
	d := &mash.Decision{ThresholdLevel: level, Outcomes: p.outcomes}
	// Children's cases that go on to early help or an assessment are passed
	// to the early help and assessment teams, whose workers then see them.
	for _, o := range p.outcomes {
		if o == mash.OutcomeEarlyHelp || o == mash.OutcomeCINAssessmentS17 || o == mash.OutcomeStrategyDiscussionS47 {
			d.ReceivingAgencyID = g.agencies["earlyhelp"].ID
		}
	}
	dissent := false
	for _, q := range p.requests {
		checks = append(checks, fmt.Sprintf("%s %s", strings.ToUpper(q.agency[:1])+q.agency[1:], checkSaid[q.ret.Outcome]))
		views := agencyViews[q.agency]
		v := mash.AgencyView{AgencyID: g.agencies[q.agency].ID, Agrees: !q.dissent}
		switch {
		case !q.dissent:
			v.View = pick(r, views.agree)
		case level <= 2:
			v.View = pick(r, views.wantMore)
		default:
			v.View = pick(r, views.wantLess)
		}
		dissent = dissent || q.dissent
		d.AgencyViews = append(d.AgencyViews, v)
	}
	text := strings.Join(why, " ")
	if len(checks) > 0 {
		text += " Partner checks: " + strings.Join(checks, "; ") + "."
	} else {
		text += " No partner checks: consent was not given and the concern is below the threshold for checks without consent; decided on the information the hub holds."
	}
	if dissent {
		text += " Dissent from a partner agency is recorded with its view; the manager considered it and the decision stands, with the right to escalate explained."
	}
	d.Rationale = text
	p.decisionRec = d

	fb := "Thank you for your referral (MASH reference {ref}, received " + p.received.Format("2 January 2006") +
		"). The hub has completed its enquiries. Outcome: " + strings.Join(said, "; and ") + "."
	if p.contact.Referrer.Anonymous && p.contact.Referrer.Phone == "" {
		fb = "Anonymous referral with no contact details (MASH reference {ref}): the outcome is recorded; no feedback could be sent."
	}
	p.feedback = fb
	p.closeReason = outcomeClose[p.outcomes[0]]
}
