package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"openmash.org/mash"
	"openmash.org/mash/internal/match"
)

// CreateContact stores a new contact, its subjects (each linked to a person
// record) and its first transition, and audits it. A retry with the same
// idempotency key by the same user returns the first contact unchanged.
func (db *DB) CreateContact(ctx context.Context, by mash.Actor, c *mash.Contact, key string) (created bool, err error) {
	if err := may(by, mash.ActionContactCreate); err != nil {
		return false, err
	}
	defer mash.Wrap(&err, "store.CreateContact")
	now := db.Now().UTC()
	if err := c.Validate(now); err != nil {
		return false, err
	}
	if len(key) > 200 {
		return false, &mash.Error{Kind: mash.KindInvalid, Msg: "the Idempotency-Key header is too long (at most 200 characters)"}
	}
	c.ID, c.Version, c.Status = newID(), 1, mash.StatusReceived
	c.ReceivedAt = c.ReceivedAt.UTC()
	c.CreatedBy, c.CreatedAt, c.UpdatedAt = by.UserID, now, now
	c.RAG, c.DueAt, c.ScreenedAt, c.ThresholdLevel, c.ClosureReason, c.ConsentOverride = "", nil, nil, 0, "", nil
	if c.Referrer.Source == "" {
		if c.Referrer.Source, err = db.defaultSource(ctx, by, c); err != nil {
			return false, err
		}
	}
	policy, err := db.Policy(ctx)
	if err != nil {
		return false, err
	}
	model, err := db.MatchModel(ctx)
	if err != nil {
		return false, err
	}
	// Until it is rated, a contact's clock is the screening target: one
	// working day from receipt. Immediate risk is rated Red at once.
	due := policy.Calendar.AddWorkingDays(c.ReceivedAt, 1).UTC()
	c.DueAt = &due
	var first *mash.RAGChange
	if c.ImmediateRisk {
		if due, err := policy.Deadline("red", c.ReceivedAt, now); err == nil {
			due = due.UTC()
			c.RAG, c.DueAt = "red", &due
			first = &mash.RAGChange{To: "red", By: by.UserID, At: now, Reason: "immediate risk flagged at intake", DueAt: due}
		}
	}
	c.Reference = ""
	if db.dialect == Postgres {
		// On PostgreSQL the counter row would serialise every intake until
		// its commit, so the number is taken in its own short transaction
		// first. A failed or retried intake leaves a gap in the numbers;
		// references stay unique and increasing. (SQLite writes one at a
		// time anyway, and keeps them gapless.)
		if c.Reference, err = nextReference(ctx, db.w, c.ReceivedAt.Year()); err != nil {
			return false, err
		}
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if key != "" {
			var existing string
			err := tx.QueryRowContext(ctx, `SELECT contact_id FROM idempotency_keys WHERE user_id = $1 AND key = $2`, by.UserID, key).Scan(&existing)
			if err == nil {
				got, err := loadContact(ctx, tx, existing)
				if err != nil {
					return err
				}
				*c = *got
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return dbErr(err)
			}
		}
		if c.Reference == "" {
			if c.Reference, err = nextReference(ctx, tx, c.ReceivedAt.Year()); err != nil {
				return err
			}
		}
		if err := insertContact(ctx, tx, c); err != nil {
			return err
		}
		for i := range c.Subjects {
			if err := db.insertSubject(ctx, tx, model, by, c.ID, i, &c.Subjects[i]); err != nil {
				return err
			}
		}
		if err := insertTransition(ctx, tx, c.ID, mash.Transition{From: "", To: mash.StatusReceived, By: by.UserID, At: now, Reason: "contact received by " + c.Channel}); err != nil {
			return err
		}
		if first != nil {
			if err := insertRAGChange(ctx, tx, c.ID, *first); err != nil {
				return err
			}
		}
		if key != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (user_id, key, contact_id, created_at) VALUES ($1,$2,$3,$4)`,
				by.UserID, key, c.ID, now); err != nil {
				return dbErr(err)
			}
		}
		if err := db.scheduleContactDeadline(ctx, tx, c, nil); err != nil {
			return err
		}
		if err := db.acknowledge(ctx, tx, by, c); err != nil { // feedback.go
			return err
		}
		if err := db.schedulePatterns(ctx, tx, c); err != nil { // pattern alerts (patterns_eval.go)
			return err
		}
		created = true
		return db.audit(ctx, tx, by, "contact.create", "contact", c.ID, "")
	})
	if err != nil && key != "" && mash.KindOf(err) == mash.KindConflict {
		// A concurrent retry with the same key won the race: return its contact.
		var existing string
		if e := db.w.QueryRowContext(ctx, `SELECT contact_id FROM idempotency_keys WHERE user_id = $1 AND key = $2`, by.UserID, key).Scan(&existing); e == nil {
			got, e := loadContact(ctx, db.w, existing)
			if e == nil {
				*c = *got
				return false, nil
			}
		}
	}
	return created, err
}

// may refuses an action the actor's role does not allow. Handlers check the
// same table first; the store checks again so no caller can skip it.
func may(by mash.Actor, a mash.Action) error {
	if !mash.Can(by, a, mash.Resource{}) {
		return mash.Errorf(mash.KindForbidden, "your role may not do this")
	}
	return nil
}

// nextReference takes the next human reference of the year, e.g. MASH-2026-000123.
func nextReference(ctx context.Context, q querier, year int) (string, error) {
	var n int64
	if err := q.QueryRowContext(ctx, `INSERT INTO counters (name, value) VALUES ($1, 1)
		ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value`,
		fmt.Sprintf("contact-%d", year)).Scan(&n); err != nil {
		return "", dbErr(err)
	}
	return fmt.Sprintf("MASH-%d-%06d", year, n), nil
}

func insertContact(ctx context.Context, tx querier, c *mash.Contact) error {
	referrer, _ := json.Marshal(c.Referrer)
	concerns, _ := json.Marshal(c.Concerns)
	consent, _ := json.Marshal(c.Consent)
	_, err := tx.ExecContext(ctx, `INSERT INTO contacts (id, reference, version, status, received_at, channel, cohort,
		referrer, concerns, concern_code_version, narrative, immediate_risk, consent, consent_override, rag,
		threshold_level, screened_at, due_at, closure_reason, created_by, created_at, updated_at, source)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,NULL,$14,$15,$16,$17,$18,$19,$20,$21,$22)`,
		c.ID, c.Reference, c.Version, string(c.Status), c.ReceivedAt, c.Channel, string(c.Cohort),
		string(referrer), string(concerns), c.ConcernCodeVersion, c.Narrative, c.ImmediateRisk, string(consent),
		c.RAG, c.ThresholdLevel, nullTime(c.ScreenedAt), nullTime(c.DueAt), c.ClosureReason, c.CreatedBy,
		c.CreatedAt, c.UpdatedAt, c.Referrer.Source)
	return dbErr(err)
}

// insertSubject stores a subject and links it to a person: the one the
// caller chose (a screener picking a match candidate), else the one the
// matcher finds, else a new person; the decision is recorded (see linkRecord).
func (db *DB) insertSubject(ctx context.Context, tx querier, m *match.Model, by mash.Actor, contactID string, ord int, s *mash.Subject) error {
	s.ID = newID()
	r := mash.PersonRecord{ID: s.ID, Kind: mash.RecordSubject, SourceRef: s.ID, GivenName: s.GivenName,
		FamilyName: s.FamilyName, DOB: s.DOB, Sex: s.Sex, Address: s.Address, Postcode: s.Postcode,
		NHSNumber: s.NHSNumber, CreatedAt: db.Now().UTC()}
	if _, err := db.linkRecord(ctx, tx, m, by, &r, s.PersonID, s.NewPerson && s.PersonID == ""); err != nil {
		if mash.KindOf(err) == mash.KindNotFound {
			return &mash.Error{Kind: mash.KindInvalid, Msg: "the contact is not valid",
				Fields: map[string]string{fmt.Sprintf("subjects[%d].person_id", ord): "no such person"}}
		}
		return err
	}
	s.PersonID = r.PersonID
	_, err := tx.ExecContext(ctx, `INSERT INTO contact_subjects (id, contact_id, person_id, ord, role, given_name, family_name,
		dob, sex, address, postcode, nhs_number) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
		s.ID, contactID, s.PersonID, ord, string(s.Role), s.GivenName, s.FamilyName, s.DOB, s.Sex, s.Address, s.Postcode, s.NHSNumber)
	return dbErr(err)
}

func insertTransition(ctx context.Context, tx querier, contactID string, t mash.Transition) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO transitions (id, contact_id, from_status, to_status, by_user, at, reason)
		VALUES ($1,$2,$3,$4,$5,$6,$7)`, newID(), contactID, string(t.From), string(t.To), t.By, t.At.UTC(), t.Reason)
	return dbErr(err)
}

func insertRAGChange(ctx context.Context, tx querier, contactID string, r mash.RAGChange) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO rag_changes (id, contact_id, from_rag, to_rag, by_user, at, reason, due_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, newID(), contactID, r.From, r.To, r.By, r.At.UTC(), r.Reason, r.DueAt.UTC())
	return dbErr(err)
}

const contactColumns = `id, reference, version, status, received_at, channel, cohort, referrer, concerns,
	concern_code_version, narrative, immediate_risk, consent, consent_override, rag, threshold_level,
	screened_at, due_at, closure_reason, created_by, created_at, updated_at`

func loadContact(ctx context.Context, q querier, id string) (*mash.Contact, error) {
	var c mash.Contact
	var referrer, concerns, consent string
	var override sql.NullString
	var screened, due sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT `+contactColumns+` FROM contacts WHERE id = $1`, id).Scan(
		&c.ID, &c.Reference, &c.Version, &c.Status, &c.ReceivedAt, &c.Channel, &c.Cohort, &referrer, &concerns,
		&c.ConcernCodeVersion, &c.Narrative, &c.ImmediateRisk, &consent, &override, &c.RAG, &c.ThresholdLevel,
		&screened, &due, &c.ClosureReason, &c.CreatedBy, &c.CreatedAt, &c.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoContact
	}
	if err != nil {
		return nil, dbErr(err)
	}
	c.ReceivedAt, c.CreatedAt, c.UpdatedAt = c.ReceivedAt.UTC(), c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	c.ScreenedAt, c.DueAt = ptrTime(screened), ptrTime(due)
	if err := errors.Join(json.Unmarshal([]byte(referrer), &c.Referrer), json.Unmarshal([]byte(concerns), &c.Concerns),
		json.Unmarshal([]byte(consent), &c.Consent)); err != nil {
		return nil, dbErr(err)
	}
	if override.Valid {
		c.ConsentOverride = new(mash.ConsentOverride)
		if err := json.Unmarshal([]byte(override.String), c.ConsentOverride); err != nil {
			return nil, dbErr(err)
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT id, person_id, role, given_name, family_name, dob, sex, address, postcode, nhs_number
		FROM contact_subjects WHERE contact_id = $1 ORDER BY ord`, id)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s mash.Subject
		if err := rows.Scan(&s.ID, &s.PersonID, &s.Role, &s.GivenName, &s.FamilyName, &s.DOB, &s.Sex, &s.Address, &s.Postcode, &s.NHSNumber); err != nil {
			return nil, dbErr(err)
		}
		c.Subjects = append(c.Subjects, s)
	}
	return &c, dbErr(rows.Err())
}

var errNoContact = mash.Errorf(mash.KindNotFound, "no such contact")

// updateContact writes the contact's mutable fields if its version is still
// version, and bumps the version; otherwise nothing changes and the caller
// gets a Conflict naming the current version.
func (db *DB) updateContact(ctx context.Context, tx querier, c *mash.Contact, version int) error {
	var override any
	if c.ConsentOverride != nil {
		b, _ := json.Marshal(c.ConsentOverride)
		override = string(b)
	}
	c.UpdatedAt = db.Now().UTC()
	res, err := tx.ExecContext(ctx, `UPDATE contacts SET version = version + 1, status = $1, rag = $2, threshold_level = $3,
		screened_at = $4, due_at = $5, closure_reason = $6, consent_override = $7, updated_at = $8
		WHERE id = $9 AND version = $10`,
		string(c.Status), c.RAG, c.ThresholdLevel, nullTime(c.ScreenedAt), nullTime(c.DueAt), c.ClosureReason,
		override, c.UpdatedAt, c.ID, version)
	if err != nil {
		return dbErr(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return staleErr(c.Version, version)
	}
	c.Version = version + 1
	return nil
}

func staleErr(current, given int) error {
	return &mash.Error{Kind: mash.KindConflict, Msg: fmt.Sprintf(
		"the record was changed by someone else: you have version %d, the current version is %d; reload and try again", given, current),
		Fields: map[string]string{"version": "is stale"}}
}

// mutateContact loads a contact the actor may work on, checks the version,
// lets fn change it (fn returns the audit action and reason), stores the change
// and audits it, all in one transaction.
func (db *DB) mutateContact(ctx context.Context, by mash.Actor, id string, version int,
	fn func(tx *sql.Tx, c *mash.Contact) (action, reason string, err error)) (*mash.Contact, error) {
	var out *mash.Contact
	err := db.tx(ctx, func(tx *sql.Tx) error {
		c, err := loadContact(ctx, tx, id)
		if err != nil {
			return err
		}
		if !by.HubWide() {
			return errNoContact
		}
		if version == 0 {
			return &mash.Error{Kind: mash.KindInvalid, Msg: "the version you last read is required (If-Match header or version field)",
				Fields: map[string]string{"version": "is required"}}
		}
		if c.Version != version {
			return staleErr(c.Version, version)
		}
		before, was := c.DueAt, c.Status
		action, reason, err := fn(tx, c)
		if err != nil {
			return err
		}
		if err := db.updateContact(ctx, tx, c, version); err != nil {
			return err
		}
		if err := db.scheduleContactDeadline(ctx, tx, c, before); err != nil {
			return err
		}
		if was != c.Status && c.Status == mash.StatusDecided {
			// The decision opened the feedback owed: its overdue check (feedback.go).
			if err := db.scheduleFeedback(ctx, tx, c); err != nil {
				return err
			}
		}
		out = c
		return db.audit(ctx, tx, by, action, "contact", c.ID, reason)
	})
	return out, err
}

// Screen records a screening decision.
func (db *DB) Screen(ctx context.Context, by mash.Actor, id string, s mash.Screening) (*mash.Contact, error) {
	if err := may(by, mash.ActionContactScreen); err != nil {
		return nil, err
	}
	policy, err := db.Policy(ctx)
	if err != nil {
		return nil, err
	}
	return db.mutateContact(ctx, by, id, s.Version, func(tx *sql.Tx, c *mash.Contact) (string, string, error) {
		now := db.Now().UTC()
		ts, rating, err := c.Screen(s, policy, by, now)
		if err != nil {
			return "", "", err
		}
		for _, t := range ts {
			if err := insertTransition(ctx, tx, c.ID, t); err != nil {
				return "", "", err
			}
		}
		if rating != nil {
			if err := insertRAGChange(ctx, tx, c.ID, *rating); err != nil {
				return "", "", err
			}
		}
		return "contact.screen", string(s.Decision), nil
	})
}

// Rate re-rates a contact and moves its deadline.
func (db *DB) Rate(ctx context.Context, by mash.Actor, id, rag, reason string, version int) (*mash.Contact, error) {
	if err := may(by, mash.ActionContactRate); err != nil {
		return nil, err
	}
	policy, err := db.Policy(ctx)
	if err != nil {
		return nil, err
	}
	return db.mutateContact(ctx, by, id, version, func(tx *sql.Tx, c *mash.Contact) (string, string, error) {
		ch, err := c.Rate(rag, reason, policy, by, db.Now().UTC())
		if err != nil {
			return "", "", err
		}
		return "contact.rate", ch.From + "->" + ch.To, insertRAGChange(ctx, tx, c.ID, *ch)
	})
}

// OverrideConsent records a manager's decision to check without consent.
func (db *DB) OverrideConsent(ctx context.Context, by mash.Actor, id, basis, reason string, version int) (*mash.Contact, error) {
	if err := may(by, mash.ActionConsentOverride); err != nil {
		return nil, err
	}
	return db.mutateContact(ctx, by, id, version, func(tx *sql.Tx, c *mash.Contact) (string, string, error) {
		if _, err := c.Override(basis, reason, by, db.Now().UTC()); err != nil {
			return "", "", err
		}
		return "contact.consent_override", c.ConsentOverride.LawfulBasis, nil
	})
}

// Close closes a contact whose work is done (feedback sent, or passed on).
func (db *DB) CloseContact(ctx context.Context, by mash.Actor, id, reason string, version int) (*mash.Contact, error) {
	if err := may(by, mash.ActionContactClose); err != nil {
		return nil, err
	}
	return db.mutateContact(ctx, by, id, version, func(tx *sql.Tx, c *mash.Contact) (string, string, error) {
		reason = strings.TrimSpace(reason)
		if reason == "" {
			return "", "", &mash.Error{Kind: mash.KindInvalid, Msg: "a reason is required to close a contact", Fields: map[string]string{"reason": "is required"}}
		}
		t, err := c.Move(mash.StatusClosed, by, db.Now().UTC(), reason)
		if err != nil {
			return "", "", err
		}
		if c.ClosureReason == "" {
			c.ClosureReason = reason
		}
		c.DueAt = nil
		return "contact.close", "", insertTransition(ctx, tx, c.ID, t)
	})
}
