package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"openmash.org/mash/internal/auth"
	"openmash.org/mash/internal/demo"
	"openmash.org/mash/internal/store/storetest"
	"openmash.org/mash/internal/web"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestLogsHoldNoPersonalData runs a hub with debug logging over a demo
// partnership, drives it through reads, writes, bad input and failed
// sign-ins on both the API and the browser side, and scans everything it
// logged for the synthetic people's names, dates of birth, NHS numbers,
// addresses and the staff's emails.
func TestLogsHoldNoPersonalData(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a demo partnership")
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	db := storetest.Open(t, storetest.Engines(t)[0])
	logins, err := demo.Seed(ctx, db, demo.Options{Now: time.Now().UTC(), Contacts: 40, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	db.Now = func() time.Time { return time.Now().UTC() }
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	addrc := make(chan string, 1)
	go serveWith(ctx, db, "127.0.0.1:0", web.Config{Log: log}, io.Discard, &logs, func(a string) { addrc <- a })
	base := "http://" + <-addrc

	key, err := auth.DecodeTOTPSecret(demo.TOTPSecret)
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, token string, body any) *http.Response {
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
		req, _ := http.NewRequestWithContext(ctx, method, base+path, r)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	screener := logins[0]
	do("POST", "/api/v1/auth/token", "", map[string]string{"email": screener.Email, "password": "wrong password here", "totp": "000000"})
	var tok struct{ Token string }
	b, _ := json.Marshal(map[string]string{"email": screener.Email, "password": screener.Password, "totp": auth.TOTPCode(key, auth.TOTPStep(time.Now()))})
	resp, err := http.Post(base+"/api/v1/auth/token", "application/json", bytes.NewReader(b))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("sign in: %v %v", resp, err)
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()

	rows, err := db.SQL().QueryContext(ctx, `SELECT c.id, s.given_name, s.family_name, s.dob, s.nhs_number, s.address
		FROM contacts c JOIN contact_subjects s ON s.contact_id = c.id`)
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	ids := map[string]bool{}
	for rows.Next() {
		var id, given, family, dob, nhs, addr string
		if err := rows.Scan(&id, &given, &family, &dob, &nhs, &addr); err != nil {
			t.Fatal(err)
		}
		ids[id] = true
		secrets = append(secrets, given+" "+family, family, dob, nhs, addr)
	}
	rows.Close()
	for _, l := range logins {
		secrets = append(secrets, l.Email)
	}
	for id := range ids {
		do("GET", "/api/v1/contacts/"+id, tok.Token, nil)
		do("GET", "/api/v1/contacts/"+id+"/history", tok.Token, nil)
	}
	do("GET", "/api/v1/contacts?limit=1000", tok.Token, nil)
	do("GET", "/api/v1/contacts?rag=purple", tok.Token, nil)
	// Bad input carrying personal data: refused, and not echoed into the log.
	do("POST", "/api/v1/contacts", tok.Token, map[string]any{"channel": "phone", "cohort": "child", "narrative": "Zebedee Quinton-Farrow at 9 Lark Rise",
		"subjects": []map[string]any{{"role": "subject", "given_name": "Zebedee", "family_name": "Quinton-Farrow", "dob": "2031-02-31", "nhs_number": "9434765918"}}})
	do("GET", "/api/v1/contacts/Zebedee-Quinton-Farrow", tok.Token, nil)
	form := url.Values{"email": {screener.Email}, "password": {"not the password"}, "code": {"123456"}}
	if resp, err := http.PostForm(base+"/sign-in", form); err == nil {
		resp.Body.Close()
	}
	secrets = append(secrets, "Zebedee", "Quinton-Farrow", "Lark Rise", "9434765918")

	// The log's own timestamps could match a newborn's date of birth.
	got := regexp.MustCompile(`time=\S+`).ReplaceAllString(logs.String(), "")
	if !strings.Contains(got, "request") || strings.Count(got, "\n") < len(ids) {
		t.Fatalf("the hub logged too little to judge (%d lines)", strings.Count(got, "\n"))
	}
	for _, s := range secrets {
		if len(s) >= 4 && strings.Contains(got, s) {
			t.Errorf("the log holds personal data: %q", s)
		}
	}
	t.Logf("scanned %d log lines for %d pieces of personal data", strings.Count(got, "\n"), len(secrets))
}
