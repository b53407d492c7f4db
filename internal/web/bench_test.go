package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/auth"
	"openmash.org/mash/internal/store/storetest"
	"openmash.org/mash/internal/web"
)

// BenchmarkBoard measures the server time of the MASH board with 500 open
// contacts (on SQLite), and reports its p95 and the page's size.
//
//	go test ./internal/web -run '^$' -bench Board -benchtime 200x
func BenchmarkBoard(b *testing.B) {
	db := storetest.Open(b, storetest.Engines(b)[0])
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
	h, err := web.New(db, web.Config{Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := db.StartSession(b.Context(), mash.Actor{}, f.Users[mash.RoleScreener].Email, f.Password,
		storetest.Code(auth.TOTPStep(clk.Now())), time.Hour, 2*time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	var times []time.Duration
	var size int
	b.ResetTimer()
	for b.Loop() {
		r := httptest.NewRequest("GET", "http://127.0.0.1/board", nil)
		r.AddCookie(&http.Cookie{Name: "mash-session", Value: tok.Token})
		r.Header.Set("Accept-Encoding", "gzip")
		w := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(w, r)
		times = append(times, time.Since(t0))
		if w.Code != http.StatusOK {
			b.Fatalf("board: %d", w.Code)
		}
		size = w.Body.Len()
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(size), "gzip-bytes")
}
