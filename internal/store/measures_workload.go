package store

import (
	"context"
	"database/sql"
	"fmt"

	"openmash.org/mash"
)

// Workload: the open queue as it stands now. These measures are snapshots:
// they ignore from and to (the cohort still applies).

// openStates are the states of a contact still being worked: everything but
// closed (a decided contact still owes the referrer feedback).
const openStates = `('received','screening','passed_single_agency','passed_open_case','in_mash','decided','feedback_sent')`

// queueStates are the states in which a RAG clock runs.
const queueStates = `('received','screening','in_mash')`

// OpenStates lists the open states, as QueueStats.ByState keys them.
var OpenStates = []string{"received", "screening", "passed_single_agency", "passed_open_case", "in_mash", "decided", "feedback_sent"}

const unassigned = "(unassigned)"

func init() {
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasureWorkloadByState, Title: "Open contacts by state",
			Definition: "The contacts not yet closed, now, by the state they are in, with the age of the oldest (hours since the hub received it). " +
				"A snapshot: from and to are ignored.",
			Unit: mash.UnitCount, Dimensions: []string{"state"},
			Columns:  []mash.MeasureColumn{countCol("open", "Open contacts"), hoursCol("oldest_hours", "Oldest (hours since receipt)", mash.UnitHours, "open")},
			Snapshot: true},
		run: func(ctx context.Context, db *DB, m *mrun) error {
			var order []string
			for _, s := range mash.Statuses {
				if s != mash.StatusClosed {
					order = append(order, string(s))
					m.tab.row(string(s))
				}
			}
			m.tab.order[0] = order
			return db.runOpen(ctx, m, "c.status", "c.status IN "+openStates, nil)
		},
	})
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasureWorkloadByWorker, Title: "Open contacts by worker",
			Definition: "The contacts not yet closed, now, by the hub worker they are assigned to (\"" + unassigned + "\" for the unassigned queue), " +
				"with the age of the oldest (hours since receipt). Workers are hub staff; no child, adult or contact is named. " +
				"A snapshot: from and to are ignored.",
			Unit: mash.UnitCount, Dimensions: []string{"worker"},
			Columns:  []mash.MeasureColumn{countCol("open", "Open contacts"), hoursCol("oldest_hours", "Oldest (hours since receipt)", mash.UnitHours, "open")},
			Snapshot: true},
		run: func(ctx context.Context, db *DB, m *mrun) error {
			names, err := db.userNames(ctx)
			if err != nil {
				return err
			}
			m.tab.order[0] = []string{unassigned}
			return db.runOpen(ctx, m, "COALESCE(c.assigned_to, '')", "c.status IN "+openStates, func(v string) string {
				if v == "" {
					return unassigned
				}
				if n, ok := names[v]; ok {
					return n
				}
				return "(unknown worker)"
			})
		},
	})
	register(measure{
		def: mash.MeasureDef{Name: mash.MeasureQueueByRAG, Title: "Queue by RAG rating",
			Definition: "The contacts waiting for screening or a MASH decision (received, screening, in MASH), now, by RAG rating (\"unrated\" before " +
				"screening), with how many are past their deadline and the age of the oldest (hours since receipt). A snapshot: from and to are ignored.",
			Unit: mash.UnitCount, Dimensions: []string{"rag"},
			Columns: []mash.MeasureColumn{countCol("open", "Waiting"), countCol("overdue", "Past deadline"),
				hoursCol("oldest_hours", "Oldest (hours since receipt)", mash.UnitHours, "open")},
			Snapshot: true},
		run: func(ctx context.Context, db *DB, m *mrun) error {
			var order []string
			legend := map[string]string{"unrated": "Not rated"}
			for _, l := range m.policy.Levels {
				order = append(order, l.Code)
				legend[l.Code] = l.Label
				m.tab.row(l.Code)
			}
			m.tab.order[0] = append(order, "unrated")
			m.legend["rag"] = legend
			return db.runOpen(ctx, m, "CASE WHEN c.rag = '' THEN 'unrated' ELSE c.rag END", "c.status IN "+queueStates, nil)
		},
	})
}

// runOpen counts open contacts by dimSQL: how many, how many past their
// deadline, and the oldest receipt. Columns are open, [overdue,] oldest.
func (db *DB) runOpen(ctx context.Context, m *mrun, dimSQL, cond string, label func(string) string) error {
	args := []any{m.now}
	if m.q.Cohort != "" {
		cond += " AND c.cohort = $2"
		args = append(args, string(m.q.Cohort))
	}
	rows, err := db.r.QueryContext(ctx, fmt.Sprintf(`SELECT %s, COUNT(*), SUM(CASE WHEN c.due_at IS NOT NULL AND c.due_at < $1 THEN 1 ELSE 0 END), MIN(c.received_at)
		FROM contacts c WHERE %s GROUP BY 1`, dimSQL, cond), args...)
	if err != nil {
		return dbErr(err)
	}
	defer rows.Close()
	oldest := map[int]float64{}
	for rows.Next() {
		var dim string
		var n, overdue float64
		var first nullTimeScan
		if err := rows.Scan(&dim, &n, &overdue, &first); err != nil {
			return dbErr(err)
		}
		if label != nil {
			dim = label(dim)
		}
		i := m.tab.row(dim)
		m.tab.add(i, 0, n)
		m.tab.add(i, 1, overdue)
		if first.Valid {
			age := m.now.Sub(first.Time).Hours()
			if cur, ok := oldest[i]; !ok || age > cur {
				oldest[i] = age
			}
		}
	}
	if err := rows.Err(); err != nil {
		return dbErr(err)
	}
	withOverdue := m.tab.cols == 3
	rowOf := map[string]int{}
	for i, l := range m.tab.labels {
		rowOf[l[0]] = i
	}
	m.tab.finish = func(labels []string, s []float64, _ map[string][]float64) []mash.MeasureCell {
		age := mash.MeasureCell{}
		if v, ok := oldest[rowOf[labels[0]]]; ok {
			age = mash.Num(v)
		}
		if withOverdue {
			return []mash.MeasureCell{mash.Num(s[0]), mash.Num(s[1]), age}
		}
		return []mash.MeasureCell{mash.Num(s[0]), age}
	}
	return nil
}

// userNames maps user ids to names: hub staff, for the workload by worker.
func (db *DB) userNames(ctx context.Context) (map[string]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, name FROM users`)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, dbErr(err)
		}
		out[id] = name
	}
	return out, dbErr(rows.Err())
}

// QueueStats is the live state of the hub for monitoring: open contacts by
// state and by RAG rating, how many are past their deadline, and the job
// runner's queue. Counts only; nothing about any person.
type QueueStats struct {
	ByState        map[string]int
	ByRAG          map[string]int // contacts in queueStates by rating ("unrated" before screening)
	OverdueByRAG   map[string]int
	Jobs           map[string]int // by job state: queued, running, done, failed
	OldestQueuedAt *float64       // seconds since the oldest queued job was due, if any is due
}

// QueueStats reads the figures for /metrics: one grouped query each, on the
// read pool, unaudited (no personal data is read). Monitoring runs as the
// system, so no role check applies; do not serve it to users.
func (db *DB) QueueStats(ctx context.Context) (*QueueStats, error) {
	now := db.Now().UTC()
	st := &QueueStats{ByState: map[string]int{}, ByRAG: map[string]int{}, OverdueByRAG: map[string]int{}, Jobs: map[string]int{}}
	scan := func(q string, args []any, fn func(k string, a, b int)) error {
		rows, err := db.r.QueryContext(ctx, q, args...)
		if err != nil {
			return dbErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var a, b int
			if err := rows.Scan(&k, &a, &b); err != nil {
				return dbErr(err)
			}
			fn(k, a, b)
		}
		return dbErr(rows.Err())
	}
	if err := scan(`SELECT status, COUNT(*), 0 FROM contacts WHERE status IN `+openStates+` GROUP BY status`, nil,
		func(k string, a, _ int) { st.ByState[k] = a }); err != nil {
		return nil, err
	}
	if err := scan(`SELECT CASE WHEN rag = '' THEN 'unrated' ELSE rag END, COUNT(*),
		SUM(CASE WHEN due_at IS NOT NULL AND due_at < $1 THEN 1 ELSE 0 END)
		FROM contacts WHERE status IN `+queueStates+` GROUP BY 1`, []any{now},
		func(k string, a, b int) { st.ByRAG[k], st.OverdueByRAG[k] = a, b }); err != nil {
		return nil, err
	}
	if err := scan(`SELECT state, COUNT(*), 0 FROM jobs GROUP BY state`, nil,
		func(k string, a, _ int) { st.Jobs[k] = a }); err != nil {
		return nil, err
	}
	var oldest nullTimeScan
	err := db.r.QueryRowContext(ctx, `SELECT MIN(run_at) FROM jobs WHERE state = 'queued' AND run_at <= $1`, now).Scan(&oldest)
	if err != nil && err != sql.ErrNoRows {
		return nil, dbErr(err)
	}
	if oldest.Valid {
		age := now.Sub(oldest.Time).Seconds()
		st.OldestQueuedAt = &age
	}
	return st, nil
}
