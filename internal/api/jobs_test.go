package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/jobs"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestNotificationsAndJobs: a Red contact left past its deadline shows up as
// a breach notification for the manager (reference and link only), which
// they can mark read; admins see the jobs that ran; the breach is listed
// until a manager gives its reason.
func TestNotificationsAndJobs(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.create("referrer", nil)
		e.screen(c.ID, "red", c.Version)
		e.clk.Set(base.Add(4 * time.Hour))
		r := &jobs.Runner{Queue: db, Owner: "test"}
		for {
			n, err := r.RunOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}

		res := e.do("GET", "/notifications", "manager", nil)
		wantStatus(t, res, http.StatusOK)
		var ns mash.Notifications
		res.decode(t, &ns)
		if ns.Unread == 0 || len(ns.Items) != ns.Unread || ns.Items[0].Kind != "contact.breach" ||
			ns.Items[0].Reference != c.Reference || ns.Items[0].Link != "/contacts/"+c.ID {
			t.Fatalf("manager's notifications: %+v", ns)
		}
		if strings.Contains(string(res.Body), "Kayleigh") {
			t.Fatalf("a notification holds case details: %s", res.Body)
		}
		id := ns.Items[0].ID
		wantProblem(t, e.do("POST", "/notifications/"+id+"/read", "screener", nil), http.StatusNotFound)
		res = e.do("POST", "/notifications/"+id+"/read", "manager", nil)
		wantStatus(t, res, http.StatusOK)
		var n mash.Notification
		res.decode(t, &n)
		if n.ReadAt == nil {
			t.Fatalf("marked read: %+v", n)
		}
		res = e.do("GET", "/notifications", "manager", nil)
		var after mash.Notifications
		res.decode(t, &after)
		if after.Unread != ns.Unread-1 {
			t.Fatalf("unread %d → %d", ns.Unread, after.Unread)
		}

		res = e.do("GET", "/jobs?state=done&kind=contact.breach", "admin", nil)
		wantStatus(t, res, http.StatusOK)
		var list []mash.Job
		res.decode(t, &list)
		if len(list) == 0 || list[0].State != mash.JobDone || list[0].LeaseOwner != "test" {
			t.Fatalf("done breach jobs: %+v", list)
		}
		wantProblem(t, e.do("GET", "/jobs?state=stuck", "admin", nil), http.StatusUnprocessableEntity)

		res = e.do("GET", "/breaches?unexplained=true", "analyst", nil)
		wantStatus(t, res, http.StatusOK)
		var breaches []mash.Breach
		res.decode(t, &breaches)
		if len(breaches) != 1 || breaches[0].ContactID != c.ID || breaches[0].RAG != "red" {
			t.Fatalf("breaches: %+v", breaches)
		}
		res = e.do("POST", "/breaches/"+breaches[0].ID+"/reason", "manager", map[string]string{"reason": "Police checks held up by a system outage"})
		wantStatus(t, res, http.StatusOK)
		wantProblem(t, e.do("POST", "/breaches/"+breaches[0].ID+"/reason", "manager", map[string]string{"reason": "Another reason given later"}), http.StatusConflict)
		res = e.do("GET", "/breaches?unexplained=true", "manager", nil)
		res.decode(t, &breaches)
		if len(breaches) != 0 {
			t.Fatalf("unexplained breaches after the reason: %+v", breaches)
		}
	})
}
