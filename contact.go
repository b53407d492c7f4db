package mash

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Cohort says whether a contact is about a child or an adult at risk; it picks
// the concern code list and the statutory route.
type Cohort string

// The cohorts.
const (
	CohortChild Cohort = "child"
	CohortAdult Cohort = "adult"
)

// Cohorts lists the valid cohorts.
var Cohorts = []Cohort{CohortChild, CohortAdult}

// Channels lists how a contact may arrive.
var Channels = []string{"phone", "email", "online_form", "in_person", "api", "police_notification", "letter"}

// SubjectRole is how a person figures in a contact.
type SubjectRole string

// The subject roles.
const (
	SubjectMain             SubjectRole = "subject"
	SubjectParentCarer      SubjectRole = "parent_carer"
	SubjectHouseholdMember  SubjectRole = "household_member"
	SubjectAllegedPerpetrat SubjectRole = "alleged_perpetrator"
)

// SubjectRoles lists the valid subject roles.
var SubjectRoles = []SubjectRole{SubjectMain, SubjectParentCarer, SubjectHouseholdMember, SubjectAllegedPerpetrat}

// Subject is a person named in a contact, as the referrer described them.
// PersonID links the description to the hub's person record.
type Subject struct {
	ID       string `json:"id,omitempty"`
	PersonID string `json:"person_id,omitempty"`
	// NewPerson records that the user looked at the match candidates and
	// chose none: the subject starts a new person whatever the matcher thinks.
	NewPerson  bool        `json:"new_person,omitempty"`
	Role       SubjectRole `json:"role"`
	GivenName  string      `json:"given_name"`
	FamilyName string      `json:"family_name"`
	DOB        string      `json:"dob,omitempty"` // YYYY-MM-DD
	Sex        string      `json:"sex,omitempty"` // F, M, X or U (unknown)
	Address    string      `json:"address,omitempty"`
	Postcode   string      `json:"postcode,omitempty"`
	NHSNumber  string      `json:"nhs_number,omitempty"`
}

// Referrer is who raised the concern. Anonymous asks the hub not to reveal
// their identity outside the hub (for example to the family).
type Referrer struct {
	Name         string `json:"name"`
	Organisation string `json:"organisation,omitempty"`
	Email        string `json:"email,omitempty"`
	Phone        string `json:"phone,omitempty"`
	Anonymous    bool   `json:"anonymous"`
	// Source is the CIN census referral source code (ReferralSources); when
	// intake gives none the store records DefaultReferralSource.
	Source string `json:"source,omitempty"`
}

// ConsentStatus records whether the family agreed to the hub's checks.
type ConsentStatus string

// The consent states.
const (
	ConsentGiven     ConsentStatus = "given"
	ConsentRefused   ConsentStatus = "refused"
	ConsentNotSought ConsentStatus = "not_sought"
)

// ConsentStatuses lists the valid consent states.
var ConsentStatuses = []ConsentStatus{ConsentGiven, ConsentRefused, ConsentNotSought}

// Consent records the family's awareness and consent. Where consent was
// refused or not sought the reason and the person who approved proceeding
// are required: the decision to share without consent must be recorded.
type Consent struct {
	FamilyAware bool          `json:"family_aware"`
	Status      ConsentStatus `json:"status"`
	Reason      string        `json:"reason,omitempty"`
	ApprovedBy  string        `json:"approved_by,omitempty"`
}

// ConsentOverride is a manager's recorded decision to make partner checks
// without consent below the Red rating (threshold before checks).
type ConsentOverride struct {
	LawfulBasis string    `json:"lawful_basis"`
	Reason      string    `json:"reason"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
}

// Contact is a safeguarding concern received by the hub and everything the
// hub has decided about it so far.
type Contact struct {
	ID                 string           `json:"id"`
	Reference          string           `json:"reference"`
	Version            int              `json:"version"`
	Status             Status           `json:"status"`
	ReceivedAt         time.Time        `json:"received_at"`
	Channel            string           `json:"channel"`
	Cohort             Cohort           `json:"cohort"`
	Referrer           Referrer         `json:"referrer"`
	Subjects           []Subject        `json:"subjects"`
	Concerns           []string         `json:"concerns"`
	ConcernCodeVersion string           `json:"concern_code_version"`
	Narrative          string           `json:"narrative"`
	ImmediateRisk      bool             `json:"immediate_risk"`
	Consent            Consent          `json:"consent"`
	ConsentOverride    *ConsentOverride `json:"consent_override,omitempty"`
	RAG                string           `json:"rag,omitempty"`
	ThresholdLevel     int              `json:"threshold_level,omitempty"`
	ScreenedAt         *time.Time       `json:"screened_at,omitempty"`
	DueAt              *time.Time       `json:"due_at,omitempty"`
	ClosureReason      string           `json:"closure_reason,omitempty"`
	CreatedBy          string           `json:"created_by"`
	CreatedAt          time.Time        `json:"created_at"`
	UpdatedAt          time.Time        `json:"updated_at"`
}

// Overdue reports whether the contact's clock has run out at now.
func (c *Contact) Overdue(now time.Time) bool {
	return c.DueAt != nil && !c.Status.Closed() && c.Status != StatusDecided &&
		c.Status != StatusFeedbackSent && now.After(*c.DueAt)
}

const (
	maxNarrative = 20000
	maxShortText = 500
)

// Validate checks a new contact against the rules of intake. now is used to
// refuse dates in the future. It normalises what it can (spaces in NHS numbers
// and postcodes, case of codes) and reports every problem by field.
func (c *Contact) Validate(now time.Time) error {
	fe := FieldErrors{}
	if c.ReceivedAt.IsZero() {
		fe.Add("received_at", "is required (RFC 3339 time, e.g. 2026-12-24T16:00:00Z)")
	} else if c.ReceivedAt.After(now.Add(5 * time.Minute)) {
		fe.Add("received_at", "is in the future")
	}
	if !oneOf(c.Channel, Channels) {
		fe.Add("channel", "must be one of "+strings.Join(Channels, ", "))
	}
	if !oneOf(c.Cohort, Cohorts) {
		fe.Add("cohort", "must be child or adult")
	}
	c.Referrer.Name = strings.TrimSpace(c.Referrer.Name)
	if c.Referrer.Name == "" && !c.Referrer.Anonymous {
		fe.Add("referrer.name", "is required unless the referrer is a member of the public asking for anonymity")
	}
	checkLen(fe, "referrer.name", c.Referrer.Name, maxShortText)
	checkLen(fe, "referrer.organisation", c.Referrer.Organisation, maxShortText)
	checkLen(fe, "referrer.phone", c.Referrer.Phone, 50)
	if c.Referrer.Email != "" && !emailRE.MatchString(c.Referrer.Email) {
		fe.Add("referrer.email", "is not an email address")
	}
	c.Referrer.Source = strings.ToUpper(strings.TrimSpace(c.Referrer.Source))
	if src := ReferralSources(); c.Referrer.Source != "" && !src.Has(c.Referrer.Source) {
		fe.Add("referrer.source", fmt.Sprintf("unknown referral source code (list %s %s, e.g. 2A schools, 6 police)", src.Name, src.Version))
	}
	if len(c.Subjects) == 0 {
		fe.Add("subjects", "at least one subject is required")
	} else if len(c.Subjects) > 50 {
		fe.Add("subjects", "at most 50 subjects")
	}
	mainSubjects := 0
	for i := range c.Subjects {
		if c.Subjects[i].Role == SubjectMain {
			mainSubjects++
		}
		c.Subjects[i].validate(fe, fmt.Sprintf("subjects[%d]", i), now)
	}
	if len(c.Subjects) > 0 && mainSubjects == 0 {
		fe.Add("subjects", "one subject must have role \"subject\" (the child or adult the concern is about)")
	}
	if len(c.Concerns) == 0 {
		fe.Add("concerns", "at least one concern code is required")
	}
	list := ConcernCodes(c.Cohort)
	seen := map[string]bool{}
	for i, code := range c.Concerns {
		code = strings.TrimSpace(code)
		if c.Cohort == CohortChild {
			code = strings.ToUpper(code)
		}
		c.Concerns[i] = code
		if oneOf(c.Cohort, Cohorts) && !list.Has(code) {
			fe.Add(fmt.Sprintf("concerns[%d]", i), fmt.Sprintf("unknown code %q for the %s cohort (list %s %s)", code, c.Cohort, list.Name, list.Version))
		}
		if seen[code] {
			fe.Add(fmt.Sprintf("concerns[%d]", i), fmt.Sprintf("code %q is listed twice", code))
		}
		seen[code] = true
	}
	c.ConcernCodeVersion = list.Version
	if strings.TrimSpace(c.Narrative) == "" {
		fe.Add("narrative", "is required: describe the concern")
	}
	checkLen(fe, "narrative", c.Narrative, maxNarrative)
	switch c.Consent.Status {
	case ConsentGiven:
	case ConsentRefused, ConsentNotSought:
		if strings.TrimSpace(c.Consent.Reason) == "" {
			fe.Add("consent.reason", "is required when consent was refused or not sought")
		}
		if strings.TrimSpace(c.Consent.ApprovedBy) == "" {
			fe.Add("consent.approved_by", "name who approved proceeding without consent")
		}
	default:
		fe.Add("consent.status", "must be given, refused or not_sought")
	}
	checkLen(fe, "consent.reason", c.Consent.Reason, maxShortText)
	checkLen(fe, "consent.approved_by", c.Consent.ApprovedBy, maxShortText)
	return fe.Err("the contact is not valid")
}

var (
	emailRE    = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	postcodeRE = regexp.MustCompile(`^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$`)
)

func (s *Subject) validate(fe FieldErrors, at string, now time.Time) {
	if !oneOf(s.Role, SubjectRoles) {
		fe.Add(at+".role", "must be one of "+joinAll(SubjectRoles))
	}
	if s.NewPerson && s.PersonID != "" {
		fe.Add(at+".new_person", "cannot be set with person_id: choose a known person or a new one")
	}
	s.GivenName = strings.TrimSpace(s.GivenName)
	s.FamilyName = strings.TrimSpace(s.FamilyName)
	if s.GivenName == "" && s.FamilyName == "" {
		fe.Add(at+".family_name", "a given or family name is required (use \"Unknown\" if not known)")
	}
	checkLen(fe, at+".given_name", s.GivenName, 100)
	checkLen(fe, at+".family_name", s.FamilyName, 100)
	checkLen(fe, at+".address", s.Address, maxShortText)
	if s.DOB != "" {
		if d, err := ParseDate(s.DOB); err != nil {
			fe.Add(at+".dob", err.Error())
		} else if d.After(now) {
			fe.Add(at+".dob", "is in the future")
		} else if d.Year() < now.Year()-120 {
			fe.Add(at+".dob", "is more than 120 years ago")
		}
	}
	switch strings.ToUpper(s.Sex) {
	case "", "F", "M", "X", "U":
		s.Sex = strings.ToUpper(s.Sex)
	default:
		fe.Add(at+".sex", "must be F, M, X or U")
	}
	if s.Postcode != "" {
		pc, err := NormalisePostcode(s.Postcode)
		if err != nil {
			fe.Add(at+".postcode", err.Error())
		}
		s.Postcode = pc
	}
	if s.NHSNumber != "" {
		n, err := NormaliseNHSNumber(s.NHSNumber)
		if err != nil {
			fe.Add(at+".nhs_number", err.Error())
		}
		s.NHSNumber = n
	}
}

func checkLen(fe FieldErrors, field, v string, max int) {
	if len(v) > max {
		fe.Add(field, fmt.Sprintf("must be at most %d characters", max))
	}
}

// ParseDate parses a calendar date in YYYY-MM-DD form and refuses impossible
// dates such as 2026-02-31 (time.Parse already does; the message says so).
// The message does not repeat the value: a date of birth is personal data.
func ParseDate(s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		if len(s) == 10 && s[4] == '-' && s[7] == '-' {
			return time.Time{}, errors.New("is not a real date")
		}
		return time.Time{}, errors.New("must be a date in YYYY-MM-DD form")
	}
	return d, nil
}

var nhsSeparators = strings.NewReplacer(" ", "", "-", "")

// NormaliseNHSNumber strips spaces and dashes and checks the modulus 11 check
// digit of a 10-digit NHS number.
func NormaliseNHSNumber(s string) (string, error) {
	s = nhsSeparators.Replace(s)
	if len(s) != 10 {
		return s, fmt.Errorf("must be 10 digits")
	}
	sum := 0
	for i := 0; i < 10; i++ {
		d := s[i]
		if d < '0' || d > '9' {
			return s, fmt.Errorf("must be 10 digits")
		}
		if i < 9 {
			sum += int(d-'0') * (10 - i)
		}
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	if check == 10 || check != int(s[9]-'0') {
		return s, fmt.Errorf("check digit is wrong: not a valid NHS number")
	}
	return s, nil
}

// NormalisePostcode upper-cases a UK postcode and puts one space before the
// inward code ("ls14ap" → "LS1 4AP").
func NormalisePostcode(s string) (string, error) {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if len(s) < 5 || len(s) > 7 || !postcodeRE.MatchString(s) {
		return s, fmt.Errorf("is not a UK postcode")
	}
	return s[:len(s)-3] + " " + s[len(s)-3:], nil
}
