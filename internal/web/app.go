package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // times are shown in Europe/London wherever the server runs

	"openmash.org/mash"
)

// appHandler serves a page for a signed-in user.
type appHandler func(w http.ResponseWriter, r *http.Request, a mash.Actor)

// signedIn resolves the session (which also keeps it alive) and sends anyone
// without one to sign in.
func (h *Handler) signedIn(next appHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok, err := h.actor(w, r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !ok {
			// Back here after signing in; only a page to read, since a
			// form's data is gone by then.
			to := "/sign-in"
			if r.Method == http.MethodGet {
				to += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		next(w, r, a)
	}
}

// nav is the navigation for a's role: only the pages it may use, each
// decided by the hub's policy.
func nav(a mash.Actor, current string) []navItem {
	items := []navItem{{Href: "/", Label: "Home"}}
	if onBoard(a) {
		items = append(items, navItem{Href: "/board", Label: "MASH board"})
	}
	if mash.Can(a, mash.ActionContactCreate, mash.Resource{}) {
		items = append(items, navItem{Href: "/contacts/new", Label: "New contact"})
	}
	if referrer(a) {
		items = append(items, navItem{Href: "/referrals", Label: "My referrals"})
	}
	if mash.Can(a, mash.ActionReturnSubmit, mash.Resource{}) {
		items = append(items, navItem{Href: "/inbox", Label: "Agency inbox"})
	}
	if mash.Can(a, mash.ActionPersonMerge, mash.Resource{}) {
		items = append(items, navItem{Href: "/match-reviews", Label: "Identity reviews"})
	}
	if mash.Can(a, mash.ActionAuditRead, mash.Resource{}) {
		items = append(items, navItem{Href: "/audit", Label: "Audit"})
	}
	if isAdmin(a) {
		items = append(items, navItem{Href: "/admin", Label: "Administration"})
	}
	for i := range items {
		items[i].Current = items[i].Href == current || (items[i].Href != "/" && strings.HasPrefix(current, items[i].Href+"/"))
	}
	return items
}

// onBoard reports whether a works the hub's queue: the board is the
// screeners' and managers' view of it.
func onBoard(a mash.Actor) bool {
	return a.HubWide() && mash.Can(a, mash.ActionContactList, mash.Resource{})
}

// referrer reports whether a lists only the contacts they sent: the "my
// referrals" page is theirs.
func referrer(a mash.Actor) bool {
	return !a.HubWide() && mash.Can(a, mash.ActionContactCreate, mash.Resource{}) && mash.Can(a, mash.ActionContactList, mash.Resource{})
}

// problemFor renders a problem page for a signed-in user, with the layout's
// navigation.
func (h *Handler) problemFor(w http.ResponseWriter, r *http.Request, a mash.Actor, status int, title, msg string) {
	h.render(w, r, status, "problem", page{Title: title, Message: msg, Actor: &a, Agency: h.agencyName(r, a)})
}

// failFor renders err from a hub call for a signed-in user. NotFound also
// stands for "outside your scope": the page says only that there is
// nothing here.
func (h *Handler) failFor(w http.ResponseWriter, r *http.Request, a mash.Actor, err error) {
	switch mash.KindOf(err) {
	case mash.KindNotFound:
		h.problemFor(w, r, a, http.StatusNotFound, "Page not found", "There is nothing at this address that you can see.")
	case mash.KindForbidden:
		h.problemFor(w, r, a, http.StatusForbidden, "You cannot use this page", capitalise(mash.Message(err))+".")
	case mash.KindConflict:
		h.problemFor(w, r, a, http.StatusConflict, "Someone else changed this", capitalise(mash.Message(err))+". Go back, reload the page and try again.")
	case mash.KindInvalid:
		h.problemFor(w, r, a, http.StatusBadRequest, "There is a problem", capitalise(mash.Message(err))+".")
	case mash.KindUnavailable:
		h.problemFor(w, r, a, http.StatusServiceUnavailable, "Sorry, the service is busy", "Try again in a moment.")
	case mash.KindUnauthenticated:
		http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
	default:
		h.log.Error("request failed", "request_id", requestID(r), "err", err)
		h.problemFor(w, r, a, http.StatusInternalServerError, "Sorry, there is a problem", "Something went wrong. Try again later.")
	}
}

func (h *Handler) agencyName(r *http.Request, a mash.Actor) string {
	if ag, err := h.hub.FindAgency(r.Context(), a.AgencyID); err == nil {
		return ag.Name
	}
	return ""
}

// handleStaySignedIn keeps the session alive: resolving it is a use. With
// htmx (the session warning's button) it answers 204; as a plain form it
// goes back to the page it was on.
func (h *Handler) handleStaySignedIn(w http.ResponseWriter, r *http.Request) {
	_, ok, err := h.actor(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !ok {
		http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
		return
	}
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	r.ParseForm()
	http.Redirect(w, r, localPath(r.PostForm.Get("back")), http.StatusSeeOther)
}

// localPath is p if it is a path on this site, else "/": a form's "back"
// must not send anyone elsewhere.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return "/"
	}
	return p
}

var london = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC
	}
	return l
}()

// viewFuncs are the templates' helpers: labels and times. They format; they
// decide nothing about who may see what.
var viewFuncs = map[string]any{
	"status":   statusLabel,
	"ragClass": ragClass,
	"ragLabel": ragLabel,
	"timeLeft": timeLeft,
	"when":     when,
	"whenPtr": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return when(*t)
	},
	"day":   day,
	"ptr":   func(t time.Time) *time.Time { return &t },
	"lower": strings.ToLower,
	"idleMinutes": func(secs int) string {
		if secs/60 == 1 {
			return "1 minute"
		}
		return strconv.Itoa(secs/60) + " minutes"
	},
	"label":   label,
	"percent": func(p float64) string { return fmt.Sprintf("%.0f%%", p*100) },
	"bits":    func(b float64) string { return fmt.Sprintf("%+.1f", b) },
	"join": func(sep string, xs any) string {
		var out []string
		switch v := xs.(type) {
		case []string:
			out = v
		case []mash.Outcome:
			for _, o := range v {
				out = append(out, label(string(o)))
			}
		}
		return strings.Join(out, sep)
	},
}

var statusLabels = map[mash.Status]string{
	mash.StatusReceived:           "Received",
	mash.StatusScreening:          "Screening",
	mash.StatusPassedSingleAgency: "Passed to a single agency",
	mash.StatusPassedOpenCase:     "Passed to the open case",
	mash.StatusInMASH:             "In MASH",
	mash.StatusDecided:            "Decided",
	mash.StatusFeedbackSent:       "Feedback sent",
	mash.StatusClosed:             "Closed",
}

func statusLabel(s mash.Status) string {
	if l, ok := statusLabels[s]; ok {
		return l
	}
	return label(string(s))
}

// labels are the words for codes the pages show.
var labels = map[string]string{
	"child": "Child", "adult": "Adult",
	"subject": "Main subject", "parent_carer": "Parent or carer", "household_member": "Household member",
	"alleged_perpetrator": "Alleged perpetrator",
	"mash_only":           "MASH only", "receiving_team": "Shareable with the receiving team", "family": "Shareable with the family",
	"open": "Open", "returned": "Returned", "overdue": "Overdue",
	"nothing_held": "Nothing held", "information": "Information shared", "declined": "Decided not to share",
	"nfa": "No further action", "advice": "Advice or universal services", "early_help": "Early help",
	"single_agency": "Other single agency", "cin_assessment_s17": "Child and family assessment (s17)",
	"strategy_discussion_s47": "Strategy discussion (s47)", "immediate_protection": "Immediate protection",
	"adult_s42_enquiry": "Adult safeguarding enquiry (s42)", "marac": "MARAC", "lado": "LADO",
	"transfer_out": "Transfer to another area",
	"pending":      "Pending", "sent": "Sent",
	"same": "Same person", "different": "Different people",
	"linked": "Linked", "new_person": "New person", "review": "Sent for review", "chosen": "Chosen by a person",
	"merged": "Merged", "unmerged": "Unmerged",
	"phone": "Phone", "email": "Email", "online_form": "Online form", "api": "API", "ppn": "Police notification",
	"given": "Given", "refused": "Refused", "not_sought": "Not sought",
	"dob": "Date of birth", "nhs_number": "NHS number", "related_not_same": "Related, not the same person",
	"same_person": "Same person", "different_person": "Different people",
}

func label(code string) string {
	if l, ok := labels[code]; ok {
		return l
	}
	return capitalise(strings.ReplaceAll(code, "_", " "))
}

func ragLabel(rag string) string {
	if rag == "" {
		return "Not rated"
	}
	return capitalise(rag)
}

// ragClass is the GOV.UK tag colour for a rating code; an unknown local
// code is grey.
func ragClass(rag string) string {
	switch strings.ToLower(rag) {
	case "red":
		return "govuk-tag--red"
	case "amber":
		return "govuk-tag--orange"
	case "green":
		return "govuk-tag--green"
	}
	return "govuk-tag--grey"
}

// timeLeft says how long until due, or how long past it: "2h 10m left",
// "overdue by 3h".
func timeLeft(due *time.Time, now time.Time) string {
	if due == nil {
		return "No deadline"
	}
	d := due.Sub(now)
	if d >= 0 {
		return duration(d) + " left"
	}
	return "Overdue by " + duration(-d)
}

func duration(d time.Duration) string {
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case hours > 0 && mins > 0:
		return fmt.Sprintf("%dh %dm", hours, mins)
	case hours > 0:
		return fmt.Sprintf("%dh", hours)
	}
	return fmt.Sprintf("%dm", mins)
}

func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(london).Format("2 Jan 2006, 15:04")
}

// day formats a YYYY-MM-DD date as "3 Apr 2015"; anything else as given.
func day(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format("2 Jan 2006")
}
