package mash

import (
	"net/mail"
	"strings"
	"time"
)

// AgencyKind is the type of a partner agency.
type AgencyKind string

// The agency kinds a partnership is built from.
const (
	AgencyPolice               AgencyKind = "police"
	AgencyChildrensSocialCare  AgencyKind = "childrens_social_care"
	AgencyAdultSocialCare      AgencyKind = "adult_social_care"
	AgencyHealth               AgencyKind = "health"
	AgencyEducation            AgencyKind = "education"
	AgencyProbation            AgencyKind = "probation"
	AgencyHousing              AgencyKind = "housing"
	AgencyYouthJustice         AgencyKind = "youth_justice"
	AgencyDomesticAbuseService AgencyKind = "domestic_abuse_service"
	AgencyOther                AgencyKind = "other"
)

// AgencyKinds lists every valid kind, in display order.
var AgencyKinds = []AgencyKind{AgencyPolice, AgencyChildrensSocialCare, AgencyAdultSocialCare,
	AgencyHealth, AgencyEducation, AgencyProbation, AgencyHousing, AgencyYouthJustice,
	AgencyDomesticAbuseService, AgencyOther}

// Agency is a partner organisation in the hub.
type Agency struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Kind      AgencyKind `json:"kind"`
	CreatedAt time.Time  `json:"created_at"`
}

// Validate checks an agency before it is stored.
func (a *Agency) Validate() error {
	fe := FieldErrors{}
	a.Name = strings.TrimSpace(a.Name)
	if a.Name == "" {
		fe.Add("name", "is required")
	} else if len(a.Name) > 200 {
		fe.Add("name", "must be at most 200 characters")
	}
	if !oneOf(a.Kind, AgencyKinds) {
		fe.Add("kind", "must be one of "+joinAll(AgencyKinds))
	}
	return fe.Err("the agency is not valid")
}

// Role is what a user does in the hub; it decides what they may do and see.
type Role string

// The roles of hub users.
const (
	RoleReferrer   Role = "referrer"
	RoleScreener   Role = "screener"
	RoleResearcher Role = "researcher"
	RoleManager    Role = "manager"
	RoleAuditor    Role = "auditor"
	RoleAnalyst    Role = "analyst"
	RoleAdmin      Role = "admin"
	// RoleReceiver is the assessment or early-help worker outside the hub who
	// receives a decided case.
	RoleReceiver Role = "receiving_practitioner"
)

// Roles lists every valid role.
var Roles = []Role{RoleReferrer, RoleScreener, RoleResearcher, RoleManager, RoleReceiver, RoleAuditor, RoleAnalyst, RoleAdmin}

// User is a person who signs in to the hub. Each belongs to one agency.
type User struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	AgencyID  string    `json:"agency_id"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// Validate checks a user before it is stored. Emails are compared in lower case.
func (u *User) Validate() error {
	fe := FieldErrors{}
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email {
		fe.Add("email", "must be a plain email address such as name@agency.example")
	}
	u.Name = strings.TrimSpace(u.Name)
	if u.Name == "" {
		fe.Add("name", "is required")
	}
	if u.AgencyID == "" {
		fe.Add("agency", "is required")
	}
	if !oneOf(u.Role, Roles) {
		fe.Add("role", "must be one of "+joinAll(Roles))
	}
	return fe.Err("the user is not valid")
}

// Actor is the authenticated user behind a request, with the request's
// context for the audit log.
type Actor struct {
	UserID    string
	Name      string
	Role      Role
	AgencyID  string
	RequestID string
	ClientIP  string
}

func oneOf[T comparable](v T, set []T) bool {
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}

func joinAll[T ~string](set []T) string {
	s := make([]string, len(set))
	for i, v := range set {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}
