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
