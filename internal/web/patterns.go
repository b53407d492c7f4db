package web

import (
	"net/http"
	"net/url"

	"openmash.org/mash"
)

// Pattern alerts on the contact page: the alerts about the contact's
// subjects, as the hub cuts them for the reader (only the triggering
// contacts they may open are listed and linked; the rest are counted), and
// the screener's or manager's acknowledgement.

type patternView struct {
	ContactID string
	Open      []mash.PatternAlert
	Done      []mash.PatternAlert // acknowledged
	CanAck    bool
	FieldErr  map[string]string
	Failed    string // the alert whose acknowledgement was refused
	Note      string // its note, shown again
}

// patternsFor fills the contact page's alerts, for readers whose role may
// see them.
func (h *Handler) patternsFor(r *http.Request, a mash.Actor, d *contactData, fe map[string]string) error {
	if !mash.Can(a, mash.ActionPatternRead, mash.Resource{}) {
		return nil
	}
	list, err := h.hub.ContactAlerts(r.Context(), a, d.C.ID)
	if err != nil {
		if k := mash.KindOf(err); k == mash.KindForbidden || k == mash.KindNotFound {
			return nil
		}
		return err
	}
	v := &patternView{ContactID: d.C.ID, CanAck: mash.Can(a, mash.ActionPatternAcknowledge, mash.Resource{}), FieldErr: fe}
	if r.Method == http.MethodPost {
		v.Failed, v.Note = r.PostForm.Get("alert_id"), r.PostForm.Get("note")
	}
	for _, al := range list {
		if al.Open() {
			v.Open = append(v.Open, al)
		} else {
			v.Done = append(v.Done, al)
		}
	}
	d.Patterns = v
	return nil
}

// handleAcknowledgeAlert records a screener's or manager's acknowledgement
// of an alert shown on the contact page.
func (h *Handler) handleAcknowledgeAlert(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if h.refuse(w, r, a, mash.ActionPatternAcknowledge, "acknowledge pattern alerts") || !h.readForm(w, r, a) {
		return
	}
	id, aid := r.PathValue("id"), r.PathValue("aid")
	r.PostForm.Set("alert_id", aid)
	// The alert must be one the page showed on this contact.
	list, err := h.hub.ContactAlerts(r.Context(), a, id)
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	found := false
	for _, al := range list {
		found = found || al.ID == aid
	}
	if !found {
		h.failFor(w, r, a, mash.Errorf(mash.KindNotFound, "no such alert on this contact"))
		return
	}
	if _, err := h.hub.AcknowledgeAlert(r.Context(), a, aid, r.PostForm.Get("note")); err != nil {
		h.contactRefused(w, r, a, err, "ack-"+aid+"-note")
		return
	}
	http.Redirect(w, r, "/contacts/"+url.PathEscape(id)+"?done=acknowledged#pattern-alerts", http.StatusSeeOther)
}
