package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/jobs"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestContactPagePatternAlerts: the contact page warns of a pattern alert,
// linking the triggering contacts the reader may open and counting the
// rest; a screener acknowledges it there with a note.
func TestContactPagePatternAlerts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		ctx := t.Context()
		var cs []*mash.Contact
		for _, ago := range []time.Duration{60 * 24 * time.Hour, 30 * 24 * time.Hour, time.Hour} {
			c := storetest.NewContact(e.clk.Now().Add(-ago))
			c.Concerns = []string{"16A"}
			if _, err := db.CreateContact(ctx, e.f.Actor(mash.RoleReferrer), c, ""); err != nil {
				t.Fatal(err)
			}
			cs = append(cs, c)
		}
		e.clk.Add(store.IntakePatternsAfter)
		r := &jobs.Runner{Queue: db, Owner: "test"}
		for {
			n, err := r.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		// Passed to the early help team, which may open only this one.
		got, err := db.Screen(ctx, e.f.Actor(mash.RoleScreener), cs[2].ID, mash.Screening{Decision: mash.ScreenAccept, RAG: "amber",
			ThresholdLevel: 2, Reason: "Repeated neglect concerns", Version: cs[2].Version})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Decide(ctx, e.f.Actor(mash.RoleManager), cs[2].ID, &mash.Decision{ThresholdLevel: 2,
			Outcomes: []mash.Outcome{mash.OutcomeEarlyHelp}, Rationale: "Early help", ReceivingAgencyID: e.f.EarlyHelp.ID, Version: got.Version}); err != nil {
			t.Fatal(err)
		}

		e.signIn(e.f.Users[mash.RoleScreener].Email)
		page := "/contacts/" + cs[2].ID
		resp, body := e.get(page)
		wantStatus(t, resp, body, http.StatusOK, "Pattern alert", "Three or more contacts in 90 days", "3 contacts in 60 days",
			`href="/contacts/`+cs[0].ID+`"`, `href="/contacts/`+cs[1].ID+`"`, cs[2].Reference+" (this contact)", "Acknowledge")
		list, err := db.ContactAlerts(ctx, e.f.Actor(mash.RoleScreener), cs[2].ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("alerts: %+v %v", list, err)
		}
		action := page + "/alerts/" + list[0].ID + "/acknowledge"
		resp, body = e.do("POST", action, url.Values{"note": {"ok"}})
		wantStatus(t, resp, body, http.StatusBadRequest, "The acknowledgement needs a note", `id="ack-`+list[0].ID+`-note"`)
		resp, body = e.do("POST", action, url.Values{"note": {"Seen; covered by the early help plan"}})
		wantStatus(t, resp, body, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != page+"?done=acknowledged#pattern-alerts" {
			t.Fatalf("redirected to %q", loc)
		}
		resp, body = e.get(page + "?done=acknowledged")
		wantStatus(t, resp, body, http.StatusOK, "The pattern alert was acknowledged.", "Acknowledged pattern alerts (1)",
			"Seen; covered by the early help plan", "Test Screener")

		// The early help worker sees this contact's reference and a count.
		e.signIn(e.f.Users[mash.RoleReceiver].Email)
		resp, body = e.get(page)
		wantStatus(t, resp, body, http.StatusOK, "3 contacts in 60 days: "+cs[2].Reference+" and 2 others you may not open")
		for _, not := range []string{cs[0].Reference, cs[1].Reference, cs[0].ID, "Acknowledge</button>"} {
			if strings.Contains(body, not) {
				t.Fatalf("the receiver's page shows %q", not)
			}
		}
		// The referrer sees no alerts.
		e.signIn(e.f.Users[mash.RoleReferrer].Email)
		resp, body = e.get(page)
		wantStatus(t, resp, body, http.StatusOK, cs[2].Reference)
		if strings.Contains(body, "pattern") || strings.Contains(body, "Pattern") {
			t.Fatal("the referrer's page shows pattern alerts")
		}
		resp, body = e.do("POST", action, url.Values{"note": {"Seen and considered"}})
		wantStatus(t, resp, body, http.StatusForbidden)
	})
}
