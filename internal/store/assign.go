package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"openmash.org/mash"
)

// assignedCond is the SQL condition for ContactFilter.AssignedTo: "me",
// "none" or a user id ("" for no condition). The id is only compared, so an
// unknown one matches nothing rather than being an error.
func assignedCond(v string, by mash.Actor, args *[]any, fe mash.FieldErrors) string {
	switch v {
	case "":
		return ""
	case mash.AssignedToNone:
		return "c.assigned_to IS NULL"
	case mash.AssignedToMe:
		v = by.UserID
	}
	if len(v) > 64 {
		fe.Add("assigned", "must be me, none or a user id")
		return ""
	}
	*args = append(*args, v)
	return fmt.Sprintf("c.assigned_to = $%d", len(*args))
}

// assignee is the worker a contact is assigned to: id and name, or "" for no one.
func assignee(ctx context.Context, q querier, contactID string) (id, name string, err error) {
	err = q.QueryRowContext(ctx, `SELECT COALESCE(c.assigned_to, ''), COALESCE(u.name, '') FROM contacts c
		LEFT JOIN users u ON u.id = c.assigned_to WHERE c.id = $1`, contactID).Scan(&id, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", errNoContact
	}
	return id, name, dbErr(err)
}

// Assign gives a contact to a worker, or to no one when userID is empty.
// Managers give contacts to any active screener or manager; a screener may
// only take a contact for themselves, or give up one they hold. The change
// bumps the contact's version, so a stale one is refused.
func (db *DB) Assign(ctx context.Context, by mash.Actor, contactID, userID string, version int) (*mash.Contact, error) {
	if err := may(by, mash.ActionContactAssign); err != nil {
		return nil, err
	}
	return db.mutateContact(ctx, by, contactID, version, func(tx *sql.Tx, c *mash.Contact) (string, string, error) {
		current, _, err := assignee(ctx, tx, c.ID)
		if err != nil {
			return "", "", err
		}
		if by.Role != mash.RoleManager {
			switch {
			case userID != "" && userID != by.UserID:
				return "", "", mash.Errorf(mash.KindForbidden, "only a manager may give a contact to someone else")
			case userID == "" && current != by.UserID:
				return "", "", mash.Errorf(mash.KindForbidden, "only a manager may take a contact from someone else")
			case userID != "" && current != "" && current != by.UserID:
				return "", "", mash.Errorf(mash.KindForbidden, "this contact is assigned to someone else: ask a manager to move it")
			}
		}
		if c.Status.Closed() {
			return "", "", mash.Errorf(mash.KindConflict, "the contact is closed: there is no work to assign")
		}
		if userID == current && userID == "" {
			return "", "", mash.Errorf(mash.KindConflict, "the contact is not assigned to anyone")
		}
		if userID == current {
			return "", "", mash.Errorf(mash.KindConflict, "the contact is already assigned to that worker")
		}
		var to any
		reason := "unassigned"
		if userID != "" {
			var role string
			var disabled sql.NullTime
			err := tx.QueryRowContext(ctx, `SELECT role, disabled_at FROM users WHERE id = $1`, userID).Scan(&role, &disabled)
			if errors.Is(err, sql.ErrNoRows) || len(userID) > 64 {
				return "", "", &mash.Error{Kind: mash.KindInvalid, Msg: "the assignment is not valid", Fields: map[string]string{"user": "no such user"}}
			}
			if err != nil {
				return "", "", dbErr(err)
			}
			if r := mash.Role(role); (r != mash.RoleScreener && r != mash.RoleManager) || disabled.Valid {
				return "", "", &mash.Error{Kind: mash.KindInvalid, Msg: "the assignment is not valid",
					Fields: map[string]string{"user": "must be an active screener or manager"}}
			}
			to, reason = userID, "to "+userID
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contacts SET assigned_to = $1 WHERE id = $2`, to, c.ID); err != nil {
			return "", "", dbErr(err)
		}
		return "contact.assign", reason, nil
	})
}

// ChaseRequest records a manual chase of an open information request and
// tells the asked agency's researchers in the app. A request chased in the
// last hour is not chased again (Conflict), so a double click sends one.
func (db *DB) ChaseRequest(ctx context.Context, by mash.Actor, requestID string) (ch *mash.Chase, err error) {
	defer mash.Wrap(&err, "store.ChaseRequest")
	if err := may(by, mash.ActionRequestChase); err != nil {
		return nil, err
	}
	if !by.HubWide() {
		return nil, mash.Errorf(mash.KindForbidden, "only the hub's staff chase partner agencies")
	}
	now := db.jobNow()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		var contactID, reference, agencyID, status string
		var asked, due time.Time
		err := tx.QueryRowContext(ctx, `SELECT r.contact_id, c.reference, r.agency_id, r.status, r.requested_at, r.due_at
			FROM info_requests r JOIN contacts c ON c.id = r.contact_id WHERE r.id = $1`, requestID).
			Scan(&contactID, &reference, &agencyID, &status, &asked, &due)
		if errors.Is(err, sql.ErrNoRows) {
			return mash.Errorf(mash.KindNotFound, "no such information request")
		}
		if err != nil {
			return dbErr(err)
		}
		if mash.RequestStatus(status) != mash.RequestOpen {
			return mash.Errorf(mash.KindConflict, "the agency has already answered this request")
		}
		var last time.Time
		err = tx.QueryRowContext(ctx, `SELECT at FROM request_chases WHERE request_id = $1 AND kind = $2 ORDER BY at DESC LIMIT 1`,
			requestID, mash.ChaseManual).Scan(&last)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return dbErr(err)
		}
		if err == nil && now.Sub(last) < time.Hour {
			return mash.Errorf(mash.KindConflict, "this request was chased less than an hour ago")
		}
		users, err := usersWhere(ctx, tx, `role = 'researcher' AND agency_id = $1`, agencyID)
		if err != nil {
			return err
		}
		pct := 100
		if now.Before(due) && due.After(asked) {
			pct = int(now.Sub(asked) * 100 / due.Sub(asked))
		}
		ch = &mash.Chase{ID: newID(), RequestID: requestID, ContactID: contactID, Kind: mash.ChaseManual, Percent: pct, At: now, Notified: len(users)}
		// The chase's id stands in for the job that notifications name.
		msg := fmt.Sprintf("The MASH has chased the information request for %s: it is due %s.", reference, londonTime(due))
		if !now.Before(due) {
			msg = fmt.Sprintf("The MASH has chased the information request for %s: it was due %s.", reference, londonTime(due))
		}
		if err := db.notify(ctx, tx, "chase:"+ch.ID, users, "request.chase", reference, "/inbox/"+requestID, msg); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO request_chases (id, request_id, contact_id, kind, percent, at, notified)
			VALUES ($1,$2,$3,$4,$5,$6,$7)`, ch.ID, ch.RequestID, ch.ContactID, ch.Kind, ch.Percent, ch.At, ch.Notified); err != nil {
			return dbErr(err)
		}
		return db.audit(ctx, tx, by, "request.chase", "info_request", requestID, fmt.Sprintf("manual; %d notified", len(users)))
	})
	return ch, err
}

// Chases lists a contact's chases, oldest first: the job runner's reminders
// and the staff's manual chases. Only the hub's view of a contact has them.
// They hold no personal data (ids, times, counts), and the page that shows
// them has audited its read of the contact, so the list is read from the
// read pool without an audit event of its own.
func (db *DB) Chases(ctx context.Context, by mash.Actor, contactID string) (out []mash.Chase, err error) {
	defer mash.Wrap(&err, "store.Chases")
	if err := may(by, mash.ActionRequestRead); err != nil {
		return nil, err
	}
	_, acc, err := visible(ctx, db.r, by, contactID, db.Now().UTC())
	if err != nil {
		return nil, err
	}
	if acc.View != mash.ViewHub {
		return nil, mash.Errorf(mash.KindForbidden, "only the hub's staff see the chases of a contact's requests")
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id, request_id, contact_id, kind, percent, at, notified FROM request_chases
		WHERE contact_id = $1 ORDER BY at, id`, contactID)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var c mash.Chase
		if err := rows.Scan(&c.ID, &c.RequestID, &c.ContactID, &c.Kind, &c.Percent, &c.At, &c.Notified); err != nil {
			return nil, dbErr(err)
		}
		c.At = c.At.UTC()
		out = append(out, c)
	}
	if out == nil {
		out = []mash.Chase{}
	}
	return out, dbErr(rows.Err())
}

// Workers lists the active screeners and managers by name: who a contact
// can be assigned to. Only the hub's own staff see the list.
func (db *DB) Workers(ctx context.Context, by mash.Actor) (out []mash.User, err error) {
	defer mash.Wrap(&err, "store.Workers")
	if err := may(by, mash.ActionContactAssign); err != nil {
		return nil, err
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id, email, name, agency_id, role, created_at FROM users
		WHERE role IN ('screener','manager') AND disabled_at IS NULL ORDER BY name, id`)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var u mash.User
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, &u.AgencyID, &u.Role, &u.CreatedAt); err != nil {
			return nil, dbErr(err)
		}
		u.CreatedAt = u.CreatedAt.UTC()
		out = append(out, u)
	}
	if out == nil {
		out = []mash.User{}
	}
	return out, dbErr(rows.Err())
}
