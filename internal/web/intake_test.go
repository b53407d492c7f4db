package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// intakeForm is a complete new-contact form as a screener sends it, for
// one subject (rows 1 and 2 left blank).
func intakeForm(key string) url.Values {
	return url.Values{
		"idempotency_key": {key}, "subjects": {"3"}, "action": {"send"},
		"received_at": {"2026-03-10T09:45"}, "channel": {"phone"}, "cohort": {"child"},
		"referrer.name": {"A Health Visitor"}, "referrer.organisation": {"Northshire Community Health"},
		"subjects[0].role": {"subject"}, "subjects[0].given_name": {"Poppy"}, "subjects[0].family_name": {"Hartley"},
		"subjects[0].dob": {"14/2/2018"}, "subjects[0].sex": {"F"}, "subjects[0].postcode": {"ls2 7hq"},
		"subjects[1].role": {""}, "subjects[2].role": {""},
		"concerns": {"16A", "3B"}, "narrative": {"Poppy said there is no food at home."},
		"consent.family_aware": {"yes"}, "consent.status": {"given"},
	}
}

func contactCount(t *testing.T, db *store.DB, f *storetest.Fixture) int {
	t.Helper()
	list, err := db.ListContacts(t.Context(), f.Actor(mash.RoleScreener), mash.ContactFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

var contactLocation = regexp.MustCompile(`^/contacts/([0-9a-f-]+)\?done=created$`)

func TestNewContact(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)

		// Roles that may not record contacts get no form, and no link.
		for _, u := range []mash.User{e.f.PoliceResearcher, e.f.Users[mash.RoleAdmin], e.f.Users[mash.RoleAuditor], e.f.Users[mash.RoleReceiver]} {
			e.signIn(u.Email)
			resp, body := e.get("/contacts/new")
			wantStatus(t, resp, body, http.StatusForbidden, "You cannot use this page")
			resp, body = e.do("POST", "/contacts/new", intakeForm("k-"+string(u.Role)))
			wantStatus(t, resp, body, http.StatusForbidden)
			if _, body := e.get("/"); strings.Contains(body, `href="/contacts/new"`) {
				t.Fatalf("%s: home links to the new-contact form", u.Role)
			}
		}
		if n := contactCount(t, db, e.f); n != 0 {
			t.Fatalf("refused roles stored %d contacts", n)
		}

		e.signIn(e.f.Users[mash.RoleScreener].Email)
		resp, body := e.get("/contacts/new")
		wantStatus(t, resp, body, http.StatusOK, "<title>New contact – OpenMASH</title>", `href="/contacts/new" aria-current="page"`,
			`name="subjects[2].given_name"`, `id="subjects-2-dob"`, "Add another subject", `formaction="/contacts/new/match"`,
			`name="idempotency_key"`, `hx-post="/contacts/new/match"`, "Neglect (16A)", `name="received_at"`)
		if strings.Contains(body, `name="subjects[3].given_name"`) {
			t.Fatal("a new form has more than three subject rows")
		}

		// Add another subject: the form comes back with a fourth row and
		// what was typed.
		form := intakeForm("key-1")
		form.Set("action", "add-subject")
		resp, body = e.do("POST", "/contacts/new", form)
		wantStatus(t, resp, body, http.StatusOK, `name="subjects[3].given_name"`, `value="Poppy"`, `value="key-1"`,
			`<input type="hidden" name="subjects" value="4">`, ">Poppy said there is no food at home.</textarea>")
		// The other cohort's concern list.
		form.Set("action", "cohort")
		form.Set("cohort", "adult")
		resp, body = e.do("POST", "/contacts/new", form)
		wantStatus(t, resp, body, http.StatusOK, "Self-neglect", "Care Act 2014")

		// Bad input: every problem in the error summary, linking to its
		// field, and nothing stored.
		bad := intakeForm("key-bad")
		bad.Set("subjects[1].given_name", "Dean")
		bad.Set("subjects[1].dob", "2031-02-30")
		bad.Set("subjects[1].role", "parent_carer")
		bad.Set("consent.status", "refused")
		bad.Del("concerns")
		bad.Set("narrative", " ")
		resp, body = e.do("POST", "/contacts/new", bad)
		wantStatus(t, resp, body, http.StatusBadRequest, "<title>Error: New contact", "There is a problem",
			`<a href="#subjects-1-dob">Subject 2: date of birth is not a real date</a>`,
			`<a href="#concerns">Concerns`, `<a href="#narrative">What happened is required`,
			`<a href="#consent-reason">`, `<a href="#consent-approved_by">`, `id="subjects-1-dob-error"`,
			`value="Dean"`, `value="key-bad"`)
		if !before(t, body, `href="#subjects-1-dob"`, `href="#concerns"`) || !before(t, body, `href="#narrative"`, `href="#consent-reason"`) {
			t.Fatal("the error summary is not in the form's order")
		}
		bad = intakeForm("key-bad")
		bad.Set("received_at", "yesterday")
		bad.Del("consent.family_aware")
		resp, body = e.do("POST", "/contacts/new", bad)
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#received_at">Enter when the concern was received`,
			`<a href="#consent-family_aware">Say whether the family knows`)
		if n := contactCount(t, db, e.f); n != 0 {
			t.Fatalf("a refused form stored %d contacts", n)
		}

		// A good form: one contact, then its page. Sent twice (a double
		// click, a retry), it is still one contact.
		resp, body = e.do("POST", "/contacts/new", intakeForm("key-good"))
		wantStatus(t, resp, body, http.StatusSeeOther)
		m := contactLocation.FindStringSubmatch(resp.Header.Get("Location"))
		if m == nil {
			t.Fatalf("after saving, sent to %q", resp.Header.Get("Location"))
		}
		again, _ := e.do("POST", "/contacts/new", intakeForm("key-good"))
		if again.StatusCode != http.StatusSeeOther || again.Header.Get("Location") != resp.Header.Get("Location") {
			t.Fatalf("double submit: %s %q, want the first contact", again.Status, again.Header.Get("Location"))
		}
		if n := contactCount(t, db, e.f); n != 1 {
			t.Fatalf("a double submit stored %d contacts", n)
		}
		c, err := db.GetContact(t.Context(), e.f.Actor(mash.RoleScreener), m[1])
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Subjects) != 1 || c.Subjects[0].DOB != "2018-02-14" || c.Subjects[0].Postcode != "LS2 7HQ" ||
			c.Channel != "phone" || !c.ReceivedAt.Equal(time.Date(2026, 3, 10, 9, 45, 0, 0, time.UTC)) ||
			strings.Join(c.Concerns, ",") != "3B,16A" || c.Consent.Status != mash.ConsentGiven || !c.Consent.FamilyAware {
			t.Fatalf("stored contact: %+v", c.Contact)
		}
		resp, body = e.get(resp.Header.Get("Location"))
		wantStatus(t, resp, body, http.StatusOK, "The contact was saved.", c.Reference, "Poppy Hartley")
		if strings.Contains(e.logs.String(), "Poppy") || strings.Contains(e.logs.String(), "2018") {
			t.Fatal("the log holds personal data from the form")
		}
	})
}

func TestNewContactMatching(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		known := storetest.NewContact(e.clk.Now().Add(-48 * time.Hour))
		if _, err := db.CreateContact(t.Context(), e.f.Actor(mash.RoleScreener), known, ""); err != nil {
			t.Fatal(err)
		}
		pid := known.Subjects[0].PersonID
		e.signIn(e.f.Users[mash.RoleScreener].Email)

		form := intakeForm("key-m")
		form.Set("subjects[0].given_name", "Kayleigh")
		form.Set("subjects[0].family_name", "Smith")
		form.Set("subjects[0].dob", "2015-04-03")
		form.Set("subjects[0].postcode", "LS1 4AP")
		form.Set("match", "0")
		// Without JavaScript: the whole form, with the candidates under the row.
		resp, body := e.do("POST", "/contacts/new/match", form)
		wantStatus(t, resp, body, http.StatusOK, `<div id="subjects-0-candidates"`, `name="subjects[0].person_id"`,
			`value="`+pid+`"`, "Kayleigh Smith", "3 Apr 2015", "LS1 4AP", "likely the same person", "named in 1 contact",
			"None of these: a new person", `name="subjects[0].searched" value="1"`, `value="Poppy said there is no food at home."`[:5])
		if !regexp.MustCompile(`\d+%`).MatchString(body) {
			t.Fatal("candidates show no score")
		}
		// With htmx: only that row's candidates.
		resp, body = e.do("POST", "/contacts/new/match", form, "HX-Request", "true", "HX-Target", "subjects-0-candidates")
		wantStatus(t, resp, body, http.StatusOK, "Kayleigh Smith")
		if !strings.HasPrefix(strings.TrimSpace(body), `<div id="subjects-0-candidates"`) || strings.Contains(body, "<html") || len(body) > 20_000 {
			t.Fatalf("htmx match is not the row's fragment:\n%s", body)
		}
		// Too little typed: the row says what is needed, nothing fails.
		thin := intakeForm("key-m")
		thin.Set("subjects[0].family_name", "")
		thin.Set("subjects[0].dob", "")
		thin.Set("match", "0")
		resp, body = e.do("POST", "/contacts/new/match", thin, "HX-Request", "true")
		wantStatus(t, resp, body, http.StatusOK, "family name")
		// Nothing of the search is in an address or the log.
		if strings.Contains(e.logs.String(), "Kayleigh") || strings.Contains(e.logs.String(), "2015-04-03") {
			t.Fatal("the log holds the search")
		}

		// Picking the candidate links the subject to them.
		form.Set("subjects[0].person_id", pid)
		form.Set("subjects[0].searched", "1")
		form.Del("match")
		resp, body = e.do("POST", "/contacts/new", form)
		wantStatus(t, resp, body, http.StatusSeeOther)
		m := contactLocation.FindStringSubmatch(resp.Header.Get("Location"))
		if m == nil {
			t.Fatalf("after saving, sent to %q", resp.Header.Get("Location"))
		}
		c, err := db.GetContact(t.Context(), e.f.Actor(mash.RoleScreener), m[1])
		if err != nil {
			t.Fatal(err)
		}
		if c.Subjects[0].PersonID != pid {
			t.Fatalf("the chosen person was not linked: %q, want %q", c.Subjects[0].PersonID, pid)
		}
	})
}

// TestReferrerIntake checks the referrer's form: their details filled in,
// no matching, and after sending, their referrals.
func TestReferrerIntake(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		known := storetest.NewContact(e.clk.Now().Add(-48 * time.Hour))
		if _, err := db.CreateContact(t.Context(), e.f.Actor(mash.RoleScreener), known, ""); err != nil {
			t.Fatal(err)
		}
		e.signIn(e.f.Users[mash.RoleReferrer].Email)
		resp, body := e.get("/contacts/new")
		wantStatus(t, resp, body, http.StatusOK, "Make a referral", `value="Test Teacher"`, `value="Northshire Schools"`,
			"Do not tell the family who I am", `href="/referrals"`)
		for _, not := range []string{"Find matches", `hx-post="/contacts/new/match"`, `name="received_at"`, `name="channel"`} {
			if strings.Contains(body, not) {
				t.Fatalf("the referrer's form has %q", not)
			}
		}
		form := intakeForm("key-r")
		form.Set("match", "0")
		resp, body = e.do("POST", "/contacts/new/match", form)
		wantStatus(t, resp, body, http.StatusForbidden)
		if strings.Contains(body, "Kayleigh") {
			t.Fatal("a referrer saw a match")
		}
		// A chosen person from a referrer is not taken.
		form.Del("match")
		form.Set("subjects[0].person_id", known.Subjects[0].PersonID)
		form.Set("referrer.anonymous", "yes")
		resp, body = e.do("POST", "/contacts/new", form)
		wantStatus(t, resp, body, http.StatusSeeOther)
		loc := resp.Header.Get("Location")
		if !strings.HasPrefix(loc, "/referrals?sent=") {
			t.Fatalf("after a referral, sent to %q", loc)
		}
		id := strings.TrimPrefix(loc, "/referrals?sent=")
		c, err := db.GetContact(t.Context(), e.f.Actor(mash.RoleScreener), id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Channel != "online_form" || c.Subjects[0].PersonID == known.Subjects[0].PersonID || !c.Referrer.Anonymous ||
			!c.ReceivedAt.Equal(e.clk.Now().Truncate(time.Second)) && c.ReceivedAt.Sub(e.clk.Now()) > time.Second {
			t.Fatalf("the referral: %+v", c.Contact)
		}
		resp, body = e.get(loc)
		wantStatus(t, resp, body, http.StatusOK, "Your referral was sent to the hub.", c.Reference, "Poppy Hartley", "Received")
	})
}
