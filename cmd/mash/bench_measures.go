package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"syscall"
	"time"

	"openmash.org/mash"
)

// measureTiming is one measure's server time in `mash bench measures`.
type measureTiming struct {
	Name  string  `json:"name"`
	Rows  int     `json:"rows"`
	P50ms float64 `json:"p50_ms"`
	P95ms float64 `json:"p95_ms"`
	MaxMs float64 `json:"max_ms"`
	// CPU time of the process per computation (user + system): the
	// server's own work, which on a shared, overloaded machine says more
	// than the wall-clock time spent waiting for a core.
	CPUP50ms float64 `json:"cpu_p50_ms"`
	CPUP95ms float64 `json:"cpu_p95_ms"`
}

type measuresReport struct {
	Engine   string          `json:"engine"`
	Contacts int             `json:"contacts"`
	From     string          `json:"from"`
	To       string          `json:"to"`
	Period   string          `json:"period"`
	Runs     int             `json:"runs"`
	Measures []measureTiming `json:"measures"`
	// AllP95ms is the p95 of computing every measure once in a row: the
	// worst case of a dashboard that shows them all.
	AllP95ms float64 `json:"all_measures_p95_ms"`
}

// cmdBenchMeasures times every measure on a database filled by
// `mash bench gen-contacts`: runs × each measure over the last --months
// months before the newest contact, bucketed by --period.
func cmdBenchMeasures(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("bench measures", stderr)
	dbURL := fs.String("db", "", "database to read (default MASH_DATABASE_URL)")
	runs := fs.Int("runs", 20, "times to compute each measure")
	months := fs.Int("months", 12, "months the queries cover, ending at the newest contact")
	period := fs.String("period", "month", "day, week, month or none")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 || *runs < 1 || *months < 1 || *months > 120 {
		fmt.Fprintln(stderr, "bench measures: --runs at least 1, --months 1 to 120")
		return errUsage
	}
	u := *dbURL
	if u == "" {
		u = getenv("MASH_DATABASE_URL")
	}
	if u == "" {
		fmt.Fprintln(stderr, "bench measures: name the database with --db (or MASH_DATABASE_URL)")
		return errUsage
	}
	db, done, err := openBenchDB(ctx, u)
	if err != nil {
		return err
	}
	defer done()
	// The cost of working each measure out, not of reading a stored result.
	db.MeasuresLive = true
	var n int
	var newest string
	if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(reference), '') FROM contacts`).Scan(&n, &newest); err != nil {
		return err
	}
	var last time.Time
	if err := db.SQL().QueryRowContext(ctx, `SELECT received_at FROM contacts WHERE reference = $1`, newest).Scan(&last); err != nil {
		last = time.Now().UTC()
	}
	q := mash.MeasureQuery{To: last.Add(time.Second), Period: mash.MeasurePeriod(*period)}
	if *period == "none" {
		q.Period = mash.PeriodNone
	}
	q.From = q.To.AddDate(0, -*months, 0)
	db.Now = func() time.Time { return q.To }
	// An analyst of the benchmark: reads are audited under this id.
	analyst := mash.Actor{UserID: "bench-measures", Name: "Benchmark", Role: mash.RoleAnalyst, RequestID: "bench"}
	defs, err := db.ListMeasures(ctx, analyst)
	if err != nil {
		return err
	}
	rep := measuresReport{Engine: string(db.Dialect()), Contacts: n, From: q.From.Format(time.RFC3339), To: q.To.Format(time.RFC3339),
		Period: string(q.Period), Runs: *runs}
	all := make([]float64, *runs)
	for _, d := range defs {
		var times, cpu []float64
		rows := 0
		for i := range *runs {
			start, cpu0 := time.Now(), cpuTime()
			res, err := db.Measure(ctx, analyst, d.Name, q)
			if err != nil {
				return fmt.Errorf("bench measures: %s: %w", d.Name, err)
			}
			ms := float64(time.Since(start).Microseconds()) / 1000
			cpu = append(cpu, float64((cpuTime()-cpu0).Microseconds())/1000)
			times = append(times, ms)
			all[i] += ms
			rows = len(res.Rows)
		}
		slices.Sort(times)
		slices.Sort(cpu)
		rep.Measures = append(rep.Measures, measureTiming{Name: d.Name, Rows: rows,
			P50ms: nearestRank(times, 50), P95ms: nearestRank(times, 95), MaxMs: times[len(times)-1],
			CPUP50ms: nearestRank(cpu, 50), CPUP95ms: nearestRank(cpu, 95)})
		fmt.Fprintf(stderr, "bench measures: %-22s p95 %8.1f ms wall, %8.1f ms CPU\n", d.Name, nearestRank(times, 95), nearestRank(cpu, 95))
	}
	slices.Sort(all)
	rep.AllP95ms = nearestRank(all, 95)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// cpuTime is the CPU time the process has used (user + system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// nearestRank is the p-th percentile of sorted xs by the nearest-rank method.
func nearestRank(xs []float64, p float64) float64 {
	k := int(float64(len(xs))*p/100 + 0.999999)
	return xs[min(max(k, 1), len(xs))-1]
}
