package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/match"
)

// ContactBatch is a block of finished contacts with their whole history, as
// a benchmark generator makes them: every id is set by the caller, and rows
// refer only to persons, contacts and requests in the same batch or already
// stored. BulkLoadContacts writes it as is, without the rules of intake.
type ContactBatch struct {
	// Persons are new people first seen in this batch.
	Persons []mash.PersonRecord
	// Contacts with their subjects (ID and PersonID set); the referral
	// source is Referrer.Source.
	Contacts    []mash.Contact
	Transitions []BulkTransition
	RAGChanges  []BulkRAGChange
	// Requests with their returns (Return and its Items, ids set).
	Requests  []mash.InfoRequest
	Decisions []mash.Decision
	Feedback  []mash.Feedback
	Breaches  []mash.Breach
	// Counters are the contact reference counters to set afterwards, by
	// year: the highest number used.
	Counters map[int]int
}

// BulkTransition is one state change of a contact in a batch.
type BulkTransition struct {
	ContactID string
	mash.Transition
}

// BulkRAGChange is one rating of a contact in a batch.
type BulkRAGChange struct {
	ContactID string
	mash.RAGChange
}

// BulkLoadContacts writes a batch in one transaction with multi-row INSERTs
// and one audit event. It is for benchmarks and load tests only (the system
// account): it skips validation, matching (subjects' person records get no
// blocking keys, so the matcher does not find generated people) and the
// deadline jobs of the contacts still open.
func (db *DB) BulkLoadContacts(ctx context.Context, by mash.Actor, b *ContactBatch) (err error) {
	defer mash.Wrap(&err, "store.BulkLoadContacts")
	if by.UserID != System.UserID {
		return mash.Errorf(mash.KindForbidden, "bulk loading of contacts is for the system account (benchmarks) only")
	}
	if db.dialect == SQLite {
		// A bulk load touches indexes all over a growing file: a large page
		// cache (256 MiB, on the one writer connection) keeps it from
		// rereading pages for every batch.
		if _, err := db.w.ExecContext(ctx, `PRAGMA cache_size = -262144`); err != nil {
			return dbErr(err)
		}
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		ins := func(table string, cols string, n int, row func(i int) []any) error {
			return bulkInsert(ctx, tx, db.dialect, table, cols, n, row)
		}
		if err := ins("persons", "id, given_name, family_name, dob, sex, address, postcode, nhs_number, created_at", len(b.Persons), func(i int) []any {
			p := &b.Persons[i]
			return []any{p.PersonID, p.GivenName, p.FamilyName, p.DOB, p.Sex, p.Address, p.Postcode, p.NHSNumber, p.CreatedAt.UTC()}
		}); err != nil {
			return err
		}
		cols := "id, reference, version, status, received_at, channel, cohort, referrer, concerns, concern_code_version, narrative, " +
			"immediate_risk, consent, consent_override, rag, threshold_level, screened_at, due_at, closure_reason, created_by, created_at, updated_at, source"
		if err := ins("contacts", cols, len(b.Contacts), func(i int) []any {
			c := &b.Contacts[i]
			referrer, _ := json.Marshal(c.Referrer)
			concerns, _ := json.Marshal(c.Concerns)
			consent, _ := json.Marshal(c.Consent)
			var override any
			if c.ConsentOverride != nil {
				o, _ := json.Marshal(c.ConsentOverride)
				override = string(o)
			}
			return []any{c.ID, c.Reference, c.Version, string(c.Status), c.ReceivedAt.UTC(), c.Channel, string(c.Cohort),
				string(referrer), string(concerns), c.ConcernCodeVersion, c.Narrative, c.ImmediateRisk, string(consent), override,
				c.RAG, c.ThresholdLevel, nullTime(c.ScreenedAt), nullTime(c.DueAt), c.ClosureReason, c.CreatedBy,
				c.CreatedAt.UTC(), c.UpdatedAt.UTC(), c.Referrer.Source}
		}); err != nil {
			return err
		}
		type subj struct {
			contactID string
			ord       int
			s         *mash.Subject
			at        time.Time
		}
		var subjects []subj
		for i := range b.Contacts {
			c := &b.Contacts[i]
			for j := range c.Subjects {
				subjects = append(subjects, subj{c.ID, j, &c.Subjects[j], c.CreatedAt})
			}
		}
		if err := ins("contact_subjects", "id, contact_id, person_id, ord, role, given_name, family_name, dob, sex, address, postcode, nhs_number", len(subjects), func(i int) []any {
			x := subjects[i]
			s := x.s
			return []any{s.ID, x.contactID, s.PersonID, x.ord, string(s.Role), s.GivenName, s.FamilyName, s.DOB, s.Sex, s.Address, s.Postcode, s.NHSNumber}
		}); err != nil {
			return err
		}
		// Each subject is also a record of its person, as intake files it.
		if err := ins("person_records", "id, person_id, kind, agency_id, source_ref, given_name, middle_names, family_name, dob, sex, "+
			"address, postcode, nhs_number, phone, household_key, created_at", len(subjects), func(i int) []any {
			x := subjects[i]
			s := x.s
			return []any{s.ID, s.PersonID, mash.RecordSubject, nil, s.ID, s.GivenName, "", s.FamilyName, s.DOB, s.Sex,
				s.Address, s.Postcode, s.NHSNumber, "", match.HouseholdKey(s.Address, s.Postcode), x.at.UTC()}
		}); err != nil {
			return err
		}
		if err := ins("transitions", "id, contact_id, from_status, to_status, by_user, at, reason", len(b.Transitions), func(i int) []any {
			t := &b.Transitions[i]
			return []any{newID(), t.ContactID, string(t.From), string(t.To), t.By, t.At.UTC(), t.Reason}
		}); err != nil {
			return err
		}
		if err := ins("rag_changes", "id, contact_id, from_rag, to_rag, by_user, at, reason, due_at", len(b.RAGChanges), func(i int) []any {
			r := &b.RAGChanges[i]
			return []any{newID(), r.ContactID, r.From, r.To, r.By, r.At.UTC(), r.Reason, r.DueAt.UTC()}
		}); err != nil {
			return err
		}
		if err := ins("info_requests", "id, contact_id, agency_id, question, status, due_at, requested_by, requested_at, version", len(b.Requests), func(i int) []any {
			r := &b.Requests[i]
			return []any{r.ID, r.ContactID, r.AgencyID, r.Question, string(r.Status), r.DueAt.UTC(), r.RequestedBy, r.RequestedAt.UTC(), r.Version}
		}); err != nil {
			return err
		}
		var returns []*mash.AgencyReturn
		type item struct {
			returnID string
			ord      int
			it       *mash.ReturnItem
		}
		var items []item
		for i := range b.Requests {
			if ret := b.Requests[i].Return; ret != nil {
				returns = append(returns, ret)
				for j := range ret.Items {
					items = append(items, item{ret.ID, j, &ret.Items[j]})
				}
			}
		}
		if err := ins("agency_returns", "id, request_id, outcome, legal_basis, reason, returned_by, returned_at", len(returns), func(i int) []any {
			r := returns[i]
			return []any{r.ID, r.RequestID, string(r.Outcome), r.LegalBasis, r.Reason, r.ReturnedBy, r.ReturnedAt.UTC()}
		}); err != nil {
			return err
		}
		if err := ins("return_items", "id, return_id, ord, summary, detail, occurred_on, owning_agency_id, marking, protected_names", len(items), func(i int) []any {
			x := items[i]
			return []any{newID(), x.returnID, x.ord, x.it.Summary, x.it.Detail, x.it.OccurredOn, x.it.OwningAgencyID, string(x.it.Marking), "[]"}
		}); err != nil {
			return err
		}
		if err := ins("decisions", "id, contact_id, threshold_level, outcomes, rationale, agency_views, decided_by, decided_at, receiving_agency_id", len(b.Decisions), func(i int) []any {
			d := &b.Decisions[i]
			outcomes, _ := json.Marshal(d.Outcomes)
			views := []byte("[]")
			if len(d.AgencyViews) > 0 {
				views, _ = json.Marshal(d.AgencyViews)
			}
			return []any{newID(), d.ContactID, d.ThresholdLevel, string(outcomes), d.Rationale, string(views), d.DecidedBy, d.DecidedAt.UTC(), d.ReceivingAgencyID}
		}); err != nil {
			return err
		}
		if err := ins("feedback", "id, contact_id, status, due_at, text, sent_by, sent_at", len(b.Feedback), func(i int) []any {
			f := &b.Feedback[i]
			return []any{newID(), f.ContactID, f.Status, f.DueAt.UTC(), f.Text, f.SentBy, nullTime(f.SentAt)}
		}); err != nil {
			return err
		}
		if err := ins("contact_breaches", "id, contact_id, rag, due_at, breached_at, reason, reason_by, reason_at", len(b.Breaches), func(i int) []any {
			x := &b.Breaches[i]
			var reasonBy any
			if x.ReasonBy != "" {
				reasonBy = x.ReasonBy
			}
			return []any{newID(), x.ContactID, x.RAG, x.DueAt.UTC(), x.BreachedAt.UTC(), x.Reason, reasonBy, nullTime(x.ReasonAt)}
		}); err != nil {
			return err
		}
		for year, n := range b.Counters {
			if _, err := tx.ExecContext(ctx, `INSERT INTO counters (name, value) VALUES ($1, $2)
				ON CONFLICT (name) DO UPDATE SET value = CASE WHEN counters.value > excluded.value THEN counters.value ELSE excluded.value END`,
				fmt.Sprintf("contact-%d", year), n); err != nil {
				return dbErr(err)
			}
		}
		return db.audit(ctx, tx, by, "contact.bulk_load", "hub", "contacts", fmt.Sprintf("%d contacts, %d persons", len(b.Contacts), len(b.Persons)))
	})
}

// ContactCounters returns the highest contact reference number used in each
// year, so a generator appending to a database continues the sequences.
func (db *DB) ContactCounters(ctx context.Context) (map[int]int, error) {
	rows, err := db.w.QueryContext(ctx, `SELECT name, value FROM counters WHERE name LIKE 'contact-%'`)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var name string
		var v int
		if err := rows.Scan(&name, &v); err != nil {
			return nil, dbErr(err)
		}
		if y, err := strconv.Atoi(strings.TrimPrefix(name, "contact-")); err == nil {
			out[y] = v
		}
	}
	return out, dbErr(rows.Err())
}

// AnalyzeContacts refreshes the planner's statistics after a bulk load.
func (db *DB) AnalyzeContacts(ctx context.Context) error {
	q := `ANALYZE`
	if db.dialect == SQLite {
		q = `PRAGMA optimize=0x10002`
	}
	_, err := db.w.ExecContext(ctx, q)
	return dbErr(err)
}

// maxParams keeps each statement under SQLite's default limit of 32766
// bound parameters (PostgreSQL allows 65535).
const maxParams = 32000

// bulkInsert inserts n rows into table with multi-row INSERT statements.
func bulkInsert(ctx context.Context, tx *sql.Tx, d Dialect, table, cols string, n int, row func(i int) []any) error {
	if n == 0 {
		return nil
	}
	ncol := strings.Count(cols, ",") + 1
	per := max(1, maxParams/ncol)
	stmts := map[int]string{}
	args := make([]any, 0, per*ncol)
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		args = args[:0]
		for i := lo; i < hi; i++ {
			r := row(i)
			if len(r) != ncol {
				return fmt.Errorf("bulk insert into %s: row has %d values for %d columns", table, len(r), ncol)
			}
			args = append(args, r...)
		}
		q, ok := stmts[hi-lo]
		if !ok {
			q = insertSQL(d, table, cols, ncol, hi-lo)
			stmts[hi-lo] = q
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return dbErr(fmt.Errorf("bulk insert into %s: %w", table, err))
		}
	}
	return nil
}

// insertSQL writes the statement. SQLite gets anonymous ? parameters: it
// looks numbered ones ($N) up by name, which makes a statement with
// thousands of them quadratic to prepare.
func insertSQL(d Dialect, table, cols string, ncol, rows int) string {
	var b strings.Builder
	b.Grow(len(table) + len(cols) + rows*ncol*7 + 40)
	b.WriteString("INSERT INTO ")
	b.WriteString(table)
	b.WriteString(" (")
	b.WriteString(cols)
	b.WriteString(") VALUES ")
	p := 1
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := 0; c < ncol; c++ {
			if c > 0 {
				b.WriteByte(',')
			}
			if d == SQLite {
				b.WriteByte('?')
			} else {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(p))
			}
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
}
