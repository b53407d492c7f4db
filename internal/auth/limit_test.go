package auth

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	l := &Limiter{Burst: 3, Every: 10 * time.Second, Max: 2, Now: func() time.Time { return now }}
	for i := range 3 {
		if ok, _ := l.Take("a"); !ok {
			t.Fatalf("attempt %d refused within the burst", i+1)
		}
	}
	ok, retry := l.Take("a")
	if ok || retry != 10*time.Second {
		t.Fatalf("attempt after the burst: %v, retry %s", ok, retry)
	}
	if ok, _ := l.Take("b"); !ok {
		t.Fatal("another key is limited by the first")
	}
	now = now.Add(5 * time.Second)
	if ok, retry := l.Take("a"); ok || retry != 5*time.Second {
		t.Fatalf("half a period later: %v, retry %s", ok, retry)
	}
	now = now.Add(5 * time.Second)
	if ok, _ := l.Take("a"); !ok {
		t.Fatal("a refilled attempt refused")
	}
	// A success gives its attempt back; never beyond the burst.
	l.Give("a")
	if ok, _ := l.Take("a"); !ok {
		t.Fatal("a given-back attempt refused")
	}
	for range 10 {
		l.Give("b")
	}
	for i := range 4 {
		if ok, _ := l.Take("b"); ok != (i < 3) {
			t.Fatalf("b attempt %d: %v (gifts must not exceed the burst)", i+1, ok)
		}
	}
	// Memory is bounded: a third key forgets the others once full.
	l.Take("c")
	if len(l.buckets) > 2 {
		t.Fatalf("%d buckets kept, max 2", len(l.buckets))
	}
}

func TestClientKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":            "192.0.2.1",
		"::ffff:192.0.2.1":     "192.0.2.1",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"fe80::1%eth0":         "fe80::/64",
		"not an address":       "not an address",
		"2001:db8:1:3:3:4:5:6": "2001:db8:1:3::/64",
	} {
		if got := ClientKey(in); got != want {
			t.Errorf("ClientKey(%q) = %q, want %q", in, got, want)
		}
	}
}
