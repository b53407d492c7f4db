package returns

import (
	"time"

	"openmash.org/mash"
)

// Contact is what the returns need of one contact: the store reads every
// contact received in the year and every contact decided in it.
type Contact struct {
	ID         string
	Reference  string
	ReceivedAt time.Time
	Cohort     mash.Cohort
	Source     string
	Status     mash.Status
	// ScreenedTo is the state screening moved the contact to (closed,
	// passed_single_agency, passed_open_case, in_mash), empty before; a
	// contact passed on and since closed may read passed_single_agency.
	ScreenedTo    mash.Status
	ClosureReason string // "nfa" or "advice" when screening closed it
	Concerns      []string
	Subjects      []Subject
	Decision      *Decision
}

// Subject is one person named in a contact. PersonID is the person the
// subject is linked to, after any merge (the survivor).
type Subject struct {
	PersonID string
	Role     mash.SubjectRole
	DOB      string // YYYY-MM-DD or empty
	Sex      string // F, M, X, U or empty
}

// Decision is the hub's decision on a contact.
type Decision struct {
	DecidedAt      time.Time
	ThresholdLevel int
	Outcomes       []mash.Outcome
}

func (d *Decision) has(o ...mash.Outcome) bool {
	if d == nil {
		return false
	}
	for _, x := range d.Outcomes {
		for _, y := range o {
			if x == y {
				return true
			}
		}
	}
	return false
}

// mains are the subjects the contact is about (role "subject").
func (c *Contact) mains() []Subject {
	var out []Subject
	for _, s := range c.Subjects {
		if s.Role == mash.SubjectMain {
			out = append(out, s)
		}
	}
	return out
}
