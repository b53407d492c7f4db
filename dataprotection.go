package mash

import (
	"fmt"
	"time"
)

// SARItem is one thing the hub holds about a person, for a subject access
// request. Review says why a person must decide before it is released: the
// hub never releases mash_only or third-party information by itself.
type SARItem struct {
	Source    string `json:"source"` // e.g. "contact MASH-2026-000123: police return"
	Owner     string `json:"owner"`  // the agency that owns the information
	Marking   string `json:"marking,omitempty"`
	Text      string `json:"text"`
	Review    string `json:"review,omitempty"`
	Recorded  string `json:"recorded,omitempty"` // RFC 3339 or date
	ContactID string `json:"contact_id,omitempty"`
}

// SARReport gathers everything held about one person.
type SARReport struct {
	PersonID    string    `json:"person_id"`
	GeneratedAt time.Time `json:"generated_at"`
	Person      Subject   `json:"person"`
	Items       []SARItem `json:"items"`
	// Accesses counts who read the person's contacts, by agency: a subject
	// may ask to whom their data was disclosed.
	Accesses map[string]int `json:"accesses_by_agency"`
}

// RetentionRule keeps one type of record for a number of days after it
// closes, then anonymises it.
type RetentionRule struct {
	RecordType string `json:"record_type"` // closed_at_screening or decided
	KeepDays   int    `json:"keep_days"`
	Why        string `json:"why"`
}

// The record types retention knows.
const (
	RecordClosedAtScreening = "closed_at_screening" // closed with no further action or advice at screening
	RecordDecided           = "decided"             // decided in MASH, or passed to another service
)

// DefaultRetention is a cautious default: contacts closed at the front door
// are kept two years, decided ones six (local policy replaces both).
var DefaultRetention = []RetentionRule{
	{RecordType: RecordClosedAtScreening, KeepDays: 2 * 365, Why: "no further action at screening: kept two years for re-referral checks"},
	{RecordType: RecordDecided, KeepDays: 6 * 365, Why: "decided contacts: kept six years"},
}

// ValidateRetention checks a retention policy.
func ValidateRetention(rules []RetentionRule) error {
	fe := FieldErrors{}
	seen := map[string]bool{}
	for i, r := range rules {
		at := fmt.Sprintf("rules[%d]", i)
		if r.RecordType != RecordClosedAtScreening && r.RecordType != RecordDecided {
			fe.Add(at+".record_type", "must be closed_at_screening or decided")
		}
		if seen[r.RecordType] {
			fe.Add(at+".record_type", "is listed twice")
		}
		seen[r.RecordType] = true
		if r.KeepDays < 365 {
			fe.Add(at+".keep_days", "must be at least 365: safeguarding records are needed to spot repeat referrals")
		}
	}
	return fe.Err("the retention policy is not valid")
}

// RetentionCandidate is a contact due for anonymising, or held.
type RetentionCandidate struct {
	ContactID  string    `json:"contact_id"`
	Reference  string    `json:"reference"`
	RecordType string    `json:"record_type"`
	ClosedAt   time.Time `json:"closed_at"`
	Held       string    `json:"held,omitempty"` // the legal hold's reason, if any
}
