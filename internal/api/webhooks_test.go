package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/jobs"
	"openmash.org/mash/internal/notify"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestWebhooksAPI: an admin registers an endpoint and sees its secret once;
// a new contact is delivered to it signed (a 500 first, then a 200: two
// log rows, one success); bad input is a 422 that stores nothing; other
// roles are refused; delete stops deliveries.
func TestWebhooksAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		var mu sync.Mutex
		var verified []error
		answers := []int{500}
		var secret string
		partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			verified = append(verified, notify.Verify(secret, r.Header.Get(notify.SignatureHeader), b, 5*time.Minute))
			status := 200
			if len(answers) > 0 {
				status, answers = answers[0], answers[1:]
			}
			w.WriteHeader(status)
		}))
		defer partner.Close()

		body := map[string]any{"url": partner.URL + "/events", "events": []string{"contact.created"}, "description": "Police system"}
		for _, role := range []string{"manager", "screener", "referrer", "auditor", "analyst"} {
			before := snapshot(t, db)
			wantProblem(t, e.do("POST", "/webhooks", role, body), http.StatusForbidden)
			wantProblem(t, e.do("GET", "/webhooks", role, nil), http.StatusForbidden)
			wantUnchanged(t, db, before, role+" registering a webhook")
		}
		for name, bad := range map[string]map[string]any{
			"url":       {"url": "http://partner.example/events", "events": []string{"contact.created"}},
			"events":    {"url": "https://partner.example/events"},
			"events[0]": {"url": "https://partner.example/events", "events": []string{"contact.read"}},
			"secret":    {"url": "https://partner.example/events", "events": []string{"contact.created"}, "secret": "short"},
		} {
			before := snapshot(t, db)
			wantProblem(t, e.do("POST", "/webhooks", "admin", bad), http.StatusUnprocessableEntity, name)
			wantUnchanged(t, db, before, "bad webhook "+name)
		}

		res := e.do("POST", "/webhooks", "admin", body)
		wantStatus(t, res, http.StatusCreated)
		var hook mash.Webhook
		res.decode(t, &hook)
		if hook.Secret == "" || hook.ID == "" || hook.URL != partner.URL+"/events" {
			t.Fatalf("created: %+v", hook)
		}
		secret = hook.Secret
		res = e.do("GET", "/webhooks", "admin", nil)
		wantStatus(t, res, http.StatusOK)
		if strings.Contains(string(res.Body), secret) || !strings.Contains(string(res.Body), hook.ID) {
			t.Fatalf("list shows the secret, or not the webhook: %s", res.Body)
		}

		c := e.create("referrer", nil)
		r := &jobs.Runner{Queue: db, Owner: "test"}
		run := func() {
			for {
				n, err := r.RunOnce(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					return
				}
			}
		}
		run()
		e.clk.Set(base.Add(time.Hour)) // past the retry's backoff
		run()
		res = e.do("GET", "/webhooks/"+hook.ID+"/deliveries", "admin", nil)
		wantStatus(t, res, http.StatusOK)
		var log []mash.WebhookDelivery
		res.decode(t, &log)
		if len(log) != 2 || !log[0].OK || log[0].StatusCode != 200 || log[1].OK || log[1].StatusCode != 500 {
			t.Fatalf("delivery log: %+v", log)
		}
		mu.Lock()
		if len(verified) != 2 || verified[0] != nil || verified[1] != nil {
			t.Errorf("partner's verification: %v", verified)
		}
		mu.Unlock()
		if strings.Contains(string(res.Body), c.Reference) {
			t.Error("the delivery log shows the contact's reference")
		}
		wantProblem(t, e.do("GET", "/webhooks/"+hook.ID+"/deliveries", "manager", nil), http.StatusForbidden)
		wantProblem(t, e.do("DELETE", "/webhooks/"+hook.ID, "manager", nil), http.StatusForbidden)
		wantStatus(t, e.do("DELETE", "/webhooks/"+hook.ID, "admin", nil), http.StatusNoContent)
		wantProblem(t, e.do("DELETE", "/webhooks/"+hook.ID, "admin", nil), http.StatusNotFound)
		wantProblem(t, e.do("GET", "/webhooks/nope/deliveries", "admin", nil), http.StatusNotFound)
		if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action IN ('webhook.create', 'webhook.delete')`); n != 2 {
			t.Errorf("%d audit events", n)
		}
	})
}
