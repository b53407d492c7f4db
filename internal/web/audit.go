package web

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"openmash.org/mash"
)

// auditLimit caps the events one search shows; the page says when it is hit.
const auditLimit = 500

// auditData is the auditor's page: who looked at a contact or a person,
// what a user looked at, and the break-glass uses to review.
type auditData struct {
	// Who looked at a record.
	Reference, PersonID string
	ContactID           string // from a break-glass use's link
	Record              []auditRow
	RecordSearched      bool
	// What a user looked at.
	User, From, To string
	Users          []option
	Reads          []auditRow
	UserSearched   bool
	// Break-glass uses.
	All        bool
	BreakGlass []mash.BreakGlass
	Note       map[string]string // a failed review's note, by use id

	Truncated bool
}

type auditRow struct {
	mash.AuditEvent
	Who string
}

// handleAudit is the auditor's page. Each search is a GET form, so results
// can be bookmarked and work without JavaScript; the hub audits the reads.
func (h *Handler) handleAudit(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	p := page{FieldErr: map[string]string{}}
	if r.URL.Query().Has("reviewed") {
		p.Notice = "The review was saved."
	}
	h.showAudit(w, r, a, http.StatusOK, p, auditData{})
}

func (h *Handler) showAudit(w http.ResponseWriter, r *http.Request, a mash.Actor, status int, p page, d auditData) {
	if !mash.Can(a, mash.ActionAuditRead, mash.Resource{}) {
		h.problemFor(w, r, a, http.StatusForbidden, "You cannot use this page", "The audit pages are for the hub's auditors.")
		return
	}
	ctx, q := r.Context(), r.URL.Query()
	if p.FieldErr == nil {
		p.FieldErr = map[string]string{}
	}
	users, err := h.hub.ListUsers(ctx, a)
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	names := map[string]string{"system": "System"}
	d.Users = []option{{"", "Choose a user"}}
	for _, u := range users {
		names[u.ID] = u.Name + " (" + roleLabel(u.Role) + ")"
		d.Users = append(d.Users, option{u.ID, u.Name + " (" + roleLabel(u.Role) + ", " + u.AgencyName + ")"})
	}
	rows := func(events []mash.AuditEvent) []auditRow {
		out := make([]auditRow, len(events))
		for i, e := range events {
			who := names[e.ActorID]
			if who == "" {
				who = "Unknown user"
			}
			out[i] = auditRow{e, who}
		}
		d.Truncated = d.Truncated || len(events) >= auditLimit
		return out
	}

	d.Reference, d.PersonID, d.ContactID = strings.TrimSpace(q.Get("reference")), strings.TrimSpace(q.Get("person")), q.Get("contact")
	if d.Reference != "" || d.PersonID != "" || q.Has("record") {
		events, err := h.recordEvents(ctx, a, d.Reference, d.PersonID, d.ContactID, &p)
		if err != nil {
			h.failFor(w, r, a, err)
			return
		}
		d.Record, d.RecordSearched = rows(events), len(p.Errors) == 0
	}

	d.User, d.From, d.To = q.Get("user"), strings.TrimSpace(q.Get("from")), strings.TrimSpace(q.Get("to"))
	if d.User != "" || q.Has("reads") {
		f := mash.AuditFilter{ActorID: d.User, Limit: auditLimit}
		if _, known := names[d.User]; d.User == "" || !known {
			p.addError("user", "Choose a user from the list")
		}
		from, ok := auditDate(d.From)
		if !ok {
			p.addError("from", "Enter the first day as a date, for example 2026-03-27")
		}
		to, ok2 := auditDate(d.To)
		if !ok2 {
			p.addError("to", "Enter the last day as a date, for example 2026-03-31")
		}
		if ok && ok2 && !from.IsZero() && !to.IsZero() && to.Before(from) {
			p.addError("to", "The last day must be the same as or after the first day")
		}
		if _, bad := p.FieldErr["user"]; !bad && ok && ok2 {
			f.From = from
			if !to.IsZero() {
				f.To = to.AddDate(0, 0, 1) // to the end of the last day
			}
			events, err := h.hub.AuditEvents(ctx, a, f)
			if err != nil {
				h.failFor(w, r, a, err)
				return
			}
			d.Reads, d.UserSearched = rows(events), true
		}
	}

	d.All = q.Get("breakglass") == "all"
	if d.BreakGlass, err = h.hub.ListBreakGlass(ctx, a, !d.All); err != nil {
		h.failFor(w, r, a, err)
		return
	}
	if len(p.Errors) > 0 && status == http.StatusOK {
		status = http.StatusBadRequest
	}
	p.Title, p.Actor, p.Agency, p.Data = "Audit", &a, h.agencyName(r, a), d
	h.render(w, r, status, "audit", p)
}

// recordEvents is who looked at a contact (by reference) or at a person
// (the person's page and every contact naming them), oldest first.
func (h *Handler) recordEvents(ctx context.Context, a mash.Actor, reference, personID, contactID string, p *page) ([]mash.AuditEvent, error) {
	switch {
	case contactID != "" && reference == "" && personID == "":
		return h.hub.AuditEvents(ctx, a, mash.AuditFilter{EntityType: "contact", EntityID: contactID, Limit: auditLimit})
	case reference == "" && personID == "":
		p.addError("reference", "Enter a contact reference or a person's id")
		return nil, nil
	case reference != "" && personID != "":
		p.addError("reference", "Enter a contact reference or a person's id, not both")
		return nil, nil
	case reference != "":
		id, err := h.hub.ContactIDByReference(ctx, a, reference)
		switch mash.KindOf(err) {
		case mash.KindNotFound, mash.KindInvalid:
			p.addError("reference", "No contact has that reference. Check it and try again")
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return h.hub.AuditEvents(ctx, a, mash.AuditFilter{EntityType: "contact", EntityID: id, Limit: auditLimit})
	}
	if len(personID) > 64 {
		p.addError("person", "Enter a person's id as shown on their page")
		return nil, nil
	}
	own, err := h.hub.AuditEvents(ctx, a, mash.AuditFilter{EntityType: "person", EntityID: personID, Limit: auditLimit})
	if err != nil {
		return nil, err
	}
	contacts, err := h.hub.AuditEvents(ctx, a, mash.AuditFilter{PersonID: personID, Limit: auditLimit})
	if err != nil {
		return nil, err
	}
	all := append(own, contacts...)
	sort.Slice(all, func(i, j int) bool { return all[i].Seq < all[j].Seq })
	return all, nil
}

// auditDate reads an optional YYYY-MM-DD day as midnight in London.
func auditDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.ParseInLocation(time.DateOnly, s, london)
	return t, err == nil
}

// handleReviewBreakGlass records the auditor's review of a break-glass use.
func (h *Handler) handleReviewBreakGlass(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if h.refuse(w, r, a, mash.ActionAuditRead, "review break-glass uses") || !h.readForm(w, r, a) {
		return
	}
	id, note := r.PathValue("id"), strings.TrimSpace(r.PostForm.Get("note"))
	_, err := h.hub.ReviewBreakGlass(r.Context(), a, id, note)
	if err == nil {
		http.Redirect(w, r, "/audit?reviewed#break-glass", http.StatusSeeOther)
		return
	}
	p := page{FieldErr: map[string]string{}}
	field := "note-" + id
	switch mash.KindOf(err) {
	case mash.KindInvalid:
		p.addError(field, "Enter a note of at least 10 characters on whether the use was justified")
	case mash.KindConflict, mash.KindNotFound:
		p.addError(field, capitalise(mash.Message(err)))
	default:
		h.failFor(w, r, a, err)
		return
	}
	// The list the auditor was looking at, with their note kept.
	r.URL.RawQuery = url.Values{"breakglass": {r.PostForm.Get("list")}}.Encode()
	h.showAudit(w, r, a, statusOf(err), p, auditData{Note: map[string]string{id: note}})
}

// auditActions are the audit log's actions in words; others show as coded.
var auditActions = map[string]string{
	"contact.read": "Opened the contact", "contact.list": "Listed contacts", "contact.history": "Read the contact's history",
	"contact.create": "Recorded the contact", "contact.screen": "Screened the contact", "contact.rate": "Re-rated the contact",
	"contact.assign": "Assigned the contact", "contact.break_glass": "Broke the glass to open the contact",
	"contact.close": "Closed the contact", "contact.decide": "Decided", "person.read": "Opened the person's page",
	"person.merge": "Merged persons", "person.unmerge": "Undid a merge", "request.create": "Asked an agency",
	"request.chase": "Chased an agency", "audit.read": "Read the audit log", "audit.lookup": "Looked up a reference",
}

func init() {
	viewFuncs["auditAction"] = func(code string) string {
		if l, ok := auditActions[code]; ok {
			return l
		}
		return code
	}
}

type auditTable struct {
	Rows    []auditRow
	Caption string
	Who     bool
}

func init() {
	viewFuncs["auditArgs"] = func(rows []auditRow, caption string, who bool) auditTable { return auditTable{rows, caption, who} }
}
