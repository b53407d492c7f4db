package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

func hhmm(t time.Time) string {
	l, _ := time.LoadLocation("Europe/London")
	return t.In(l).Format("15:04")
}

// TestIntakeDrafts: the new-contact form autosaves (htmx) and saves with
// its button (no JavaScript); a timed-out session's autosave gets 401 and
// changes nothing; after signing in again the draft is restored; sending
// the contact deletes it; and only its owner ever sees it.
func TestIntakeDrafts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		scr := e.f.Users[mash.RoleScreener]
		e.signIn(scr.Email)
		hx := []string{"HX-Request", "true"}

		resp, body := e.get("/contacts/new")
		wantStatus(t, resp, body, http.StatusOK, `hx-post="/drafts/contact/new"`, `hx-trigger="input delay:2s"`,
			`id="draft-status-contact" role="status" aria-live="polite"`, `formaction="/drafts/contact/new"`, "Save draft", "app/drafts.js?v=")
		if strings.Contains(body, "We restored your unsent draft") {
			t.Fatal("a new form claims a restored draft")
		}

		form := intakeForm("key-1")
		form.Set("narrative", "Synthetic draft: Poppy said there is no food at home.")
		resp, body = e.do("POST", "/drafts/contact/new", form, hx...)
		wantStatus(t, resp, body, http.StatusOK, "Draft saved at "+hhmm(e.clk.Now()))
		saved := e.clk.Now()

		// Timed out: the autosave is refused with 401 (the page keeps its
		// input) and the stored draft is unchanged.
		e.clk.Add(16 * time.Minute)
		later := intakeForm("key-1")
		later.Set("narrative", "Typed after the timeout")
		resp, body = e.do("POST", "/drafts/contact/new", later, hx...)
		wantStatus(t, resp, body, http.StatusUnauthorized, "signed out")
		resp, body = e.do("POST", "/drafts/contact/new", later)
		wantStatus(t, resp, body, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/sign-in?next=%2Fcontacts%2Fnew" {
			t.Fatalf("a signed-out save goes to %q", loc)
		}

		// Signed in again: the form comes back as it was saved.
		e.signIn(scr.Email)
		resp, body = e.get("/contacts/new")
		wantStatus(t, resp, body, http.StatusOK, "We restored your unsent draft from "+hhmm(saved), "Discard the draft",
			">Synthetic draft: Poppy said there is no food at home.</textarea>", `value="Poppy"`, `value="key-1"`, `value="16A" checked`)
		if strings.Contains(body, "Typed after the timeout") {
			t.Fatal("a refused autosave was stored")
		}

		// Another user, even a manager, sees none of it.
		e.signIn(e.f.Users[mash.RoleManager].Email)
		resp, body = e.get("/contacts/new")
		wantStatus(t, resp, body, http.StatusOK)
		if strings.Contains(body, "Synthetic draft") || strings.Contains(body, "restored your unsent draft") {
			t.Fatal("another user sees the screener's draft")
		}
		resp, body = e.do("POST", "/drafts/contact/new/discard", url.Values{})
		wantStatus(t, resp, body, http.StatusSeeOther)
		if _, err := db.GetDraft(t.Context(), e.f.Actor(mash.RoleScreener), mash.DraftContact, "new"); err != nil {
			t.Fatalf("another user's discard removed the draft: %v", err)
		}

		// Without JavaScript: the "Save draft" button posts the form and
		// comes back to it.
		e.signIn(scr.Email)
		form.Set("action", "save-draft")
		form.Set("narrative", "Saved with the button")
		resp, body = e.do("POST", "/drafts/contact/new", form)
		wantStatus(t, resp, body, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/contacts/new?draft=saved#main-content" {
			t.Fatalf("save draft goes to %q", loc)
		}
		resp, body = e.get("/contacts/new?draft=saved")
		wantStatus(t, resp, body, http.StatusOK, "Your draft was saved at", ">Saved with the button</textarea>")
		if d, err := db.GetDraft(t.Context(), e.f.Actor(mash.RoleScreener), mash.DraftContact, "new"); err != nil || d.Values["action"] != nil {
			t.Fatalf("draft %+v, %v", d, err)
		}

		// Bad kind or key: refused, nothing stored.
		resp, body = e.do("POST", "/drafts/essay/new", form, hx...)
		wantStatus(t, resp, body, http.StatusUnprocessableEntity, "could not be saved")
		resp, body = e.do("POST", "/drafts/essay/new", form)
		wantStatus(t, resp, body, http.StatusBadRequest, "There is a problem")
		resp, body = e.do("POST", "/drafts/contact/"+strings.Repeat("k", 65), form, hx...)
		wantStatus(t, resp, body, http.StatusUnprocessableEntity)
		// A referrer may draft a referral, but not a decision.
		e.signIn(e.f.Users[mash.RoleReferrer].Email)
		resp, body = e.do("POST", "/drafts/decision/abc", url.Values{"rationale": {"x"}}, hx...)
		wantStatus(t, resp, body, http.StatusForbidden)

		// Sending the contact deletes the draft.
		e.signIn(scr.Email)
		form.Set("action", "send")
		resp, body = e.do("POST", "/contacts/new", form)
		wantStatus(t, resp, body, http.StatusSeeOther)
		if _, err := db.GetDraft(t.Context(), e.f.Actor(mash.RoleScreener), mash.DraftContact, "new"); mash.KindOf(err) != mash.KindNotFound {
			t.Fatalf("the draft outlived the contact: %v", err)
		}
		resp, body = e.get("/contacts/new")
		wantStatus(t, resp, body, http.StatusOK)
		if strings.Contains(body, "Saved with the button") {
			t.Fatal("the sent contact's draft is restored")
		}

		// Discard.
		resp, body = e.do("POST", "/drafts/contact/new", form, hx...)
		wantStatus(t, resp, body, http.StatusOK)
		resp, body = e.do("POST", "/drafts/contact/new/discard", url.Values{})
		wantStatus(t, resp, body, http.StatusSeeOther)
		resp, body = e.get(resp.Header.Get("Location"))
		wantStatus(t, resp, body, http.StatusOK, "Your draft was discarded.")
		if strings.Contains(body, "Saved with the button") {
			t.Fatal("a discarded draft is restored")
		}
	})
}

// TestDecisionMerge: a decision sent against an old version of the
// contact is refused with what changed since the form was opened, field by
// field, and the user's input kept; where someone else changed a value the
// form sets, the user must choose which to keep before it is sent against
// the current version. A restored draft of the decision does the same.
func TestDecisionMerge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		h := e.seed()
		c := h.onTime // in MASH, Red, threshold level 3
		path := "/contacts/" + c.ID
		e.signIn(e.f.Users[mash.RoleManager].Email)
		resp, body := e.get(path)
		wantStatus(t, resp, body, http.StatusOK, `hx-post="/drafts/decision/`+c.ID+`"`, `name="base.threshold_level" value="3"`,
			`name="base.rag" value="red"`, `name="opened_at" value="`)
		opened := e.clk.Now()

		decision := url.Values{"version": {v(c.Version)}, "opened_at": {v(int(opened.Unix()))}, "base.threshold_level": {"3"},
			"base.rag": {"red"}, "threshold_level": {"3"}, "outcomes": {"early_help"}, "rationale": {"My synthetic rationale"}}
		resp, body = e.do("POST", "/drafts/decision/"+c.ID, decision, "HX-Request", "true")
		wantStatus(t, resp, body, http.StatusOK, "Draft saved at")

		// Meanwhile a screener re-rates it.
		e.clk.Add(2 * time.Minute)
		now, err := db.Rate(t.Context(), e.f.Actor(mash.RoleScreener), c.ID, "amber", "Synthetic: risk reduced", c.Version)
		if err != nil {
			t.Fatal(err)
		}

		// The restored draft shows what changed.
		resp, body = e.get(path)
		wantStatus(t, resp, body, http.StatusOK, "We restored your unsent draft", "This changed since you started your draft",
			"RAG rating changed from Red to Amber", ">My synthetic rationale</textarea>", `name="version" value="`+v(now.Version)+`"`)

		// Sent against the old version: refused, nothing saved, the input
		// kept with the changes set out.
		resp, body = e.do("POST", path+"/decision", decision)
		wantStatus(t, resp, body, http.StatusConflict, "This changed since you opened the form", "RAG rating changed from Red to Amber",
			"<td class=\"govuk-table__cell\">Red</td>", "<td class=\"govuk-table__cell\">Amber</td>", ">My synthetic rationale</textarea>",
			`name="version" value="`+v(now.Version)+`"`)
		if got := e.contact(c.ID); got.Status != mash.StatusInMASH || got.Version != now.Version {
			t.Fatalf("a stale decision changed the contact: %s v%d", got.Status, got.Version)
		}

		// A field the form sets that someone else changed: the user must
		// choose. (The level on record when the form was opened is what
		// the form carried back.)
		stale := url.Values{}
		for k, x := range decision {
			stale[k] = x
		}
		stale.Set("base.threshold_level", "2")
		stale.Set("threshold_level", "4")
		resp, body = e.do("POST", path+"/decision", stale)
		wantStatus(t, resp, body, http.StatusConflict, "Threshold level: someone else changed it. Which do you keep?",
			`name="merge.threshold_level" type="radio" value="yours"`, "Yours: Level 4", "Now on record: Level 3")
		current := url.Values{}
		for k, x := range stale {
			current[k] = x
		}
		current.Set("version", v(now.Version))
		current["merge_required"] = []string{"threshold_level"}
		current.Set("now.threshold_level", "3")
		resp, body = e.do("POST", path+"/decision", current)
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#merge-threshold_level">`, "choose which value to keep",
			"Which do you keep?", ">My synthetic rationale</textarea>")
		current.Set("merge.threshold_level", "now")
		resp, body = e.do("POST", path+"/decision", current)
		wantStatus(t, resp, body, http.StatusSeeOther)
		got := e.contact(c.ID)
		if got.Decision == nil || got.Decision.ThresholdLevel != 3 || got.Decision.Rationale != "My synthetic rationale" {
			t.Fatalf("decision %+v", got.Decision)
		}
		if _, err := db.GetDraft(t.Context(), e.f.Actor(mash.RoleManager), mash.DraftDecision, c.ID); mash.KindOf(err) != mash.KindNotFound {
			t.Fatalf("the decision's draft outlived it: %v", err)
		}

		// Decided by someone else while the draft waited: the form is
		// gone, so the draft is set beside the decision on record, to
		// discard; a send against the old version is refused the same way.
		l := e.contact(h.late.ID)
		lpath := "/contacts/" + l.ID
		mine := url.Values{"version": {v(l.Version)}, "opened_at": {v(int(e.clk.Now().Unix()))}, "base.threshold_level": {"3"},
			"base.rag": {"red"}, "threshold_level": {"2"}, "outcomes": {"advice"}, "rationale": {"My unsent synthetic view"}}
		resp, body = e.do("POST", "/drafts/decision/"+l.ID, mine, "HX-Request", "true")
		wantStatus(t, resp, body, http.StatusOK)
		e.clk.Add(time.Minute)
		if _, err := db.Decide(t.Context(), e.f.Actor(mash.RoleManager), l.ID, &mash.Decision{ThresholdLevel: 3,
			Outcomes: []mash.Outcome{mash.OutcomeEarlyHelp}, Rationale: "The other manager's synthetic rationale", Version: l.Version}); err != nil {
			t.Fatal(err)
		}
		resp, body = e.get(lpath)
		wantStatus(t, resp, body, http.StatusOK, "The contact has moved on since your unsent draft of the decision", "The decision was recorded",
			"Now on record", "The other manager&#39;s synthetic rationale", "My unsent synthetic view", "Level 2", "Discard the draft")
		resp, body = e.do("POST", lpath+"/decision", mine)
		wantStatus(t, resp, body, http.StatusConflict, "the decision form is no longer open", "The other manager&#39;s synthetic rationale",
			"My unsent synthetic view")
		resp, body = e.do("POST", "/drafts/decision/"+l.ID+"/discard", url.Values{})
		wantStatus(t, resp, body, http.StatusSeeOther)
		resp, body = e.get(lpath)
		wantStatus(t, resp, body, http.StatusOK)
		if strings.Contains(body, "My unsent synthetic view") {
			t.Fatal("a discarded draft is still shown")
		}
	})
}

// TestReturnDraft: a researcher's answer is kept as a draft; when the
// request is answered from elsewhere first, the restored draft is set
// beside the answer on record.
func TestReturnDraft(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		h := e.seed()
		reqs, err := db.ListRequests(t.Context(), e.f.Actor(mash.RoleScreener), mash.RequestFilter{ContactID: h.late.ID})
		if err != nil || len(reqs) != 1 {
			t.Fatalf("requests %v, %v", reqs, err)
		}
		q := reqs[0]
		e.signIn(e.f.HealthResearcher.Email)
		path := "/inbox/" + q.ID
		resp, body := e.get(path)
		wantStatus(t, resp, body, http.StatusOK, `hx-post="/drafts/return/`+q.ID+`"`, "Save draft")
		answer := url.Values{"version": {v(q.Version)}, "items": {"1"}, "outcome": {"information"},
			"items[0].summary": {"Synthetic: missed health visits"}, "items[0].marking": {"mash_only"}, "action": {"save-draft"}}
		resp, body = e.do("POST", "/drafts/return/"+q.ID, answer)
		wantStatus(t, resp, body, http.StatusSeeOther)
		resp, body = e.get(path)
		wantStatus(t, resp, body, http.StatusOK, "We restored your unsent draft", `value="Synthetic: missed health visits"`, `value="information" checked`)

		// Answered from elsewhere (another tab, a colleague).
		if _, err := db.SubmitReturn(t.Context(), storetest.ActorOf(e.f.HealthResearcher), q.ID,
			&mash.AgencyReturn{Outcome: mash.ReturnNothingHeld}, q.Version); err != nil {
			t.Fatal(err)
		}
		resp, body = e.get(path)
		wantStatus(t, resp, body, http.StatusOK, "We restored your unsent draft", "Your agency answered the request",
			"Now on record", "Nothing held", "Information shared", "Synthetic: missed health visits", "Discard the draft")

		// Sending the answer deletes the draft (a fresh request).
		q2, err := db.CreateRequest(t.Context(), e.f.Actor(mash.RoleScreener), h.late.ID, mash.NewRequest{AgencyID: e.f.Health.ID, Question: "Again?"})
		if err != nil {
			t.Fatal(err)
		}
		answer.Set("version", v(q2.Version))
		resp, body = e.do("POST", "/drafts/return/"+q2.ID, answer)
		wantStatus(t, resp, body, http.StatusSeeOther)
		answer.Set("action", "send")
		resp, body = e.do("POST", "/inbox/"+q2.ID, answer)
		wantStatus(t, resp, body, http.StatusSeeOther)
		if _, err := db.GetDraft(t.Context(), storetest.ActorOf(e.f.HealthResearcher), mash.DraftReturn, q2.ID); mash.KindOf(err) != mash.KindNotFound {
			t.Fatalf("the answer's draft outlived it: %v", err)
		}
	})
}

// TestAutosaveLatency measures an autosave over HTTP on SQLite (the
// server's time, as the client sees it): one every two seconds per user
// typing must stay cheap.
func TestAutosaveLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	db := storetest.Open(t, storetest.Engines(t)[0])
	e := newEnv(t, db, nil)
	e.signIn(e.f.Users[mash.RoleScreener].Email)
	form := intakeForm("key-1")
	form.Set("narrative", strings.Repeat("Synthetic narrative. ", 200))
	var times []time.Duration
	for range 200 {
		t0 := time.Now()
		resp, body := e.do("POST", "/drafts/contact/new", form, "HX-Request", "true")
		times = append(times, time.Since(t0))
		wantStatus(t, resp, body, http.StatusOK, "Draft saved at")
	}
	slices.Sort(times)
	p50, p95 := times[len(times)/2], times[len(times)*95/100]
	t.Logf("autosave over HTTP, SQLite, 4 KB narrative: p50 %v, p95 %v", p50, p95)
	if p95 > 250*time.Millisecond {
		t.Fatalf("autosave p95 %v", p95)
	}
}
