package web_test

import (
	"encoding/csv"
	"html"
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

// dashSeed adds known demand to the seeded queue: six children's and two
// adults' contacts in February 2026 (the clock is 10 March 2026), so
// contacts by cohort from 1 February to 31 March is 9 children (with
// seed's three today) and 2 adults.
func (e *env) dashSeed() {
	e.t.Helper()
	e.seed()
	scr := e.f.Actor(mash.RoleScreener)
	feb := time.Date(2026, 2, 2, 10, 0, 0, 0, time.UTC)
	for i := range 8 {
		c := storetest.NewContact(feb.Add(time.Duration(i) * 49 * time.Hour))
		c.Subjects = c.Subjects[:1]
		c.Subjects[0].NHSNumber = ""
		if i >= 6 {
			c.Cohort, c.Concerns = mash.CohortAdult, []string{"physical"}
			c.Subjects[0].DOB = "1950-05-05"
		}
		if _, err := e.db.CreateContact(e.t.Context(), scr, c, ""); err != nil {
			e.t.Fatal(err)
		}
	}
}

func TestDashboards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		e.dashSeed()
		e.signIn("manager@hub.example")

		resp, body := e.get("/")
		wantStatus(t, resp, body, http.StatusOK, `href="/dashboards"`)
		resp, body = e.get("/dashboards")
		wantStatus(t, resp, body, http.StatusOK, `href="/dashboards/today"`, `href="/dashboards/trends"`, `href="/dashboards/measures"`,
			`action="/reports/monthly.pdf"`, `<option value="2026-02" selected>February 2026</option>`, `aria-current="page"`)

		// One measure with known answers: the chart and the table beside it.
		resp, body = e.get("/dashboards/measures?measure=contacts_by_cohort&from=2026-02-01&to=2026-03-31")
		wantStatus(t, resp, body, http.StatusOK, "<h1 class=\"govuk-heading-l\">All measures</h1>", `<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" role="img"`,
			"<title id=", "<desc id=", "Child 9, Adult 2.",
			`<th scope="row" class="govuk-table__header">Child</th>
<td class="govuk-table__cell govuk-table__cell--numeric">9</td>`,
			`<th scope="row" class="govuk-table__header">Adult</th>
<td class="govuk-table__cell govuk-table__cell--numeric">2</td>`,
			`href="/dashboards/measures/contacts_by_cohort.csv?from=2026-02-01&amp;to=2026-03-31"`, `value="2026-02-01"`)
		// By month: a bar per cohort becomes a line per cohort.
		resp, body = e.get("/dashboards/measures?measure=contacts_by_cohort&from=2026-02-01&to=2026-03-31&period=month&cohort=child")
		wantStatus(t, resp, body, http.StatusOK, "<polyline", "Feb 2026", "Mar 2026", "Child 3</text>", "children only")
		if strings.Contains(body, ">Adult<") {
			t.Error("the cohort filter let adults through")
		}

		// The CSV leaves the hub: the adults' 2 is suppressed, and the
		// children's 9 with it, or the total would give the 2 back.
		resp, body = e.get("/dashboards/measures/contacts_by_cohort.csv?from=2026-02-01&to=2026-03-31")
		wantStatus(t, resp, body, http.StatusOK)
		if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), `filename="contacts_by_cohort_2026-02-01_2026-03-31.csv"`) {
			t.Errorf("CSV headers: %v", resp.Header)
		}
		recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range recs[1:] {
			got[r[0]] = r[len(r)-1]
		}
		if recs[0][0] != "cohort" || recs[0][len(recs[0])-1] != "contacts" || got["child"] != "[c]" || got["adult"] != "[c]" {
			t.Errorf("CSV = %q", recs)
		}

		// Today: the queue as the hub counts it, beside its chart.
		resp, body = e.get("/dashboards/today")
		if strings.Contains(body, "could not be computed") {
			t.Fatalf("a measure failed: %s", e.logs.String())
		}
		wantStatus(t, resp, body, http.StatusOK, "Waiting for screening or a decision", "Open contacts by state", "Decisions today",
			"Missed deadlines this week", "Partner agencies&#39; returns outstanding", "/dashboards/measures/queue_by_rag.csv?")
		q, err := db.Measure(t.Context(), e.f.Actor(mash.RoleManager), mash.MeasureQueueByRAG, mash.MeasureQuery{From: start.AddDate(0, 0, -1), To: start})
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range q.Rows {
			if v, ok := row.Values[0].Float(); ok && v > 0 {
				if !strings.Contains(body, `numeric">`+row.Values[0].String()+"</td>") {
					t.Errorf("today lacks the queue's %s: %s", row.Labels[0], row.Values[0].String())
				}
			}
		}
		if !strings.Contains(body, ">Red</th>") {
			t.Error("today's queue has no Red row")
		}

		// Every table on the page downloads, as its link says.
		links := regexp.MustCompile(`href="(/dashboards/measures/[a-z_]+\.csv\?[^"]+)"`).FindAllStringSubmatch(body, -1)
		if len(links) != 5 {
			t.Errorf("today: %d CSV links, want one per table (5)", len(links))
		}
		for _, l := range links {
			resp, csvBody := e.get(html.UnescapeString(l[1]))
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.Contains(csvBody, ",") {
				t.Errorf("%s: %s %q", l[1], resp.Status, csvBody)
			}
		}

		resp, body = e.get("/dashboards/trends")
		wantStatus(t, resp, body, http.StatusOK, "Demand: contacts per month", "Conversion", "Timeliness", "Re-referrals", "Apr 2025")
		if n := strings.Count(body, `role="img"`); n != 4 {
			t.Errorf("trends: %d charts, want 4", n)
		}

		resp, body = e.get("/reports/monthly.pdf?month=2026-02")
		wantStatus(t, resp, body, http.StatusOK)
		if !strings.HasPrefix(body, "%PDF-") || resp.Header.Get("Content-Type") != "application/pdf" {
			t.Errorf("monthly report: %s %.20q", resp.Header.Get("Content-Type"), body)
		}
	})
}

// TestDashboardsAnalyst: an analyst has the trends and every measure, only
// as aggregates: no subject's name anywhere; today's queue is the managers'.
func TestDashboardsAnalyst(t *testing.T) {
	e := newEnv(t, storetest.Open(t, storetest.Engines(t)[0]), nil)
	e.dashSeed()
	e.signIn("analyst@hub.example")
	resp, body := e.get("/dashboards")
	wantStatus(t, resp, body, http.StatusOK, `href="/dashboards/trends"`)
	if strings.Contains(body, `href="/dashboards/today"`) {
		t.Error("the analyst is offered today's queue")
	}
	resp, body = e.get("/dashboards/today")
	wantStatus(t, resp, body, http.StatusForbidden)
	for _, path := range []string{"/dashboards/trends", "/dashboards/measures", "/dashboards/measures?measure=workload_by_state",
		"/dashboards/measures?measure=contacts_by_source&period=week&from=2026-02-01&to=2026-03-10"} {
		resp, body := e.get(path)
		wantStatus(t, resp, body, http.StatusOK)
		for _, name := range []string{"Ursula", "Lara", "Olive", "Kayleigh", "Smith", "MASH-2026"} {
			if strings.Contains(body, name) {
				t.Errorf("%s shows %q to an analyst", path, name)
			}
		}
	}
}

// TestDashboardsRefused: those who may not read measures get no link and
// a refusal on every dashboard address, the downloads included.
func TestDashboardsRefused(t *testing.T) {
	e := newEnv(t, storetest.Open(t, storetest.Engines(t)[0]), nil)
	e.seed()
	for _, who := range []string{"teacher@schools.example", "police@police.example", "screener@hub.example", "auditor@hub.example"} {
		if _, ok := userByEmail(e, who); !ok {
			t.Fatalf("no fixture user %s", who)
		}
		e.signIn(who)
		_, body := e.get("/")
		if strings.Contains(body, `href="/dashboards"`) {
			t.Errorf("%s is offered the dashboards", who)
		}
		for _, path := range []string{"/dashboards", "/dashboards/today", "/dashboards/trends", "/dashboards/measures?measure=funnel",
			"/dashboards/measures/funnel.csv?from=2026-01-01&to=2026-03-01", "/reports/monthly.pdf?month=2026-02"} {
			resp, body := e.get(path)
			if resp.StatusCode != http.StatusForbidden || strings.Contains(body, "<svg") || strings.HasPrefix(body, "%PDF") ||
				strings.Contains(resp.Header.Get("Content-Type"), "csv") {
				t.Errorf("%s %s: %s", who, path, resp.Status)
			}
		}
	}
}

func userByEmail(e *env, email string) (mash.User, bool) {
	for _, u := range e.f.Users {
		if u.Email == email {
			return u, true
		}
	}
	return mash.User{}, false
}

// TestDashboardBadInput: a bad filter gets the error summary linking to
// its field, keeps what was typed, and computes nothing.
func TestDashboardBadInput(t *testing.T) {
	e := newEnv(t, storetest.Open(t, storetest.Engines(t)[0]), nil)
	e.signIn("manager@hub.example")
	for _, tc := range []struct{ path, field, msg string }{
		{"/dashboards/measures?measure=funnel&from=2026-13-01&to=2026-03-01", "from", "Enter the start date as a real date"},
		{"/dashboards/measures?measure=funnel&from=2026-03-01&to=yesterday", "to", "Enter the end date as a real date"},
		{"/dashboards/measures?measure=funnel&from=2026-03-01&to=2026-02-01", "to", "The end date must be the same as or after the start date"},
		{"/dashboards/measures?measure=funnel&from=2026-01-01&to=2026-03-01&period=fortnight", "period", "Choose totals, or by day, week or month"},
		{"/dashboards/measures?measure=funnel&from=2024-01-01&to=2026-03-01&period=day", "period", "By day the range must be at most a year"},
		{"/dashboards/measures?measure=funnel&from=2000-01-01&to=2026-03-01", "to", "The range must be at most 10 years"},
		{"/dashboards/measures?measure=funnel&cohort=martians", "cohort", "Choose children, adults or both"},
		{"/dashboards/measures?measure=no_such_thing", "measure", "Choose a measure from the list"},
		{"/dashboards/trends?from=01/02/2026", "from", "Enter the start date as a real date"},
		{"/dashboards/today?cohort=x", "cohort", "Choose children, adults or both"},
		{"/reports/monthly.pdf?month=2026-13", "month", "Choose the month of the report"},
		{"/reports/monthly.pdf", "month", "Choose the month of the report"},
	} {
		resp, body := e.get(tc.path)
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#`+tc.field+`">`, tc.msg, `id="`+tc.field+`"`, "<title>Error: ")
		if strings.Contains(body, "<svg") {
			t.Errorf("%s: drew a chart despite the problem", tc.path)
		}
	}
	resp, body := e.get("/dashboards/measures?measure=funnel&from=2026-13-01&to=2026-03-01")
	wantStatus(t, resp, body, http.StatusBadRequest, `value="2026-13-01"`)
	resp, body = e.get("/dashboards/measures/funnel.csv?from=2026-13-01&to=2026-03-01")
	wantStatus(t, resp, body, http.StatusBadRequest, "Enter the start date as a real date")
	resp, body = e.get("/dashboards/measures/no_such_thing.csv?from=2026-01-01&to=2026-03-01")
	wantStatus(t, resp, body, http.StatusNotFound)
	// The measure's address without .csv goes to its page.
	resp, _ = e.get("/dashboards/measures/funnel?from=2026-01-01")
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "measure=funnel") {
		t.Errorf("/dashboards/measures/funnel: %s %s", resp.Status, resp.Header.Get("Location"))
	}
}

// TestStandingTrends: the trends page's default queries, for everyone,
// children and adults, are the ones StandingMeasures names, so the refresh
// job has them stored before anyone opens the page, and a new contact
// shows once the job works them out again.
func TestStandingTrends(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		e.dashSeed()
		db.Standing = web.StandingMeasures
		if n, err := db.RefreshMeasures(t.Context()); err != nil || n != 12 {
			t.Fatalf("the first refresh worked out %d results (%v); want 12: four measures, three cohorts", n, err)
		}
		at := "worked out at " + hhmm(e.clk.Now())
		e.signIn(e.f.Users[mash.RoleManager].Email)
		for _, path := range []string{"/dashboards/trends", "/dashboards/trends?cohort=child", "/dashboards/trends?cohort=adult"} {
			resp, body := e.get(path)
			wantStatus(t, resp, body, http.StatusOK)
			if n := strings.Count(body, at); n != 4 {
				t.Errorf("%s: %d of 4 panels say %q", path, n, at)
			}
		}
		// Within the refresh interval nothing is worked out again.
		if n, err := db.RefreshMeasures(t.Context()); err != nil || n != 0 {
			t.Errorf("a refresh at once worked out %d results (%v); want none", n, err)
		}
	})
}
