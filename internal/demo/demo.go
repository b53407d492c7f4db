// Package demo seeds a hub with a synthetic partnership: agencies, users for
// every role and contacts at every stage. Every person in it is fictional.
package demo

import (
	"context"
	"errors"
	"time"

	"openmash.org/mash/internal/store"
)

// Options control the seed.
type Options struct {
	Now      time.Time // the demo's "now": contacts are spread over the weeks before it
	Contacts int
	Seed     int64 // the same seed gives the same data
}

// Login is a demo sign-in.
type Login struct {
	Role, Email, Password, Agency string
}

// Seed fills db. (Stub: being written.)
func Seed(ctx context.Context, db *store.DB, opt Options) ([]Login, error) {
	return nil, errors.New("demo: not written yet")
}
