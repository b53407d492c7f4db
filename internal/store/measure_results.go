package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"openmash.org/mash"
)

// Pre-aggregation of measures over long ranges (mash.MeasureLiveRange). The
// trends dashboard's year of four measures by month over twenty years of
// contacts costs about 550 ms of CPU on SQLite however the queries are
// indexed, against the 300 ms a dashboard may take; so the hub keeps each
// such result it works out (measure_results) and serves it until
// mash.MeasureMaxAge old, and the job below works out again, every half of
// that, the results someone read in the last three days and the standing
// ones the pages ask for by default (DB.Standing). Pages and the API read
// the same stored results, and each says when it was worked out (AsAt).

// JobMeasuresRefresh works out again the stored results in use, then
// queues its next run.
const JobMeasuresRefresh = "measures.refresh"

const (
	// measureRefreshEvery is the refresh job's interval: a result read
	// every day is never older than MeasureMaxAge when served.
	measureRefreshEvery = mash.MeasureMaxAge / 2
	// measureKeepWarm: results read within it are refreshed; three days,
	// so a weekend does not leave Monday's dashboards to work out afresh.
	measureKeepWarm = 3 * 24 * time.Hour
	// measureForget: results unread for longer are deleted.
	measureForget = 7 * 24 * time.Hour
	// measureTouchEvery: a read records itself (read_at) at most this
	// often, so serving a stored result rarely writes.
	measureTouchEvery = time.Hour
)

func init() { deliveryJobs[JobMeasuresRefresh] = (*DB).runMeasuresRefresh }

// storedQuery is what a stored result answers: a measure and its query.
// ToDate results run to the time they were worked out (the dashboards'
// "to date" ranges, whose end is the time of asking), so Query.To does not
// name them.
type storedQuery struct {
	Measure string            `json:"measure"`
	Query   mash.MeasureQuery `json:"query"`
	ToDate  bool              `json:"to_date"`
}

// storedFor is the stored query of m over q (normalised) at now, and
// whether such a range is stored at all (see mash.MeasureLiveRange).
func storedFor(m *measure, q mash.MeasureQuery, now time.Time) (storedQuery, bool) {
	sq := storedQuery{Measure: m.def.Name, Query: q, ToDate: q.To.Sub(now).Abs() <= mash.MeasureMaxAge}
	return sq, q.To.Sub(q.From) > mash.MeasureLiveRange
}

func (s storedQuery) key() string {
	to := "now"
	if !s.ToDate {
		to = s.Query.To.UTC().Format(time.RFC3339Nano)
	}
	return strings.Join([]string{s.Measure, s.Query.From.UTC().Format(time.RFC3339Nano), to, string(s.Query.Cohort), string(s.Query.Period)}, "|")
}

// storedMeasure is sq's stored result if it is fresh at now, else nil;
// touch says the read should be recorded (read_at is old).
func (db *DB) storedMeasure(ctx context.Context, sq storedQuery, now time.Time) (res *mash.MeasureResult, touch bool, err error) {
	var result string
	var asAt, readAt time.Time
	err = db.r.QueryRowContext(ctx, `SELECT result, as_at, read_at FROM measure_results WHERE key = $1`, sq.key()).Scan(&result, &asAt, &readAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, dbErr(err)
	}
	if now.Sub(asAt) > mash.MeasureMaxAge {
		return nil, false, nil
	}
	if err := json.Unmarshal([]byte(result), &res); err != nil {
		return nil, false, fmt.Errorf("stored result of %s: %w", sq.Measure, err)
	}
	res.Stored = true
	return res, now.Sub(readAt) >= measureTouchEvery, nil
}

// keepMeasure stores res as sq's result, unless a newer one is stored
// already (another instance, or the refresh job, got there first).
func keepMeasure(ctx context.Context, tx querier, sq storedQuery, res *mash.MeasureResult, readAt time.Time) error {
	result, err := json.Marshal(res)
	if err != nil {
		return err
	}
	query, err := json.Marshal(sq)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO measure_results (key, measure, query, result, as_at, read_at) VALUES ($1,$2,$3,$4,$5,$6)
		ON CONFLICT (key) DO UPDATE SET query = excluded.query, result = excluded.result, as_at = excluded.as_at,
			read_at = CASE WHEN excluded.read_at > measure_results.read_at THEN excluded.read_at ELSE measure_results.read_at END
		WHERE measure_results.as_at < excluded.as_at`,
		sq.key(), sq.Measure, string(query), string(result), res.AsAt, readAt)
	return dbErr(err)
}

// ScheduleMeasures queues the refresh of stored measure results, at once.
// It is idempotent (a key per interval), so every instance calls it at
// start; each run queues the next.
func (db *DB) ScheduleMeasures(ctx context.Context) (err error) {
	defer mash.Wrap(&err, "store.ScheduleMeasures")
	_, err = db.EnqueueJob(ctx, measuresRefreshJob(db.Now().UTC()))
	return err
}

func measuresRefreshJob(at time.Time) NewJob {
	slot := at.Truncate(measureRefreshEvery)
	return NewJob{Kind: JobMeasuresRefresh, Key: "measures:refresh:" + slot.Format(time.RFC3339), RunAt: at}
}

// runMeasuresRefresh queues the next run first (a failure here must not end
// the chain), then works out again each stored result read lately that is
// older than the interval, each kept in its own short transaction
// (the computations read from the read pool and hold up no writer), and
// forgets results unread for a week.
func (db *DB) runMeasuresRefresh(ctx context.Context, j *mash.Job, owner string) error {
	if err := db.claimHeld(ctx, j, owner); err != nil {
		return err
	}
	now := db.Now().UTC()
	if _, err := db.EnqueueJob(ctx, measuresRefreshJob(now.Add(measureRefreshEvery))); err != nil {
		return err
	}
	n, err := db.RefreshMeasures(ctx)
	if err != nil {
		return err
	}
	return db.finishDelivery(ctx, j, owner, true, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM measure_results WHERE read_at < $1`, now.Add(-measureForget)); err != nil {
			return dbErr(err)
		}
		return db.audit(ctx, tx, jobActor(j), "measure.refresh", "measure", "", fmt.Sprintf("%d results worked out again", n))
	})
}

// RefreshMeasures works out again the stored results read in the last
// three days that are older than the refresh interval, and the standing
// ones (DB.Standing) whether read or not, and says how many.
func (db *DB) RefreshMeasures(ctx context.Context) (n int, err error) {
	defer mash.Wrap(&err, "store.RefreshMeasures")
	now := db.Now().UTC()
	if db.Standing != nil {
		for _, mr := range db.Standing(now) {
			m, ok := findMeasure(mr.Name)
			if !ok {
				return n, fmt.Errorf("standing measure %q: no such measure", mr.Name)
			}
			sq, stored := storedFor(m, m.normalise(mr.Query), now)
			if !stored {
				continue
			}
			var asAt time.Time
			err := db.r.QueryRowContext(ctx, `SELECT as_at FROM measure_results WHERE key = $1`, sq.key()).Scan(&asAt)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return n, dbErr(err)
			}
			if err == nil && now.Sub(asAt) < measureRefreshEvery {
				continue
			}
			// Kept as if read now, so it stays among the results kept fresh.
			if err := db.rework(ctx, m, sq, now, now); err != nil {
				return n, err
			}
			n++
		}
	}
	rows, err := db.r.QueryContext(ctx, `SELECT query FROM measure_results WHERE read_at >= $1 AND as_at <= $2 ORDER BY key`,
		now.Add(-measureKeepWarm), now.Add(-measureRefreshEvery))
	if err != nil {
		return 0, dbErr(err)
	}
	var due []storedQuery
	for rows.Next() {
		var raw string
		var sq storedQuery
		if err := rows.Scan(&raw); err != nil {
			rows.Close()
			return 0, dbErr(err)
		}
		if err := json.Unmarshal([]byte(raw), &sq); err != nil {
			rows.Close()
			return 0, fmt.Errorf("stored measure query: %w", err)
		}
		due = append(due, sq)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, dbErr(err)
	}
	for _, sq := range due {
		m, ok := findMeasure(sq.Measure)
		if !ok {
			continue // a measure since retired; forgotten in a week
		}
		if err := db.rework(ctx, m, sq, db.Now().UTC(), time.Time{}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// rework works sq out again at now (to now, for a to-date result) and keeps
// it, recording a read at readAt if that is later than the last.
func (db *DB) rework(ctx context.Context, m *measure, sq storedQuery, now, readAt time.Time) error {
	q := sq.Query
	if sq.ToDate {
		q.To = now
	}
	res, err := db.computeMeasure(ctx, m, q, now)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error { return keepMeasure(ctx, tx, sq, res, readAt) })
}
