package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TOTP parameters (RFC 6238): HMAC-SHA-1, 30-second steps, 6 digits. These
// are the defaults every authenticator app assumes, so they are not settable.
const (
	TOTPPeriod = 30 * time.Second
	TOTPDigits = 6
	// TOTPSkew is how many steps either side of now a code may be from, for
	// clock drift between the phone and the server.
	TOTPSkew = 1
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a random 160-bit secret, the size RFC 4226 advises
// for HMAC-SHA-1, in base32 as authenticator apps take it.
func NewTOTPSecret() string {
	key := make([]byte, 20)
	rand.Read(key) // never fails (crypto/rand documents it)
	return b32.EncodeToString(key)
}

// DecodeTOTPSecret reads a base32 secret, ignoring case, spaces and padding
// as people type them.
func DecodeTOTPSecret(secret string) ([]byte, error) {
	s := strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "=", "").Replace(secret))
	return b32.DecodeString(s)
}

// TOTPStep is the time step that t falls in.
func TOTPStep(t time.Time) int64 { return t.Unix() / int64(TOTPPeriod/time.Second) }

// TOTPCode is the code for key at step.
func TOTPCode(key []byte, step int64) string { return hotp(key, uint64(step), TOTPDigits) }

// hotp is RFC 4226 section 5.3: HMAC the counter, truncate dynamically, and
// keep the low digits.
func hotp(key []byte, counter uint64, digits int) string {
	mac := hmac.New(sha1.New, key)
	mac.Write(binary.BigEndian.AppendUint64(nil, counter))
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff
	out := make([]byte, digits)
	for i := digits - 1; i >= 0; i-- {
		out[i] = byte('0' + v%10)
		v /= 10
	}
	return string(out)
}

// VerifyTOTP checks code against the steps around now and returns the step
// it matched. A step at or before after (the last one used) never matches,
// so each code works once. Every candidate is compared, in constant time.
func VerifyTOTP(key []byte, code string, now time.Time, after int64) (step int64, ok bool) {
	code = strings.ReplaceAll(code, " ", "") // apps show "123 456"
	if len(code) != TOTPDigits {
		return 0, false
	}
	cur := TOTPStep(now)
	for s := cur - TOTPSkew; s <= cur+TOTPSkew; s++ {
		if subtle.ConstantTimeCompare([]byte(TOTPCode(key, s)), []byte(code)) == 1 && s > after && !ok {
			step, ok = s, true
		}
	}
	return step, ok
}

// TOTPURI is the otpauth:// URI an authenticator app scans from a QR code
// (the Key Uri Format that Google Authenticator defined and others follow).
func TOTPURI(issuer, account, secret string) string {
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	q := url.Values{"secret": {secret}, "issuer": {issuer}, "algorithm": {"SHA1"},
		"digits": {strconv.Itoa(TOTPDigits)}, "period": {strconv.Itoa(int(TOTPPeriod / time.Second))}}
	return "otpauth://totp/" + label + "?" + q.Encode()
}
