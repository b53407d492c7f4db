package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Webhooks. Each event is POSTed as JSON to the partner's endpoint with two
// headers:
//
//	X-OpenMASH-Event-Id:  the event's id (the same on every retry: deduplicate on it)
//	X-OpenMASH-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>
//
// as in Stripe's scheme. A receiver recomputes the HMAC over the raw body it
// received, compares in constant time, and refuses a timestamp too far from
// its own clock (replays). Every attempt is signed afresh, so t is the time of
// the attempt. Any 2xx answer is success; anything else, or no answer within
// the timeout, is retried with exponential backoff.

// Header names.
const (
	SignatureHeader = "X-OpenMASH-Signature"
	EventIDHeader   = "X-OpenMASH-Event-Id"
)

// Sign returns the signature header's value for body at time t.
func Sign(secret string, body []byte, t time.Time) string {
	return fmt.Sprintf("t=%d,v1=%s", t.Unix(), mac(secret, t.Unix(), body))
}

func mac(secret string, t int64, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(h, "%d.", t)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Verification failures.
var (
	ErrBadHeader = errors.New("webhook signature: header is not t=<unix>,v1=<hex>")
	ErrSignature = errors.New("webhook signature: no signature matches the body and secret")
	ErrTimestamp = errors.New("webhook signature: timestamp outside the tolerance")
)

// Verify checks a signature header against the raw request body: some v1
// value must be the HMAC of "t.body" under secret, and t within tolerance of
// now. Partners may copy this function; it needs only the standard library.
func Verify(secret, header string, body []byte, tolerance time.Duration) error {
	return VerifyAt(secret, header, body, tolerance, time.Now())
}

// VerifyAt is Verify with the receiver's clock given.
func VerifyAt(secret, header string, body []byte, tolerance time.Duration, now time.Time) error {
	var ts int64
	var sigs []string
	seenT := false
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrBadHeader
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || seenT {
				return ErrBadHeader
			}
			ts, seenT = n, true
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if !seenT || len(sigs) == 0 {
		return ErrBadHeader
	}
	want := []byte(mac(secret, ts, body))
	ok := false
	for _, s := range sigs {
		if hmac.Equal([]byte(s), want) {
			ok = true
		}
	}
	if !ok {
		return ErrSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrTimestamp
	}
	return nil
}

// Attempt is the outcome of one delivery attempt, for the delivery log.
type Attempt struct {
	StatusCode int           // 0: no answer
	Err        error         // nil: delivered (a 2xx answer)
	Duration   time.Duration // from sending to the answer, or the failure
}

// Post delivers one event body to url, signed with secret at now. A non-2xx
// answer is an error naming the status; the answer's body is not read
// beyond a small amount (it is the partner's, and may hold anything).
func Post(ctx context.Context, client *http.Client, url, secret, eventID string, body []byte, now time.Time) Attempt {
	if client == nil {
		client = DefaultClient
	}
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Attempt{Err: fmt.Errorf("build the request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "OpenMASH-Webhooks/1")
	req.Header.Set(EventIDHeader, eventID)
	req.Header.Set(SignatureHeader, Sign(secret, body, now))
	resp, err := client.Do(req)
	if err != nil {
		return Attempt{Err: postErr(err), Duration: time.Since(start)}
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	a := Attempt{StatusCode: resp.StatusCode, Duration: time.Since(start)}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		a.Err = fmt.Errorf("the endpoint answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return a
}

// postErr says why no answer came, without the URL (which the client's
// errors repeat, and which may carry a partner's token in its query).
func postErr(err error) error {
	var ue interface{ Timeout() bool }
	switch {
	case errors.As(err, &ue) && ue.Timeout():
		return errors.New("no answer within the timeout")
	case errors.Is(err, context.DeadlineExceeded):
		return errors.New("no answer within the timeout")
	}
	var u interface{ Unwrap() error }
	if errors.As(err, &u) && u.Unwrap() != nil {
		return fmt.Errorf("no answer: %v", u.Unwrap())
	}
	return fmt.Errorf("no answer: %v", err)
}

// DefaultClient is the webhook client: a 10-second timeout (well inside a
// job's lease) and no redirects, so the signed body goes only where the
// admin registered.
var DefaultClient = &http.Client{
	Timeout: 10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}
