package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"openmash.org/mash"
)

// SubjectAccess gathers everything the hub holds about a person for a
// subject access request: each item with its owner and marking, flagging
// what a person must review before release. Run by an operator (the CLI);
// the export is audited.
func (db *DB) SubjectAccess(ctx context.Context, by mash.Actor, personID string) (rep *mash.SARReport, err error) {
	defer mash.Wrap(&err, "store.SubjectAccess")
	now := db.Now().UTC()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		rep = &mash.SARReport{PersonID: personID, GeneratedAt: now, Items: []mash.SARItem{}, Accesses: map[string]int{}}
		err := tx.QueryRowContext(ctx, `SELECT given_name, family_name, dob, sex, postcode, nhs_number FROM persons WHERE id = $1`, personID).
			Scan(&rep.Person.GivenName, &rep.Person.FamilyName, &rep.Person.DOB, &rep.Person.Sex, &rep.Person.Postcode, &rep.Person.NHSNumber)
		if errors.Is(err, sql.ErrNoRows) {
			return mash.Errorf(mash.KindNotFound, "no such person")
		}
		if err != nil {
			return dbErr(err)
		}
		rep.Person.PersonID = personID
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT contact_id, role FROM contact_subjects WHERE person_id = $1`, personID)
		if err != nil {
			return dbErr(err)
		}
		type link struct{ contact, role string }
		var links []link
		for rows.Next() {
			var l link
			if err := rows.Scan(&l.contact, &l.role); err != nil {
				rows.Close()
				return dbErr(err)
			}
			links = append(links, l)
		}
		rows.Close()
		agencyName := map[string]string{}
		agencies, err := tx.QueryContext(ctx, `SELECT id, name FROM agencies`)
		if err != nil {
			return dbErr(err)
		}
		for agencies.Next() {
			var id, name string
			if err := agencies.Scan(&id, &name); err != nil {
				agencies.Close()
				return dbErr(err)
			}
			agencyName[id] = name
		}
		agencies.Close()
		for _, l := range links {
			c, err := loadContact(ctx, tx, l.contact)
			if err != nil {
				return err
			}
			src := "contact " + c.Reference
			add := func(it mash.SARItem) {
				it.ContactID = c.ID
				rep.Items = append(rep.Items, it)
			}
			add(mash.SARItem{Source: src + ": the concern (recorded as " + l.role + ")", Owner: "the hub", Text: c.Narrative,
				Recorded: c.ReceivedAt.Format(time.RFC3339), Review: "may name other people: check for third-party information"})
			ref := mash.SARItem{Source: src + ": who referred", Owner: "the hub", Text: strings.TrimSpace(c.Referrer.Name + " " + c.Referrer.Organisation)}
			if c.Referrer.Anonymous {
				ref.Review = "the referrer asked for anonymity: withhold unless they agree"
			}
			add(ref)
			reqs, err := contactRequests(ctx, tx, c.ID, now)
			if err != nil {
				return err
			}
			for _, r := range reqs {
				if r.Return == nil {
					continue
				}
				for _, it := range r.Return.Items {
					item := mash.SARItem{Source: src + ": information from " + agencyName[r.AgencyID], Owner: agencyName[it.OwningAgencyID],
						Marking: string(it.Marking), Text: strings.TrimSpace(it.Summary + "\n" + it.Detail), Recorded: it.OccurredOn}
					var why []string
					if it.Marking == mash.MarkingMASHOnly {
						why = append(why, "marked mash_only: the owning agency decides on release (it may be exempt, e.g. for crime prevention)")
					}
					if len(it.ProtectedNames) > 0 {
						why = append(why, "names protected third parties: redact them")
					}
					item.Review = strings.Join(why, "; ")
					add(item)
				}
			}
			if d, err := loadDecision(ctx, tx, c.ID); err != nil {
				return err
			} else if d != nil {
				add(mash.SARItem{Source: src + ": the hub's decision", Owner: "the hub", Text: d.Rationale,
					Recorded: d.DecidedAt.Format(time.RFC3339), Review: "may draw on partners' information: check against the items above"})
			}
			var n int
			accRows, err := tx.QueryContext(ctx, `SELECT agency_id, count(*) FROM audit_events WHERE entity_type = 'contact' AND entity_id = $1
				AND action IN ('contact.read', 'contact.history') GROUP BY agency_id`, c.ID)
			if err != nil {
				return dbErr(err)
			}
			for accRows.Next() {
				var agency string
				if err := accRows.Scan(&agency, &n); err != nil {
					accRows.Close()
					return dbErr(err)
				}
				name := agencyName[agency]
				if name == "" {
					name = "the hub's operators"
				}
				rep.Accesses[name] += n
			}
			accRows.Close()
		}
		// The agencies' index records linked to the person: identity data the
		// hub holds on the agencies' behalf.
		recs, err := personRecords(ctx, tx, personID)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if r.Kind != mash.RecordAgency {
				continue
			}
			text := strings.Join(slices.DeleteFunc([]string{r.GivenName, r.MiddleNames, r.FamilyName, r.DOB, r.Sex, r.Address, r.Postcode, r.NHSNumber, r.Phone},
				func(s string) bool { return s == "" }), ", ")
			rep.Items = append(rep.Items, mash.SARItem{Source: "index record " + r.SourceRef + " from " + r.AgencyName, Owner: r.AgencyName,
				Text: text, Recorded: r.CreatedAt.Format(time.RFC3339), Review: "the agency's own record: it decides on disclosure"})
		}
		return db.audit(ctx, tx, by, "person.sar_export", "person", personID, fmt.Sprintf("%d items", len(rep.Items)))
	})
	return rep, err
}

// PlaceHold puts a legal hold on a contact: retention will not touch it.
func (db *DB) PlaceHold(ctx context.Context, by mash.Actor, contactRef, reason string) error {
	if err := required("reason", reason, "a legal hold needs a reason"); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		id, err := contactByRef(ctx, tx, contactRef)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO legal_holds (contact_id, reason, by_user, at) VALUES ($1,$2,$3,$4)`,
			id, strings.TrimSpace(reason), by.UserID, db.Now().UTC()); err != nil {
			if mash.KindOf(dbErr(err)) == mash.KindConflict {
				return mash.Errorf(mash.KindConflict, "the contact is already on hold")
			}
			return dbErr(err)
		}
		return db.audit(ctx, tx, by, "contact.legal_hold", "contact", id, strings.TrimSpace(reason))
	})
}

// ReleaseHold lifts a legal hold.
func (db *DB) ReleaseHold(ctx context.Context, by mash.Actor, contactRef, reason string) error {
	if err := required("reason", reason, "lifting a legal hold needs a reason"); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		id, err := contactByRef(ctx, tx, contactRef)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM legal_holds WHERE contact_id = $1`, id)
		if err != nil {
			return dbErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return mash.Errorf(mash.KindNotFound, "the contact has no legal hold")
		}
		return db.audit(ctx, tx, by, "contact.legal_hold_release", "contact", id, strings.TrimSpace(reason))
	})
}

func contactByRef(ctx context.Context, q querier, ref string) (string, error) {
	var id string
	err := q.QueryRowContext(ctx, `SELECT id FROM contacts WHERE id = $1 OR reference = $1`, strings.TrimSpace(ref)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errNoContact
	}
	return id, dbErr(err)
}

// RetentionDue lists closed contacts past their retention period under the
// rules, held ones included (marked) so a dry run shows them.
func (db *DB) RetentionDue(ctx context.Context, rules []mash.RetentionRule) ([]mash.RetentionCandidate, error) {
	if err := mash.ValidateRetention(rules); err != nil {
		return nil, err
	}
	keep := map[string]time.Duration{}
	for _, r := range rules {
		keep[r.RecordType] = time.Duration(r.KeepDays) * 24 * time.Hour
	}
	now := db.Now().UTC()
	rows, err := db.r.QueryContext(ctx, `SELECT c.id, c.reference, t.from_status, t.at, COALESCE(h.reason, '')
		FROM contacts c JOIN transitions t ON t.contact_id = c.id AND t.to_status = 'closed'
		LEFT JOIN legal_holds h ON h.contact_id = c.id
		WHERE c.status = 'closed' AND c.anonymised_at IS NULL ORDER BY t.at, c.id`)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	out := []mash.RetentionCandidate{}
	for rows.Next() {
		var c mash.RetentionCandidate
		var from string
		if err := rows.Scan(&c.ContactID, &c.Reference, &from, &c.ClosedAt, &c.Held); err != nil {
			return nil, dbErr(err)
		}
		c.ClosedAt = c.ClosedAt.UTC()
		c.RecordType = mash.RecordDecided
		if from == string(mash.StatusScreening) {
			c.RecordType = mash.RecordClosedAtScreening
		}
		if d, ok := keep[c.RecordType]; ok && c.ClosedAt.Add(d).Before(now) {
			out = append(out, c)
		}
	}
	return out, dbErr(rows.Err())
}

const anonymised = "[anonymised under the retention policy]"

// Anonymise removes the personal data of a contact past retention, keeping
// what the statistics need (dates, states, codes, outcomes). A held contact
// is refused. Each contact is one transaction, audited.
func (db *DB) Anonymise(ctx context.Context, by mash.Actor, c mash.RetentionCandidate, why string) error {
	if c.Held != "" {
		return mash.Errorf(mash.KindConflict, "contact %s is under a legal hold", c.Reference)
	}
	now := db.Now().UTC()
	blankReferrer, _ := json.Marshal(mash.Referrer{})
	return db.tx(ctx, func(tx *sql.Tx) error {
		var held int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM legal_holds WHERE contact_id = $1`, c.ContactID).Scan(&held); err != nil {
			return dbErr(err)
		}
		if held > 0 {
			return mash.Errorf(mash.KindConflict, "contact %s is under a legal hold", c.Reference)
		}
		stmts := []struct {
			q    string
			args []any
		}{
			{`UPDATE persons SET given_name = '', family_name = '', dob = '', address = '', postcode = '', nhs_number = ''
				WHERE id IN (SELECT person_id FROM contact_subjects WHERE contact_id = $1)
				AND NOT EXISTS (SELECT 1 FROM contact_subjects s JOIN contacts o ON o.id = s.contact_id
					WHERE s.person_id = persons.id AND o.id <> $1 AND o.anonymised_at IS NULL)
				AND NOT EXISTS (SELECT 1 FROM person_records pr WHERE pr.person_id = persons.id AND pr.kind = 'agency')`, []any{c.ContactID}},
			// The subjects' identity records leave the match index with them.
			{`DELETE FROM person_keys WHERE record_id IN (SELECT id FROM contact_subjects WHERE contact_id = $1)`, []any{c.ContactID}},
			{`UPDATE person_records SET given_name = '', middle_names = '', family_name = '', dob = '', address = '', postcode = '',
				nhs_number = '', phone = '', household_key = '' WHERE id IN (SELECT id FROM contact_subjects WHERE contact_id = $1)`, []any{c.ContactID}},
			{`UPDATE contact_subjects SET given_name = '', family_name = '', dob = '', address = '', postcode = '', nhs_number = ''
				WHERE contact_id = $1`, []any{c.ContactID}},
			{`UPDATE contacts SET narrative = $2, referrer = $3, consent = '{"family_aware":false,"status":"given"}', consent_override = NULL,
				anonymised_at = $4, version = version + 1, updated_at = $4 WHERE id = $1 AND anonymised_at IS NULL`,
				[]any{c.ContactID, anonymised, string(blankReferrer), now}},
			{`UPDATE transitions SET reason = $2 WHERE contact_id = $1`, []any{c.ContactID, anonymised}},
			{`UPDATE rag_changes SET reason = $2 WHERE contact_id = $1`, []any{c.ContactID, anonymised}},
			{`UPDATE info_requests SET question = $2 WHERE contact_id = $1`, []any{c.ContactID, anonymised}},
			{`UPDATE agency_returns SET reason = CASE WHEN reason = '' THEN '' ELSE $2 END
				WHERE request_id IN (SELECT id FROM info_requests WHERE contact_id = $1)`, []any{c.ContactID, anonymised}},
			{`UPDATE return_items SET summary = $2, detail = '', protected_names = '[]' WHERE return_id IN
				(SELECT a.id FROM agency_returns a JOIN info_requests r ON r.id = a.request_id WHERE r.contact_id = $1)`, []any{c.ContactID, anonymised}},
			{`UPDATE item_releases SET reason = $2 WHERE item_id IN (SELECT i.id FROM return_items i JOIN agency_returns a ON a.id = i.return_id
				JOIN info_requests r ON r.id = a.request_id WHERE r.contact_id = $1)`, []any{c.ContactID, anonymised}},
			{`UPDATE decisions SET rationale = $2, agency_views = '[]' WHERE contact_id = $1`, []any{c.ContactID, anonymised}},
			{`UPDATE feedback SET text = '' WHERE contact_id = $1`, []any{c.ContactID}},
			{`UPDATE break_glass SET reason = $2 WHERE contact_id = $1`, []any{c.ContactID, anonymised}},
			// Professional disagreements' free text (disagreements.go).
			{`UPDATE disagreements SET reason = $2, outcome_sought = $2 WHERE contact_id = $1`, []any{c.ContactID, anonymised}},
			{`UPDATE disagreement_steps SET note = CASE WHEN note = '' THEN '' ELSE $2 END WHERE disagreement_id IN (SELECT id FROM disagreements WHERE contact_id = $1)`, []any{c.ContactID, anonymised}},
			// Anyone's unsent decision, feedback or answer about it (drafts.go).
			{`DELETE FROM drafts WHERE (kind IN ('decision', 'feedback') AND form_key = $1)
				OR (kind = 'return' AND form_key IN (SELECT id FROM info_requests WHERE contact_id = $1))`, []any{c.ContactID}},
		}
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s.q, s.args...); err != nil {
				return dbErr(err)
			}
		}
		return db.audit(ctx, tx, by, "contact.anonymise", "contact", c.ContactID, why)
	})
}
