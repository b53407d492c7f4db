package mash

import (
	"context"
	"strings"
	"time"
)

// Identity resolution: the hub recognises one person across contacts and
// agencies' records. A Person is a cluster of PersonRecords; every link of a
// record to a person is a MatchDecision, made by the matcher or a human.

// Person is someone the hub knows of. Its identity fields are those of the
// record that created it. MergedInto is set once a human merged it into
// another person (until an unmerge).
type Person struct {
	ID         string    `json:"id"`
	GivenName  string    `json:"given_name"`
	FamilyName string    `json:"family_name"`
	DOB        string    `json:"dob,omitempty"`
	Sex        string    `json:"sex,omitempty"`
	Address    string    `json:"address,omitempty"`
	Postcode   string    `json:"postcode,omitempty"`
	NHSNumber  string    `json:"nhs_number,omitempty"`
	MergedInto string    `json:"merged_into,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	Version    int       `json:"version"`
}

// PersonRecord is one description of a person: a contact's subject, or a
// record in an agency's index (loaded with mash persons import).
type PersonRecord struct {
	ID          string    `json:"id"`
	PersonID    string    `json:"person_id"`
	Kind        string    `json:"kind"` // subject or agency
	AgencyID    string    `json:"agency_id,omitempty"`
	AgencyName  string    `json:"agency_name,omitempty"`
	SourceRef   string    `json:"source_ref"` // the subject id, or the agency's own record id
	GivenName   string    `json:"given_name"`
	MiddleNames string    `json:"middle_names,omitempty"`
	FamilyName  string    `json:"family_name"`
	DOB         string    `json:"dob,omitempty"`
	Sex         string    `json:"sex,omitempty"`
	Address     string    `json:"address,omitempty"`
	Postcode    string    `json:"postcode,omitempty"`
	NHSNumber   string    `json:"nhs_number,omitempty"`
	Phone       string    `json:"phone,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Record kinds.
const (
	RecordSubject = "subject"
	RecordAgency  = "agency"
)

// PersonQuery is a partial description to match: any subset of the fields,
// as long as there is enough to tell people apart.
type PersonQuery struct {
	GivenName   string `json:"given_name"`
	MiddleNames string `json:"middle_names,omitempty"`
	FamilyName  string `json:"family_name"`
	DOB         string `json:"dob,omitempty"` // YYYY-MM-DD, YYYY-MM or YYYY
	Sex         string `json:"sex,omitempty"`
	Address     string `json:"address,omitempty"`
	Postcode    string `json:"postcode,omitempty"`
	NHSNumber   string `json:"nhs_number,omitempty"`
	Phone       string `json:"phone,omitempty"`
	Limit       int    `json:"limit,omitempty"` // default 10, at most 50
}

// Validate checks a query: lengths, formats, and enough to search on (a
// family name, or a date of birth with a given name, or an NHS number).
func (q *PersonQuery) Validate() error {
	fe := FieldErrors{}
	for _, f := range []struct{ name, v string }{{"given_name", q.GivenName}, {"middle_names", q.MiddleNames},
		{"family_name", q.FamilyName}, {"address", q.Address}, {"postcode", q.Postcode}, {"phone", q.Phone}, {"sex", q.Sex}} {
		if len(f.v) > 200 {
			fe.Add(f.name, "is too long (at most 200 characters)")
		}
	}
	if q.DOB != "" && !validPartialDate(q.DOB) {
		fe.Add("dob", "must be a date as YYYY-MM-DD, YYYY-MM or YYYY")
	}
	if q.NHSNumber != "" {
		if _, err := NormaliseNHSNumber(q.NHSNumber); err != nil {
			fe.Add("nhs_number", err.Error())
		}
	}
	if q.Limit < 0 || q.Limit > 50 {
		fe.Add("limit", "must be between 1 and 50")
	}
	enough := strings.TrimSpace(q.FamilyName) != "" || q.NHSNumber != "" ||
		(strings.TrimSpace(q.GivenName) != "" && q.DOB != "")
	if len(fe) == 0 && !enough {
		fe.Add("family_name", "give a family name, an NHS number, or a given name with a date of birth")
	}
	return fe.Err("the search is not valid")
}

func validPartialDate(s string) bool {
	for _, layout := range []string{"2006-01-02", "2006-01", "2006"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// MatchField is one field's part in a match score, in words.
type MatchField struct {
	Field   string  `json:"field"`
	Level   string  `json:"level"`
	Wording string  `json:"wording"`
	Bits    float64 `json:"weight_bits"` // log2 Bayes factor; positive is for, negative against
}

// Match outcomes: at or above the link threshold the records are one person;
// from the review threshold a human decides; below, a different person.
// Related means the twin, sibling or parent–child rule ruled a link out.
const (
	MatchSame      = "same_person"
	MatchUncertain = "review"
	MatchDifferent = "different_person"
	MatchRelated   = "related_not_same"
)

// KnownTo is an agency that holds records of a person, and how many; it
// tells a user the person is known there without showing the records.
type KnownTo struct {
	AgencyID   string `json:"agency_id"`
	AgencyName string `json:"agency_name"`
	Records    int    `json:"records"`
}

// ContactRef is a contact naming a person, as far as the reader may see it.
type ContactRef struct {
	ContactID  string    `json:"contact_id"`
	Reference  string    `json:"reference"`
	Status     Status    `json:"status"`
	Cohort     Cohort    `json:"cohort"`
	ReceivedAt time.Time `json:"received_at"`
	Role       string    `json:"role"`                // the person's role in the contact
	PersonID   string    `json:"person_id,omitempty"` // in household history: which member
}

// PersonCandidate is one ranked answer to a match query.
type PersonCandidate struct {
	PersonID    string       `json:"person_id"`
	GivenName   string       `json:"given_name"`
	FamilyName  string       `json:"family_name"`
	DOB         string       `json:"dob,omitempty"`
	Sex         string       `json:"sex,omitempty"`
	Postcode    string       `json:"postcode,omitempty"`
	Probability float64      `json:"match_probability"`
	Weight      float64      `json:"match_weight"`
	Outcome     string       `json:"outcome"`
	Fields      []MatchField `json:"fields"`
	// KnownTo lists every agency holding records of the person and Contacts
	// counts every contact naming them, whatever the reader may open;
	// VisibleContacts are those the reader may open.
	KnownTo         []KnownTo    `json:"known_to"`
	Contacts        int          `json:"contacts"`
	VisibleContacts []ContactRef `json:"visible_contacts"`
}

// HouseholdMember is someone linked to a person by address or relationship.
type HouseholdMember struct {
	PersonID   string `json:"person_id"`
	GivenName  string `json:"given_name"`
	FamilyName string `json:"family_name"`
	DOB        string `json:"dob,omitempty"`
	Link       string `json:"link"` // why: "same address", or "parent_carer in MASH-2026-000012"
}

// MatchDecision records how a record came to belong to a person.
type MatchDecision struct {
	ID          string       `json:"id"`
	RecordID    string       `json:"record_id"`
	PersonID    string       `json:"person_id"`
	CandidateID string       `json:"candidate_id,omitempty"`
	Probability float64      `json:"match_probability"`
	Outcome     string       `json:"outcome"` // linked, new_person, review, chosen, merged, unmerged
	Fields      []MatchField `json:"fields,omitempty"`
	By          string       `json:"by"`
	At          time.Time    `json:"at"`
}

// Merge is a human's decision that two persons are one.
type Merge struct {
	ID         string     `json:"id"`
	SurvivorID string     `json:"survivor_id"`
	MergedID   string     `json:"merged_id"`
	By         string     `json:"by"`
	At         time.Time  `json:"at"`
	Reason     string     `json:"reason"`
	Records    int        `json:"records_moved"`
	UndoneBy   string     `json:"undone_by,omitempty"`
	UndoneAt   *time.Time `json:"undone_at,omitempty"`
	UndoReason string     `json:"undo_reason,omitempty"`
}

// MergeRequest asks to merge one person into another. Persons that look like
// twins, siblings or parent and child need ConfirmNotRelated.
type MergeRequest struct {
	MergeID           string `json:"merge_person_id"`
	Reason            string `json:"reason"`
	ConfirmNotRelated bool   `json:"confirm_not_related,omitempty"`
	Version           int    `json:"version"` // of the surviving person
}

// MatchReview is an uncertain match waiting for a human: a record linked to
// a new person that may be the candidate.
type MatchReview struct {
	ID          string       `json:"id"`
	Version     int          `json:"version"`
	RecordID    string       `json:"record_id"`
	PersonID    string       `json:"person_id"`
	Candidate   string       `json:"candidate_id"`
	Probability float64      `json:"match_probability"`
	Fields      []MatchField `json:"fields"`
	Status      string       `json:"status"` // open, same, different
	CreatedAt   time.Time    `json:"created_at"`
	ResolvedBy  string       `json:"resolved_by,omitempty"`
	ResolvedAt  *time.Time   `json:"resolved_at,omitempty"`
	Reason      string       `json:"reason,omitempty"`
	MergeID     string       `json:"merge_id,omitempty"`
	// The two sides, for the reviewer.
	Record        *PersonRecord `json:"record,omitempty"`
	CandidateName string        `json:"candidate_name,omitempty"`
	CandidateDOB  string        `json:"candidate_dob,omitempty"`
}

// PersonPage is everything known about a person that the reader may see.
type PersonPage struct {
	Person         Person            `json:"person"`
	Records        []PersonRecord    `json:"records"`         // the reader may see these
	KnownTo        []KnownTo         `json:"known_to"`        // every agency with records
	Contacts       []ContactRef      `json:"contacts"`        // the reader may open these
	HiddenContacts int               `json:"hidden_contacts"` // naming the person, outside the reader's scope
	Household      []HouseholdMember `json:"household"`
	// HouseholdContacts are the contacts naming household members that the
	// reader may open: the household's history.
	HouseholdContacts []ContactRef    `json:"household_contacts"`
	Decisions         []MatchDecision `json:"decisions"`
	Merges            []Merge         `json:"merges"`
}

// Identity is the part of the hub that recognises people.
type Identity interface {
	MatchPersons(ctx context.Context, by Actor, q PersonQuery) ([]PersonCandidate, error)
	GetPerson(ctx context.Context, by Actor, id string) (*PersonPage, error)
	MergePersons(ctx context.Context, by Actor, survivorID string, r MergeRequest) (*Merge, error)
	Unmerge(ctx context.Context, by Actor, mergeID, reason string) (*Merge, error)
	ListMatchReviews(ctx context.Context, by Actor, openOnly bool) ([]MatchReview, error)
	ResolveMatchReview(ctx context.Context, by Actor, id, outcome, reason string, version int) (*MatchReview, error)
}
