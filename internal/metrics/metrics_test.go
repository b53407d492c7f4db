package metrics_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/metrics"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestScrape scrapes /metrics over real HTTP: the families are there, the
// queue gauges count a contact just created (and its overdue state), and a
// request through an instrumented handler is counted.
func TestScrape(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		f := storetest.Partnership(t, db)
		m := metrics.New(db)
		srv := httptest.NewServer(m.Handler())
		defer srv.Close()
		app := httptest.NewServer(m.Instrument("api", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "teapot", http.StatusTeapot)
		})))
		defer app.Close()

		before := scrape(t, srv.URL)
		for _, fam := range []string{"mash_contacts_open", "mash_jobs", "mash_jobs_oldest_queued_seconds", "mash_store_up", "go_goroutines"} {
			if !strings.Contains(before, "# TYPE "+fam+" ") {
				t.Errorf("no family %s", fam)
			}
		}
		if v := value(t, before, `mash_contacts_open{state="received"}`); v != "0" {
			t.Errorf("received before any contact: %s", v)
		}
		c := storetest.NewContact(now.Add(-time.Hour))
		if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), c, ""); err != nil {
			t.Fatal(err)
		}
		r, err := http.Get(app.URL + "/x")
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		after := scrape(t, srv.URL)
		for want, v := range map[string]string{
			`mash_contacts_open{state="received"}`:       "1",
			`mash_queue_contacts{rag="unrated"}`:         "1",
			`mash_queue_overdue_contacts{rag="unrated"}`: "0",
			`mash_store_up`: "1",
			`mash_http_requests_total{code="418",handler="api",method="get"}`:      "1",
			`mash_http_request_duration_seconds_count{handler="api",method="get"}`: "1",
		} {
			if got := value(t, after, want); got != v {
				t.Errorf("%s = %s, want %s", want, got, v)
			}
		}
		var queued string
		if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM jobs WHERE state = 'queued'`).Scan(&queued); err != nil || queued == "0" {
			t.Fatalf("queued jobs: %s %v", queued, err)
		}
		if got := value(t, after, `mash_jobs{state="queued"}`); got != queued {
			t.Errorf("queued jobs %s, want %s", got, queued)
		}
		// A day later the contact is past its screening target.
		now = now.Add(24 * time.Hour)
		if v := value(t, scrape(t, srv.URL), `mash_queue_overdue_contacts{rag="unrated"}`); v != "1" {
			t.Errorf("overdue a day later: %s", v)
		}
		if strings.Contains(after, "Kayleigh") || strings.Contains(after, c.Reference) {
			t.Error("the metrics name a person or a contact")
		}
	})
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	r, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("scrape: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	return string(b)
}

func value(t *testing.T, body, series string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return "(absent)"
	}
	return m[1]
}
