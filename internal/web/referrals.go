package web

import (
	"net/http"
	"sort"

	"openmash.org/mash"
)

// My referrals: the contacts a referrer sent, as the hub lists them for
// them (their own only; no rating or deadline), with their state. Each
// opens on the contact page, which shows the outcome once the hub has sent
// it.

type referralsData struct {
	Rows []mash.ContactSummary
	Sent *mash.ContactSummary // the referral just sent, if any
}

func (h *Handler) handleReferrals(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if !referrer(a) {
		h.problemFor(w, r, a, http.StatusForbidden, "You cannot use this page", "My referrals is for the people who refer concerns to the hub.")
		return
	}
	list, err := h.hub.ListContacts(r.Context(), a, mash.ContactFilter{Limit: boardLimit})
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	// Newest first: a referrer looks for what they sent last.
	sort.SliceStable(list, func(i, j int) bool { return list[i].ReceivedAt.After(list[j].ReceivedAt) })
	d := referralsData{Rows: list}
	p := page{Title: "My referrals", Actor: &a, Agency: h.agencyName(r, a)}
	if sent := r.URL.Query().Get("sent"); sent != "" {
		for i := range list {
			if list[i].ID == sent {
				d.Sent = &list[i]
				p.Notice = "Your referral was sent to the hub."
			}
		}
	}
	p.Data = d
	h.render(w, r, http.StatusOK, "referrals", p)
}
