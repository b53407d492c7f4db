package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// policyForm is the administration page's policy form for the default
// policy, with changes.
func policyForm(change map[string]string) url.Values {
	f := url.Values{"days": {"monday", "tuesday", "wednesday", "thursday", "friday"}, "start": {"09:00"}, "end": {"17:00"},
		"holidays": {"2026-12-25 Christmas Day\n2026-12-28 Boxing Day (substitute day)"}}
	for i, l := range mash.DefaultRAGPolicy().Levels {
		at := "level-" + v(i) + "-"
		f.Set(at+"label", l.Label)
		f.Set(at+"hours", v(int(l.Target.Hours())))
		f.Set(at+"clock", string(l.Clock))
		f.Set(at+"start", string(l.Start))
	}
	for k, val := range change {
		f.Set(k, val)
	}
	return f
}

// TestAdminPages: the administrator adds agencies and users, disables and
// enables users and changes the RAG policy; bad input gets an error summary
// linked to the fields and changes nothing; other roles are refused.
func TestAdminPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		ref := e.f.Users[mash.RoleReferrer]
		for _, u := range []mash.User{e.f.Users[mash.RoleScreener], e.f.Users[mash.RoleAuditor], ref} {
			e.signIn(u.Email)
			resp, body := e.get("/admin")
			wantStatus(t, resp, body, http.StatusForbidden, "Administration is for the hub&#39;s administrators.")
			if strings.Contains(body, ref.Email) {
				t.Fatalf("%s sees the user list", u.Role)
			}
			resp, body = e.do("POST", "/admin/policy", policyForm(map[string]string{"level-0-label": "Critical"}))
			wantStatus(t, resp, body, http.StatusForbidden)
			resp, body = e.do("POST", "/admin/users/"+ref.ID+"/access", url.Values{"access": {"disable"}, "reason": {"left"}})
			wantStatus(t, resp, body, http.StatusForbidden)
		}
		if p, _ := db.Policy(t.Context()); p.Levels[0].Label != "Red" {
			t.Fatal("a refused policy change was saved")
		}

		admin := e.f.Users[mash.RoleAdmin]
		e.signIn(admin.Email)
		resp, body := e.get("/")
		wantStatus(t, resp, body, http.StatusOK, `href="/admin"`)
		resp, body = e.get("/admin")
		wantStatus(t, resp, body, http.StatusOK, "<title>Administration – OpenMASH</title>", "Northshire Police", ref.Email,
			`id="level-0-hours"`, `value="4"`, "2026-12-25 Christmas Day", "Concern code lists", "Child criminal exploitation", "Self-neglect")

		// Agencies.
		resp, body = e.do("POST", "/admin/agencies", url.Values{"name": {" "}, "kind": {"bakery"}})
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#agency-name">Name is required</a>`, `<a href="#agency-kind">Type must be one of`)
		resp, body = e.do("POST", "/admin/agencies", url.Values{"name": {"Northshire Police"}, "kind": {"police"}})
		wantStatus(t, resp, body, http.StatusConflict, `<a href="#agency-name">An agency with this name already exists</a>`)
		resp, _ = e.do("POST", "/admin/agencies", url.Values{"name": {"Northshire Probation"}, "kind": {"probation"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("add agency: %s", resp.Status)
		}
		_, body = e.get(resp.Header.Get("Location"))
		if !strings.Contains(body, "The agency was added.") || !strings.Contains(body, "Northshire Probation") {
			t.Fatal("the new agency is not listed")
		}

		// Users.
		resp, body = e.do("POST", "/admin/users", url.Values{"name": {"New Screener"}, "email": {"not an email"}, "role": {"screener"}, "password": {"short"}})
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#user-email">Email address must be a plain email address`,
			`<a href="#user-agency">Agency is required</a>`, `<a href="#user-password">Password must be at least 12 characters</a>`, `value="New Screener"`)
		if strings.Contains(body, `value="short"`) {
			t.Fatal("the password is shown back")
		}
		resp, _ = e.do("POST", "/admin/users", url.Values{"name": {"New Screener"}, "email": {"new.screener@hub.example"}, "role": {"screener"},
			"agency": {e.f.Hub.ID}, "password": {"a-long-enough-password"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("add user: %s", resp.Status)
		}
		if _, err := db.UserByEmail(t.Context(), "new.screener@hub.example"); err != nil {
			t.Fatalf("the new user: %v", err)
		}

		// Disable and enable.
		access := "/admin/users/" + ref.ID + "/access"
		resp, body = e.do("POST", access, url.Values{"access": {"disable"}, "reason": {""}})
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#access-`+ref.ID+`">Reason is required`)
		resp, body = e.do("POST", "/admin/users/"+admin.ID+"/access", url.Values{"access": {"disable"}, "reason": {"testing"}})
		wantStatus(t, resp, body, http.StatusConflict, "You cannot disable your own account")
		resp, _ = e.do("POST", access, url.Values{"access": {"disable"}, "reason": {"Left the school"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("disable: %s", resp.Status)
		}
		_, body = e.get("/admin")
		if !strings.Contains(body, "Disabled 10 Mar 2026") || !strings.Contains(body, "Enable<span class=\"govuk-visually-hidden\"> "+ref.Name) {
			t.Fatal("the disabled user is not shown so")
		}
		resp, _ = e.do("POST", access, url.Values{"access": {"enable"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("enable: %s", resp.Status)
		}

		// The policy.
		resp, body = e.do("POST", "/admin/policy", policyForm(map[string]string{"level-0-hours": "soon", "level-1-label": " ", "start": "9am",
			"holidays": "Christmas"}))
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#level-0-hours">`, `<a href="#level-1-label">`, `<a href="#calendar-start">`,
			`<a href="#calendar-holidays">`, `value="soon"`)
		if !before(t, body, `href="#level-0-hours"`, `href="#calendar-start"`) {
			t.Fatal("the error summary is not in the form's order")
		}
		form := policyForm(map[string]string{"level-0-label": "Critical", "level-0-hours": "2.5"})
		form["days"] = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}
		resp, _ = e.do("POST", "/admin/policy", form)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("set policy: %s", resp.Status)
		}
		p, err := db.Policy(t.Context())
		if err != nil || p.Levels[0].Label != "Critical" || p.Levels[0].Target.Minutes() != 150 || !p.Calendar.Days[6] || len(p.Calendar.Holidays) != 2 {
			t.Fatalf("policy after the change: %+v %v", p, err)
		}
		events, _ := db.AuditEvents(t.Context(), e.f.Actor(mash.RoleAuditor), mash.AuditFilter{ActorID: admin.ID})
		var actions []string
		for _, ev := range events {
			actions = append(actions, ev.Action)
		}
		for _, want := range []string{"agency.create", "user.create", "user.disable", "user.enable", "policy.update"} {
			if !strings.Contains(strings.Join(actions, " "), want) {
				t.Errorf("no %s audit event by the admin", want)
			}
		}
	})
}
