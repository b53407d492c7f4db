package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestBoardPages: the board shows 100 contacts a page, most urgent first,
// with GOV.UK pagination whose links keep the filter; htmx gets a page as
// the results fragment; a page past the last shows the last, and a page
// that is not a number is an error that shows the first.
func TestBoardPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, nil)
		scr := e.f.Actor(mash.RoleScreener)
		for i := range 205 {
			c := storetest.NewContact(e.clk.Now().Add(-time.Duration(205-i) * time.Minute))
			c.Subjects = c.Subjects[:1]
			c.Subjects[0].NHSNumber = ""
			if _, err := db.CreateContact(t.Context(), scr, c, ""); err != nil {
				t.Fatal(err)
			}
		}
		e.signIn(e.f.Users[mash.RoleScreener].Email)
		rows := func(body string) int { return strings.Count(body, `<tr class="govuk-table__row">`) - 1 } // less the header

		resp, body := e.get("/board")
		wantStatus(t, resp, body, http.StatusOK, "Showing 1 to 100 of 205 contacts, most urgent first", `<strong>205</strong> open`,
			`aria-label="Page 1" aria-current="page">1</a>`, `href="/board?page=3" aria-label="Page 3">3</a>`, `href="/board?page=2" rel="next"`)
		if rows(body) != 100 || strings.Contains(body, `rel="prev"`) {
			t.Errorf("page 1: %d rows, previous link %v", rows(body), strings.Contains(body, `rel="prev"`))
		}

		resp, body = e.get("/board?sort=newest&page=3")
		wantStatus(t, resp, body, http.StatusOK, "Showing 201 to 205 of 205 contacts, newest first",
			`href="/board?page=2&amp;sort=newest" rel="prev"`, `href="/board?sort=newest" aria-label="Page 1">1</a>`)
		if rows(body) != 5 || strings.Contains(body, `rel="next"`) {
			t.Errorf("page 3: %d rows, next link %v", rows(body), strings.Contains(body, `rel="next"`))
		}
		// Newest first: the last page holds the oldest contacts.
		first, _ := db.ListContacts(t.Context(), scr, mash.ContactFilter{Open: true, Limit: 1000})
		oldest := first[0]
		for _, c := range first {
			if c.ReceivedAt.Before(oldest.ReceivedAt) {
				oldest = c
			}
		}
		if !strings.Contains(body, oldest.Reference) {
			t.Errorf("the last page of newest first lacks the oldest contact %s", oldest.Reference)
		}

		resp, body = e.get("/board?page=9")
		wantStatus(t, resp, body, http.StatusOK, "Showing 201 to 205 of 205 contacts")

		resp, body = e.get("/board?page=two")
		wantStatus(t, resp, body, http.StatusBadRequest, `<a href="#page">Choose a page from the list of pages</a>`, "Showing 1 to 100 of 205")

		// htmx asks for a page: the results fragment alone.
		resp, body = e.do("GET", "/board?page=2", nil, "HX-Request", "true", "HX-Target", "board-results")
		wantStatus(t, resp, body, http.StatusOK, "Showing 101 to 200 of 205 contacts")
		if !strings.HasPrefix(strings.TrimSpace(body), `<div id="board-results"`) || strings.Contains(body, "<html") || rows(body) != 100 {
			t.Errorf("htmx page 2 is not the results fragment of 100 rows:\n%.500s", body)
		}

		// One page: no pagination.
		resp, body = e.get("/board?rag=red")
		wantStatus(t, resp, body, http.StatusOK, "0 contacts matching the filter")
		if strings.Contains(body, "govuk-pagination") {
			t.Error("a single page shows pagination")
		}
	})
}
