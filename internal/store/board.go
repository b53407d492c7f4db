package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"hash/fnv"
	"strconv"
	"time"

	mash "openmash.org/mash"
)

// BoardState fingerprints the live queue: each open contact's id, state,
// rating, deadline, worker, immediate-risk flag and version, whether it is
// overdue now, and the ids of its open requests. An open board polls it and
// offers a refresh when the token moves, so it reads only those columns,
// from the queue and request-status indexes, and is not audited: it
// discloses counts, not people.
func (db *DB) BoardState(ctx context.Context, by mash.Actor) (st mash.BoardState, err error) {
	defer mash.Wrap(&err, "store.BoardState")
	if err := may(by, mash.ActionContactList); err != nil {
		return st, err
	}
	if !by.HubWide() {
		return st, mash.Errorf(mash.KindForbidden, "only the hub's staff work the live queue")
	}
	now := db.Now().UTC()
	h := fnv.New64a()
	field := func(s string) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	// Two reads, not one snapshot: a change between them at worst offers
	// a refresh that shows nothing new.
	err = func() error {
		rows, err := db.r.QueryContext(ctx, `SELECT c.id, c.status, COALESCE(c.rag, ''), c.due_at, COALESCE(c.assigned_to, ''), c.immediate_risk, c.version
			FROM contacts c WHERE c.status IN (`+openStatuses+`) ORDER BY c.id`)
		if err != nil {
			return dbErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, status, rag, assigned string
			var due sql.NullTime
			var risk bool
			var version int
			if err := rows.Scan(&id, &status, &rag, &due, &assigned, &risk, &version); err != nil {
				return dbErr(err)
			}
			overdue := (&mash.Contact{Status: mash.Status(status), DueAt: ptrTime(due)}).Overdue(now)
			st.Open++
			if overdue {
				st.Overdue++
			}
			var dueAt string
			if due.Valid {
				dueAt = due.Time.UTC().Format(time.RFC3339Nano)
			}
			for _, f := range []string{id, status, rag, dueAt, assigned, strconv.FormatBool(risk), strconv.Itoa(version), strconv.FormatBool(overdue)} {
				field(f)
			}
		}
		if err := rows.Err(); err != nil {
			return dbErr(err)
		}
		field("requests")
		rows, err = db.r.QueryContext(ctx, `SELECT q.id FROM info_requests q JOIN contacts c ON c.id = q.contact_id
			WHERE q.status = 'open' AND c.status IN (`+openStatuses+`) ORDER BY q.id`)
		if err != nil {
			return dbErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return dbErr(err)
			}
			field(id)
		}
		return dbErr(rows.Err())
	}()
	st.Token = hex.EncodeToString(h.Sum(nil))
	return st, err
}
