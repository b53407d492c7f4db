package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"openmash.org/mash/internal/api"
	"openmash.org/mash/internal/metrics"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/web"
)

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	addr := fs.String("addr", envOr(getenv, "MASH_ADDR", "127.0.0.1:8080"), "listen address")
	// Off unless given: /metrics has no authentication, so it gets its own
	// (private) address, apart from the case data.
	metricsAddr := fs.String("metrics-addr", getenv("MASH_METRICS_ADDR"), "listen address for Prometheus /metrics, e.g. 127.0.0.1:9090 (default: off)")
	chf := addChannelFlags(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	channels, err := chf.channels(getenv)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetChannels(channels) // email alerts, webhook client (channels.go)
	wc, err := webConfig(getenv, stderr)
	if err != nil {
		return err
	}
	go keepCheckpointing(ctx, db, checkpointDir(getenv), auditKeyFile(getenv), stderr)
	return serveWith(ctx, db, *addr, wc, stdout, stderr, nil, withMetrics(*metricsAddr))
}

// webConfig reads the browser session timeouts (MASH_SESSION_IDLE,
// MASH_SESSION_LIFETIME, as Go durations) and single sign-on settings.
func webConfig(getenv func(string) string, stderr io.Writer) (web.Config, error) {
	var c web.Config
	if v := getenv("MASH_LOG_LEVEL"); v != "" {
		// debug, info, warn (the default) or error. Logs carry request ids,
		// routes, statuses and timings, never personal data.
		var level slog.Level
		if err := level.UnmarshalText([]byte(v)); err != nil {
			return c, fmt.Errorf("MASH_LOG_LEVEL: %w", err)
		}
		c.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	}
	for _, d := range []struct {
		name string
		to   *time.Duration
	}{{"MASH_SESSION_IDLE", &c.Idle}, {"MASH_SESSION_LIFETIME", &c.Lifetime}} {
		if v := getenv(d.name); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil {
				return c, fmt.Errorf("%s: %w", d.name, err)
			}
			*d.to = t
		}
	}
	var err error
	c.OIDC, err = web.OIDCFromEnv(getenv)
	return c, err
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// serve runs the HTTP server until ctx ends, then drains requests in flight.
// ready, if not nil, receives the bound address once the hub is listening.
// The web UI gets its defaults: sessions of 15 minutes idle, 12 hours in all,
// and no single sign-on.
func serve(ctx context.Context, db *store.DB, addr string, stdout, stderr io.Writer, ready func(addr string)) error {
	return serveWith(ctx, db, addr, web.Config{}, stdout, stderr, ready)
}

// serveWith is serve with the web UI configured by wc.
func serveWith(ctx context.Context, db *store.DB, addr string, wc web.Config, stdout, stderr io.Writer, ready func(addr string), opts ...serveOption) error {
	var so serveOptions
	for _, o := range opts {
		o(&so)
	}
	log := wc.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		wc.Log = log
	}
	ui, err := web.New(db, wc)
	if err != nil {
		return err
	}
	if err := ui.CheckGroupMap(ctx); err != nil {
		return err
	}
	go keepPurgingSessions(ctx, db, log)
	// The nightly pattern alert run re-queues itself; this queues the first (once per date, however many instances start).
	if err := db.SchedulePatterns(ctx); err != nil {
		return err
	}
	// So does the refresh of stored measure results (pre-aggregated
	// dashboards), which keeps the trends page's worked out from the start.
	db.Standing = web.StandingMeasures
	if err := db.ScheduleMeasures(ctx); err != nil {
		return err
	}
	stopJobs := startJobs(ctx, db, log)
	defer stopJobs()
	mux := http.NewServeMux()
	mx := metrics.New(db)
	if so.metricsAddr != "" {
		stop, err := serveMetrics(mx, so.metricsAddr, stdout, so.metricsReady)
		if err != nil {
			return err
		}
		defer stop()
	}
	mux.Handle("/api/", mx.Instrument("api", api.New(db, log)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := db.SQL().PingContext(r.Context()); err != nil {
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("/", mx.Instrument("web", ui)) // the browser UI: sign-in, sign-out, home
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "OpenMASH listening on http://%s (%s)\n", ln.Addr(), db.Dialect())
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// keepPurgingSessions deletes expired browser sessions every
// sessionPurgeEvery until ctx ends.
func keepPurgingSessions(ctx context.Context, db *store.DB, log *slog.Logger) {
	t := time.NewTicker(sessionPurgeEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := db.PurgeSessions(ctx); err != nil && ctx.Err() == nil {
			log.Error("purge expired sessions", "err", err)
		}
		if _, err := db.PurgeDrafts(ctx); err != nil && ctx.Err() == nil {
			log.Error("purge old drafts", "err", err)
		}
	}
}

const sessionPurgeEvery = 10 * time.Minute

// serveOptions are serveWith's optional settings.
type serveOptions struct {
	metricsAddr  string
	metricsReady func(addr string) // tests: the bound metrics address
}

type serveOption func(*serveOptions)

// withMetrics serves Prometheus /metrics on its own address ("" for none).
func withMetrics(addr string) serveOption { return func(o *serveOptions) { o.metricsAddr = addr } }

// serveMetrics serves mx on addr, at /metrics only, until stop is called.
func serveMetrics(mx *metrics.Metrics, addr string, stdout io.Writer, ready func(string)) (stop func(), err error) {
	mm := http.NewServeMux()
	mm.Handle("GET /metrics", mx.Handler())
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listen address: %w", err)
	}
	fmt.Fprintf(stdout, "Prometheus metrics on http://%s/metrics (no authentication: keep this address private)\n", ln.Addr())
	if ready != nil {
		ready(ln.Addr().String())
	}
	srv := &http.Server{Handler: mm, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go srv.Serve(ln)
	return func() {
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}, nil
}
