package mash

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Pattern alerts (cumulative concern). Serious case reviews keep finding
// repeated low-level concerns that nobody added up; a pattern rule adds them
// up over a person's or a household's chronology and raises an alert that is
// shown at screening until someone acknowledges it. The rules are data
// (PatternRules, kept in the store's settings), so a partnership can tune
// them without a release.

// PatternKind is how a rule reads a chronology.
type PatternKind string

// The rule kinds.
const (
	// PatternContacts: at least MinCount contacts within WindowDays.
	PatternContacts PatternKind = "contacts_in_window"
	// PatternCodes: at least MinCount contacts carrying any of Codes within WindowDays.
	PatternCodes PatternKind = "codes_in_window"
	// PatternAllOf: every one of Groups present (one contact with a code of
	// each group, the same contact may serve several) within WindowDays.
	PatternAllOf PatternKind = "all_of_in_window"
	// PatternReReferral: a contact within WindowDays after an earlier
	// contact that the hub decided with one of Outcomes (a referral).
	PatternReReferral PatternKind = "re_referral"
)

// PatternKinds lists the valid kinds.
var PatternKinds = []PatternKind{PatternContacts, PatternCodes, PatternAllOf, PatternReReferral}

// PatternScope is whose chronology a rule reads.
type PatternScope string

// The scopes. A household is the person, the people at the same address in
// the hub's person index and the people named with them in a contact.
const (
	ScopePerson    PatternScope = "person"
	ScopeHousehold PatternScope = "household"
)

// PatternHorizon is how far back patterns are looked for: a pattern whose
// latest contact is older is history, not an alert. The nightly evaluation
// covers the persons named in contacts received within it.
const PatternHorizon = 365 * 24 * time.Hour

// CodeGroup is a named set of concern codes, e.g. "parental substance misuse".
type CodeGroup struct {
	Name  string   `json:"name"`
	Codes []string `json:"codes"`
}

// PatternRule is one rule.
type PatternRule struct {
	ID         string       `json:"id"` // stable: alerts are kept per rule id and person
	Name       string       `json:"name"`
	Kind       PatternKind  `json:"kind"`
	Scope      PatternScope `json:"scope"`
	WindowDays int          `json:"window_days"`
	MinCount   int          `json:"min_count,omitempty"` // contacts_in_window, codes_in_window
	Codes      []string     `json:"codes,omitempty"`     // codes_in_window
	Groups     []CodeGroup  `json:"groups,omitempty"`    // all_of_in_window
	Outcomes   []Outcome    `json:"outcomes,omitempty"`  // re_referral: what counts as a referral
	// OnlyReferrals makes a re_referral rule count only a later contact that
	// was itself a referral (the census measure) rather than any new contact
	// (which warns at screening, before the decision).
	OnlyReferrals bool `json:"only_referrals,omitempty"`
	// Roles limits the contacts counted to those naming the person (or a
	// household member) in one of these roles; empty: any role.
	Roles    []SubjectRole `json:"roles,omitempty"`
	Disabled bool          `json:"disabled,omitempty"`
}

// PatternRules is the rule set in force. Version counts replacements: a
// replacement must give the version it replaces (a stale one is a Conflict).
type PatternRules struct {
	Version int           `json:"version"`
	Rules   []PatternRule `json:"rules"`
}

// The code groups of the default rules.
var (
	DomesticAbuseCodes   = []string{"3A", "3B", "3C", "domestic"}
	ParentalMentalHealth = []string{"4B", "4C"}
	ParentalSubstance    = []string{"1B", "1C", "2B", "2C"}
	ExploitationCodes    = []string{"11A", "24A", "13A", "12A", "modern_slavery"}
	// ReferralOutcomes are the decisions that make a contact a referral to
	// statutory social care.
	ReferralOutcomes = []Outcome{OutcomeCINAssessmentS17, OutcomeStrategyDiscussionS47, OutcomeImmediateProtection, OutcomeAdultS42Enquiry}
)

// DefaultPatternRules is the rule set until an admin replaces it.
func DefaultPatternRules() PatternRules {
	return PatternRules{Version: 0, Rules: []PatternRule{
		{ID: "repeat_contacts", Name: "Three or more contacts in 90 days", Kind: PatternContacts, Scope: ScopePerson,
			WindowDays: 90, MinCount: 3, Roles: []SubjectRole{SubjectMain}},
		{ID: "repeat_domestic_abuse", Name: "Two or more domestic abuse notifications in 12 months", Kind: PatternCodes,
			Scope: ScopeHousehold, WindowDays: 365, MinCount: 2, Codes: slices.Clone(DomesticAbuseCodes)},
		{ID: "re_referral", Name: "Re-referral within 12 months of a previous referral", Kind: PatternReReferral,
			Scope: ScopePerson, WindowDays: 365, Outcomes: slices.Clone(ReferralOutcomes), Roles: []SubjectRole{SubjectMain}},
		{ID: "toxic_trio", Name: "Toxic trio: domestic abuse, parental mental ill-health and substance misuse", Kind: PatternAllOf,
			Scope: ScopeHousehold, WindowDays: 365, Groups: []CodeGroup{
				{Name: "domestic abuse", Codes: slices.Clone(DomesticAbuseCodes)},
				{Name: "parental mental ill-health", Codes: slices.Clone(ParentalMentalHealth)},
				{Name: "parental substance misuse", Codes: slices.Clone(ParentalSubstance)}}},
		{ID: "missing_exploitation", Name: "Missing episode with exploitation indicators", Kind: PatternAllOf,
			Scope: ScopePerson, WindowDays: 180, Groups: []CodeGroup{
				{Name: "missing", Codes: []string{"10A"}},
				{Name: "exploitation", Codes: slices.Clone(ExploitationCodes)}}},
	}}
}

var ruleIDRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// knownCode reports whether code is in any concern code list.
func knownCode(code string) bool { return CINFactors2025.Has(code) || CareActTypes2014.Has(code) }

// ParsePatternRules reads a rule set from JSON, refusing unknown fields,
// and validates it.
func ParsePatternRules(raw []byte) (PatternRules, error) {
	var rs PatternRules
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rs); err != nil {
		return PatternRules{}, &Error{Kind: KindInvalid, Msg: "the pattern rules are not valid JSON: " + err.Error()}
	}
	if dec.More() {
		return PatternRules{}, &Error{Kind: KindInvalid, Msg: "the pattern rules are not valid JSON: more than one value"}
	}
	return rs, rs.Validate()
}

// Validate checks every rule and reports each problem by field.
func (rs *PatternRules) Validate() error {
	fe := FieldErrors{}
	if len(rs.Rules) > 100 {
		fe.Add("rules", "at most 100 rules")
	}
	seen := map[string]bool{}
	for i := range rs.Rules {
		r := &rs.Rules[i]
		at := fmt.Sprintf("rules[%d]", i)
		r.ID, r.Name = strings.TrimSpace(r.ID), strings.TrimSpace(r.Name)
		switch {
		case !ruleIDRE.MatchString(r.ID):
			fe.Add(at+".id", "must be 1–63 lower-case letters, digits or _ starting with a letter")
		case seen[r.ID]:
			fe.Add(at+".id", fmt.Sprintf("%q is used by another rule", r.ID))
		}
		seen[r.ID] = true
		if r.Name == "" || len(r.Name) > 200 {
			fe.Add(at+".name", "is required: at most 200 characters saying what the pattern is")
		}
		if !oneOf(r.Kind, PatternKinds) {
			fe.Add(at+".kind", "must be one of "+joinAll(PatternKinds))
		}
		if r.Scope != ScopePerson && r.Scope != ScopeHousehold {
			fe.Add(at+".scope", "must be person or household")
		}
		if r.WindowDays < 1 || r.WindowDays > 3650 {
			fe.Add(at+".window_days", "must be between 1 and 3650")
		}
		for j, role := range r.Roles {
			if !oneOf(role, SubjectRoles) {
				fe.Add(fmt.Sprintf("%s.roles[%d]", at, j), "must be one of "+joinAll(SubjectRoles))
			}
		}
		checkCodes := func(field string, codes []string) {
			if len(codes) == 0 {
				fe.Add(field, "at least one concern code is required")
			}
			for j, c := range codes {
				if !knownCode(c) {
					fe.Add(fmt.Sprintf("%s[%d]", field, j), fmt.Sprintf("unknown concern code %q", c))
				}
			}
		}
		if (r.Kind == PatternContacts || r.Kind == PatternCodes) && (r.MinCount < 2 || r.MinCount > 100) {
			fe.Add(at+".min_count", "must be between 2 and 100")
		}
		if r.Kind != PatternContacts && r.Kind != PatternCodes && r.MinCount != 0 {
			fe.Add(at+".min_count", "applies only to contacts_in_window and codes_in_window rules")
		}
		if r.Kind == PatternCodes {
			checkCodes(at+".codes", r.Codes)
		} else if len(r.Codes) > 0 {
			fe.Add(at+".codes", "applies only to codes_in_window rules")
		}
		if r.Kind == PatternAllOf {
			if len(r.Groups) < 2 {
				fe.Add(at+".groups", "at least two groups are required")
			}
			for j, g := range r.Groups {
				if strings.TrimSpace(g.Name) == "" || len(g.Name) > 100 {
					fe.Add(fmt.Sprintf("%s.groups[%d].name", at, j), "is required: at most 100 characters")
				}
				checkCodes(fmt.Sprintf("%s.groups[%d].codes", at, j), g.Codes)
			}
		} else if len(r.Groups) > 0 {
			fe.Add(at+".groups", "applies only to all_of_in_window rules")
		}
		if r.Kind == PatternReReferral {
			if len(r.Outcomes) == 0 {
				fe.Add(at+".outcomes", "at least one outcome is required: the decisions that make a contact a referral")
			}
			for j, o := range r.Outcomes {
				if !oneOf(o, Outcomes) {
					fe.Add(fmt.Sprintf("%s.outcomes[%d]", at, j), "must be one of "+joinAll(Outcomes))
				}
			}
		} else {
			if len(r.Outcomes) > 0 {
				fe.Add(at+".outcomes", "applies only to re_referral rules")
			}
			if r.OnlyReferrals {
				fe.Add(at+".only_referrals", "applies only to re_referral rules")
			}
		}
	}
	return fe.Err("the pattern rules are not valid")
}

// ChronEntry is one contact in a chronology, as the rules read it: the
// contact, who it names from the person's household and in which roles, its
// concern codes and, once decided, its outcomes.
type ChronEntry struct {
	ContactID  string
	Reference  string
	ReceivedAt time.Time
	PersonID   string // the person (or household member) it names
	Role       SubjectRole
	Codes      []string
	Outcomes   []Outcome
}

// PatternMatch is a rule firing: the contacts that make the pattern, oldest
// first, and the pattern in words without references (the reader's view adds
// the references they may open).
type PatternMatch struct {
	ContactIDs []string
	Summary    string
}

// contact is one contact of a chronology after the rule's filters.
type chronContact struct {
	id      string
	at      time.Time
	codes   []string
	outcome []Outcome
}

// Evaluate applies the rule to a chronology at now. For the scope's
// chronology the caller passes the entries naming the person (person scope)
// or any household member (household scope). It returns the latest window
// in which the pattern holds, or nil.
func (r PatternRule) Evaluate(chron []ChronEntry, now time.Time) *PatternMatch {
	if r.Disabled {
		return nil
	}
	// One entry per contact: a contact naming two household members counts once.
	byID := map[string]*chronContact{}
	var cs []*chronContact
	for _, e := range chron {
		if len(r.Roles) > 0 && !slices.Contains(r.Roles, e.Role) {
			continue
		}
		if e.ReceivedAt.After(now) {
			continue
		}
		if byID[e.ContactID] == nil {
			c := &chronContact{id: e.ContactID, at: e.ReceivedAt, codes: e.Codes, outcome: e.Outcomes}
			byID[e.ContactID] = c
			cs = append(cs, c)
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if !cs[i].at.Equal(cs[j].at) {
			return cs[i].at.Before(cs[j].at)
		}
		return cs[i].id < cs[j].id
	})
	window := time.Duration(r.WindowDays) * 24 * time.Hour
	// Windows end at a contact, latest first; a pattern whose latest contact
	// is beyond the horizon is history.
	for end := len(cs) - 1; end >= 0; end-- {
		if now.Sub(cs[end].at) > PatternHorizon {
			return nil
		}
		var in []*chronContact
		for i := 0; i <= end; i++ {
			if cs[end].at.Sub(cs[i].at) <= window {
				in = append(in, cs[i])
			}
		}
		if m := r.match(in, cs[end]); m != nil {
			return m
		}
	}
	return nil
}

func hasAny(codes, want []string) bool {
	for _, c := range codes {
		if slices.Contains(want, c) {
			return true
		}
	}
	return false
}

// match tests one window (oldest first, ending at last).
func (r PatternRule) match(in []*chronContact, last *chronContact) *PatternMatch {
	ids := func(cs []*chronContact) []string {
		out := make([]string, len(cs))
		for i, c := range cs {
			out[i] = c.id
		}
		return out
	}
	span := func(cs []*chronContact) string { return Days(cs[len(cs)-1].at.Sub(cs[0].at)) }
	switch r.Kind {
	case PatternContacts:
		if len(in) >= r.MinCount {
			return &PatternMatch{ids(in), fmt.Sprintf("%d contacts in %s", len(in), span(in))}
		}
	case PatternCodes:
		var hit []*chronContact
		var found []string
		for _, c := range in {
			if hasAny(c.codes, r.Codes) {
				hit = append(hit, c)
				for _, code := range c.codes {
					if slices.Contains(r.Codes, code) && !slices.Contains(found, code) {
						found = append(found, code)
					}
				}
			}
		}
		if len(hit) >= r.MinCount && hit[len(hit)-1] == last {
			return &PatternMatch{ids(hit), fmt.Sprintf("%d contacts with %s in %s", len(hit), codeList(found), span(hit))}
		}
	case PatternAllOf:
		var hit []*chronContact
		var seen []string
		for _, c := range in {
			inGroup := false
			for _, g := range r.Groups {
				if hasAny(c.codes, g.Codes) {
					inGroup = true
					if !slices.Contains(seen, g.Name) {
						seen = append(seen, g.Name)
					}
				}
			}
			if inGroup {
				hit = append(hit, c)
			}
		}
		if len(seen) == len(r.Groups) && hit[len(hit)-1] == last {
			names := make([]string, len(r.Groups))
			for i, g := range r.Groups {
				names[i] = g.Name
			}
			when := "in one contact"
			if len(hit) > 1 {
				when = "within " + span(hit)
			}
			return &PatternMatch{ids(hit), fmt.Sprintf("%s %s", andList(names), when)}
		}
	case PatternReReferral:
		referral := func(c *chronContact) Outcome {
			for _, o := range c.outcome {
				if slices.Contains(r.Outcomes, o) {
					return o
				}
			}
			return ""
		}
		if r.OnlyReferrals && referral(last) == "" {
			return nil
		}
		// The latest earlier referral in the window.
		for i := len(in) - 2; i >= 0; i-- {
			if o := referral(in[i]); o != "" {
				what := "a new contact"
				if r.OnlyReferrals {
					what = "a new referral"
				}
				return &PatternMatch{[]string{in[i].id, last.id},
					fmt.Sprintf("%s %s after a referral (%s)", what, Days(last.at.Sub(in[i].at)), strings.ReplaceAll(string(o), "_", " "))}
			}
		}
	}
	return nil
}

// Days says a duration in whole days, rounded up: "1 day", "62 days".
func Days(d time.Duration) string {
	n := int((d + 24*time.Hour - 1) / (24 * time.Hour))
	if n <= 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func codeList(codes []string) string {
	if len(codes) == 1 {
		return "code " + codes[0]
	}
	return "codes " + strings.Join(codes, ", ")
}

func andList(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// PatternAlert is a rule that fired for a person, cut to what the reader may
// see: Contacts lists only the triggering contacts they may open, the rest
// are counted in HiddenContacts, and Why names only the references listed.
type PatternAlert struct {
	ID           string         `json:"id"`
	RuleID       string         `json:"rule_id"`
	RuleName     string         `json:"rule_name"`
	Scope        PatternScope   `json:"scope"`
	RulesVersion int            `json:"rules_version"` // the rule set that raised it
	PersonID     string         `json:"person_id"`
	PersonName   string         `json:"person_name"`
	Summary      string         `json:"summary"` // the pattern, without references
	Why          string         `json:"why"`     // the summary with the references the reader may open
	Contacts     []AlertContact `json:"contacts"`
	// HiddenContacts counts the triggering contacts the reader may not open.
	HiddenContacts int        `json:"hidden_contacts"`
	RaisedAt       time.Time  `json:"raised_at"`
	UpdatedAt      time.Time  `json:"updated_at"` // when a later contact last added to it
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	AckByName      string     `json:"acknowledged_by_name,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	AckNote        string     `json:"acknowledgement_note,omitempty"`
}

// Open reports whether no one has acknowledged the alert yet.
func (a *PatternAlert) Open() bool { return a.AcknowledgedAt == nil }

// AlertContact is one triggering contact the reader may open.
type AlertContact struct {
	ContactID  string    `json:"contact_id"`
	Reference  string    `json:"reference"`
	ReceivedAt time.Time `json:"received_at"`
	PersonID   string    `json:"person_id"` // the household member it names
}

// AlertFilter narrows the managers' list of alerts.
type AlertFilter struct {
	Open  bool // only alerts not yet acknowledged
	Limit int  // default 100, at most 1000
}

// Patterns is the part of the hub that adds up cumulative concern. Rules
// are read by hub staff and replaced by admins; alerts are raised by
// background jobs at intake and nightly (see the store), shown on a contact
// to those who may open it, and acknowledged by screeners and managers.
type Patterns interface {
	PatternRules(ctx context.Context, by Actor) (PatternRules, error)
	SetPatternRules(ctx context.Context, by Actor, rs PatternRules) (PatternRules, error)
	ContactAlerts(ctx context.Context, by Actor, contactID string) ([]PatternAlert, error)
	ListPatternAlerts(ctx context.Context, by Actor, f AlertFilter) ([]PatternAlert, error)
	AcknowledgeAlert(ctx context.Context, by Actor, id, note string) (*PatternAlert, error)
}
