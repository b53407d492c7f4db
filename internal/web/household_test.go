package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestMergeOnPersonPage: merge and unmerge from the person page, with the
// error summary for a missing choice or reason, and the confirmation that
// persons who look related (the seeded sisters) need.
func TestMergeOnPersonPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		e.signIn(e.f.Users[mash.RoleScreener].Email)
		h := e.seed()
		olive, lara := h.onTime.Subjects[0].PersonID, h.late.Subjects[0].PersonID
		path := "/persons/" + olive
		version := func(id string) string {
			pp, err := db.GetPerson(t.Context(), e.f.Actor(mash.RoleScreener), id)
			if err != nil {
				t.Fatal(err)
			}
			return v(pp.Person.Version)
		}

		resp, body := e.get(path)
		wantStatus(t, resp, body, http.StatusOK, "Merge another person into this one", `for="merge-reason"`, `id="merge-confirm"`,
			`href="/persons/`+olive+`/household"`)
		resp, body = e.do("POST", path+"/merge", url.Values{"version": {version(olive)}})
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#merge-person">Choose the person to merge into this one</a>`,
			`<a href="#merge-reason">Enter why these are the same person</a>`, `id="merge-reason-error"`)

		// Twins: refused without the confirmation, the reason kept.
		twin := func(given string) string {
			c := storetest.NewContact(e.clk.Now().Add(-time.Hour))
			c.Subjects = []mash.Subject{{Role: mash.SubjectMain, GivenName: given, FamilyName: "Patel", DOB: "2016-05-05", Sex: "F",
				Address: "7 Mill Street, Leeds", Postcode: "LS2 7EE"}}
			if _, err := db.CreateContact(t.Context(), e.f.Actor(mash.RoleScreener), c, ""); err != nil {
				t.Fatal(err)
			}
			return c.Subjects[0].PersonID
		}
		amy, ava := twin("Amy"), twin("Ava")
		resp, body = e.do("POST", "/persons/"+amy+"/merge", url.Values{"version": {version(amy)}, "merge_person_id": {ava}, "reason": {"Same school record"}})
		wantStatus(t, resp, body, http.StatusConflict, `<a href="#merge-confirm">These look like twins, siblings or a parent and child`, "Same school record")
		if pp, _ := db.GetPerson(t.Context(), e.f.Actor(mash.RoleScreener), ava); pp.Person.MergedInto != "" {
			t.Fatal("a refused merge merged")
		}
		resp, _ = e.do("POST", "/persons/"+amy+"/merge", url.Values{"version": {version(amy)}, "merge_person_id": {ava}, "reason": {"Same school record"},
			"confirm_not_related": {"yes"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("confirmed merge of look-alikes: %s", resp.Status)
		}

		// Olive (2015) and Lara (2019), at one address, look like sisters:
		// the merge needs the same confirmation.
		resp, _ = e.do("POST", path+"/merge", url.Values{"version": {version(olive)}, "merge_person_id": {lara}, "reason": {"Same school record"},
			"confirm_not_related": {"yes"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path+"?done=merged#main-content" {
			t.Fatalf("merge: %s %q", resp.Status, resp.Header.Get("Location"))
		}
		pp, err := db.GetPerson(t.Context(), e.f.Actor(mash.RoleScreener), olive)
		if err != nil || len(pp.Merges) != 1 {
			t.Fatalf("merges after the merge: %+v %v", pp, err)
		}
		mid := pp.Merges[0].ID
		resp, body = e.get(path + "?done=merged")
		wantStatus(t, resp, body, http.StatusOK, "The two persons were merged.", h.late.Reference, `action="/persons/`+olive+`/merges/`+mid+`/undo"`)

		undo := path + "/merges/" + mid + "/undo"
		resp, body = e.do("POST", undo, url.Values{"reason": {" "}})
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#unmerge-`+mid+`">Enter why these are different people</a>`)
		resp, _ = e.do("POST", undo, url.Values{"reason": {"Different dates of birth on the GP record"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("unmerge: %s", resp.Status)
		}
		_, body = e.get(resp.Header.Get("Location"))
		if !strings.Contains(body, "The merge was undone.") || strings.Contains(body, `/merges/`+mid+`/undo"`) {
			t.Fatal("after the unmerge the page still offers the undo")
		}
		resp, body = e.do("POST", undo, url.Values{"reason": {"Again"}})
		wantStatus(t, resp, body, http.StatusConflict, "This merge was already undone")

		// Roles that may not merge.
		e.signIn(e.f.Users[mash.RoleAuditor].Email)
		resp, body = e.do("POST", path+"/merge", url.Values{"version": {"1"}, "merge_person_id": {lara}, "reason": {"x"}})
		wantStatus(t, resp, body, http.StatusForbidden, "Your role cannot merge persons.")
		_, body = e.get(path)
		if strings.Contains(body, "Merge another person") {
			t.Fatal("the auditor is offered the merge form")
		}
	})
}

// TestHouseholdPage: the household view lists the members with the
// contacts naming them, as far as the reader may see.
func TestHouseholdPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		e.signIn(e.f.Users[mash.RoleScreener].Email)
		h := e.seed()
		olive := h.onTime.Subjects[0].PersonID
		resp, body := e.get("/persons/" + olive + "/household")
		wantStatus(t, resp, body, http.StatusOK, "<title>Household – OpenMASH</title>", "Olive Smith", "Dawn Smith",
			h.onTime.Reference, `href="/persons/`+olive+`"`)
		resp, body = e.get("/persons/no-such-person/household")
		wantStatus(t, resp, body, http.StatusNotFound, "Page not found")
		e.signIn(e.f.Users[mash.RoleAdmin].Email)
		resp, body = e.get("/persons/" + olive + "/household")
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound || strings.Contains(body, "Dawn") {
			t.Fatalf("admin opened a household: %s", resp.Status)
		}
	})
}
