package mash

import "fmt"

// Code is one entry of a versioned code list.
type Code struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

// CodeList is a named, versioned list of codes. Statutory lists change between
// census years, so every stored code is read against the version it was
// recorded under (the contact keeps ConcernCodeVersion).
type CodeList struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Codes   []Code `json:"codes"`
}

// Has reports whether code is in the list.
func (l CodeList) Has(code string) bool {
	for _, c := range l.Codes {
		if c.Code == code {
			return true
		}
	}
	return false
}

// Label returns the label of code, or the code itself if it is unknown.
func (l CodeList) Label(code string) string {
	for _, c := range l.Codes {
		if c.Code == code {
			return c.Label
		}
	}
	return code
}

// CINFactors2025 is the Children in Need census list of factors identified at
// assessment (DfE CIN census 2025–26 guide; the D2I SSD assessment factor list).
var CINFactors2025 = CodeList{Name: "cin_assessment_factors", Version: "2025-26", Codes: cinFactors()}

func cinFactors() []Code {
	split := []struct{ n, topic string }{
		{"1", "Alcohol misuse"}, {"2", "Drug misuse"}, {"3", "Domestic abuse"},
		{"4", "Mental health"}, {"5", "Learning disability"}, {"6", "Physical disability or illness"},
	}
	who := []struct{ s, who string }{{"A", "child"}, {"B", "parent or carer"}, {"C", "other person in the household"}}
	var out []Code
	for _, t := range split {
		for _, w := range who {
			out = append(out, Code{t.n + w.s, fmt.Sprintf("%s: concerns about the %s", t.topic, w.who)})
		}
	}
	return append(out,
		Code{"7A", "Young carer"},
		Code{"8B", "Private fostering: overseas child intending to return"},
		Code{"8C", "Private fostering: overseas child intending to stay"},
		Code{"8D", "Private fostering: UK child in education"},
		Code{"8E", "Private fostering: UK child, alternative family arrangement"},
		Code{"8F", "Private fostering: other"},
		Code{"9A", "Unaccompanied asylum-seeking child"},
		Code{"10A", "Going or being missing"},
		Code{"11A", "Child sexual exploitation"},
		Code{"12A", "Trafficking"},
		Code{"13A", "Gangs"},
		Code{"14A", "Socially unacceptable behaviour"},
		Code{"15A", "Self-harm"},
		Code{"16A", "Neglect"},
		Code{"17A", "Emotional abuse"},
		Code{"18B", "Physical abuse: child on child"},
		Code{"18C", "Physical abuse: adult on child"},
		Code{"19B", "Sexual abuse: child on child"},
		Code{"19C", "Sexual abuse: adult on child"},
		Code{"20", "Other"},
		Code{"21", "No factors identified"},
		Code{"22A", "Female genital mutilation"},
		Code{"23A", "Abuse linked to faith or belief"},
		Code{"24A", "Child criminal exploitation"},
	)
}

// CareActTypes2014 is the ten types of abuse and neglect in the Care and
// Support Statutory Guidance (Care Act 2014), as used by the Safeguarding
// Adults Collection.
var CareActTypes2014 = CodeList{Name: "care_act_abuse_types", Version: "2014", Codes: []Code{
	{"physical", "Physical abuse"},
	{"domestic", "Domestic abuse"},
	{"sexual", "Sexual abuse"},
	{"psychological", "Psychological or emotional abuse"},
	{"financial", "Financial or material abuse"},
	{"modern_slavery", "Modern slavery"},
	{"discriminatory", "Discriminatory abuse"},
	{"organisational", "Organisational or institutional abuse"},
	{"neglect", "Neglect and acts of omission"},
	{"self_neglect", "Self-neglect"},
}}

// ConcernCodes returns the code list in force for a cohort.
func ConcernCodes(c Cohort) CodeList {
	if c == CohortAdult {
		return CareActTypes2014
	}
	return CINFactors2025
}

// CINReferralSources2025 is the Children in Need census list of referral
// sources (DfE CIN census 2025–26 guide, "source of referral"; unchanged in
// shape since 5D early help was added). The hub records it on every contact,
// adult ones included, so that demand can be counted by source in one way.
var CINReferralSources2025 = CodeList{Name: "cin_referral_sources", Version: "2025-26", Codes: []Code{
	{"1A", "Individual: family member, relative or carer"},
	{"1B", "Individual: acquaintance (including neighbours and child minders)"},
	{"1C", "Individual: self"},
	{"1D", "Individual: other"},
	{"2A", "Schools"},
	{"2B", "Education services"},
	{"3A", "Health services: GP"},
	{"3B", "Health services: health visitor"},
	{"3C", "Health services: school nurse"},
	{"3D", "Health services: other primary health services"},
	{"3E", "Health services: A&E"},
	{"3F", "Health services: other"},
	{"4", "Housing (local authority housing or housing association)"},
	{"5A", "Local authority services: social care (e.g. adult social care)"},
	{"5B", "Local authority services: other internal"},
	{"5C", "Local authority services: external (another authority's services)"},
	{"5D", "Local authority services: early help"},
	{"6", "Police"},
	{"7", "Other legal agency (courts, probation, immigration, CAFCASS, prison)"},
	{"8", "Other"},
	{"9", "Anonymous"},
	{"10", "Unknown"},
}}

// ReferralSources returns the referral source list in force.
func ReferralSources() CodeList { return CINReferralSources2025 }

// DefaultReferralSource is the source recorded when intake gives none: an
// anonymous referrer is 9, a police notification is 6, otherwise it follows
// the kind of agency of the user who recorded the contact. Hub social care
// staff record other people's concerns (a call from a neighbour, a letter),
// so for them the source is not known from who typed it: 10 Unknown, and the
// intake form asks for it. Health defaults to 3F (other health services)
// because the agency kind does not say whether it was a GP, a health visitor
// or A&E; youth justice is an internal local-authority service (5B).
func DefaultReferralSource(creator AgencyKind, c *Contact) string {
	switch {
	case c.Referrer.Anonymous:
		return "9"
	case c.Channel == "police_notification":
		return "6"
	}
	switch creator {
	case AgencyPolice:
		return "6"
	case AgencyEducation:
		return "2A"
	case AgencyHealth:
		return "3F"
	case AgencyHousing:
		return "4"
	case AgencyProbation:
		return "7"
	case AgencyYouthJustice:
		return "5B"
	case AgencyAdultSocialCare:
		return "5A"
	case AgencyDomesticAbuseService, AgencyOther:
		return "8"
	}
	return "10"
}
