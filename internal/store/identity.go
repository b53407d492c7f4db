package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/match"
)

// Identity resolution in the store. Every person record is filed under the
// blocking keys match.Keys gives it (table person_keys). A match reads the
// records sharing a key with the query, a few small index ranges, and scores
// them with the model; nothing is held in memory, so every hub instance
// answers the same.

const (
	modelKey   = "match_model"
	keysVerKey = "person_keys_version"
	recordCols = `r.id, r.person_id, r.kind, COALESCE(r.agency_id, ''), r.source_ref, r.given_name, r.middle_names, r.family_name, r.dob, r.sex, r.address, r.postcode, r.nhs_number, r.phone, r.created_at`
)

type cachedModel struct {
	raw     string
	m       *match.Model
	checked time.Time
}

// modelRecheck is how long an instance keeps using the model it last read
// before checking that it is still the installed one. Searches come with
// every keystroke; a newly installed model may take this long to reach
// other instances (this one forgets its model at once).
const modelRecheck = 5 * time.Second

// MatchModel returns the installed identity model, or the default one.
func (db *DB) MatchModel(ctx context.Context) (*match.Model, error) {
	if c := db.model.Load(); c != nil && time.Since(c.checked) < modelRecheck {
		return c.m, nil
	}
	var raw string
	err := db.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, modelKey).Scan(&raw)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, dbErr(err)
	}
	if c := db.model.Load(); c != nil && c.raw == raw {
		db.model.Store(&cachedModel{raw: raw, m: c.m, checked: time.Now()})
		return c.m, nil
	}
	m := match.DefaultModel()
	if raw != "" {
		if m, err = match.ReadModel(strings.NewReader(raw)); err != nil {
			return nil, &mash.Error{Kind: mash.KindInternal, Msg: "the installed identity model does not fit this version; install a retrained one", Err: err}
		}
	}
	db.model.Store(&cachedModel{raw: raw, m: m, checked: time.Now()})
	return m, nil
}

// SetMatchModel installs a trained model (mash match install).
func (db *DB) SetMatchModel(ctx context.Context, by mash.Actor, m *match.Model) error {
	var buf bytes.Buffer
	if err := m.WriteJSON(&buf); err != nil {
		return err
	}
	if _, err := match.ReadModel(bytes.NewReader(buf.Bytes())); err != nil {
		return &mash.Error{Kind: mash.KindInvalid, Msg: "the model is not valid: " + err.Error()}
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1,$2,$3)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			modelKey, buf.String(), db.Now().UTC()); err != nil {
			return dbErr(err)
		}
		return db.audit(ctx, tx, by, "match_model.update", "settings", modelKey, "")
	})
	if err == nil {
		db.model.Store(nil)
	}
	return err
}

func toMatch(r *mash.PersonRecord) match.Record {
	return match.Record{ID: r.ID, Source: r.Kind, Given: r.GivenName, Middle: r.MiddleNames, Family: r.FamilyName,
		DOB: r.DOB, Sex: r.Sex, Address: r.Address, Postcode: r.Postcode, NHS: r.NHSNumber, Phone: r.Phone}
}

func queryRecord(q *mash.PersonQuery) match.Record {
	return match.Record{Given: q.GivenName, Middle: q.MiddleNames, Family: q.FamilyName, DOB: q.DOB, Sex: q.Sex,
		Address: q.Address, Postcode: q.Postcode, NHS: q.NHSNumber, Phone: q.Phone}
}

func scanRecord(rows *sql.Rows) (mash.PersonRecord, error) {
	var r mash.PersonRecord
	err := rows.Scan(&r.ID, &r.PersonID, &r.Kind, &r.AgencyID, &r.SourceRef, &r.GivenName, &r.MiddleNames, &r.FamilyName,
		&r.DOB, &r.Sex, &r.Address, &r.Postcode, &r.NHSNumber, &r.Phone, &r.CreatedAt)
	r.CreatedAt = r.CreatedAt.UTC()
	return r, err
}

// candidateCap bounds the records prepared and scored for one search.
const candidateCap = 30

// candidateRecords reads the records filed under the keys (at most
// match.OnlinePerKey a key), and keeps the candidateCap that share the most
// keys with the query: the same person shares many (name, date of birth,
// postcode, …), a stranger with a common name one or two. Preparing and
// scoring a record is the costly step, so fewer, better candidates are what
// keeps a search fast at a county's scale.
func candidateRecords(ctx context.Context, q querier, keys []string) ([]mash.PersonRecord, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	// Two steps, each an index lookup whatever the planner's statistics say:
	// the record ids under the keys, then the records.
	keys = padIDs(keys, keyPad)
	hits, err := ids(ctx, q, keysQuery(keys), append([]any{match.OnlinePerKey}, anys(keys)...)...)
	if err != nil || len(hits) == 0 {
		return nil, err
	}
	shared := map[string]int{}
	for _, id := range hits {
		shared[id]++
	}
	recIDs := make([]string, 0, len(shared))
	for id := range shared {
		recIDs = append(recIDs, id)
	}
	slices.SortFunc(recIDs, func(a, b string) int {
		if shared[a] != shared[b] {
			return shared[b] - shared[a]
		}
		return strings.Compare(a, b)
	})
	recIDs = padIDs(recIDs[:min(len(recIDs), candidateCap)], candidateCap)
	rows, err := q.QueryContext(ctx, recordsQuery(recIDs), anys(recIDs)...)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	out := make([]mash.PersonRecord, 0, len(recIDs))
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, dbErr(err)
		}
		out = append(out, r)
	}
	return out, dbErr(rows.Err())
}

// keyPad is the number of keys a search reads, padded: a record with every
// field has nine (match.Keys).
const keyPad = 9

// keysQuery reads the record ids filed under keys, at most $1 a key. Each
// key is its own limited range scan: a window over all the keys' entries read
// every entry of a common key (a date of birth) before dropping most of them.
func keysQuery(keys []string) string {
	parts := make([]string, len(keys))
	for i := range keys {
		parts[i] = fmt.Sprintf(`SELECT * FROM (SELECT record_id FROM person_keys WHERE key = $%d LIMIT $1) k%d`, i+2, i)
	}
	return strings.Join(parts, " UNION ALL ")
}

// recordsQuery reads records by id.
func recordsQuery(ids []string) string {
	return `SELECT ` + recordCols + ` FROM person_records r WHERE r.id IN (` + inList(1, len(ids)) + `)`
}

// inList is n placeholders from $first: "$2,$3,$4".
func inList(first, n int) string {
	ph := make([]string, n)
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", first+i)
	}
	return strings.Join(ph, ",")
}

func anys(values []string) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = v
	}
	return out
}

// placeholders appends values to args and returns their placeholders, "$3,$4,…".
func placeholders(args *[]any, values []string) string {
	ph := make([]string, len(values))
	for i, v := range values {
		*args = append(*args, v)
		ph[i] = fmt.Sprintf("$%d", len(*args))
	}
	return strings.Join(ph, ",")
}

// ranked is a person's best-scoring record against a query.
type ranked struct {
	personID string
	record   mash.PersonRecord
	scored   match.Scored
	related  bool
}

// rank scores the records against the query and keeps each person's best,
// highest first. A person is related (twin, sibling, parent) if any of their
// records is.
//
// With explain, the first explainTop get their field-by-field explanation
// (scored again: explaining every candidate would cost more than ranking).
func rank(m *match.Model, q match.Record, recs []mash.PersonRecord, explainTop int) []ranked {
	mq := m.NewQuery(q)
	best := map[string]*ranked{}
	for _, r := range recs {
		s, rel := mq.Score(toMatch(&r), false)
		b := best[r.PersonID]
		if b == nil {
			best[r.PersonID] = &ranked{personID: r.PersonID, record: r, scored: s, related: rel}
			continue
		}
		b.related = b.related || rel
		if s.Weight > b.scored.Weight {
			b.record, b.scored = r, s
		}
	}
	out := make([]ranked, 0, len(best))
	for _, b := range best {
		out = append(out, *b)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].scored.Weight != out[j].scored.Weight {
			return out[i].scored.Weight > out[j].scored.Weight
		}
		return out[i].personID < out[j].personID
	})
	for i := range out[:min(len(out), explainTop)] {
		out[i].scored, _ = mq.Score(toMatch(&out[i].record), true)
	}
	return out
}

func fields(s match.Scored) []mash.MatchField {
	out := make([]mash.MatchField, len(s.Fields))
	for i, f := range s.Fields {
		out[i] = mash.MatchField{Field: f.Field, Level: f.Level, Wording: f.Wording, Bits: f.Bits}
	}
	return out
}

// outcome classifies a ranked candidate by the model's thresholds.
func outcome(m *match.Model, r ranked) string {
	switch {
	case r.related:
		return mash.MatchRelated
	case r.scored.Probability >= m.LinkThreshold:
		return mash.MatchSame
	case r.scored.Probability >= m.ReviewThreshold:
		return mash.MatchUncertain
	}
	return mash.MatchDifferent
}

// insertRecord stores a record and files it under its keys.
func insertRecord(ctx context.Context, tx querier, r *mash.PersonRecord) error {
	var agency any
	if r.AgencyID != "" {
		agency = r.AgencyID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO person_records (id, person_id, kind, agency_id, source_ref, given_name,
		middle_names, family_name, dob, sex, address, postcode, nhs_number, phone, household_key, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)`,
		r.ID, r.PersonID, r.Kind, agency, r.SourceRef, r.GivenName, r.MiddleNames, r.FamilyName, r.DOB, r.Sex,
		r.Address, r.Postcode, r.NHSNumber, r.Phone, match.HouseholdKey(r.Address, r.Postcode), r.CreatedAt); err != nil {
		return dbErr(err)
	}
	return fileKeys(ctx, tx, r)
}

func fileKeys(ctx context.Context, tx querier, r *mash.PersonRecord) error {
	for _, k := range match.Keys(toMatch(r)) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO person_keys (key, record_id) VALUES ($1,$2) ON CONFLICT DO NOTHING`, k, r.ID); err != nil {
			return dbErr(err)
		}
	}
	return nil
}

func insertPerson(ctx context.Context, tx querier, r *mash.PersonRecord) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO persons (id, given_name, family_name, dob, sex, address, postcode, nhs_number, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, r.PersonID, r.GivenName, r.FamilyName, r.DOB, r.Sex, r.Address, r.Postcode, r.NHSNumber, r.CreatedAt)
	return dbErr(err)
}

// linkRecord decides which person a new record belongs to and stores it
// with the decision. With chosen set, a user picked the person (as intake
// does when a screener chose a candidate). Otherwise the best candidate that
// is not a twin, sibling or parent is linked at or above the link
// threshold; between the thresholds the record starts a new person and a
// review is opened; below, it starts a new person.
//
// The caller reads the model before its transaction: reading it inside could
// wait for a connection the transaction itself holds.
// With forceNew, a user chose none of the candidates: a new person, with
// the best candidate still recorded in the decision.
func (db *DB) linkRecord(ctx context.Context, tx querier, m *match.Model, by mash.Actor, r *mash.PersonRecord, chosen string, forceNew bool) (string, error) {
	d := mash.MatchDecision{ID: newID(), RecordID: r.ID, By: by.UserID, At: r.CreatedAt}
	var review *ranked
	if chosen != "" {
		// claimPerson follows a merged person to the survivor.
		var err error
		if chosen, err = claimPerson(ctx, tx, chosen); err != nil {
			return "", err
		}
		r.PersonID, d.Outcome, d.CandidateID = chosen, "chosen", chosen
	} else {
		recs, err := candidateRecords(ctx, tx, match.Keys(toMatch(r)))
		if err != nil {
			return "", err
		}
		cands := rank(m, toMatch(r), recs, 1)
		d.Outcome = "new_person"
		if forceNew {
			d.Outcome = "new_by_choice"
		}
		if len(cands) > 0 {
			top := cands[0]
			d.CandidateID, d.Probability, d.Fields = top.personID, top.scored.Probability, fields(top.scored)
			switch o := outcome(m, top); {
			case forceNew:
				d.Outcome = "new_by_choice"
			case o == mash.MatchSame:
				if r.PersonID, err = claimPerson(ctx, tx, top.personID); err != nil {
					return "", err
				}
				d.Outcome = "linked"
			case o == mash.MatchUncertain:
				d.Outcome, review = "review", &top
			case o == mash.MatchRelated:
				d.Outcome = "related_not_same"
			}
		}
		if r.PersonID == "" {
			r.PersonID = newID()
			if err := insertPerson(ctx, tx, r); err != nil {
				return "", err
			}
		}
	}
	if err := insertRecord(ctx, tx, r); err != nil {
		return "", err
	}
	d.PersonID = r.PersonID
	if err := insertDecision(ctx, tx, d); err != nil {
		return "", err
	}
	if review != nil {
		expl, _ := json.Marshal(fields(review.scored))
		if _, err := tx.ExecContext(ctx, `INSERT INTO match_reviews (id, version, record_id, person_id, candidate_id, probability,
			explanation, status, created_at, reason) VALUES ($1,1,$2,$3,$4,$5,$6,'open',$7,'')`,
			newID(), r.ID, r.PersonID, review.personID, review.scored.Probability, string(expl), r.CreatedAt); err != nil {
			return "", dbErr(err)
		}
	}
	return d.Outcome, nil
}

// claimPerson locks a person's row for the rest of the transaction, so a
// merge cannot move the person's records from under a record being linked to
// them; a person merged meanwhile is followed to the survivor. (On SQLite
// there is one writer and the lock is a no-op.)
func claimPerson(ctx context.Context, tx querier, id string) (string, error) {
	for range 5 {
		res, err := tx.ExecContext(ctx, `UPDATE persons SET version = version WHERE id = $1 AND merged_into IS NULL`, id)
		if err != nil {
			return "", dbErr(err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return id, nil
		}
		var next sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT merged_into FROM persons WHERE id = $1`, id).Scan(&next); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return "", mash.Errorf(mash.KindNotFound, "no such person")
			}
			return "", dbErr(err)
		}
		if !next.Valid {
			return "", mash.Errorf(mash.KindUnavailable, "the person record is changing; try again")
		}
		id = next.String
	}
	return "", mash.Errorf(mash.KindConflict, "the person has been merged too many times to follow")
}

func insertDecision(ctx context.Context, tx querier, d mash.MatchDecision) error {
	expl, _ := json.Marshal(d.Fields)
	if d.Fields == nil {
		expl = []byte("[]")
	}
	var cand any
	if d.CandidateID != "" {
		cand = d.CandidateID
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO identity_decisions (id, record_id, person_id, candidate_id, probability, outcome,
		explanation, by_user, at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
		d.ID, d.RecordID, d.PersonID, cand, d.Probability, d.Outcome, string(expl), d.By, d.At)
	return dbErr(err)
}

// ImportResult counts what an import of agency records did.
type ImportResult struct {
	Linked, NewPersons, Review, Related, Skipped int
}

// ImportAgencyRecords loads records from an agency's own index, linking each
// to a known person or a new one as intake does. A record whose id the
// agency already loaded is skipped, so a rerun after a failure is safe.
// Each record commits with its decision; an admin or the command line runs it.
func (db *DB) ImportAgencyRecords(ctx context.Context, by mash.Actor, agencyID string, recs []mash.PersonRecord) (res ImportResult, err error) {
	defer mash.Wrap(&err, "store.ImportAgencyRecords")
	var one int
	if err := db.r.QueryRowContext(ctx, `SELECT 1 FROM agencies WHERE id = $1`, agencyID).Scan(&one); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return res, mash.Errorf(mash.KindNotFound, "no such agency")
		}
		return res, dbErr(err)
	}
	m, err := db.MatchModel(ctx)
	if err != nil {
		return res, err
	}
	for i := range recs {
		r := recs[i]
		if r.SourceRef == "" {
			return res, &mash.Error{Kind: mash.KindInvalid, Msg: fmt.Sprintf("record %d has no record_id", i+1)}
		}
		r.ID, r.Kind, r.AgencyID, r.PersonID, r.CreatedAt = newID(), mash.RecordAgency, agencyID, "", db.Now().UTC()
		err := db.tx(ctx, func(tx *sql.Tx) error {
			var exists int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM person_records WHERE kind = 'agency' AND agency_id = $1 AND source_ref = $2`,
				agencyID, r.SourceRef).Scan(&exists)
			if err == nil {
				res.Skipped++
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return dbErr(err)
			}
			out, err := db.linkRecord(ctx, tx, m, by, &r, "", false)
			if err != nil {
				return err
			}
			switch out {
			case "linked":
				res.Linked++
			case "review":
				res.Review++
				res.NewPersons++
			case "related_not_same":
				res.Related++
				res.NewPersons++
			default:
				res.NewPersons++
			}
			return db.audit(ctx, tx, by, "person_record.import", "person", r.PersonID, out)
		})
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// BulkLoadPersons stores records as persons without matching them: records
// with the same group (e.g. a cluster from mash match dedupe) become one
// person. It is for loading a legacy index that has been deduplicated in
// batch, and for benchmarks; it writes one audit event per call and returns
// the person made for each group. progress, if set, hears after each batch.
func (db *DB) BulkLoadPersons(ctx context.Context, by mash.Actor, agencyID string, recs []mash.PersonRecord, group []string, progress func(done int)) (map[string]string, error) {
	const batch = 2000
	persons := map[string]string{}
	for lo := 0; lo < len(recs); lo += batch {
		hi := min(lo+batch, len(recs))
		err := db.tx(ctx, func(tx *sql.Tx) error {
			for i := lo; i < hi; i++ {
				r := &recs[i]
				r.ID, r.Kind, r.AgencyID, r.CreatedAt = newID(), mash.RecordAgency, agencyID, db.Now().UTC()
				g := r.SourceRef
				if group != nil {
					g = group[i]
				}
				if id, ok := persons[g]; ok {
					r.PersonID = id
				} else {
					r.PersonID = newID()
					persons[g] = r.PersonID
					if err := insertPerson(ctx, tx, r); err != nil {
						return err
					}
				}
				if err := insertRecord(ctx, tx, r); err != nil {
					return err
				}
			}
			if hi == len(recs) {
				return db.audit(ctx, tx, by, "person_record.bulk_load", "agency", agencyID, fmt.Sprintf("%d records", len(recs)))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if progress != nil {
			progress(hi)
		}
	}
	// Fresh statistics, so the planner knows the new rows at once.
	analyze := `PRAGMA optimize`
	if db.dialect == Postgres {
		analyze = `ANALYZE persons, person_records, person_keys`
	}
	if _, err := db.w.ExecContext(ctx, analyze); err != nil {
		return nil, dbErr(err)
	}
	return persons, nil
}

// ensurePersonKeys rebuilds every record's keys and household key when they
// were made by another version of the key scheme (or never, after the
// migration that created them).
func (db *DB) ensurePersonKeys(ctx context.Context) error {
	var ver string
	err := db.w.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, keysVerKey).Scan(&ver)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return dbErr(err)
	}
	if ver == match.KeysVersion {
		return nil
	}
	after := ""
	for {
		var recs []mash.PersonRecord
		rows, err := db.w.QueryContext(ctx, `SELECT `+recordCols+` FROM person_records r WHERE r.id > $1 ORDER BY r.id LIMIT 2000`, after)
		if err != nil {
			return dbErr(err)
		}
		for rows.Next() {
			r, err := scanRecord(rows)
			if err != nil {
				rows.Close()
				return dbErr(err)
			}
			recs = append(recs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return dbErr(err)
		}
		if len(recs) == 0 {
			break
		}
		err = db.tx(ctx, func(tx *sql.Tx) error {
			for i := range recs {
				r := &recs[i]
				if _, err := tx.ExecContext(ctx, `DELETE FROM person_keys WHERE record_id = $1`, r.ID); err != nil {
					return dbErr(err)
				}
				if _, err := tx.ExecContext(ctx, `UPDATE person_records SET household_key = $1 WHERE id = $2`,
					match.HouseholdKey(r.Address, r.Postcode), r.ID); err != nil {
					return dbErr(err)
				}
				if err := fileKeys(ctx, tx, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		after = recs[len(recs)-1].ID
	}
	_, err = db.w.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1,$2,$3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, keysVerKey, match.KeysVersion, db.Now().UTC())
	return dbErr(err)
}

// AgencyRecordPersons finds the persons holding an agency's records, by the
// records' own ids (SourceRef); ids not found are left out. It lets a
// benchmark time searches again without loading its people again.
func (db *DB) AgencyRecordPersons(ctx context.Context, agencyID string, refs []string) (out map[string]string, err error) {
	defer mash.Wrap(&err, "store.AgencyRecordPersons")
	out = map[string]string{}
	for _, ref := range refs {
		var pid string
		err := db.r.QueryRowContext(ctx, `SELECT person_id FROM person_records WHERE kind = 'agency' AND agency_id = $1 AND source_ref = $2`,
			agencyID, ref).Scan(&pid)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, dbErr(err)
		}
		out[ref] = pid
	}
	return out, nil
}
