package auth

import (
	"net/netip"
	"sync"
	"time"
)

// Limiter is a token bucket per key (a client address): up to Burst
// attempts at once, then one more per Every. It lives in memory, so each
// instance limits on its own; the account lockout in the database is what
// holds across instances.
type Limiter struct {
	Burst int
	Every time.Duration
	Max   int              // keys remembered; beyond it full buckets are forgotten
	Now   func() time.Time // the clock (time.Now when nil)

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// Take spends one attempt for key. If none is left it reports false and
// how long until one is.
func (l *Limiter) Take(key string) (ok bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.fill(key, now)
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) * float64(l.Every))
	}
	b.tokens--
	return true, 0
}

// Give returns an attempt to key, for one that turned out well (a
// successful sign-in), so only failures use up the bucket.
func (l *Limiter) Give(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.fill(key, l.now())
	b.tokens = min(b.tokens+1, float64(l.Burst))
}

func (l *Limiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// fill returns key's bucket topped up to now.
func (l *Limiter) fill(key string, now time.Time) *bucket {
	b := l.buckets[key]
	if b == nil {
		if l.buckets == nil {
			l.buckets = map[string]*bucket{}
		}
		if l.Max > 0 && len(l.buckets) >= l.Max {
			l.forget(now)
		}
		b = &bucket{tokens: float64(l.Burst), at: now}
		l.buckets[key] = b
		return b
	}
	if now.After(b.at) {
		b.tokens = min(float64(l.Burst), b.tokens+float64(now.Sub(b.at))/float64(l.Every))
		b.at = now
	}
	return b
}

// forget drops the buckets that have refilled (they hold nothing a new one
// would not). If every bucket is still in use it drops them all: memory
// stays bounded, and the accounts stay protected by their lockout.
func (l *Limiter) forget(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+float64(now.Sub(b.at))/float64(l.Every) >= float64(l.Burst) {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.Max {
		clear(l.buckets)
	}
}

// ClientKey is the key to limit a client address by: the address itself,
// or for IPv6 its /64, since one client commonly holds a whole /64.
func ClientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.WithZone("").Prefix(64)
	return p.String()
}
