package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	"openmash.org/mash/internal/notify/notifytest"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// caseDetails are words of the fixture contact and request that no email or
// webhook may carry: names, address, NHS number, narrative, the question.
var caseDetails = []string{"Kayleigh", "Smith", "Dawn", "Church Road", "LS1 4AP", "9434765919", "hungry", "shouting",
	"Hillside", "Any call-outs", "Teacher"}

func useMail(db *store.DB, srv *notifytest.Server) {
	db.SetChannels(store.Channels{Mail: &notify.Mailer{Addr: srv.Addr, From: "OpenMASH <mash@hub.example>", Timeout: 5 * time.Second},
		PublicURL: "https://mash.example/"})
}

// requestedContact makes a screened amber contact with an open police request.
func requestedContact(t *testing.T, db *store.DB, f *storetest.Fixture, now time.Time) (*mash.Contact, *mash.InfoRequest) {
	t.Helper()
	ctx := context.Background()
	c := storetest.NewContact(now)
	if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), c, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Screen(ctx, f.Actor(mash.RoleScreener), c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: "amber",
		ThresholdLevel: 3, Reason: "Neglect indicators", Version: c.Version}); err != nil {
		t.Fatal(err)
	}
	req, err := db.CreateRequest(ctx, f.Actor(mash.RoleScreener), c.ID, mash.NewRequest{AgencyID: f.Police.ID, Question: "Any call-outs?"})
	if err != nil {
		t.Fatal(err)
	}
	return c, req
}

// TestEmailAlerts: every in-app notification is emailed once, through a
// real SMTP server, to its user; the email holds the kind of alert, the
// reference and the link, and no case details.
func TestEmailAlerts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := notifytest.Start(t, notifytest.Options{})
		useMail(db, srv)
		f, clock, r := alertsFixture(t, db)
		c, req := requestedContact(t, db, f, clock.Now())
		clock.Set(req.DueAt.Add(time.Minute))
		drain(t, r)
		// Two reminders and the overdue alert to police, the overdue alert
		// to the manager, and the referrer's acknowledgement.
		n := countRows(t, db, `SELECT count(*) FROM notifications`)
		if n < 5 {
			t.Fatalf("%d notifications", n)
		}
		if got := countRows(t, db, `SELECT count(DISTINCT notification_id) FROM email_sends`); got != n {
			t.Errorf("%d emails recorded for %d notifications", got, n)
		}
		mails := srv.Mails()
		if len(mails) != n {
			t.Fatalf("%d emails delivered for %d notifications", len(mails), n)
		}
		want := map[string]int{} // recipient → notifications
		rows, err := db.SQL().Query(`SELECT u.email FROM notifications n JOIN users u ON u.id = n.user_id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var e string
			rows.Scan(&e)
			want[e]++
		}
		rows.Close()
		got := map[string]int{}
		for _, m := range mails {
			got[m.To[0]]++
			text := string(m.Data)
			if !strings.Contains(text, c.Reference) || !strings.Contains(text, "https://mash.example/contacts/"+c.ID) {
				t.Errorf("email lacks the reference or link:\n%s", text)
			}
			for _, w := range caseDetails {
				if strings.Contains(text, w) {
					t.Errorf("email holds case detail %q:\n%s", w, text)
				}
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("emails per recipient %v, notifications per user %v", got, want)
		}
		if got["police@police.example"] != 3 || got["manager@hub.example"] < 1 {
			t.Errorf("recipients: %v", got)
		}
		// Running again sends nothing more.
		clock.Add(time.Hour)
		drain(t, r)
		if len(srv.Mails()) != n {
			t.Errorf("a second run sent %d more", len(srv.Mails())-n)
		}
	})
}

// TestEmailRetryThenFail: a server that refuses for now (451) is retried
// with backoff, then the job fails with the reason for admins to see; a
// permanent refusal (550) fails at once; no notification is lost meanwhile.
func TestEmailRetryThenFail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		srv := notifytest.Start(t, notifytest.Options{})
		useMail(db, srv)
		f, clock, r := alertsFixture(t, db)
		r.Backoff = jobs.Exponential(time.Minute, 30*time.Minute)
		_, req := requestedContact(t, db, f, clock.Now())
		srv.Fail(451, "mailbox busy, try later")
		clock.Set(mash.PointInTime(req.RequestedAt, req.DueAt, 50).Add(time.Second)) // the first reminder only
		drain(t, r)
		emails := countRows(t, db, `SELECT count(*) FROM jobs WHERE kind = 'email.send'`)
		if emails == 0 {
			t.Fatal("no email jobs")
		}
		var at []time.Time
		for range 20 {
			drain(t, r)
			if countRows(t, db, `SELECT count(*) FROM jobs WHERE kind = 'email.send' AND state = 'queued'`) == 0 {
				break
			}
			next, ok, err := db.NextJobAt(ctx)
			if err != nil || !ok {
				t.Fatalf("next job: %v %v", ok, err)
			}
			at = append(at, next)
			clock.Set(next)
		}
		failed, err := db.ListJobs(ctx, f.Actor(mash.RoleAdmin), mash.JobFilter{State: mash.JobFailed, Kind: store.JobEmail})
		if err != nil {
			t.Fatal(err)
		}
		if len(failed) != emails {
			t.Fatalf("%d of %d email jobs failed", len(failed), emails)
		}
		for _, j := range failed {
			if j.Attempts != store.DefaultMaxAttempts || !strings.Contains(j.LastError, "451") || strings.Contains(j.LastError, "@") {
				t.Errorf("failed job: attempts %d, reason %q", j.Attempts, j.LastError)
			}
		}
		if srv.Tries() != emails*store.DefaultMaxAttempts || len(srv.Mails()) != 0 {
			t.Errorf("server saw %d tries, kept %d", srv.Tries(), len(srv.Mails()))
		}
		// The retries backed off: 1, 2, 4 … minutes apart.
		for i := 1; i < len(at) && i < 4; i++ {
			if gap := at[i].Sub(at[i-1]); gap < time.Duration(1<<(i-1))*time.Minute {
				t.Errorf("retry %d came %v after the one before", i+1, gap)
			}
		}
		// The in-app notifications stand regardless.
		if countRows(t, db, `SELECT count(*) FROM notifications n JOIN jobs j ON j.key = 'email:' || n.id`) != emails {
			t.Error("notifications lost")
		}
		// 550: failed at the first attempt.
		srv.Fail(550, "no such mailbox")
		clock.Set(req.DueAt.Add(time.Minute))
		drain(t, r)
		var attempts int
		if err := db.SQL().QueryRow(`SELECT max(attempts) FROM jobs WHERE kind = 'email.send' AND state = 'failed'
			AND last_error LIKE '%550%'`).Scan(&attempts); err != nil || attempts != 1 {
			t.Errorf("550: attempts %d, %v", attempts, err)
		}
	})
}

// TestTwoInstancesBurstOnce: two instances (two store handles, separate
// pools, on one database), each with two runners polling, work through a
// burst of reminders: every reminder notifies each person once, and each
// notification is emailed once.
func TestTwoInstancesBurstOnce(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			a := storetest.Open(t, e)
			f, clock, _ := alertsFixture(t, a)
			b := secondHandle(t, e)
			b.Now = clock.Now
			srv := notifytest.Start(t, notifytest.Options{})
			useMail(a, srv)
			useMail(b, srv)
			const requests = 15
			var last time.Time
			for range requests {
				_, req := requestedContact(t, a, f, clock.Now())
				last = req.DueAt
			}
			clock.Set(last.Add(time.Minute)) // every reminder and overdue alert is due at once
			runCtx, stop := context.WithCancel(ctx)
			var wg sync.WaitGroup
			for i, db := range []*store.DB{a, b} {
				r := &jobs.Runner{Queue: db, Owner: fmt.Sprint("instance-", i), Poll: 5 * time.Millisecond, Batch: 4}
				wg.Go(func() { r.RunN(runCtx, 2) })
			}
			deadline := time.Now().Add(90 * time.Second)
			for countRows(t, a, `SELECT count(*) FROM jobs WHERE state <> 'done' AND run_at <= $1`, clock.Now()) > 0 {
				if time.Now().After(deadline) {
					left, _ := a.ListJobs(ctx, f.Actor(mash.RoleAdmin), mash.JobFilter{State: mash.JobQueued})
					t.Fatalf("jobs not done: %d left: %+v", countRows(t, a, `SELECT count(*) FROM jobs WHERE state <> 'done'`), left)
				}
				time.Sleep(20 * time.Millisecond)
			}
			stop()
			wg.Wait()
			// Police: two reminders and the overdue alert per request.
			if got := countRows(t, a, `SELECT count(*) FROM notifications WHERE user_id = $1`, f.PoliceResearcher.ID); got != 3*requests {
				t.Errorf("police researcher got %d notifications, want %d", got, 3*requests)
			}
			if got := countRows(t, a, `SELECT count(*) FROM (SELECT job_id, user_id FROM notifications GROUP BY job_id, user_id HAVING count(*) > 1) d`); got != 0 {
				t.Errorf("%d duplicated notifications", got)
			}
			if got := countRows(t, a, `SELECT count(*) FROM request_chases`); got != 3*requests {
				t.Errorf("%d chases logged, want %d", got, 3*requests)
			}
			n := countRows(t, a, `SELECT count(*) FROM notifications`) // the alerts and the referrers' acknowledgements
			if len(srv.Mails()) != n || srv.Tries() != n {
				t.Errorf("%d emails delivered (%d offered) for %d notifications", len(srv.Mails()), srv.Tries(), n)
			}
			for i := range 2 {
				t.Logf("instance-%d ran %d email jobs", i, countRows(t, a, `SELECT count(*) FROM jobs WHERE kind = 'email.send' AND lease_owner = $1`,
					fmt.Sprint("instance-", i)))
			}
		})
	}
}

// receiver is a partner system's webhook endpoint: it verifies each
// delivery with its copy of the secret and answers from a script.
type receiver struct {
	mu      sync.Mutex
	secret  string
	answers []int // status per delivery; 200 once run out
	got     []delivery
}

type delivery struct {
	body     []byte
	eventID  string
	verified error
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.got = append(rc.got, delivery{b, r.Header.Get(notify.EventIDHeader),
		notify.Verify(rc.secret, r.Header.Get(notify.SignatureHeader), b, 5*time.Minute)})
	status := 200
	if len(rc.answers) > 0 {
		status, rc.answers = rc.answers[0], rc.answers[1:]
	}
	w.WriteHeader(status)
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

// TestWebhookDelivery: a registered endpoint gets signed events for the
// kinds it subscribes to; a 500 is retried, and the log shows both
// attempts; the body holds no personal data; a wrong secret does not verify.
func TestWebhookDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clock, r := alertsFixture(t, db)
		rc := &receiver{answers: []int{500}}
		hs := httptest.NewServer(rc)
		defer hs.Close()
		admin := f.Actor(mash.RoleAdmin)
		hook, err := db.CreateWebhook(ctx, admin, mash.NewWebhook{URL: hs.URL + "/mash", Events: []string{"contact.created", "contact.breach"},
			Description: "Police case system"})
		if err != nil {
			t.Fatal(err)
		}
		rc.secret = hook.Secret
		if !strings.HasPrefix(hook.Secret, "whsec_") || len(hook.Secret) != 6+64 {
			t.Fatalf("secret %q", hook.Secret)
		}
		c := storetest.NewContact(clock.Now())
		if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), c, ""); err != nil {
			t.Fatal(err)
		}
		drain(t, r)
		if got := rc.deliveries(); len(got) != 1 {
			t.Fatalf("%d deliveries after the first attempt", len(got))
		}
		j, err := db.ListJobs(ctx, admin, mash.JobFilter{Kind: store.JobWebhook})
		if err != nil || len(j) != 1 || j[0].State != mash.JobQueued || !strings.Contains(j[0].LastError, "500") {
			t.Fatalf("job after a 500: %+v %v", j, err)
		}
		clock.Set(j[0].RunAt)
		drain(t, r)
		got := rc.deliveries()
		if len(got) != 2 {
			t.Fatalf("%d deliveries, want 2", len(got))
		}
		for i, d := range got {
			if d.verified != nil {
				t.Errorf("delivery %d does not verify: %v", i+1, d.verified)
			}
			if err := notify.Verify("whsec_someone-elses-secret-000000", string(sigOf(t, hook.Secret, d.body)), d.body, time.Minute); !errors.Is(err, notify.ErrSignature) {
				t.Errorf("a wrong secret: %v", err)
			}
		}
		if string(got[0].body) != string(got[1].body) || got[0].eventID != got[1].eventID {
			t.Error("a retry changed the event")
		}
		var ev mash.WebhookEvent
		if err := json.Unmarshal(got[1].body, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Kind != "contact.created" || ev.ContactID != c.ID || ev.Reference != c.Reference || ev.ID != got[1].eventID || ev.OccurredAt.IsZero() {
			t.Errorf("event %+v", ev)
		}
		for _, w := range caseDetails {
			if strings.Contains(string(got[1].body), w) {
				t.Errorf("event holds %q: %s", w, got[1].body)
			}
		}
		log, err := db.WebhookDeliveries(ctx, admin, hook.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 2 || log[0].Attempt != 2 || !log[0].OK || log[0].StatusCode != 200 ||
			log[1].Attempt != 1 || log[1].OK || log[1].StatusCode != 500 || !strings.Contains(log[1].Error, "500") || log[1].EventID != ev.ID {
			t.Errorf("delivery log: %+v", log)
		}
		if n := countRows(t, db, `SELECT count(*) FROM jobs WHERE kind = 'webhook.deliver' AND state = 'done'`); n != 1 {
			t.Errorf("%d delivery jobs done, want 1", n)
		}
		// The contact breaches: a contact.breach event. (Its approaching
		// alert is not subscribed to: no delivery.)
		clock.Set(c.DueAt.Add(time.Minute))
		drain(t, r)
		kinds := map[string]int{}
		for _, d := range rc.deliveries() {
			var e mash.WebhookEvent
			json.Unmarshal(d.body, &e)
			kinds[e.Kind]++
		}
		if kinds["contact.breach"] != 1 || len(kinds) != 2 {
			t.Errorf("events delivered: %v", kinds)
		}
		// Deleted: no more deliveries, the log stays.
		if err := db.DeleteWebhook(ctx, admin, hook.ID); err != nil {
			t.Fatal(err)
		}
		before := len(rc.deliveries())
		c2 := storetest.NewContact(clock.Now())
		if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), c2, ""); err != nil {
			t.Fatal(err)
		}
		drain(t, r)
		if len(rc.deliveries()) != before {
			t.Error("a deleted endpoint got a delivery")
		}
		if log, err := db.WebhookDeliveries(ctx, admin, hook.ID, 0); err != nil || len(log) != 3 {
			t.Errorf("log after deletion: %d rows, %v", len(log), err)
		}
	})
}

func sigOf(t *testing.T, secret string, body []byte) string {
	t.Helper()
	return notify.Sign(secret, body, time.Now())
}

// TestWebhookRegistration: only admins manage endpoints; bad input is
// refused field by field and stores nothing; secrets are never listed;
// creating and deleting are audited.
func TestWebhookRegistration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, _, _ := alertsFixture(t, db)
		admin := f.Actor(mash.RoleAdmin)
		good := mash.NewWebhook{URL: "https://partner.example/mash", Events: []string{"contact.decided", "feedback.sent"}}
		for _, role := range []mash.Role{mash.RoleManager, mash.RoleScreener, mash.RoleReferrer, mash.RoleAuditor, mash.RoleResearcher} {
			if _, err := db.CreateWebhook(ctx, f.Actor(role), good); mash.KindOf(err) != mash.KindForbidden {
				t.Errorf("%s create: %v", role, err)
			}
			if _, err := db.ListWebhooks(ctx, f.Actor(role)); mash.KindOf(err) != mash.KindForbidden {
				t.Errorf("%s list: %v", role, err)
			}
		}
		bad := map[string]mash.NewWebhook{
			"url":       {URL: "http://partner.example/mash", Events: good.Events},
			"events":    {URL: good.URL},
			"events[1]": {URL: good.URL, Events: []string{"contact.created", "contact.read"}},
			"secret":    {URL: good.URL, Events: good.Events, Secret: "short"},
		}
		for _, u := range []string{"ftp://partner.example/", "https://user:pw@partner.example/", "/relative", "https://partner.example/#x", "http://10.0.0.1/"} {
			bad["url "+u] = mash.NewWebhook{URL: u, Events: good.Events}
		}
		for name, in := range bad {
			_, err := db.CreateWebhook(ctx, admin, in)
			var me *mash.Error
			field, _, _ := strings.Cut(name, " ")
			if !errors.As(err, &me) || me.Kind != mash.KindInvalid || me.Fields[field] == "" {
				t.Errorf("%s: %v", name, err)
			}
		}
		if n := countRows(t, db, `SELECT count(*) FROM webhooks`); n != 0 {
			t.Fatalf("%d webhooks stored by refused requests", n)
		}
		for _, u := range []string{"http://127.0.0.1:9/x", "http://localhost/x", "http://[::1]:8080/"} {
			if _, err := db.CreateWebhook(ctx, admin, mash.NewWebhook{URL: u, Events: good.Events, Secret: "a-partner-chosen-secret-of-32-chars"}); err != nil {
				t.Errorf("%s: %v", u, err)
			}
		}
		w, err := db.CreateWebhook(ctx, admin, good)
		if err != nil {
			t.Fatal(err)
		}
		list, err := db.ListWebhooks(ctx, admin)
		if err != nil || len(list) != 4 {
			t.Fatalf("list: %d, %v", len(list), err)
		}
		for _, l := range list {
			if l.Secret != "" {
				t.Error("a secret was listed")
			}
		}
		if _, err := db.WebhookDeliveries(ctx, f.Actor(mash.RoleManager), w.ID, 0); mash.KindOf(err) != mash.KindForbidden {
			t.Errorf("manager reads deliveries: %v", err)
		}
		if err := db.DeleteWebhook(ctx, f.Actor(mash.RoleManager), w.ID); mash.KindOf(err) != mash.KindForbidden {
			t.Errorf("manager deletes: %v", err)
		}
		if err := db.DeleteWebhook(ctx, admin, w.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteWebhook(ctx, admin, w.ID); mash.KindOf(err) != mash.KindNotFound {
			t.Errorf("second delete: %v", err)
		}
		if _, err := db.WebhookDeliveries(ctx, admin, "no-such-id", 0); mash.KindOf(err) != mash.KindNotFound {
			t.Errorf("unknown webhook's log: %v", err)
		}
		if got := countRows(t, db, `SELECT count(*) FROM audit_events WHERE action IN ('webhook.create', 'webhook.delete')`); got != 5 {
			t.Errorf("%d audit events, want 5", got)
		}
	})
}

// TestWebhookMilestones: the decision and the feedback raise contact.decided
// and feedback.sent, once each, to an endpoint subscribed to them (and
// nothing else it did not ask for).
func TestWebhookMilestones(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clock, r := alertsFixture(t, db)
		rc := &receiver{}
		hs := httptest.NewServer(rc)
		defer hs.Close()
		hook, err := db.CreateWebhook(ctx, f.Actor(mash.RoleAdmin), mash.NewWebhook{URL: hs.URL,
			Events: []string{"contact.decided", "feedback.sent", "contact.decided"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(hook.Events) != 2 {
			t.Errorf("events not deduplicated: %v", hook.Events)
		}
		rc.secret = hook.Secret
		c := storetest.NewContact(clock.Now())
		if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), c, ""); err != nil {
			t.Fatal(err)
		}
		got, err := db.Screen(ctx, f.Actor(mash.RoleScreener), c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: "amber",
			ThresholdLevel: 3, Reason: "Neglect indicators", Version: c.Version})
		if err != nil {
			t.Fatal(err)
		}
		if got, err = db.Decide(ctx, f.Actor(mash.RoleManager), c.ID, &mash.Decision{ThresholdLevel: 3,
			Outcomes: []mash.Outcome{mash.OutcomeEarlyHelp}, Rationale: "Kayleigh needs early help", Version: got.Version}); err != nil {
			t.Fatal(err)
		}
		if _, err = db.SendFeedback(ctx, f.Actor(mash.RoleScreener), c.ID, "Early help has been offered", got.Version); err != nil {
			t.Fatal(err)
		}
		drain(t, r)
		kinds := map[string]int{}
		for _, d := range rc.deliveries() {
			var e mash.WebhookEvent
			if err := json.Unmarshal(d.body, &e); err != nil || d.verified != nil {
				t.Fatalf("delivery %s: %v %v", d.body, err, d.verified)
			}
			if e.ContactID != c.ID || e.Reference != c.Reference {
				t.Errorf("event %+v", e)
			}
			for _, w := range caseDetails {
				if strings.Contains(string(d.body), w) {
					t.Errorf("event holds %q: %s", w, d.body)
				}
			}
			kinds[e.Kind]++
		}
		if kinds["contact.decided"] != 1 || kinds["feedback.sent"] != 1 || len(kinds) != 2 {
			t.Errorf("events: %v", kinds)
		}
	})
}
