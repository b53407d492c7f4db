package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/auth"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
	"openmash.org/mash/internal/web"
)

// benchDB is the benchmarks' database: a fresh SQLite store, or with
// MASH_BENCH_DB set to a SQLite file (say 100,000 contacts from `mash bench
// gen-contacts`), a copy of it, so the pages are timed against a hub's
// history.
func benchDB(b *testing.B) *store.DB {
	src := strings.TrimPrefix(os.Getenv("MASH_BENCH_DB"), "file:")
	if src == "" {
		return storetest.Open(b, storetest.Engines(b)[0])
	}
	dst := filepath.Join(b.TempDir(), "bench.db")
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err == nil {
		_, err = io.Copy(out, in)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	return storetest.Open(b, storetest.Engine{Name: "sqlite", URL: "file:" + dst})
}

// benchPage times GET path as the user with the session token and reports
// the p95 server time and the gzipped page's size.
func benchPage(b *testing.B, h http.Handler, path, token string, header ...string) {
	var times []time.Duration
	var size int
	b.ResetTimer()
	for b.Loop() {
		r := httptest.NewRequest("GET", "http://127.0.0.1"+path, nil)
		r.AddCookie(&http.Cookie{Name: "mash-session", Value: token})
		r.Header.Set("Accept-Encoding", "gzip")
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(w, r)
		times = append(times, time.Since(t0))
		if w.Code != http.StatusOK && w.Code != http.StatusNoContent {
			b.Fatalf("%s: %d", path, w.Code)
		}
		size = w.Body.Len()
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(size), "gzip-bytes")
}

// BenchmarkBoard measures the server time of the MASH board with 500 open
// contacts (on SQLite), and reports its p95 and the page's size;
// BenchmarkBoardFilter an htmx update of its results; BenchmarkBoardPoll
// the open board's poll for changes (no change: 204).
//
//	go test ./internal/web -run '^$' -bench Board -benchtime 200x
//	MASH_BENCH_DB=/tmp/bench100k.db go test ./internal/web -run '^$' -bench Board -benchtime 200x
func BenchmarkBoard(b *testing.B) {
	h, tok, _ := boardBench(b)
	benchPage(b, h, "/board", tok)
}

// BenchmarkBoardFilter is an htmx update of the board's results: the
// filter form ordering the 500 contacts newest first, page 1 of 5.
func BenchmarkBoardFilter(b *testing.B) {
	h, tok, _ := boardBench(b)
	benchPage(b, h, "/board?sort=newest", tok, "HX-Request", "true", "HX-Target", "board-results")
}

func BenchmarkBoardPoll(b *testing.B) {
	h, tok, st := boardBench(b)
	benchPage(b, h, "/board/changes?since="+st.Token, tok)
}

// boardBench is a hub with 500 open contacts, its web handler, a
// screener's session and the queue's state.
func boardBench(b *testing.B) (http.Handler, string, mash.BoardState) {
	db := benchDB(b)
	clk := &clock{t: start}
	db.Now = clk.Now
	f := storetest.Partnership(b, db)
	scr := f.Actor(mash.RoleScreener)
	for i := range 500 {
		c := storetest.NewContact(clk.Now().Add(-time.Duration(i%72) * time.Hour))
		c.Subjects = c.Subjects[:1]
		c.Subjects[0].GivenName = fmt.Sprintf("Child%03d", i)
		c.Subjects[0].DOB = fmt.Sprintf("20%02d-%02d-%02d", 10+i%14, 1+i%12, 1+i%28)
		c.Subjects[0].NHSNumber, c.Subjects[0].Address, c.Subjects[0].Postcode = "", "", ""
		c.ImmediateRisk = i%50 == 0
		if _, err := db.CreateContact(b.Context(), scr, c, ""); err != nil {
			b.Fatal(err)
		}
		if i%2 == 0 {
			rag := []string{"red", "amber", "green"}[i%3]
			if _, err := db.Screen(b.Context(), scr, c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: rag, ThresholdLevel: 3,
				Reason: "r", Version: c.Version}); err != nil {
				b.Fatal(err)
			}
		}
	}
	h, tok := benchHandler(b, db, clk, f, mash.RoleScreener)
	st, err := db.BoardState(b.Context(), scr)
	if err != nil {
		b.Fatal(err)
	}
	return h, tok, st
}

// BenchmarkContactPage measures the server time of a contact page with 20
// returned items (four answered requests of five items each, every marking),
// as the hub's manager sees it.
//
//	go test ./internal/web -run '^$' -bench ContactPage -benchtime 200x
//	MASH_BENCH_DB=/tmp/bench100k.db go test ./internal/web -run '^$' -bench ContactPage -benchtime 200x
func BenchmarkContactPage(b *testing.B) {
	db := benchDB(b)
	clk := &clock{t: start}
	db.Now = clk.Now
	f := storetest.Partnership(b, db)
	scr := f.Actor(mash.RoleScreener)
	c := storetest.NewContact(clk.Now().Add(-2 * time.Hour))
	if _, err := db.CreateContact(b.Context(), scr, c, ""); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Screen(b.Context(), scr, c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: "amber", ThresholdLevel: 3,
		Reason: "r", Version: c.Version}); err != nil {
		b.Fatal(err)
	}
	researcher := storetest.ActorOf(f.PoliceResearcher)
	for i := range 4 {
		req, err := db.CreateRequest(b.Context(), scr, c.ID, mash.NewRequest{AgencyID: f.Police.ID, Question: fmt.Sprintf("Question %d?", i)})
		if err != nil {
			b.Fatal(err)
		}
		var items []mash.ReturnItem
		for j := range 5 {
			items = append(items, mash.ReturnItem{Summary: fmt.Sprintf("Call-out %d.%d", i, j), Detail: "Attended; no arrests.",
				OccurredOn: fmt.Sprintf("2026-01-%02d", 1+i*5+j), Marking: []mash.Marking{mash.MarkingMASHOnly, mash.MarkingReceivingTeam, mash.MarkingFamily}[j%3]})
		}
		if _, err := db.SubmitReturn(b.Context(), researcher, req.ID, &mash.AgencyReturn{Outcome: mash.ReturnInformation, Items: items}, req.Version); err != nil {
			b.Fatal(err)
		}
	}
	h, tok := benchHandler(b, db, clk, f, mash.RoleManager)
	benchPage(b, h, "/contacts/"+c.ID, tok)
}

// benchHandler is the web handler over db, with a session token for the
// partnership's user in role.
func benchHandler(b *testing.B, db *store.DB, clk *clock, f *storetest.Fixture, role mash.Role) (http.Handler, string) {
	b.Helper()
	h, err := web.New(db, web.Config{Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := db.StartSession(b.Context(), mash.Actor{}, f.Users[role].Email, f.Password,
		storetest.Code(auth.TOTPStep(clk.Now())), time.Hour, 2*time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	return h, tok.Token
}
