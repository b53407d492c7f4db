package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// hub is a small live queue, made through the hub's own methods at the
// test clock's now:
//   - urgent: immediate risk, only received;
//   - late: Red, received 10 hours ago, so overdue by 6 hours;
//   - onTime: Red, received an hour ago, with a request to the police
//     answered with two items, one of each marking.
type hub struct {
	urgent, late, onTime *mash.Contact
}

func (e *env) seed() hub {
	e.t.Helper()
	ctx := e.t.Context()
	scr := e.f.Actor(mash.RoleScreener)
	now := e.clk.Now()
	mk := func(ago time.Duration, given, dob string, immediate bool) *mash.Contact {
		c := storetest.NewContact(now.Add(-ago))
		c.Subjects[0].GivenName, c.Subjects[0].DOB, c.Subjects[0].NHSNumber = given, dob, ""
		c.ImmediateRisk = immediate
		if _, err := e.db.CreateContact(ctx, scr, c, ""); err != nil {
			e.t.Fatal(err)
		}
		return c
	}
	accept := func(c *mash.Contact) {
		got, err := e.db.Screen(ctx, scr, c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: "red", ThresholdLevel: 3,
			Reason: "Neglect and DA indicators", Version: c.Version})
		if err != nil {
			e.t.Fatal(err)
		}
		*c = *got
	}
	h := hub{urgent: mk(30*time.Minute, "Ursula", "2011-09-17", true), late: mk(10*time.Hour, "Lara", "2019-01-30", false),
		onTime: mk(time.Hour, "Olive", "2015-04-03", false)}
	accept(h.late)
	accept(h.onTime)
	req, err := e.db.CreateRequest(ctx, scr, h.onTime.ID, mash.NewRequest{AgencyID: e.f.Police.ID, Question: "Any DA call-outs to the address?"})
	if err != nil {
		e.t.Fatal(err)
	}
	_, err = e.db.SubmitReturn(ctx, storetest.ActorOf(e.f.PoliceResearcher), req.ID, &mash.AgencyReturn{Outcome: mash.ReturnInformation,
		Items: []mash.ReturnItem{
			{Summary: "Two DA call-outs", Detail: "Attended twice in the autumn.", OccurredOn: "2026-01-10", Marking: mash.MarkingMASHOnly},
			{Summary: "Known to neighbourhood team", Marking: mash.MarkingReceivingTeam},
		}}, req.Version)
	if err != nil {
		e.t.Fatal(err)
	}
	// An open request about the late contact, past its due time.
	if _, err := e.db.CreateRequest(ctx, scr, h.late.ID, mash.NewRequest{AgencyID: e.f.Health.ID, Question: "Health visiting?"}); err != nil {
		e.t.Fatal(err)
	}
	return h
}

// before reports whether a comes before b in body (both present).
func before(t *testing.T, body, a, b string) bool {
	t.Helper()
	i, j := strings.Index(body, a), strings.Index(body, b)
	if i < 0 || j < 0 {
		t.Fatalf("body lacks %q or %q", a, b)
	}
	return i < j
}

func TestBoard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		resp, _ := e.get("/board?rag=red")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/sign-in?next=%2Fboard%3Frag%3Dred" {
			t.Fatalf("board when signed out: %s %q", resp.Status, resp.Header.Get("Location"))
		}
		// Signing in from there comes back to the board.
		resp, body := e.get(resp.Header.Get("Location"))
		wantStatus(t, resp, body, http.StatusOK, `<input type="hidden" name="next" value="/board?rag=red">`)
		e.clk.Add(30 * time.Second)
		resp, _ = e.do("POST", "/sign-in", url.Values{"email": {e.f.Users[mash.RoleScreener].Email}, "password": {e.f.Password},
			"code": {e.code()}, "next": {"/board?rag=red"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/board?rag=red" {
			t.Fatalf("sign in from the board: %s %q", resp.Status, resp.Header.Get("Location"))
		}
		// Never to another site.
		e.clk.Add(30 * time.Second)
		resp, _ = e.do("POST", "/sign-in", url.Values{"email": {e.f.Users[mash.RoleScreener].Email}, "password": {e.f.Password},
			"code": {e.code()}, "next": {"//evil.example/"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Fatalf("sign in with a foreign next: %s %q", resp.Status, resp.Header.Get("Location"))
		}
		h := e.seed()

		resp, body = e.get("/board")
		wantStatus(t, resp, body, http.StatusOK, "<title>MASH board – OpenMASH</title>",
			h.urgent.Reference, h.late.Reference, h.onTime.Reference,
			`href="/contacts/`+h.late.ID+`"`, "Overdue by 6h", "Immediate risk", "Lara Smith",
			`<a class="govuk-service-navigation__link" href="/board" aria-current="page">`, `href="/match-reviews"`,
			"<strong>3</strong> open", "<strong>1</strong> overdue", "<strong>2</strong> In MASH", "<strong>1</strong> Received",
			`Northshire Community Health: <strong class="app-overdue">Overdue</strong>`)
		if !regexp.MustCompile(`[23]h( \d+m)? left`).MatchString(body) {
			t.Fatalf("no time left shown for the on-time contact\n%s", body)
		}
		// Immediate risk first, then the nearest deadline: overdue first.
		if !before(t, body, h.urgent.Reference, h.late.Reference) || !before(t, body, h.late.Reference, h.onTime.Reference) {
			t.Fatal("board not in order: immediate risk, overdue, then on time")
		}

		// Filters, as a plain GET form.
		resp, body = e.get("/board?due=overdue")
		wantStatus(t, resp, body, http.StatusOK, h.late.Reference, "Clear filters")
		if strings.Contains(body, h.onTime.Reference) || strings.Contains(body, h.urgent.Reference) {
			t.Fatal("overdue filter shows contacts in time")
		}
		resp, body = e.get("/board?rag=red&status=in_mash")
		wantStatus(t, resp, body, http.StatusOK, h.late.Reference, h.onTime.Reference, `<option value="red" selected>`)
		if strings.Contains(body, h.urgent.Reference) {
			t.Fatal("RAG filter shows an unrated contact")
		}

		// Orders.
		resp, body = e.get("/board?sort=newest")
		wantStatus(t, resp, body, http.StatusOK, "newest first", `<option value="newest" selected>`)
		if !before(t, body, h.urgent.Reference, h.onTime.Reference) || !before(t, body, h.onTime.Reference, h.late.Reference) {
			t.Fatal("board not newest first")
		}
		resp, body = e.get("/board?sort=sideways")
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#sort">Choose an order from the list</a>`)

		// Bad filters: an error summary linking to the field.
		resp, body = e.get("/board?status=bogus&due=maybe")
		wantStatus(t, resp, body, http.StatusBadRequest, "<title>Error: MASH board", "There is a problem",
			`<a href="#due">Choose whether to show overdue contacts</a>`, `id="due-error"`)
		resp, body = e.get("/board?status=bogus")
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#status">Choose a state from the list</a>`,
			`aria-describedby="status-error"`)
		resp, body = e.get("/board?rag=purple")
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#rag">Choose a rating from the list</a>`)

		// htmx asks for the results only: a small fragment.
		resp, body = e.do("GET", "/board?rag=red", nil, "HX-Request", "true", "HX-Target", "board-results")
		wantStatus(t, resp, body, http.StatusOK, h.late.Reference)
		if !strings.HasPrefix(strings.TrimSpace(body), `<div id="board-results"`) || strings.Contains(body, "<html") {
			t.Fatalf("htmx update is not the results fragment:\n%s", body)
		}

		// A manager has the board too.
		e.signIn(e.f.Users[mash.RoleManager].Email)
		resp, body = e.get("/board")
		wantStatus(t, resp, body, http.StatusOK, h.late.Reference)
	})
}

// TestBoardRefused checks that roles outside the hub's queue get no board,
// and no link to it.
func TestBoardRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		e.signIn(e.f.Users[mash.RoleScreener].Email)
		h := e.seed()
		for _, u := range []mash.User{e.f.Users[mash.RoleReferrer], e.f.PoliceResearcher, e.f.Users[mash.RoleAdmin], e.f.Users[mash.RoleAuditor]} {
			e.signIn(u.Email)
			resp, body := e.get("/board")
			wantStatus(t, resp, body, http.StatusForbidden, "You cannot use this page", "Sign out")
			if strings.Contains(body, h.late.Reference) || strings.Contains(body, "Lara") {
				t.Fatalf("%s: the refusal shows a contact", u.Role)
			}
			_, body = e.get("/")
			if strings.Contains(body, `href="/board"`) || strings.Contains(body, `href="/match-reviews"`) {
				t.Fatalf("%s: home links to pages the role may not use\n%s", u.Role, body)
			}
		}
	})
}

func TestContactPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		e.signIn(e.f.Users[mash.RoleScreener].Email)
		h := e.seed()
		c := h.onTime
		resp, body := e.get("/contacts/" + c.ID)
		wantStatus(t, resp, body, http.StatusOK, "<title>Contact "+c.Reference+" – OpenMASH</title>", c.Reference,
			`href="/persons/`+c.Subjects[0].PersonID+`"`, "Olive Smith", "Parent or carer",
			"RAG rating history", "Neglect and DA indicators",
			"Northshire Police", "Any DA call-outs to the address?", "Information shared",
			"Two DA call-outs", "Marking: </span>MASH only", "Known to neighbourhood team", "Marking: </span>Shareable with the receiving team",
			`class="moj-timeline"`, "Received to Screening", "Screening to In MASH")

		// The police researcher, asked for information, sees the contact
		// as the hub gives it to them: no rating history.
		e.signIn(e.f.PoliceResearcher.Email)
		resp, body = e.get("/contacts/" + c.ID)
		wantStatus(t, resp, body, http.StatusOK, c.Reference, "Two DA call-outs")
		if strings.Contains(body, "RAG rating history") {
			t.Fatal("researcher sees the rating history")
		}
		// Outside their scope: not found, and nothing of the contact shows.
		resp, body = e.get("/contacts/" + h.late.ID)
		wantStatus(t, resp, body, http.StatusNotFound, "Page not found")
		if strings.Contains(body, h.late.Reference) || strings.Contains(body, "Lara") {
			t.Fatal("a refused contact page shows the contact")
		}
		e.signIn(e.f.HealthResearcher.Email)
		resp, body = e.get("/contacts/" + c.ID)
		wantStatus(t, resp, body, http.StatusNotFound, "Page not found")
		if strings.Contains(body, "Olive") || strings.Contains(body, "call-outs") {
			t.Fatal("a refused contact page shows the contact")
		}
		e.signIn(e.f.Users[mash.RoleReferrer].Email)
		resp, body = e.get("/contacts/" + c.ID)
		wantStatus(t, resp, body, http.StatusNotFound, "Page not found")
		resp, body = e.get("/contacts/no-such-contact")
		wantStatus(t, resp, body, http.StatusNotFound, "Page not found")

		// The referrer sees their own contact as the hub shows it to them:
		// what they sent and its state, not the hub's working.
		mine := storetest.NewContact(e.clk.Now().Add(-time.Hour))
		if _, err := db.CreateContact(t.Context(), e.f.Actor(mash.RoleReferrer), mine, ""); err != nil {
			t.Fatal(err)
		}
		resp, body = e.get("/contacts/" + mine.ID)
		wantStatus(t, resp, body, http.StatusOK, mine.Reference, "Received")
		for _, not := range []string{"RAG rating history", "moj-timeline", `href="/persons/`} {
			if strings.Contains(body, not) {
				t.Fatalf("the referrer's view shows %q", not)
			}
		}
	})
}

func TestPersonPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		e.signIn(e.f.Users[mash.RoleScreener].Email)
		h := e.seed()
		pid := h.onTime.Subjects[0].PersonID
		resp, body := e.get("/persons/" + pid)
		wantStatus(t, resp, body, http.StatusOK, "<title>Person – OpenMASH</title>", "Olive Smith", "3 Apr 2015",
			`href="/contacts/`+h.onTime.ID+`"`, h.onTime.Reference, "Household", "How the records were matched")
		resp, body = e.get("/persons/no-such-person")
		wantStatus(t, resp, body, http.StatusNotFound, "Page not found")
		e.signIn(e.f.Users[mash.RoleAdmin].Email)
		resp, body = e.get("/persons/" + pid)
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
			t.Fatalf("admin opened a person page: %s", resp.Status)
		}
		if strings.Contains(body, "Olive") {
			t.Fatal("a refused person page shows the person")
		}
	})
}

// reviewable makes an uncertain identity match for the review queue, as the
// store's own test does: a child, then a contact naming someone only partly
// like her.
func (e *env) reviewable() mash.MatchReview {
	e.t.Helper()
	ctx := e.t.Context()
	scr := e.f.Actor(mash.RoleScreener)
	child := func(given, family, dob, addr, pc string) *mash.Contact {
		c := storetest.NewContact(e.clk.Now().Add(-time.Hour))
		c.Subjects = []mash.Subject{{Role: mash.SubjectMain, GivenName: given, FamilyName: family, DOB: dob, Sex: "F", Address: addr, Postcode: pc}}
		if _, err := e.db.CreateContact(ctx, scr, c, ""); err != nil {
			e.t.Fatal(err)
		}
		return c
	}
	child("Liam", "Walsh", "2013-02-11", "14 Pit Lane, Wigan", "WN1 3QQ")
	for _, dob := range []string{"", "2013-12-02"} {
		child("Liam", "Walsh", dob, "", "")
		reviews, err := e.db.ListMatchReviews(ctx, scr, true)
		if err != nil {
			e.t.Fatal(err)
		}
		if len(reviews) > 0 {
			return reviews[0]
		}
	}
	e.t.Fatal("no uncertain match reached the review queue")
	return mash.MatchReview{}
}

func TestMatchReviews(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		v := e.reviewable()

		e.signIn(e.f.Users[mash.RoleReferrer].Email)
		resp, body := e.get("/match-reviews")
		wantStatus(t, resp, body, http.StatusForbidden, "You cannot use this page")
		resp, body = e.do("POST", "/match-reviews/"+v.ID, url.Values{"outcome": {"same"}, "reason": {"x"}, "version": {strconv.Itoa(v.Version)}})
		wantStatus(t, resp, body, http.StatusForbidden)

		e.signIn(e.f.Users[mash.RoleScreener].Email)
		resp, body = e.get("/match-reviews")
		wantStatus(t, resp, body, http.StatusOK, `action="/match-reviews/`+v.ID+`"`, "Liam", `for="outcome-`+v.ID+`"`,
			`for="reason-`+v.ID+`"`, "Field by field")

		// Missing answers: the error summary links to each field, and
		// nothing changes.
		resp, body = e.do("POST", "/match-reviews/"+v.ID, url.Values{"reason": {"  "}, "version": {strconv.Itoa(v.Version)}})
		wantStatus(t, resp, body, http.StatusBadRequest, "<title>Error: Identity reviews", "There is a problem",
			`<a href="#outcome-`+v.ID+`">Choose whether the record and the person are the same person</a>`,
			`<a href="#reason-`+v.ID+`">Enter why you decided</a>`, `id="reason-`+v.ID+`-error"`)
		resp, body = e.do("POST", "/match-reviews/"+v.ID, url.Values{"outcome": {"maybe"}, "reason": {"looked at both"}, "version": {strconv.Itoa(v.Version)}})
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#outcome-`+v.ID+`">`, ">looked at both</textarea>")
		still, err := db.ListMatchReviews(t.Context(), e.f.Actor(mash.RoleScreener), true)
		if err != nil || len(still) == 0 || still[0].ID != v.ID || still[0].Version != v.Version || still[0].Status != "open" {
			t.Fatalf("a refused answer changed the review: %+v (%v)", still, err)
		}

		// A good answer is saved through the hub, then the queue says so.
		resp, body = e.do("POST", "/match-reviews/"+v.ID, url.Values{"outcome": {"different"},
			"reason": {"Different dates of birth; school confirms two boys"}, "version": {strconv.Itoa(v.Version)}})
		wantStatus(t, resp, body, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/match-reviews?answered" {
			t.Fatalf("after answering, sent to %q", loc)
		}
		resp, body = e.get("/match-reviews?answered")
		wantStatus(t, resp, body, http.StatusOK, "Your answer was saved.")
		if strings.Contains(body, `action="/match-reviews/`+v.ID+`"`) {
			t.Fatal("an answered review is still in the queue")
		}
		// Answering again: the hub refuses a stale answer.
		resp, body = e.do("POST", "/match-reviews/"+v.ID, url.Values{"outcome": {"same"}, "reason": {"x"}, "version": {strconv.Itoa(v.Version)}})
		wantStatus(t, resp, body, http.StatusConflict, "Someone else changed this")
	})
}

// TestStaySignedIn checks the session-expiry warning's button: a POST that
// counts as use, then back to the page, or 204 for htmx.
func TestStaySignedIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		e.signIn(e.f.Users[mash.RoleScreener].Email)
		_, body := e.get("/board")
		for _, want := range []string{`id="session-warning"`, `data-idle-seconds="900"`, `<form method="post" action="/session/refresh"`,
			`<input type="hidden" name="back" value="/board">`, "Stay signed in"} {
			if !strings.Contains(body, want) {
				t.Fatalf("board lacks %q", want)
			}
		}
		for _, c := range []struct{ back, want string }{
			{"/board?rag=red", "/board?rag=red"},
			{"//evil.example/", "/"},
			{"https://evil.example/", "/"},
			{"/\\evil.example", "/"},
		} {
			e.clk.Add(14 * time.Minute)
			resp, body := e.do("POST", "/session/refresh", url.Values{"back": {c.back}})
			wantStatus(t, resp, body, http.StatusSeeOther)
			if got := resp.Header.Get("Location"); got != c.want {
				t.Fatalf("back %q: sent to %q", c.back, got)
			}
		}
		e.clk.Add(14 * time.Minute)
		resp, body := e.do("POST", "/session/refresh", nil, "HX-Request", "true")
		wantStatus(t, resp, body, http.StatusNoContent)
		e.clk.Add(14 * time.Minute)
		if !e.signedIn() {
			t.Fatal("staying signed in did not keep the session")
		}
		e.clk.Add(16 * time.Minute)
		resp, _ = e.do("POST", "/session/refresh", url.Values{"back": {"/board"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/sign-in" {
			t.Fatalf("after the timeout, stay signed in: %s %q", resp.Status, resp.Header.Get("Location"))
		}
		_, body = e.get("/sign-in?timed-out")
		if !strings.Contains(body, "You were signed out because") {
			t.Fatal("no timed-out notice")
		}
	})
}

// TestStatic checks the vendored files are served compressed, with a year's
// caching for the hashed address the pages use.
func TestStatic(t *testing.T) {
	e := newEnv(t, storetest.Open(t, storetest.Engines(t)[0]), nil)
	_, body := e.get("/sign-in")
	m := regexp.MustCompile(`href="(/static/vendor/govuk-frontend-[0-9.]+/govuk-frontend\.min\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("sign-in page does not link the GOV.UK Frontend styles\n%s", body)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+m[1], nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	gz, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" ||
		resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("styles: %s %v", resp.Status, resp.Header)
	}
	if len(gz) > 30_000 {
		t.Fatalf("GOV.UK Frontend styles are %d bytes gzipped", len(gz))
	}
	resp, body = e.get(strings.Split(m[1], "?")[0])
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "public, max-age=300" || strings.Contains(body, "GDS Transport") {
		t.Fatalf("unversioned styles: %s %v", resp.Status, resp.Header)
	}
	for _, p := range []string{"/static/vendor/VERSIONS", "/static/vendor/htmx.org-2.0.11/LICENCE", "/static/vendor/govuk-frontend-6.6.0/LICENCE",
		"/static/vendor/ministryofjustice-frontend-11.1.0/LICENCE", "/static/app.js", "/static/site.css"} {
		if resp, _ := e.get(p); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s", p, resp.Status)
		}
	}
	if resp, _ := e.get("/static/nothing.css"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("missing static file: %s", resp.Status)
	}
}
