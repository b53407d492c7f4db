package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
)

// statusStopPolling is htmx's "stop polling" status: the response is
// swapped in as a 200 would be, and the element polls no more.
const statusStopPolling = 286

// boardChanged is what an open board shows once its queue has moved on.
var boardChanged = template.Must(template.New("").Parse(`<div class="govuk-notification-banner" data-module="govuk-notification-banner">
<div class="govuk-notification-banner__header"><h2 class="govuk-notification-banner__title" id="board-changed-title">Important</h2></div>
<div class="govuk-notification-banner__content">
<p class="govuk-notification-banner__heading">The board has changed since it was loaded: {{.Open}} open, {{.Overdue}} overdue now.
<a class="govuk-notification-banner__link" href="{{.Back}}">Refresh the board</a></p>
</div>
</div>
`))

// handleBoardChanges answers an open board's poll: 204 while the live queue
// is as the page showed it (token "since"), else a banner offering a
// refresh, with the status that stops the polling. It reads the session
// without counting as use, so a board left open still times out, and the
// hub's BoardState holds no names, so the poll is not audited.
func (h *Handler) handleBoardChanges(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	a, ok, err := h.sessionActor(w, r, h.hub.PeekSession)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !ok {
		http.Error(w, "Sign in to see the board.", http.StatusUnauthorized)
		return
	}
	since := r.URL.Query().Get("since")
	if since == "" {
		http.Error(w, "The poll must say which board it has (since).", http.StatusBadRequest)
		return
	}
	st, err := h.hub.BoardState(r.Context(), a)
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	if st.Token == since {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	// Back to the board as the reader has it filtered (htmx says where
	// the page is), else the plain board.
	back := "/board"
	if u, err := url.Parse(r.Header.Get("HX-Current-URL")); err == nil && u.Path == "/board" {
		back = u.RequestURI()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(statusStopPolling)
	if err := boardChanged.Execute(w, struct {
		Open, Overdue string
		Back          string
	}{strconv.Itoa(st.Open), strconv.Itoa(st.Overdue), back}); err != nil {
		h.log.Warn("board changes", "request_id", requestID(r), "err", err)
	}
}
