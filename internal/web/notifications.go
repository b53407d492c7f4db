package web

import (
	"net/http"
	"strconv"
	"strings"

	"openmash.org/mash"
)

// Notifications: the signed-in user's in-app alerts (reminders, overdue
// requests, deadlines close or missed, chases, disagreements), newest first,
// with the unread count in the navigation. Opening one marks it read and
// goes to what it is about. The messages name a contact only by reference.

const notificationsShown = 100

func (h *Handler) handleNotifications(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	list, err := h.hub.Notifications(r.Context(), a, notificationsShown)
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	h.render(w, r, http.StatusOK, "notifications", page{Title: "Notifications", Actor: &a, Agency: h.agencyName(r, a), Data: list})
}

// handleNotificationOpen marks one of the user's notifications read and
// goes to its link (a path in the hub; anything else goes to the list).
func (h *Handler) handleNotificationOpen(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	n, err := h.hub.MarkNotificationRead(r.Context(), a, r.PathValue("id"))
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	to := "/notifications"
	if strings.HasPrefix(n.Link, "/") && !strings.HasPrefix(n.Link, "//") {
		to = n.Link
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// unreadLabel is the navigation's label for the notifications page: with
// the unread count, which costs one indexed count per page.
func (h *Handler) unreadLabel(r *http.Request, a mash.Actor) string {
	list, err := h.hub.Notifications(r.Context(), a, 1)
	if err != nil || list.Unread == 0 {
		return "Notifications"
	}
	return "Notifications (" + strconv.Itoa(list.Unread) + " unread)"
}
