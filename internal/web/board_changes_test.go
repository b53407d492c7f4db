package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
	"openmash.org/mash/internal/web"
)

// TestBoardChanges: an open board polls /board/changes with the token its
// page carries. While the queue is as shown the poll answers 204 (htmx
// swaps nothing); after a change it answers a banner offering a refresh,
// with htmx's stop-polling status. The poll neither keeps an idle session
// alive nor adds to the audit trail, and only the board's users have it.
func TestBoardChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, func(string) web.Config { return web.Config{Idle: 10 * time.Minute, Lifetime: time.Hour} })
		e.signIn(e.f.Users[mash.RoleScreener].Email)
		h := e.seed()

		resp, body := e.get("/board")
		wantStatus(t, resp, body, http.StatusOK, `hx-trigger="every 60s"`, `data-passive`,
			// The deadlines carry their times for the page's countdown.
			`<span class="app-overdue" data-due="`+h.late.DueAt.UTC().Format(time.RFC3339)+`">Overdue by 6h</span>`)
		m := regexp.MustCompile(`hx-get="/board/changes\?since=([0-9a-f]+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("the board does not poll for changes:\n%s", body)
		}
		poll := "/board/changes?since=" + m[1]
		audits := func() int {
			t.Helper()
			evs, err := db.AuditEvents(t.Context(), e.f.Actor(mash.RoleAuditor), mash.AuditFilter{ActorID: e.f.Users[mash.RoleScreener].ID, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			return len(evs)
		}
		before := audits()
		resp, body = e.get(poll)
		wantStatus(t, resp, body, http.StatusNoContent)
		if audits() != before {
			t.Error("a poll was audited")
		}

		// Polls alone do not keep the session alive: 6 + 6 minutes of
		// polling pass the 10-minute idle timeout.
		e.clk.Add(6 * time.Minute)
		resp, body = e.get(poll)
		wantStatus(t, resp, body, http.StatusNoContent)
		e.clk.Add(6 * time.Minute)
		resp, body = e.get(poll)
		wantStatus(t, resp, body, http.StatusUnauthorized)
		if e.signedIn() {
			t.Fatal("polling the board kept an idle session alive")
		}
		e.signIn(e.f.Users[mash.RoleScreener].Email)

		// A change to a contact moves the token: Amber gives the late
		// contact a longer clock, so nothing is overdue now.
		resp, body = e.get("/board")
		wantStatus(t, resp, body, http.StatusOK)
		poll = "/board/changes?since=" + regexp.MustCompile(`since=([0-9a-f]+)`).FindStringSubmatch(body)[1]
		resp, body = e.get(poll)
		wantStatus(t, resp, body, http.StatusNoContent)
		if _, err := db.Rate(t.Context(), e.f.Actor(mash.RoleScreener), h.late.ID, "amber", "Reviewed the police log", h.late.Version); err != nil {
			t.Fatal(err)
		}
		resp, body = e.do("GET", poll, nil, "HX-Request", "true", "HX-Current-URL", e.srv.URL+"/board?rag=red")
		wantStatus(t, resp, body, 286, "The board has changed since it was loaded: 3 open, 0 overdue now.",
			`href="/board?rag=red">Refresh the board</a>`)
		if strings.Contains(body, "Ursula") || strings.Contains(body, h.urgent.Reference) {
			t.Errorf("the banner names a contact:\n%s", body)
		}
		// Somewhere else than the board: back to the plain board.
		resp, body = e.do("GET", poll, nil, "HX-Current-URL", "https://elsewhere.example/board/../admin")
		wantStatus(t, resp, body, 286, `href="/board">Refresh the board</a>`)

		resp, body = e.get("/board/changes")
		wantStatus(t, resp, body, http.StatusBadRequest, "since")

		// Roles without the board get no fingerprint of it.
		for _, u := range []mash.User{e.f.Users[mash.RoleReferrer], e.f.PoliceResearcher, e.f.Users[mash.RoleAnalyst]} {
			e.signIn(u.Email)
			resp, body = e.get(poll)
			wantStatus(t, resp, body, http.StatusForbidden)
		}
	})
}
