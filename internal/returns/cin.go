package returns

import (
	"sort"
	"strings"

	"openmash.org/mash"
)

// The CIN census-shaped files. Both are record level: the census is a
// child-level statutory return, so nothing is suppressed (see docs/returns.md).
const (
	FileCINContacts  = "cin_contacts.csv"
	FileCINReferrals = "cin_referrals.csv"
)

// CINContactsHeader follows the D2I Standard Safeguarding Dataset's
// ssd_contacts (child, date, source, outcome flags).
var CINContactsHeader = []string{"la_child_id", "contact_id", "contact_date", "contact_source", "contact_outcome",
	"new_referral_flag", "cp_enquiry_flag", "nfa_flag", "advice_flag", "ola_cp_flag", "other_outcomes_exist_flag"}

// CINReferralsHeader follows the CIN census referral module (and the SSD's
// ssd_cin_episodes with its referral outcome flags).
var CINReferralsHeader = []string{"la_child_id", "referral_id", "referral_date", "referral_source", "primary_need_code",
	"assessment_factors", "referral_nfa", "single_assessment_flag", "strategy_discussion_flag", "other_outcomes_exist_flag"}

// The contact outcomes, as the SSD's contact outcome flags name them, plus
// PENDING for a contact still being worked on at extraction.
const (
	OutcomeCPEnquiry   = "CP_ENQUIRY"
	OutcomeNewReferral = "NEW_REFERRAL"
	OutcomeOLACP       = "OLA_CP"
	OutcomeOther       = "OTHER"
	OutcomeAdvice      = "ADVICE"
	OutcomeNFA         = "NFA"
	OutcomePending     = "PENDING"
)

// referralOutcomes make a contact a referral to children's social care: an
// assessment (s17), a strategy discussion (s47) or immediate protection.
var referralOutcomes = []mash.Outcome{mash.OutcomeCINAssessmentS17, mash.OutcomeStrategyDiscussionS47, mash.OutcomeImmediateProtection}

// contactFlags are a child contact's outcome flags, in CINContactsHeader
// order from new_referral_flag, and its one outcome (the first that holds
// of CP_ENQUIRY, NEW_REFERRAL, OLA_CP, OTHER, ADVICE, NFA).
func contactFlags(c *Contact) (outcome string, flags [6]bool) {
	d := c.Decision
	const (
		newRef = iota
		cp
		nfa
		advice
		ola
		other
	)
	switch {
	case d != nil:
		flags[newRef] = d.has(referralOutcomes...)
		flags[cp] = d.has(mash.OutcomeStrategyDiscussionS47, mash.OutcomeImmediateProtection)
		flags[nfa] = d.has(mash.OutcomeNFA)
		flags[advice] = d.has(mash.OutcomeAdvice)
		flags[ola] = d.has(mash.OutcomeTransferOut)
		flags[other] = d.has(mash.OutcomeEarlyHelp, mash.OutcomeSingleAgency, mash.OutcomeMARAC, mash.OutcomeLADO)
	case c.ScreenedTo == mash.StatusClosed && c.ClosureReason == string(mash.ScreenAdvice):
		flags[advice] = true
	case c.ScreenedTo == mash.StatusClosed:
		flags[nfa] = true
	case c.ScreenedTo == mash.StatusPassedSingleAgency || c.ScreenedTo == mash.StatusPassedOpenCase:
		flags[other] = true
	}
	for _, o := range []struct {
		i    int
		name string
	}{{cp, OutcomeCPEnquiry}, {newRef, OutcomeNewReferral}, {ola, OutcomeOLACP}, {other, OutcomeOther}, {advice, OutcomeAdvice}, {nfa, OutcomeNFA}} {
		if flags[o.i] {
			return o.name, flags
		}
	}
	return OutcomePending, flags
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// cinContacts is one row per child the contact is about, for the year's
// child contacts (by date received).
func cinContacts(y Year, l Lists, cs []Contact, u unknowns) File {
	f := File{Name: FileCINContacts, Header: CINContactsHeader, RecordLevel: true,
		Description: "Children in Need census-shaped contacts: every child contact received in the year, one row per child it is about"}
	for i := range cs {
		c := &cs[i]
		if c.Cohort != mash.CohortChild || !y.Contains(c.ReceivedAt) {
			continue
		}
		outcome, fl := contactFlags(c)
		for _, s := range c.mains() {
			u.check(FileCINContacts, "contact_source", l.ReferralSources, c.Source)
			row := []string{s.PersonID, c.Reference, date(c.ReceivedAt), c.Source, outcome}
			for _, b := range fl {
				row = append(row, flag(b))
			}
			f.Rows = append(f.Rows, row)
		}
	}
	sortRows(f.Rows, 2, 1, 0)
	return f
}

// cinReferrals is one row per child for each child contact the hub decided
// in the year with a referral to children's social care. The referral date
// is the decision's: the day the hub passed it to social care.
func cinReferrals(y Year, l Lists, cs []Contact, u unknowns) File {
	f := File{Name: FileCINReferrals, Header: CINReferralsHeader, RecordLevel: true,
		Description: "Children in Need census referral module: child contacts the hub decided in the year with an assessment, strategy discussion or immediate protection"}
	for i := range cs {
		c := &cs[i]
		d := c.Decision
		if c.Cohort != mash.CohortChild || d == nil || !y.Contains(d.DecidedAt) || !d.has(referralOutcomes...) {
			continue
		}
		for _, s := range c.mains() {
			u.check(FileCINReferrals, "referral_source", l.ReferralSources, c.Source)
			for _, code := range c.Concerns {
				u.check(FileCINReferrals, "assessment_factors", l.AssessmentFactors, code)
			}
			// A hub referral goes on to an assessment or s47 by definition,
			// so it is never an NFA referral here; an NFA decided later by
			// social care is recorded in its own system.
			f.Rows = append(f.Rows, []string{s.PersonID, c.Reference, date(d.DecidedAt), c.Source, "",
				strings.Join(c.Concerns, ";"), "0",
				flag(d.has(mash.OutcomeCINAssessmentS17)),
				flag(d.has(mash.OutcomeStrategyDiscussionS47, mash.OutcomeImmediateProtection)),
				flag(d.has(mash.OutcomeEarlyHelp, mash.OutcomeSingleAgency, mash.OutcomeMARAC, mash.OutcomeLADO, mash.OutcomeTransferOut))})
		}
	}
	sortRows(f.Rows, 2, 1, 0)
	return f
}

// sortRows orders rows by the given columns, for files that compare equal
// run to run.
func sortRows(rows [][]string, cols ...int) {
	sort.SliceStable(rows, func(i, j int) bool {
		for _, c := range cols {
			if rows[i][c] != rows[j][c] {
				return rows[i][c] < rows[j][c]
			}
		}
		return false
	})
}
