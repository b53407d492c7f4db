package notify_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"openmash.org/mash/internal/notify"
)

const secret = "whsec_0123456789abcdef0123456789abcdef"

// TestVerify: a signature made with the secret verifies; a wrong secret, a
// changed body, an old timestamp or a malformed header does not.
func TestVerify(t *testing.T) {
	body := []byte(`{"id":"e1","kind":"contact.breach"}`)
	now := time.Unix(1_790_000_000, 0)
	h := notify.Sign(secret, body, now)
	if !strings.HasPrefix(h, fmt.Sprintf("t=%d,v1=", now.Unix())) || len(h) != len("t=1790000000,v1=")+64 {
		t.Fatalf("header %q", h)
	}
	if err := notify.VerifyAt(secret, h, body, 5*time.Minute, now.Add(time.Minute)); err != nil {
		t.Fatalf("valid signature: %v", err)
	}
	cases := []struct {
		name, secret, header string
		body                 []byte
		at                   time.Time
		want                 error
	}{
		{"wrong secret", "whsec_not-the-right-one-at-all", h, body, now, notify.ErrSignature},
		{"changed body", secret, h, []byte(`{"id":"e1","kind":"contact.created"}`), now, notify.ErrSignature},
		{"too old", secret, h, body, now.Add(6 * time.Minute), notify.ErrTimestamp},
		{"from the future", secret, h, body, now.Add(-6 * time.Minute), notify.ErrTimestamp},
		{"no timestamp", secret, strings.Split(h, ",")[1], body, now, notify.ErrBadHeader},
		{"no signature", secret, strings.Split(h, ",")[0], body, now, notify.ErrBadHeader},
		{"garbage", secret, "sha256=abc", body, now, notify.ErrBadHeader},
		{"two timestamps", secret, h + ",t=1", body, now, notify.ErrBadHeader},
		{"timestamp moved", secret, strings.Replace(h, "t=1790000000", "t=1790000001", 1), body, now, notify.ErrSignature},
	}
	for _, c := range cases {
		if err := notify.VerifyAt(c.secret, c.header, c.body, 5*time.Minute, c.at); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// During a secret rotation a receiver may get several v1 values.
	rotated := h + ",v1=" + strings.Repeat("0", 64)
	if err := notify.VerifyAt(secret, rotated, body, time.Minute, now); err != nil {
		t.Errorf("extra v1: %v", err)
	}
}

// TestPost: the delivery carries the event id and a signature the receiver
// verifies with the shared secret; a 500 is an error naming the status; a
// slow endpoint times out with an error that does not repeat the URL.
func TestPost(t *testing.T) {
	body := []byte(`{"id":"e2","kind":"feedback.sent"}`)
	var got error
	status := http.StatusNoContent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = notify.Verify(secret, r.Header.Get(notify.SignatureHeader), b, 5*time.Minute)
		if r.Header.Get(notify.EventIDHeader) != "e2" || r.Header.Get("Content-Type") != "application/json" {
			got = errors.New("headers missing")
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	a := notify.Post(context.Background(), nil, srv.URL, secret, "e2", body, time.Now())
	if a.Err != nil || a.StatusCode != 204 || got != nil {
		t.Fatalf("delivery: %+v, receiver: %v", a, got)
	}
	status = http.StatusInternalServerError
	if a := notify.Post(context.Background(), nil, srv.URL, secret, "e2", body, time.Now()); a.Err == nil || a.StatusCode != 500 ||
		!strings.Contains(a.Err.Error(), "500") {
		t.Errorf("500: %+v", a)
	}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
		}
	}))
	defer slow.Close()
	client := &http.Client{Timeout: 100 * time.Millisecond}
	a = notify.Post(context.Background(), client, slow.URL+"/hook?token=partner-secret", secret, "e3", body, time.Now())
	if a.Err == nil || a.StatusCode != 0 || strings.Contains(a.Err.Error(), "partner-secret") || strings.Contains(a.Err.Error(), "127.0.0.1") {
		t.Errorf("timeout: %+v", a)
	}
}
