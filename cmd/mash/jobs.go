package main

import (
	"context"
	"log/slog"
	"sync"

	"openmash.org/mash/internal/jobs"
	"openmash.org/mash/internal/store"
)

// jobRunners is how many goroutines of each instance run background jobs.
const jobRunners = 2

// startJobs runs the background job runners (reminders, deadline alerts)
// under a fresh instance id until ctx ends or stop is called; stop waits for
// them, so no job is cut off when the store closes.
func startJobs(ctx context.Context, db *store.DB, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	r := &jobs.Runner{Queue: db, Owner: jobs.InstanceID(), Log: log}
	log.Info("background jobs", "instance", r.Owner, "runners", jobRunners)
	var wg sync.WaitGroup
	wg.Go(func() { r.RunN(ctx, jobRunners) })
	return func() {
		cancel()
		wg.Wait()
	}
}
