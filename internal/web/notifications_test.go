package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestNotificationsPage: a chase tells the asked agency's researcher, who
// sees the unread count in the navigation and the message on their
// notifications page; opening it marks it read and goes to the request. No
// one else sees it or can open it.
func TestNotificationsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		e.signIn(e.f.Users[mash.RoleScreener].Email)
		h := e.seed()
		qs, err := db.ListRequests(t.Context(), e.f.Actor(mash.RoleScreener), mash.RequestFilter{ContactID: h.late.ID})
		if err != nil || len(qs) != 1 {
			t.Fatalf("the late contact's requests: %+v %v", qs, err)
		}
		if resp, _ := e.do("POST", "/contacts/"+h.late.ID+"/requests/"+qs[0].ID+"/chase", url.Values{}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("chase: %s", resp.Status)
		}

		e.signIn(e.f.HealthResearcher.Email)
		resp, body := e.get("/notifications")
		wantStatus(t, resp, body, http.StatusOK, "Notifications (1 unread)", "<strong>1</strong> unread", h.late.Reference, "Unread")
		n, err := db.Notifications(t.Context(), storetest.ActorOf(e.f.HealthResearcher), 10)
		if err != nil || len(n.Items) != 1 {
			t.Fatalf("notifications: %+v %v", n, err)
		}
		id := n.Items[0].ID

		// Someone else's notification is not found, and stays unread.
		e.signIn(e.f.PoliceResearcher.Email)
		resp, body = e.get("/notifications")
		wantStatus(t, resp, body, http.StatusOK, "You have no notifications.")
		if strings.Contains(body, h.late.Reference) || strings.Contains(body, "unread)") {
			t.Fatalf("another agency's researcher sees the notification:\n%s", body)
		}
		resp, body = e.do("POST", "/notifications/"+id+"/open", url.Values{})
		wantStatus(t, resp, body, http.StatusNotFound)

		e.signIn(e.f.HealthResearcher.Email)
		resp, _ = e.do("POST", "/notifications/"+id+"/open", url.Values{})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/inbox/"+qs[0].ID {
			t.Fatalf("open: %s %q", resp.Status, resp.Header.Get("Location"))
		}
		resp, body = e.get("/notifications")
		wantStatus(t, resp, body, http.StatusOK, "Nothing unread.")
		if strings.Contains(body, "unread)") || strings.Contains(body, "govuk-tag--blue\">Unread") {
			t.Fatalf("the opened notification is still unread:\n%s", body)
		}
	})
}

// TestBoardDeadlineClose: a contact past the share of its clock at which
// the manager is alerted is marked on the board; one early in its clock,
// and one already overdue, are not.
func TestBoardDeadlineClose(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		e.signIn(e.f.Users[mash.RoleScreener].Email)
		e.seed() // Red contacts an hour old (on time) and ten hours old (overdue)
		if _, body := e.get("/board"); strings.Contains(body, "Deadline close") {
			t.Fatal("a contact with most of its time left is marked close to its deadline")
		}
		c := storetest.NewContact(e.clk.Now().Add(-3*time.Hour - 30*time.Minute)) // Red: 4 hours, so 7/8 gone
		scr := e.f.Actor(mash.RoleScreener)
		if _, err := db.CreateContact(t.Context(), scr, c, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Screen(t.Context(), scr, c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: "red", ThresholdLevel: 3,
			Reason: "Injury seen at school", Version: c.Version}); err != nil {
			t.Fatal(err)
		}
		resp, body := e.get("/board")
		wantStatus(t, resp, body, http.StatusOK, "Deadline close")
		if strings.Count(body, "Deadline close") != 1 {
			t.Fatalf("%d contacts marked close to the deadline, want 1", strings.Count(body, "Deadline close"))
		}
	})
}
