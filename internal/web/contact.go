package web

import (
	"net/http"

	"openmash.org/mash"
)

type contactData struct {
	C        *mash.ContactDetail
	History  *mash.History     // nil when the reader's role has no history
	Agencies map[string]string // agency names by id
}

// handleContact is one contact as the hub gives it to the reader: GetContact
// and History are already narrowed and redacted for the reader's role, and
// a contact outside the reader's scope is "not found".
func (h *Handler) handleContact(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	ctx := r.Context()
	c, err := h.hub.GetContact(ctx, a, r.PathValue("id"))
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	d := contactData{C: c, Agencies: map[string]string{}}
	if mash.Can(a, mash.ActionHistoryRead, mash.Resource{}) {
		hist, err := h.hub.History(ctx, a, c.ID)
		switch mash.KindOf(err) {
		case mash.KindForbidden, mash.KindNotFound:
			// The hub decides: the page goes without it.
		default:
			if err != nil {
				h.failFor(w, r, a, err)
				return
			}
			d.History = hist
		}
	}
	if ags, err := h.hub.ListAgencies(ctx); err == nil {
		for _, ag := range ags {
			d.Agencies[ag.ID] = ag.Name
		}
	}
	h.render(w, r, http.StatusOK, "contact", page{Title: "Contact " + c.Reference, Actor: &a, Agency: h.agencyName(r, a), Data: d})
}
