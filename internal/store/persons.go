package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/match"
)

// candidateFloor drops candidates too unlikely to be worth showing.
const candidateFloor = 0.001

// MatchPersons ranks the known persons against a partial description. Each
// candidate says which agencies know the person and how many contacts name
// them, but lists only the contacts the actor may open, and never shows
// another agency's records: learning that a person is known is not seeing
// what is known. The search is audited with each person it returned (the
// query itself, being personal data, is not logged).
func (db *DB) MatchPersons(ctx context.Context, by mash.Actor, q mash.PersonQuery) (out []mash.PersonCandidate, err error) {
	defer mash.Wrap(&err, "store.MatchPersons")
	if !mash.Can(by, mash.ActionPersonMatch, mash.Resource{}) {
		return nil, mash.Errorf(mash.KindForbidden, "your role may not search for persons")
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if q.Limit == 0 {
		q.Limit = 10
	}
	m, err := db.MatchModel(ctx)
	if err != nil {
		return nil, err
	}
	now := db.Now().UTC()
	rec := queryRecord(&q)
	out = []mash.PersonCandidate{}
	// The contacts statement depends on the actor's role: prepare it for
	// them now, outside the transaction (see prepareRead).
	text, _ := personContactsQuery(by, make([]string, q.Limit), now)
	if err := db.prepareRead(ctx, text); err != nil {
		return nil, err
	}
	// Read on the read pool, so searches as users type do not queue behind
	// the single SQLite writer; only the audit event is written.
	rtx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rtx.Rollback()
	pq := preparedTx{db, db.r, rtx}
	recs, err := candidateRecords(ctx, pq, match.Keys(rec))
	if err != nil {
		return nil, err
	}
	var top []ranked
	for _, r := range rank(m, rec, recs, q.Limit) {
		if len(top) == q.Limit || r.scored.Probability < candidateFloor {
			break
		}
		top = append(top, r)
	}
	ids := make([]string, len(top))
	for i, r := range top {
		ids[i] = r.personID
	}
	persons, err := loadPersons(ctx, pq, ids)
	if err != nil {
		return nil, err
	}
	known, err := knownToAll(ctx, pq, ids)
	if err != nil {
		return nil, err
	}
	visible, hidden, err := personContacts(ctx, pq, by, ids, now)
	if err != nil {
		return nil, err
	}
	byPerson := map[string][]mash.ContactRef{}
	for _, c := range visible {
		byPerson[c.PersonID] = append(byPerson[c.PersonID], c)
	}
	for _, r := range top {
		p, ok := persons[r.personID]
		if !ok {
			continue // merged away between the reads
		}
		c := mash.PersonCandidate{PersonID: p.ID, GivenName: p.GivenName, FamilyName: p.FamilyName, DOB: p.DOB, Sex: p.Sex,
			Postcode: p.Postcode, Probability: r.scored.Probability, Weight: r.scored.Weight, Outcome: outcome(m, r),
			Fields: fields(r.scored), KnownTo: known[p.ID], VisibleContacts: byPerson[p.ID]}
		if c.KnownTo == nil {
			c.KnownTo = []mash.KnownTo{}
		}
		if c.VisibleContacts == nil {
			c.VisibleContacts = []mash.ContactRef{}
		}
		c.Contacts = len(c.VisibleContacts) + hidden[p.ID]
		out = append(out, c)
	}
	rtx.Rollback()
	// One event per person returned, so "who has found this person" is an
	// exact-id query for the auditor; a search that found no one is logged too.
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if len(out) == 0 {
			return db.audit(ctx, tx, by, "person.match", "person", "", "no candidates")
		}
		for i, c := range out {
			if err := db.audit(ctx, tx, by, "person.match", "person", c.PersonID, fmt.Sprintf("candidate %d of %d", i+1, len(out))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// loadPersons loads persons by id.
func loadPersons(ctx context.Context, q querier, ids []string) (map[string]mash.Person, error) {
	out := map[string]mash.Person{}
	if len(ids) == 0 {
		return out, nil
	}
	ids = padIDs(ids, idPad)
	rows, err := q.QueryContext(ctx, personsQuery(ids), anys(ids)...)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var p mash.Person
		var merged sql.NullString
		if err := rows.Scan(&p.ID, &p.GivenName, &p.FamilyName, &p.DOB, &p.Sex, &p.Address, &p.Postcode, &p.NHSNumber, &merged, &p.CreatedAt, &p.Version); err != nil {
			return nil, dbErr(err)
		}
		p.MergedInto, p.CreatedAt = merged.String, p.CreatedAt.UTC()
		out[p.ID] = p
	}
	return out, dbErr(rows.Err())
}

// personsQuery reads persons by id.
func personsQuery(ids []string) string {
	return `SELECT id, given_name, family_name, dob, sex, address, postcode, nhs_number, merged_into, created_at, version
		FROM persons WHERE id IN (` + inList(1, len(ids)) + `)`
}

// knownToQuery counts records per person and agency. Only agency records
// have an agency, so the join selects them; a condition on kind would tempt
// SQLite onto the (kind, …) index and a scan of every agency record.
func knownToQuery(ids []string) string {
	return `SELECT r.person_id, a.id, a.name, COUNT(*) FROM person_records r JOIN agencies a ON a.id = r.agency_id
		WHERE r.person_id IN (` + inList(1, len(ids)) + `) GROUP BY r.person_id, a.id, a.name ORDER BY a.name`
}

// knownToAll counts each person's records per agency.
func knownToAll(ctx context.Context, q querier, ids []string) (map[string][]mash.KnownTo, error) {
	out := map[string][]mash.KnownTo{}
	if len(ids) == 0 {
		return out, nil
	}
	ids = padIDs(ids, idPad)
	rows, err := q.QueryContext(ctx, knownToQuery(ids), anys(ids)...)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid string
		var k mash.KnownTo
		if err := rows.Scan(&pid, &k.AgencyID, &k.AgencyName, &k.Records); err != nil {
			return nil, dbErr(err)
		}
		out[pid] = append(out[pid], k)
	}
	return out, dbErr(rows.Err())
}

func loadPerson(ctx context.Context, q querier, id string, p *mash.Person) error {
	all, err := loadPersons(ctx, q, []string{id})
	if err != nil {
		return err
	}
	found, ok := all[id]
	if !ok {
		return mash.Errorf(mash.KindNotFound, "no such person")
	}
	*p = found
	return nil
}

// knownTo counts a person's records per agency.
func knownTo(ctx context.Context, q querier, personID string) ([]mash.KnownTo, error) {
	all, err := knownToAll(ctx, q, []string{personID})
	if all[personID] == nil {
		return []mash.KnownTo{}, err
	}
	return all[personID], err
}

// personContactsQuery is personContacts' statement: its text depends only on
// the actor's role and the number of persons (padded to idPad).
func personContactsQuery(by mash.Actor, personIDs []string, now time.Time) (string, []any) {
	var args []any
	in := placeholders(&args, padIDs(personIDs, idPad))
	scope := contactScope(by, now, &args)
	return `SELECT c.id, c.reference, c.status, c.cohort, c.received_at, s.role, s.person_id,
		CASE WHEN ` + scope + ` THEN 1 ELSE 0 END
		FROM contact_subjects s JOIN contacts c ON c.id = s.contact_id
		WHERE s.person_id IN (` + in + `) ORDER BY c.received_at DESC, c.id LIMIT 500`, args
}

// personContacts lists the contacts naming any of the persons that the
// actor may open (newest first) and counts, per person, those they may not.
func personContacts(ctx context.Context, q querier, by mash.Actor, personIDs []string, now time.Time) ([]mash.ContactRef, map[string]int, error) {
	out, hidden := []mash.ContactRef{}, map[string]int{}
	if len(personIDs) == 0 {
		return out, hidden, nil
	}
	text, args := personContactsQuery(by, personIDs, now)
	rows, err := q.QueryContext(ctx, text, args...)
	if err != nil {
		return nil, nil, dbErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var c mash.ContactRef
		var vis int
		if err := rows.Scan(&c.ContactID, &c.Reference, &c.Status, &c.Cohort, &c.ReceivedAt, &c.Role, &c.PersonID, &vis); err != nil {
			return nil, nil, dbErr(err)
		}
		if vis == 0 {
			hidden[c.PersonID]++
			continue
		}
		c.ReceivedAt = c.ReceivedAt.UTC()
		out = append(out, c)
	}
	return out, hidden, dbErr(rows.Err())
}

// GetPerson returns a person's page cut to what the actor may see: the
// subject records of contacts they may open and their own agency's records;
// for other agencies, only that the person is known there. Hub-wide staff and
// auditors may open any person; others only one named in a contact they may
// open or held in their own agency's records (anyone else is NotFound).
func (db *DB) GetPerson(ctx context.Context, by mash.Actor, id string) (page *mash.PersonPage, err error) {
	defer mash.Wrap(&err, "store.GetPerson")
	if !mash.Can(by, mash.ActionPersonRead, mash.Resource{}) {
		return nil, mash.Errorf(mash.KindForbidden, "your role may not open person records")
	}
	now := db.Now().UTC()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		page = &mash.PersonPage{}
		if err := loadPerson(ctx, tx, id, &page.Person); err != nil {
			return err
		}
		var err error
		var hidden map[string]int
		if page.Contacts, hidden, err = personContacts(ctx, tx, by, []string{id}, now); err != nil {
			return err
		}
		page.HiddenContacts = hidden[id]
		visibleContact := map[string]bool{}
		for _, c := range page.Contacts {
			visibleContact[c.ContactID] = true
		}
		if page.KnownTo, err = knownTo(ctx, tx, id); err != nil {
			return err
		}
		recs, err := personRecords(ctx, tx, id)
		if err != nil {
			return err
		}
		ownRecords := false
		page.Records = []mash.PersonRecord{}
		for _, r := range recs {
			switch {
			case r.Kind == mash.RecordAgency && r.AgencyID == by.AgencyID:
				ownRecords = true
			case r.Kind == mash.RecordSubject && visibleContact[r.ContactID]:
			default:
				continue
			}
			page.Records = append(page.Records, r.PersonRecord)
		}
		wide := by.HubWide() || by.Role == mash.RoleAuditor
		if !wide && len(page.Contacts) == 0 && !ownRecords {
			return mash.Errorf(mash.KindNotFound, "no such person")
		}
		if page.Household, err = household(ctx, tx, by, id, recs, visibleContact, wide); err != nil {
			return err
		}
		members := make([]string, len(page.Household))
		for i, h := range page.Household {
			members[i] = h.PersonID
		}
		if page.HouseholdContacts, _, err = personContacts(ctx, tx, by, members, now); err != nil {
			return err
		}
		if page.Decisions, err = personDecisions(ctx, tx, id); err != nil {
			return err
		}
		if page.Merges, err = personMerges(ctx, tx, `survivor_id = $1 OR merged_id = $1`, id); err != nil {
			return err
		}
		return db.audit(ctx, tx, by, "person.read", "person", id, "")
	})
	return page, err
}

// storedRecord is a record with the contact it came from (for subjects).
type storedRecord struct {
	mash.PersonRecord
	ContactID    string
	HouseholdKey string
}

func personRecords(ctx context.Context, q querier, personID string) ([]storedRecord, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+recordCols+`, COALESCE(a.name, ''), COALESCE(s.contact_id, ''), r.household_key
		FROM person_records r LEFT JOIN agencies a ON a.id = r.agency_id LEFT JOIN contact_subjects s ON s.id = r.source_ref AND r.kind = 'subject'
		WHERE r.person_id = $1 ORDER BY r.created_at, r.id`, personID)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	var out []storedRecord
	for rows.Next() {
		var r storedRecord
		if err := rows.Scan(&r.ID, &r.PersonID, &r.Kind, &r.AgencyID, &r.SourceRef, &r.GivenName, &r.MiddleNames, &r.FamilyName,
			&r.DOB, &r.Sex, &r.Address, &r.Postcode, &r.NHSNumber, &r.Phone, &r.CreatedAt, &r.AgencyName, &r.ContactID, &r.HouseholdKey); err != nil {
			return nil, dbErr(err)
		}
		r.CreatedAt = r.CreatedAt.UTC()
		out = append(out, r)
	}
	return out, dbErr(rows.Err())
}

// household finds the people linked to a person: by the addresses on their
// records (for hub-wide readers, who may see the whole index) and as other
// subjects of the contacts the reader may open (parent, carer, household
// member). A reader outside the hub learns of no one they could not already
// see in a contact.
func household(ctx context.Context, q querier, by mash.Actor, id string, recs []storedRecord, visibleContact map[string]bool, wide bool) ([]mash.HouseholdMember, error) {
	out := []mash.HouseholdMember{}
	seen := map[string]bool{id: true}
	add := func(rows *sql.Rows, link func(extra string) string) error {
		defer rows.Close()
		for rows.Next() {
			var h mash.HouseholdMember
			var extra string
			if err := rows.Scan(&h.PersonID, &h.GivenName, &h.FamilyName, &h.DOB, &extra); err != nil {
				return dbErr(err)
			}
			if seen[h.PersonID] || len(out) >= 50 {
				continue
			}
			seen[h.PersonID] = true
			h.Link = link(extra)
			out = append(out, h)
		}
		return dbErr(rows.Err())
	}
	for _, c := range recs {
		if c.Kind != mash.RecordSubject || !visibleContact[c.ContactID] {
			continue
		}
		rows, err := q.QueryContext(ctx, `SELECT p.id, p.given_name, p.family_name, p.dob, s.role || ' in ' || k.reference
			FROM contact_subjects s JOIN persons p ON p.id = s.person_id JOIN contacts k ON k.id = s.contact_id
			WHERE s.contact_id = $1 AND s.person_id <> $2 ORDER BY s.ord`, c.ContactID, id)
		if err != nil {
			return nil, dbErr(err)
		}
		if err := add(rows, func(e string) string { return strings.ReplaceAll(e, "_", " ") }); err != nil {
			return nil, err
		}
	}
	if wide {
		done := map[string]bool{}
		for _, r := range recs {
			if r.HouseholdKey == "" || done[r.HouseholdKey] {
				continue
			}
			done[r.HouseholdKey] = true
			rows, err := q.QueryContext(ctx, `SELECT DISTINCT p.id, p.given_name, p.family_name, p.dob, ''
				FROM person_records r JOIN persons p ON p.id = r.person_id
				WHERE r.household_key = $1 AND r.person_id <> $2 LIMIT 50`, r.HouseholdKey, id)
			if err != nil {
				return nil, dbErr(err)
			}
			if err := add(rows, func(string) string { return "same address" }); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func personDecisions(ctx context.Context, q querier, personID string) ([]mash.MatchDecision, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, record_id, person_id, COALESCE(candidate_id, ''), probability, outcome, explanation, by_user, at
		FROM identity_decisions WHERE person_id = $1 OR candidate_id = $1 ORDER BY at DESC, id LIMIT 200`, personID)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	out := []mash.MatchDecision{}
	for rows.Next() {
		var d mash.MatchDecision
		var expl string
		if err := rows.Scan(&d.ID, &d.RecordID, &d.PersonID, &d.CandidateID, &d.Probability, &d.Outcome, &expl, &d.By, &d.At); err != nil {
			return nil, dbErr(err)
		}
		_ = json.Unmarshal([]byte(expl), &d.Fields)
		d.At = d.At.UTC()
		out = append(out, d)
	}
	return out, dbErr(rows.Err())
}

func personMerges(ctx context.Context, q querier, where string, args ...any) ([]mash.Merge, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, survivor_id, merged_id, by_user, at, reason, COALESCE(undone_by, ''), undone_at, undo_reason,
		(SELECT COUNT(*) FROM person_merge_items i WHERE i.merge_id = person_merges.id AND i.kind = 'record')
		FROM person_merges WHERE `+where+` ORDER BY at DESC, id`, args...)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	out := []mash.Merge{}
	for rows.Next() {
		var m mash.Merge
		var undone sql.NullTime
		if err := rows.Scan(&m.ID, &m.SurvivorID, &m.MergedID, &m.By, &m.At, &m.Reason, &m.UndoneBy, &undone, &m.UndoReason, &m.Records); err != nil {
			return nil, dbErr(err)
		}
		m.At, m.UndoneAt = m.At.UTC(), ptrTime(undone)
		out = append(out, m)
	}
	return out, dbErr(rows.Err())
}

// MergePersons merges one person into another: every record and contact
// subject of the merged person moves to the survivor, and the merge keeps the
// list of what it moved so Unmerge can put exactly that back. Persons that
// look like twins, siblings or a parent and child are refused unless the
// user confirms they are not.
func (db *DB) MergePersons(ctx context.Context, by mash.Actor, survivorID string, r mash.MergeRequest) (mg *mash.Merge, err error) {
	defer mash.Wrap(&err, "store.MergePersons")
	if !mash.Can(by, mash.ActionPersonMerge, mash.Resource{}) {
		return nil, mash.Errorf(mash.KindForbidden, "your role may not merge persons")
	}
	fe := mash.FieldErrors{}
	if strings.TrimSpace(r.MergeID) == "" {
		fe.Add("merge_person_id", "is required")
	} else if r.MergeID == survivorID {
		fe.Add("merge_person_id", "must be another person")
	}
	if strings.TrimSpace(r.Reason) == "" {
		fe.Add("reason", "is required: say why these are the same person")
	}
	if r.Version < 1 {
		fe.Add("version", "is required: the version of the person you read")
	}
	if err := fe.Err("the merge is not valid"); err != nil {
		return nil, err
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		var e error
		mg, e = db.merge(ctx, tx, by, survivorID, r)
		if e != nil {
			return e
		}
		return db.audit(ctx, tx, by, "person.merge", "person", survivorID, "merged "+r.MergeID)
	})
	return mg, err
}

func (db *DB) merge(ctx context.Context, tx querier, by mash.Actor, survivorID string, r mash.MergeRequest) (*mash.Merge, error) {
	// Lock both persons first (in a fixed order, against deadlock), so no
	// record is linked to either while their records move.
	lo, hi := min(survivorID, r.MergeID), max(survivorID, r.MergeID)
	for _, id := range []string{lo, hi} {
		if _, err := tx.ExecContext(ctx, `UPDATE persons SET version = version WHERE id = $1`, id); err != nil {
			return nil, dbErr(err)
		}
	}
	var s, o mash.Person
	if err := loadPerson(ctx, tx, survivorID, &s); err != nil {
		return nil, err
	}
	if err := loadPerson(ctx, tx, r.MergeID, &o); err != nil {
		return nil, err
	}
	if s.MergedInto != "" || o.MergedInto != "" {
		return nil, mash.Errorf(mash.KindConflict, "one of these persons has already been merged into another")
	}
	if s.Version != r.Version {
		return nil, staleErr(s.Version, r.Version)
	}
	if !r.ConfirmNotRelated {
		sr, err := personRecords(ctx, tx, s.ID)
		if err != nil {
			return nil, err
		}
		or, err := personRecords(ctx, tx, o.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range sr {
			for _, b := range or {
				if match.Related(toMatch(&a.PersonRecord), toMatch(&b.PersonRecord)) {
					return nil, mash.Errorf(mash.KindConflict, "these look like twins, siblings or a parent and child, not one person; "+
						"merge only if you are sure, with confirm_not_related")
				}
			}
		}
	}
	now := db.Now().UTC()
	mg := &mash.Merge{ID: newID(), SurvivorID: s.ID, MergedID: o.ID, By: by.UserID, At: now, Reason: r.Reason}
	if _, err := tx.ExecContext(ctx, `INSERT INTO person_merges (id, survivor_id, merged_id, by_user, at, reason, undo_reason)
		VALUES ($1,$2,$3,$4,$5,$6,'')`, mg.ID, s.ID, o.ID, by.UserID, now, r.Reason); err != nil {
		return nil, dbErr(err)
	}
	records, err := ids(ctx, tx, `SELECT id FROM person_records WHERE person_id = $1`, o.ID)
	if err != nil {
		return nil, err
	}
	subjects, err := ids(ctx, tx, `SELECT id FROM contact_subjects WHERE person_id = $1`, o.ID)
	if err != nil {
		return nil, err
	}
	for _, it := range []struct {
		kind string
		ids  []string
	}{{"record", records}, {"subject", subjects}} {
		for _, id := range it.ids {
			if _, err := tx.ExecContext(ctx, `INSERT INTO person_merge_items (merge_id, kind, item_id) VALUES ($1,$2,$3)`, mg.ID, it.kind, id); err != nil {
				return nil, dbErr(err)
			}
		}
	}
	for _, id := range records {
		if err := insertDecision(ctx, tx, mash.MatchDecision{ID: newID(), RecordID: id, PersonID: s.ID, CandidateID: o.ID,
			Probability: 1, Outcome: "merged", By: by.UserID, At: now}); err != nil {
			return nil, err
		}
	}
	for _, st := range []stmt{
		{`UPDATE person_records SET person_id = $1 WHERE person_id = $2`, []any{s.ID, o.ID}},
		{`UPDATE contact_subjects SET person_id = $1 WHERE person_id = $2`, []any{s.ID, o.ID}},
		{`UPDATE persons SET merged_into = $1, version = version + 1 WHERE id = $2`, []any{s.ID, o.ID}},
		{`UPDATE persons SET version = version + 1 WHERE id = $1`, []any{s.ID}},
		{`UPDATE match_reviews SET status = 'same', merge_id = $1, resolved_by = $2, resolved_at = $3, version = version + 1
			WHERE status = 'open' AND ((person_id = $4 AND candidate_id = $5) OR (person_id = $5 AND candidate_id = $4))`,
			[]any{mg.ID, by.UserID, now, o.ID, s.ID}},
	} {
		if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
			return nil, dbErr(err)
		}
	}
	mg.Records = len(records)
	return mg, nil
}

// ids runs a query of one text column.
func ids(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, dbErr(err)
		}
		out = append(out, id)
	}
	return out, dbErr(rows.Err())
}

// stmt is one statement of a fixed sequence.
type stmt struct {
	q    string
	args []any
}

// Unmerge reverses a merge: the records and contact subjects it moved go
// back to the merged person, who becomes a person in their own right again.
// Records linked to the survivor after the merge stay with the survivor.
func (db *DB) Unmerge(ctx context.Context, by mash.Actor, mergeID, reason string) (mg *mash.Merge, err error) {
	defer mash.Wrap(&err, "store.Unmerge")
	if !mash.Can(by, mash.ActionPersonMerge, mash.Resource{}) {
		return nil, mash.Errorf(mash.KindForbidden, "your role may not unmerge persons")
	}
	if strings.TrimSpace(reason) == "" {
		return nil, &mash.Error{Kind: mash.KindInvalid, Msg: "the unmerge is not valid", Fields: map[string]string{"reason": "is required: say why these are different people"}}
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		ms, err := personMerges(ctx, tx, `id = $1`, mergeID)
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			return mash.Errorf(mash.KindNotFound, "no such merge")
		}
		mg = &ms[0]
		if mg.UndoneAt != nil {
			return mash.Errorf(mash.KindConflict, "this merge was already undone")
		}
		now := db.Now().UTC()
		records, err := ids(ctx, tx, `SELECT item_id FROM person_merge_items WHERE merge_id = $1 AND kind = 'record'`, mg.ID)
		if err != nil {
			return err
		}
		for _, id := range records {
			if err := insertDecision(ctx, tx, mash.MatchDecision{ID: newID(), RecordID: id, PersonID: mg.MergedID, CandidateID: mg.SurvivorID,
				Outcome: "unmerged", By: by.UserID, At: now}); err != nil {
				return err
			}
		}
		for _, st := range []stmt{
			{`UPDATE person_records SET person_id = $1 WHERE id IN (SELECT item_id FROM person_merge_items WHERE merge_id = $2 AND kind = 'record')`, []any{mg.MergedID, mg.ID}},
			{`UPDATE contact_subjects SET person_id = $1 WHERE id IN (SELECT item_id FROM person_merge_items WHERE merge_id = $2 AND kind = 'subject')`, []any{mg.MergedID, mg.ID}},
			{`UPDATE persons SET merged_into = NULL, version = version + 1 WHERE id = $1`, []any{mg.MergedID}},
			{`UPDATE persons SET version = version + 1 WHERE id = $1`, []any{mg.SurvivorID}},
			{`UPDATE person_merges SET undone_by = $1, undone_at = $2, undo_reason = $3 WHERE id = $4`, []any{by.UserID, now, reason, mg.ID}},
		} {
			if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
				return dbErr(err)
			}
		}
		mg.UndoneBy, mg.UndoneAt, mg.UndoReason = by.UserID, &now, reason
		return db.audit(ctx, tx, by, "person.unmerge", "person", mg.SurvivorID, "unmerged "+mg.MergedID)
	})
	return mg, err
}

// ListMatchReviews lists uncertain matches, oldest first, with both sides.
func (db *DB) ListMatchReviews(ctx context.Context, by mash.Actor, openOnly bool) (out []mash.MatchReview, err error) {
	defer mash.Wrap(&err, "store.ListMatchReviews")
	if !mash.Can(by, mash.ActionPersonMerge, mash.Resource{}) {
		return nil, mash.Errorf(mash.KindForbidden, "your role may not review identity matches")
	}
	where := "1=1"
	if openOnly {
		where = "v.status = 'open'"
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		out, err = loadReviews(ctx, tx, where)
		if err != nil {
			return err
		}
		return db.audit(ctx, tx, by, "match_review.list", "match_review", "", fmt.Sprintf("%d reviews", len(out)))
	})
	return out, err
}

func loadReviews(ctx context.Context, q querier, where string, args ...any) ([]mash.MatchReview, error) {
	rows, err := q.QueryContext(ctx, `SELECT v.id, v.version, v.record_id, v.person_id, v.candidate_id, v.probability, v.explanation,
		v.status, v.created_at, COALESCE(v.resolved_by, ''), v.resolved_at, v.reason, COALESCE(v.merge_id, ''),
		p.given_name || ' ' || p.family_name, p.dob, `+recordCols+`
		FROM match_reviews v JOIN persons p ON p.id = v.candidate_id JOIN person_records r ON r.id = v.record_id
		WHERE `+where+` ORDER BY v.created_at, v.id LIMIT 500`, args...)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	out := []mash.MatchReview{}
	for rows.Next() {
		var v mash.MatchReview
		var expl string
		var resolved sql.NullTime
		r := &mash.PersonRecord{}
		if err := rows.Scan(&v.ID, &v.Version, &v.RecordID, &v.PersonID, &v.Candidate, &v.Probability, &expl, &v.Status, &v.CreatedAt,
			&v.ResolvedBy, &resolved, &v.Reason, &v.MergeID, &v.CandidateName, &v.CandidateDOB,
			&r.ID, &r.PersonID, &r.Kind, &r.AgencyID, &r.SourceRef, &r.GivenName, &r.MiddleNames, &r.FamilyName,
			&r.DOB, &r.Sex, &r.Address, &r.Postcode, &r.NHSNumber, &r.Phone, &r.CreatedAt); err != nil {
			return nil, dbErr(err)
		}
		_ = json.Unmarshal([]byte(expl), &v.Fields)
		v.CreatedAt, v.ResolvedAt, r.CreatedAt = v.CreatedAt.UTC(), ptrTime(resolved), r.CreatedAt.UTC()
		v.Record = r
		out = append(out, v)
	}
	return out, dbErr(rows.Err())
}

// ResolveMatchReview records a human's answer to an uncertain match: "same"
// merges the record's person into the candidate; "different" closes it.
func (db *DB) ResolveMatchReview(ctx context.Context, by mash.Actor, id, outcome, reason string, version int) (v *mash.MatchReview, err error) {
	defer mash.Wrap(&err, "store.ResolveMatchReview")
	if !mash.Can(by, mash.ActionPersonMerge, mash.Resource{}) {
		return nil, mash.Errorf(mash.KindForbidden, "your role may not review identity matches")
	}
	fe := mash.FieldErrors{}
	if outcome != "same" && outcome != "different" {
		fe.Add("outcome", `must be "same" or "different"`)
	}
	if strings.TrimSpace(reason) == "" {
		fe.Add("reason", "is required")
	}
	if version < 1 {
		fe.Add("version", "is required: the version of the review you read")
	}
	if err := fe.Err("the review answer is not valid"); err != nil {
		return nil, err
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		vs, err := loadReviews(ctx, tx, "v.id = $1", id)
		if err != nil {
			return err
		}
		if len(vs) == 0 {
			return mash.Errorf(mash.KindNotFound, "no such review")
		}
		v = &vs[0]
		if v.Version != version {
			return staleErr(v.Version, version)
		}
		if v.Status != "open" {
			return mash.Errorf(mash.KindConflict, "this review was already answered (%s)", v.Status)
		}
		now := db.Now().UTC()
		if outcome == "same" {
			var cand mash.Person
			if err := loadPerson(ctx, tx, v.Candidate, &cand); err != nil {
				return err
			}
			target := v.Candidate
			if cand.MergedInto != "" {
				target = cand.MergedInto
				if err := loadPerson(ctx, tx, target, &cand); err != nil {
					return err
				}
			}
			mg, err := db.merge(ctx, tx, by, target, mash.MergeRequest{MergeID: v.PersonID, Reason: reason, Version: cand.Version})
			if err != nil {
				return err
			}
			v.MergeID = mg.ID
		}
		var merge any
		if v.MergeID != "" {
			merge = v.MergeID
		}
		if err := tx.QueryRowContext(ctx, `UPDATE match_reviews SET status = $2, reason = $3, resolved_by = $4, resolved_at = $5,
			merge_id = $6, version = version + 1 WHERE id = $1 RETURNING version`, id, outcome, reason, by.UserID, now, merge).Scan(&v.Version); err != nil {
			return dbErr(err)
		}
		v.Status, v.Reason, v.ResolvedBy, v.ResolvedAt = outcome, reason, by.UserID, &now
		return db.audit(ctx, tx, by, "match_review.resolve", "match_review", id, outcome)
	})
	return v, err
}
