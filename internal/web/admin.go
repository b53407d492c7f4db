package web

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"openmash.org/mash"
)

// adminData is the administrator's page: agencies, users and roles, the
// RAG policy and working calendar, and the concern code lists.
type adminData struct {
	Agencies []mash.Agency
	Kinds    []option
	Users    []mash.UserInfo
	Roles    []option
	Options  []option // agencies, for the new user's agency
	Self     string   // the administrator's own id: they cannot disable themselves

	Levels   []levelRow
	Days     []dayRow
	Start    string
	End      string
	Timezone string
	Holidays string // one "YYYY-MM-DD Name" a line

	Codes []mash.CodeList

	Failed string     // the form whose input is shown again
	In     url.Values // its input
}

type levelRow struct {
	Code, Label, Hours, Clock, Start string
}

type dayRow struct {
	Value, Label string
	Checked      bool
}

// Val is the input of a failed form's field, or "" for another form.
func (d adminData) Val(form, name string) string {
	if d.Failed != form {
		return ""
	}
	return d.In.Get(name)
}

var adminNotices = map[string]string{
	"agency":   "The agency was added.",
	"user":     "The user was added. Enrol them for one-time codes with mash user totp before they sign in.",
	"disabled": "The user was disabled. Their sessions have ended.",
	"enabled":  "The user can sign in again.",
	"policy":   "The RAG policy and working calendar were saved. New deadlines use them.",
}

// isAdmin reports whether a runs the hub's set-up.
func isAdmin(a mash.Actor) bool { return mash.Can(a, mash.ActionUserManage, mash.Resource{}) }

func (h *Handler) handleAdmin(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	h.showAdmin(w, r, a, http.StatusOK, page{Notice: adminNotices[r.URL.Query().Get("done")]}, adminData{})
}

// showAdmin renders the administration page; a failed form's input and
// problems come in d and p.
func (h *Handler) showAdmin(w http.ResponseWriter, r *http.Request, a mash.Actor, status int, p page, d adminData) {
	if !isAdmin(a) {
		h.problemFor(w, r, a, http.StatusForbidden, "You cannot use this page", "Administration is for the hub's administrators.")
		return
	}
	ctx := r.Context()
	var err error
	if d.Agencies, err = h.hub.ListAgencies(ctx); err != nil {
		h.failFor(w, r, a, err)
		return
	}
	if d.Users, err = h.hub.ListUsers(ctx, a); err != nil {
		h.failFor(w, r, a, err)
		return
	}
	policy, err := h.hub.Policy(ctx)
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	d.Self = a.UserID
	for _, k := range mash.AgencyKinds {
		d.Kinds = append(d.Kinds, option{string(k), label(string(k))})
	}
	for _, role := range mash.Roles {
		d.Roles = append(d.Roles, option{string(role), roleLabel(role)})
	}
	for _, ag := range d.Agencies {
		d.Options = append(d.Options, option{ag.ID, ag.Name})
	}
	d.policyForm(policy)
	d.Codes = []mash.CodeList{mash.CINFactors2025, mash.CareActTypes2014}
	p.Title, p.Actor, p.Agency, p.Data = "Administration", &a, h.agencyName(r, a), d
	if p.FieldErr == nil {
		p.FieldErr = map[string]string{}
	}
	h.render(w, r, status, "admin", p)
}

// policyForm fills the policy form from the policy in force, or from the
// failed form's input.
func (d *adminData) policyForm(p mash.RAGPolicy) {
	in := func(name, current string) string {
		if d.Failed == "policy" {
			return d.In.Get(name)
		}
		return current
	}
	for i, l := range p.Levels {
		at := fmt.Sprintf("level-%d-", i)
		d.Levels = append(d.Levels, levelRow{Code: l.Code, Label: in(at+"label", l.Label),
			Hours: in(at+"hours", strconv.FormatFloat(l.Target.Hours(), 'f', -1, 64)),
			Clock: in(at+"clock", string(l.Clock)), Start: in(at+"start", string(l.Start))})
	}
	cal := p.Calendar
	if cal == nil {
		cal = mash.DefaultCalendar()
	}
	d.Timezone = "Europe/London"
	if cal.Location != nil {
		d.Timezone = cal.Location.String()
	}
	for _, wd := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		v := strings.ToLower(wd.String())
		on := cal.Days[wd]
		if d.Failed == "policy" {
			on = false
			for _, x := range d.In["days"] {
				on = on || x == v
			}
		}
		d.Days = append(d.Days, dayRow{v, wd.String(), on})
	}
	d.Start, d.End = in("start", clock(cal.Start)), in("end", clock(cal.End))
	var lines []string
	for day, name := range cal.Holidays {
		lines = append(lines, day+" "+name)
	}
	sort.Strings(lines)
	d.Holidays = in("holidays", strings.Join(lines, "\n"))
}

func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// parseClock reads HH:MM (24:00 allowed, for a day that ends at midnight).
func parseClock(s string) (time.Duration, bool) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || h < 0 || h > 24 || m < 0 || m > 59 || len(mm) != 2 {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, true
}

// adminFailed shows the page again with the hub's problems against form's
// fields: ids maps a hub field to a field id; anything else goes to first.
func (h *Handler) adminFailed(w http.ResponseWriter, r *http.Request, a mash.Actor, err error, form, first string, ids func(string) string, order []string) {
	kind := mash.KindOf(err)
	if kind != mash.KindInvalid && kind != mash.KindConflict && kind != mash.KindNotFound {
		h.failFor(w, r, a, err)
		return
	}
	p := page{FieldErr: map[string]string{}}
	if fields, ok := fieldProblems(err); ok {
		for f, problem := range fields {
			id := ids(f)
			if id == "" {
				id = first
			}
			p.addError(id, sentence(adminLabel(f), problem))
		}
		sortErrors(&p, order)
	} else {
		p.addError(first, capitalise(mash.Message(err)))
	}
	h.showAdmin(w, r, a, statusOf(err), p, adminData{Failed: form, In: r.PostForm})
}

var adminLabels = map[string]string{"name": "Name", "kind": "Type", "email": "Email address", "agency": "Agency", "role": "Role",
	"password": "Password", "calendar.start": "Opening time", "calendar.end": "Closing time", "calendar.days": "Working days",
	"calendar.timezone": "Time zone", "levels": "Levels"}

func adminLabel(f string) string {
	if l, ok := adminLabels[f]; ok {
		return l
	}
	if strings.HasPrefix(f, "calendar.holidays") {
		return "Holidays"
	}
	if gen, i := genericPath(f); strings.HasPrefix(gen, "levels[]") {
		return fmt.Sprintf("Level %d %s", i+1, map[string]string{"label": "name", "target_hours": "target", "clock": "clock",
			"start": "start", "code": "code"}[strings.TrimPrefix(gen, "levels[].")])
	}
	return label(f)
}

func (h *Handler) handleAddAgency(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if h.refuse(w, r, a, mash.ActionAgencyManage, "add agencies") || !h.readForm(w, r, a) {
		return
	}
	ag := &mash.Agency{Name: r.PostForm.Get("name"), Kind: mash.AgencyKind(r.PostForm.Get("kind"))}
	if err := h.hub.CreateAgency(r.Context(), a, ag); err != nil {
		h.adminFailed(w, r, a, err, "agency", "agency-name", func(f string) string {
			return map[string]string{"name": "agency-name", "kind": "agency-kind"}[f]
		}, []string{"agency-name", "agency-kind"})
		return
	}
	http.Redirect(w, r, "/admin?done=agency#agencies", http.StatusSeeOther)
}

func (h *Handler) handleAddUser(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if h.refuse(w, r, a, mash.ActionUserManage, "add users") || !h.readForm(w, r, a) {
		return
	}
	v := r.PostForm
	u := &mash.User{Email: v.Get("email"), Name: v.Get("name"), AgencyID: v.Get("agency"), Role: mash.Role(v.Get("role"))}
	if err := h.hub.CreateUser(r.Context(), a, u, v.Get("password")); err != nil {
		h.adminFailed(w, r, a, err, "user", "user-name", func(f string) string {
			if f == "name" || f == "email" || f == "agency" || f == "role" || f == "password" {
				return "user-" + f
			}
			return ""
		}, []string{"user-name", "user-email", "user-agency", "user-role", "user-password"})
		return
	}
	http.Redirect(w, r, "/admin?done=user#users", http.StatusSeeOther)
}

// handleUserAccess disables or enables a user.
func (h *Handler) handleUserAccess(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if h.refuse(w, r, a, mash.ActionUserManage, "disable users") || !h.readForm(w, r, a) {
		return
	}
	id, disable := r.PathValue("id"), r.PostForm.Get("access") == "disable"
	if err := h.hub.SetUserDisabled(r.Context(), a, id, disable, r.PostForm.Get("reason")); err != nil {
		field := "access-" + id
		h.adminFailed(w, r, a, err, field, field, func(string) string { return field }, []string{field})
		return
	}
	done := "enabled"
	if disable {
		done = "disabled"
	}
	http.Redirect(w, r, "/admin?done="+done+"#users", http.StatusSeeOther)
}

// handleSetPolicy saves the RAG policy and calendar through the hub's
// UpdatePolicy, the service `mash policy set` uses. Level codes and the time
// zone are kept as they are: contacts are rated by code.
func (h *Handler) handleSetPolicy(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if h.refuse(w, r, a, mash.ActionPolicyManage, "change the RAG policy") || !h.readForm(w, r, a) {
		return
	}
	cur, err := h.hub.Policy(r.Context())
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	v, own := r.PostForm, mash.FieldErrors{}
	p := mash.RAGPolicy{Calendar: &mash.Calendar{Holidays: map[string]string{}}}
	for i, l := range cur.Levels {
		at := fmt.Sprintf("level-%d-", i)
		hours, err := strconv.ParseFloat(strings.TrimSpace(v.Get(at+"hours")), 64)
		if err != nil || hours <= 0 || hours > 24*366 {
			own.Add(fmt.Sprintf("levels[%d].target_hours", i), "must be a number of hours, such as 4 or 0.5")
		}
		p.Levels = append(p.Levels, mash.RAGLevel{Code: l.Code, Label: strings.TrimSpace(v.Get(at + "label")),
			Target: time.Duration(hours * float64(time.Hour)), Clock: mash.ClockMode(v.Get(at + "clock")), Start: mash.ClockStart(v.Get(at + "start"))})
	}
	cal := p.Calendar
	if cur.Calendar != nil {
		cal.Location = cur.Calendar.Location
	}
	for _, d := range v["days"] {
		for wd := time.Sunday; wd <= time.Saturday; wd++ {
			if strings.ToLower(wd.String()) == d {
				cal.Days[wd] = true
			}
		}
	}
	var ok bool
	if cal.Start, ok = parseClock(v.Get("start")); !ok {
		own.Add("calendar.start", "must be a time as HH:MM, such as 09:00")
	}
	if cal.End, ok = parseClock(v.Get("end")); !ok {
		own.Add("calendar.end", "must be a time as HH:MM, such as 17:00")
	}
	for n, line := range strings.Split(v.Get("holidays"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		day, name, _ := strings.Cut(line, " ")
		if _, err := time.Parse(time.DateOnly, day); err != nil || strings.TrimSpace(name) == "" {
			own.Add("calendar.holidays", fmt.Sprintf("line %d must be a date as YYYY-MM-DD, then the holiday's name", n+1))
			continue
		}
		cal.Holidays[day] = strings.TrimSpace(name)
	}
	if len(own) > 0 {
		// All the problems at once: the policy's own checks as well as the
		// form's (the form's word wins for a field that has both).
		if fields, ok := fieldProblems(p.Validate()); ok {
			for f, problem := range fields {
				own.Add(f, problem)
			}
		}
	}
	err = own.Err("the policy is not valid")
	if err == nil {
		err = h.hub.UpdatePolicy(r.Context(), a, p)
	}
	if err != nil {
		order := []string{}
		for i := range cur.Levels {
			order = append(order, fmt.Sprintf("level-%d-label", i), fmt.Sprintf("level-%d-hours", i), fmt.Sprintf("level-%d-clock", i), fmt.Sprintf("level-%d-start", i))
		}
		order = append(order, "calendar-days", "calendar-start", "calendar-end", "calendar-holidays")
		h.adminFailed(w, r, a, err, "policy", "level-0-label", policyFieldID, order)
		return
	}
	http.Redirect(w, r, "/admin?done=policy#policy", http.StatusSeeOther)
}

// policyFieldID is the form field of a policy problem's JSON path.
func policyFieldID(path string) string {
	if gen, i := genericPath(path); strings.HasPrefix(gen, "levels[].") {
		f := strings.TrimPrefix(gen, "levels[].")
		f = map[string]string{"label": "label", "target_hours": "hours", "clock": "clock", "start": "start"}[f]
		if f == "" {
			f = "label"
		}
		return fmt.Sprintf("level-%d-%s", i, f)
	}
	switch {
	case path == "calendar.start", path == "calendar.end", path == "calendar.days":
		return "calendar-" + strings.TrimPrefix(path, "calendar.")
	case strings.HasPrefix(path, "calendar.holidays"):
		return "calendar-holidays"
	}
	return ""
}

type adminInput struct {
	FE                           map[string]string
	ID, Name, Label, Hint, Value string
	Options                      []option
}

func init() {
	viewFuncs["adminField"] = func(fe map[string]string, id, name, lbl, hint, value string) adminInput {
		return adminInput{FE: fe, ID: id, Name: name, Label: lbl, Hint: hint, Value: value}
	}
	viewFuncs["adminSelect"] = func(fe map[string]string, id, name, lbl string, opts []option, value string) adminInput {
		return adminInput{FE: fe, ID: id, Name: name, Label: lbl, Options: opts, Value: value}
	}
	viewFuncs["add"] = func(a, b int) int { return a + b }
	viewFuncs["clockOptions"] = func() []option {
		return []option{{string(mash.ClockWorking), "Working hours on the calendar"}, {string(mash.ClockElapsed), "Round the clock"}}
	}
	viewFuncs["startOptions"] = func() []option {
		return []option{{string(mash.ClockStartReceived), "When the hub receives the contact"}, {string(mash.ClockStartScreened), "When the contact is screened"}}
	}
}
