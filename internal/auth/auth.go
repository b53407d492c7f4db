// Package auth holds credential primitives: argon2id password hashes in PHC
// form, TOTP one-time codes (RFC 6238), and random bearer tokens stored only
// as their SHA-256.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id cost parameters. They are stored in every hash, so they
// can be raised later without invalidating existing passwords.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// Default follows OWASP's password storage guidance for argon2id
// (46 MiB, one pass, one lane).
var Default = Params{Memory: 46 * 1024, Time: 1, Threads: 1}

const keyLen = 32

var b64 = base64.RawStdEncoding

// HashPassword returns the PHC string for password.
func HashPassword(password string, p Params) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrMismatch means the password does not match the hash.
var ErrMismatch = errors.New("password does not match")

// CheckPassword compares password with a PHC hash in constant time.
func CheckPassword(hash, password string) error {
	p, salt, want, err := parseHash(hash)
	if err != nil {
		return err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}

// NeedsRehash reports whether hash was made with weaker parameters than p (or
// is unreadable), so a sign-in that has the password can replace it.
func NeedsRehash(hash string, p Params) bool {
	h, _, _, err := parseHash(hash)
	return err != nil || h.Memory < p.Memory || h.Time < p.Time || h.Threads < p.Threads
}

func parseHash(hash string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("auth: unknown password hash format")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("auth: bad hash parameters: %w", err)
	}
	if p.Time < 1 || p.Threads < 1 {
		return p, nil, nil, errors.New("auth: bad hash parameters") // argon2 panics on these
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, fmt.Errorf("auth: bad salt: %w", err)
	}
	if key, err = b64.DecodeString(parts[5]); err != nil {
		return p, nil, nil, fmt.Errorf("auth: bad key: %w", err)
	}
	return p, salt, key, nil
}

// NewToken returns a random bearer token and the hash to store.
func NewToken() (token, hash string) {
	token = "mash_" + rand.Text()
	return token, HashToken(token)
}

// HashToken is the stored form of a token: a bearer token is high-entropy, so
// a plain SHA-256 suffices (no salt or stretching needed).
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
