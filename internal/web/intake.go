package web

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"openmash.org/mash"
)

// The new-contact form: one form for several subjects, concern codes by
// cohort, the consent section, the immediate-risk flag, and (for those who
// may search for persons) matching each subject against the people the hub
// knows. Every button posts the whole form back, so it works without
// JavaScript; htmx only fetches one row's match candidates as the user
// types. The hub's Validate checks the contact; its field problems come
// back in the error summary.

const (
	intakeRows    = 3  // subject rows on a new form
	maxIntakeRows = 50 // the hub takes at most 50 subjects
)

// subjectRow is one subject row of the form, as typed.
type subjectRow struct {
	Index                                  int
	Role, GivenName, FamilyName, DOB, Sex  string
	Address, Postcode, NHSNumber, PersonID string
	Searched                               bool // matching was asked for: search again on every re-render
	Candidates                             []mash.PersonCandidate
	MatchProblem                           string // why the search could not run
	FieldErr                               map[string]string
	Match                                  bool // the form offers matching
}

func (s subjectRow) blank() bool {
	return strings.TrimSpace(s.GivenName+s.FamilyName+s.DOB+s.Address+s.Postcode+s.NHSNumber) == ""
}

// intakeForm is the new-contact form's state.
type intakeForm struct {
	Key        string // idempotency key: one contact however often the form is sent
	Staff      bool   // records how and when the contact came in (not a referrer)
	Match      bool   // may search for persons
	ReceivedAt string // datetime-local, Europe/London
	Channel    string
	Cohort     string
	RefName    string
	RefOrg     string
	RefEmail   string
	RefPhone   string
	Anonymous  bool
	Source     string // referral source code; empty: the hub defaults it (mash.DefaultReferralSource)
	Concerns   map[string]bool
	Narrative  string
	Aware      string // "yes", "no" or ""
	Consent    string
	Reason     string
	ApprovedBy string
	Immediate  bool
	Subjects   []subjectRow

	Draft draftView // the user's draft of this form (drafts.go)

	Codes    mash.CodeList
	Channels []option
	Roles    []option
	Consents []option
	Sources  []option
}

var subjectRoleOptions = []option{{"subject", "Main subject (the child or adult the concern is about)"},
	{"parent_carer", "Parent or carer"}, {"household_member", "Household member"}, {"alleged_perpetrator", "Alleged perpetrator"}}

func channelOptions() []option {
	var out []option
	for _, c := range mash.Channels {
		out = append(out, option{c, label(c)})
	}
	return out
}

var consentOptions = []option{{"given", "Yes, the family agreed to the hub making checks"},
	{"refused", "No, the family refused"}, {"not_sought", "Consent was not sought"}}

// newIntake is an empty form for a, with the referrer's details filled in
// from the signed-in user where they are the referrer.
func (h *Handler) newIntake(r *http.Request, a mash.Actor) intakeForm {
	f := intakeForm{Key: rand.Text(), Staff: a.HubWide(), Match: mash.Can(a, mash.ActionPersonMatch, mash.Resource{}),
		ReceivedAt: h.now().In(london).Format("2006-01-02T15:04"), Channel: "phone", Cohort: string(mash.CohortChild),
		Concerns: map[string]bool{}}
	if !f.Staff {
		f.Channel = "online_form"
		f.RefName, f.RefOrg = a.Name, h.agencyName(r, a)
	}
	for i := range intakeRows {
		f.Subjects = append(f.Subjects, subjectRow{Index: i})
	}
	f.Subjects[0].Role = string(mash.SubjectMain)
	return f.withLists()
}

func (f intakeForm) withLists() intakeForm {
	f.Codes = mash.ConcernCodes(mash.Cohort(f.Cohort))
	f.Channels, f.Roles, f.Consents = channelOptions(), subjectRoleOptions, consentOptions
	f.Sources = []option{{"", "Not chosen: the hub works it out from your agency or the channel"}}
	for _, c := range mash.ReferralSources().Codes {
		f.Sources = append(f.Sources, option{c.Code, c.Code + " " + c.Label})
	}
	return f
}

// readIntake reads the posted form for a: what a referrer may not set (how
// the contact came in, a chosen person) is not read from them.
func (h *Handler) readIntake(r *http.Request, a mash.Actor) intakeForm {
	v := r.PostForm
	f := intakeForm{Key: v.Get("idempotency_key"), Staff: a.HubWide(), Match: mash.Can(a, mash.ActionPersonMatch, mash.Resource{}),
		ReceivedAt: v.Get("received_at"), Channel: v.Get("channel"), Cohort: v.Get("cohort"),
		RefName: v.Get("referrer.name"), RefOrg: v.Get("referrer.organisation"), RefEmail: strings.TrimSpace(v.Get("referrer.email")),
		RefPhone: v.Get("referrer.phone"), Anonymous: v.Get("referrer.anonymous") == "yes", Source: v.Get("referrer.source"), Concerns: map[string]bool{},
		Narrative: v.Get("narrative"), Aware: v.Get("consent.family_aware"), Consent: v.Get("consent.status"),
		Reason: v.Get("consent.reason"), ApprovedBy: v.Get("consent.approved_by"), Immediate: v.Get("immediate_risk") == "yes"}
	if f.Key == "" || len(f.Key) > 100 {
		f.Key = rand.Text()
	}
	if !f.Staff {
		f.Channel, f.ReceivedAt = "online_form", ""
	}
	if f.Cohort != string(mash.CohortAdult) {
		f.Cohort = string(mash.CohortChild)
	}
	for _, c := range v["concerns"] {
		f.Concerns[c] = true
	}
	n := formRows(r, "subjects", 1, maxIntakeRows)
	for i := range n {
		at := fmt.Sprintf("subjects[%d].", i)
		s := subjectRow{Index: i, Role: v.Get(at + "role"), GivenName: v.Get(at + "given_name"), FamilyName: v.Get(at + "family_name"),
			DOB: strings.TrimSpace(v.Get(at + "dob")), Sex: v.Get(at + "sex"), Address: v.Get(at + "address"),
			Postcode: v.Get(at + "postcode"), NHSNumber: v.Get(at + "nhs_number")}
		if f.Match {
			s.PersonID, s.Searched = v.Get(at+"person_id"), v.Get(at+"searched") == "1"
		}
		f.Subjects = append(f.Subjects, s)
	}
	return f.withLists()
}

var ukDate = regexp.MustCompile(`^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$`)

// isoDate turns a date typed as 3/4/2015 (day first, as in the UK) into
// 2015-04-03; anything else is passed on as typed, for the hub to check.
func isoDate(s string) string {
	m := ukDate.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return strings.TrimSpace(s)
	}
	d, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	return fmt.Sprintf("%s-%02d-%02d", m[3], mo, d)
}

// contact builds the contact the form describes; rows maps the contact's
// subject indexes to the form's rows (blank rows are left out). A
// problem reading the receipt time is the form's own.
func (f intakeForm) contact(now time.Time) (*mash.Contact, []int, map[string]string) {
	own := map[string]string{}
	c := &mash.Contact{Channel: f.Channel, Cohort: mash.Cohort(f.Cohort), ReceivedAt: now,
		Referrer: mash.Referrer{Name: f.RefName, Organisation: strings.TrimSpace(f.RefOrg), Email: f.RefEmail,
			Phone: strings.TrimSpace(f.RefPhone), Anonymous: f.Anonymous, Source: f.Source},
		Narrative: strings.TrimSpace(f.Narrative), ImmediateRisk: f.Immediate,
		Consent: mash.Consent{FamilyAware: f.Aware == "yes", Status: mash.ConsentStatus(f.Consent),
			Reason: strings.TrimSpace(f.Reason), ApprovedBy: strings.TrimSpace(f.ApprovedBy)}}
	if f.Staff {
		t, err := time.ParseInLocation("2006-01-02T15:04", strings.TrimSpace(f.ReceivedAt), london)
		if err != nil {
			own["received_at"] = "Enter when the concern was received, as a date and time"
		}
		c.ReceivedAt = t
	}
	if f.Aware == "" {
		own["consent.family_aware"] = "Say whether the family knows about the concern"
	}
	for _, code := range f.Codes.Codes {
		if f.Concerns[code.Code] {
			c.Concerns = append(c.Concerns, code.Code)
		}
	}
	var rows []int
	for i, s := range f.Subjects {
		if s.blank() {
			continue
		}
		rows = append(rows, i)
		c.Subjects = append(c.Subjects, mash.Subject{Role: mash.SubjectRole(s.Role), GivenName: s.GivenName,
			FamilyName: s.FamilyName, DOB: isoDate(s.DOB), Sex: s.Sex, Address: strings.TrimSpace(s.Address),
			Postcode: s.Postcode, NHSNumber: s.NHSNumber, PersonID: s.PersonID,
			// The user saw the candidates and chose none of them.
			NewPerson: s.Searched && s.PersonID == ""})
	}
	return c, rows, own
}

// intakeLabels name the hub's fields in the error summary.
var intakeLabels = map[string]string{
	"received_at": "When it was received", "channel": "How it was received", "cohort": "Who the concern is about",
	"referrer.name": "Referrer's name", "referrer.organisation": "Referrer's organisation", "referrer.email": "Referrer's email address",
	"referrer.phone": "Referrer's phone number", "referrer.source": "Referral source", "concerns": "Concerns", "concerns[]": "Concerns", "narrative": "What happened",
	"consent.status": "Consent", "consent.reason": "The reason for going ahead without consent",
	"consent.approved_by": "Who approved going ahead without consent", "consent.family_aware": "Whether the family knows",
	"subjects": "Subjects",
}

var subjectLabels = map[string]string{"role": "role", "given_name": "given name", "family_name": "family name", "dob": "date of birth",
	"sex": "sex", "address": "address", "postcode": "postcode", "nhs_number": "NHS number", "person_id": "person"}

// intakeErrors puts the hub's field problems (and the form's own) on the
// page, against the form's fields.
func intakeErrors(p *page, f *intakeForm, rows []int, fields map[string]string) {
	for path, problem := range fields {
		gen, k := genericPath(path)
		switch {
		case strings.HasPrefix(gen, "subjects[]."):
			row := 0
			if k >= 0 && k < len(rows) {
				row = rows[k]
			}
			name := strings.TrimPrefix(gen, "subjects[].")
			id := fieldID("", fmt.Sprintf("subjects[%d].%s", row, name))
			if name == "person_id" || subjectLabels[name] == "" {
				id = fieldID("", fmt.Sprintf("subjects[%d].given_name", row))
			}
			p.addError(id, sentence(fmt.Sprintf("Subject %d: %s", row+1, subjectLabels[name]), problem))
		case gen == "subjects":
			p.addError("subjects-0-role", sentence("Subjects", problem))
		case strings.HasPrefix(gen, "concerns"):
			p.addError("concerns", sentence("Concerns", problem))
		default:
			l := intakeLabels[gen]
			if l == "" {
				l = label(gen)
			}
			id := fieldID("", gen)
			if !f.Staff && (gen == "received_at" || gen == "channel") {
				id = "narrative"
			}
			p.addError(id, sentence(l, problem))
		}
	}
	// In the form's order.
	order := []string{"received_at", "channel", "referrer-name", "referrer-organisation", "referrer-email", "referrer-phone", "referrer-source", "cohort"}
	for _, s := range f.Subjects {
		for _, n := range []string{"role", "given_name", "family_name", "dob", "sex", "address", "postcode", "nhs_number"} {
			order = append(order, fieldID("", fmt.Sprintf("subjects[%d].%s", s.Index, n)))
		}
	}
	order = append(order, "concerns", "narrative", "immediate_risk", "consent-family_aware", "consent-status", "consent-reason", "consent-approved_by")
	sortErrors(p, order)
	// Subject problems are shown at the row too.
	for i := range f.Subjects {
		f.Subjects[i].FieldErr = p.FieldErr
	}
}

// handleNewContact shows an empty new-contact form.
func (h *Handler) handleNewContact(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if h.refuse(w, r, a, mash.ActionContactCreate, "record contacts") {
		return
	}
	f := h.newIntake(r, a)
	d, dv := h.restoreDraft(r, a, mash.DraftContact, "new")
	if d != nil {
		// The draft is read as the form it was, matches and all.
		dr := asPosted(r, d.Values)
		f = h.readIntake(dr, a)
		if err := h.search(dr, a, &f); err != nil {
			h.failFor(w, r, a, err)
			return
		}
	}
	f.Draft = dv
	h.renderIntake(w, r, a, http.StatusOK, page{}, f)
}

func (h *Handler) renderIntake(w http.ResponseWriter, r *http.Request, a mash.Actor, status int, p page, f intakeForm) {
	if f.Draft.Save == "" {
		f.Draft = newDraftView(mash.DraftContact, "new")
	}
	p.Title, p.Actor, p.Agency, p.Data = "New contact", &a, h.agencyName(r, a), f
	if p.FieldErr == nil {
		p.FieldErr = map[string]string{}
	}
	for i := range f.Subjects {
		f.Subjects[i].FieldErr, f.Subjects[i].Match = p.FieldErr, f.Match
	}
	p.Data = f
	h.render(w, r, status, "intake", p)
}

// search runs matching for every row that asked for it, so candidates
// (and the user's pick among them) stay on the form whatever is posted.
func (h *Handler) search(r *http.Request, a mash.Actor, f *intakeForm) error {
	if !f.Match {
		return nil
	}
	for i := range f.Subjects {
		if f.Subjects[i].Searched {
			if err := h.searchRow(r, a, &f.Subjects[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h *Handler) searchRow(r *http.Request, a mash.Actor, s *subjectRow) error {
	s.Searched, s.Candidates, s.MatchProblem = true, nil, ""
	q := mash.PersonQuery{GivenName: strings.TrimSpace(s.GivenName), FamilyName: strings.TrimSpace(s.FamilyName),
		DOB: isoDate(s.DOB), Sex: s.Sex, Address: strings.TrimSpace(s.Address), Postcode: strings.TrimSpace(s.Postcode),
		NHSNumber: strings.TrimSpace(s.NHSNumber), Limit: 5}
	if q.Sex == "U" {
		q.Sex = ""
	}
	list, err := h.hub.MatchPersons(r.Context(), a, q)
	if fields, ok := fieldProblems(err); ok {
		// Not enough typed yet, or a date half-typed: say what is needed.
		for _, k := range []string{"family_name", "dob", "nhs_number"} {
			if msg, bad := fields[k]; bad {
				s.MatchProblem = capitalise(msg) + "."
				if k != "family_name" {
					s.MatchProblem = sentence(subjectLabels[k], msg) + "."
					s.MatchProblem = capitalise(s.MatchProblem)
				}
				return nil
			}
		}
		s.MatchProblem = "Type more of the subject's details to search."
		return nil
	}
	if err != nil {
		return err
	}
	s.Candidates = list
	// A pick that is no longer among the candidates is dropped.
	found := false
	for _, c := range list {
		found = found || c.PersonID == s.PersonID
	}
	if !found {
		s.PersonID = ""
	}
	return nil
}

// handleIntake handles the form's buttons: "Add another subject" (more
// rows), "Update the concern list" (after changing cohort) and "Send".
func (h *Handler) handleIntake(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if h.refuse(w, r, a, mash.ActionContactCreate, "record contacts") {
		return
	}
	if !h.readForm(w, r, a) {
		return
	}
	f := h.readIntake(r, a)
	switch r.PostForm.Get("action") {
	case "add-subject":
		if len(f.Subjects) < maxIntakeRows {
			f.Subjects = append(f.Subjects, subjectRow{Index: len(f.Subjects)})
		}
		fallthrough
	case "cohort":
		if err := h.search(r, a, &f); err != nil {
			h.failFor(w, r, a, err)
			return
		}
		h.renderIntake(w, r, a, http.StatusOK, page{}, f)
		return
	}
	c, rows, own := f.contact(h.now())
	p := page{FieldErr: map[string]string{}}
	if len(own) > 0 {
		// The hub checks the rest too, so every problem shows at once.
		if err := c.Validate(h.now()); err != nil {
			if fields, ok := fieldProblems(err); ok {
				for k, v := range fields {
					if _, dup := own[k]; !dup && !(k == "received_at" && own["received_at"] != "") {
						own[k] = v
					}
				}
			}
		}
		h.intakeFailed(w, r, a, p, &f, rows, own)
		return
	}
	created, err := h.hub.CreateContact(r.Context(), a, c, f.Key)
	if fields, ok := fieldProblems(err); ok {
		h.intakeFailed(w, r, a, p, &f, rows, fields)
		return
	}
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	h.log.Info("contact created", "request_id", requestID(r), "contact_id", c.ID, "created", created)
	h.dropDraft(r, a, mash.DraftContact, "new")
	if !a.HubWide() {
		http.Redirect(w, r, "/referrals?sent="+c.ID, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/contacts/"+c.ID+"?done=created", http.StatusSeeOther)
}

func (h *Handler) intakeFailed(w http.ResponseWriter, r *http.Request, a mash.Actor, p page, f *intakeForm, rows []int, fields map[string]string) {
	// Messages the form wrote itself are sentences already.
	for k, msg := range fields {
		if strings.HasPrefix(msg, "Enter ") || strings.HasPrefix(msg, "Say ") {
			p.addError(fieldID("", k), msg)
			delete(fields, k)
		}
	}
	intakeErrors(&p, f, rows, fields)
	if err := h.search(r, a, f); err != nil {
		h.failFor(w, r, a, err)
		return
	}
	h.renderIntake(w, r, a, http.StatusBadRequest, p, *f)
}

// candidatesFragment is one row's candidates, for htmx.
type candidatesFragment struct {
	Row subjectRow
}

// handleIntakeMatch finds the people the hub knows who may be one row's
// subject: the whole form comes back with the candidates under that row,
// or (for htmx) only that row's candidates. The form is posted, so no name
// or date of birth is ever in an address.
func (h *Handler) handleIntakeMatch(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if h.refuse(w, r, a, mash.ActionContactCreate, "record contacts") {
		return
	}
	if h.refuse(w, r, a, mash.ActionPersonMatch, "search for persons") {
		return
	}
	if !h.readForm(w, r, a) {
		return
	}
	f := h.readIntake(r, a)
	row, err := strconv.Atoi(r.PostForm.Get("match"))
	if err != nil || row < 0 || row >= len(f.Subjects) {
		h.problemFor(w, r, a, http.StatusBadRequest, "There is a problem", "The form could not be read. Go back and try again.")
		return
	}
	if r.Header.Get("HX-Request") == "true" {
		if err := h.searchRow(r, a, &f.Subjects[row]); err != nil {
			h.failFor(w, r, a, err)
			return
		}
		f.Subjects[row].Match = true
		h.renderTemplate(w, r, http.StatusOK, "intake", "candidates-fragment",
			page{Actor: &a, Nav: []navItem{}, Data: candidatesFragment{Row: f.Subjects[row]}})
		return
	}
	f.Subjects[row].Searched = true
	if err := h.search(r, a, &f); err != nil {
		h.failFor(w, r, a, err)
		return
	}
	h.renderIntake(w, r, a, http.StatusOK, page{}, f)
}
