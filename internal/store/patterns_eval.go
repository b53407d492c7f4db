package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"openmash.org/mash"
)

// Raising pattern alerts. Evaluation is background work so intake stays
// fast: CreateContact enqueues a patterns.evaluate job for the contact's
// subjects in its own transaction, due IntakePatternsAfter later (the alert
// appears a few seconds after intake). A nightly job lists the persons who
// were the subject of a contact within mash.PatternHorizon and fans them out
// in batches, so back-dated contacts, decisions made since (re-referrals)
// and rule changes are caught; it enqueues the next night's run under a key
// per date, so however many instances schedule it, each night runs once.
//
// Alerts are about a person who was the subject (role "subject") of a
// contact: the child or adult at risk, not every parent or alleged
// perpetrator named alongside. A household rule reads the contacts naming
// the person or a household member (same address in the person index, or
// named with them in a contact).

// The job kinds of pattern alerts.
const (
	JobPatternsEvaluate = "patterns.evaluate" // evaluate the rules for some persons
	JobPatternsNightly  = "patterns.nightly"  // fan out tonight's evaluation and schedule tomorrow's
)

// patternBatch is how many persons one evaluation job takes.
const patternBatch = 100

// IntakePatternsAfter is how long after intake its evaluation falls due:
// prompt enough for screening, and nothing is due at the instant of intake.
const IntakePatternsAfter = 2 * time.Second

// NightlyPatternsAt is the local time (Europe/London) of the nightly run.
const NightlyPatternsAt = 2 * time.Hour

func init() {
	builtinJobs[JobPatternsEvaluate] = (*DB).runPatternsEvaluate
	builtinJobs[JobPatternsNightly] = (*DB).runPatternsNightly
}

type patternsJob struct {
	PersonIDs []string `json:"person_ids"`
	ContactID string   `json:"contact_id,omitempty"` // the intake that asked for it
}

type nightlyJob struct {
	Date string `json:"date"` // YYYY-MM-DD in Europe/London
}

// schedulePatterns enqueues the evaluation of a new contact's subjects, in
// the intake's transaction.
func (db *DB) schedulePatterns(ctx context.Context, tx querier, c *mash.Contact) error {
	var persons []string
	for _, s := range c.Subjects {
		if s.Role == mash.SubjectMain && s.PersonID != "" && !slices.Contains(persons, s.PersonID) {
			persons = append(persons, s.PersonID)
		}
	}
	if len(persons) == 0 {
		return nil
	}
	_, err := db.enqueue(ctx, tx, NewJob{Kind: JobPatternsEvaluate, Key: "patterns:contact:" + c.ID,
		Payload: patternsJob{PersonIDs: persons, ContactID: c.ID}, RunAt: db.Now().Add(IntakePatternsAfter)})
	return err
}

var london = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC
	}
	return loc
}()

// nightlyRun is the night's run time of a local date.
func nightlyRun(date time.Time) time.Time {
	y, m, d := date.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, london).Add(NightlyPatternsAt).UTC()
}

// SchedulePatterns queues today's nightly evaluation: at its time, or at
// once when the time has passed and it has not run (the hub was down, or
// this is its first start). It is idempotent (a key per date), so every
// instance calls it at start; each run queues the next night's.
func (db *DB) SchedulePatterns(ctx context.Context) (err error) {
	defer mash.Wrap(&err, "store.SchedulePatterns")
	return db.tx(ctx, func(tx *sql.Tx) error { return db.enqueueNightly(ctx, tx, db.Now().In(london)) })
}

// scheduleNightly queues the first nightly run after the time given.
func (db *DB) scheduleNightly(ctx context.Context, tx querier, after time.Time) error {
	local := after.In(london)
	if !nightlyRun(local).After(after) {
		local = time.Date(local.Year(), local.Month(), local.Day()+1, 12, 0, 0, 0, london)
	}
	return db.enqueueNightly(ctx, tx, local)
}

// enqueueNightly queues the nightly run of a local date.
func (db *DB) enqueueNightly(ctx context.Context, tx querier, local time.Time) error {
	date := local.Format("2006-01-02")
	_, err := db.enqueue(ctx, tx, NewJob{Kind: JobPatternsNightly, Key: "patterns:nightly:" + date,
		Payload: nightlyJob{Date: date}, RunAt: nightlyRun(local)})
	return err
}

// runPatternsNightly fans the night's evaluation out in batches and queues
// the next night.
func (db *DB) runPatternsNightly(ctx context.Context, tx *sql.Tx, j *mash.Job) error {
	var p nightlyJob
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.Date == "" {
		return mash.Errorf(mash.KindInvalid, "the job's payload is not a nightly pattern run")
	}
	now := db.Now().UTC()
	persons, err := ids(ctx, tx, `SELECT DISTINCT s.person_id FROM contact_subjects s JOIN contacts c ON c.id = s.contact_id
		WHERE s.role = $1 AND c.received_at >= $2 ORDER BY s.person_id`, string(mash.SubjectMain), now.Add(-mash.PatternHorizon))
	if err != nil {
		return err
	}
	for i := 0; i < len(persons); i += patternBatch {
		batch := persons[i:min(i+patternBatch, len(persons))]
		if _, err := db.enqueue(ctx, tx, NewJob{Kind: JobPatternsEvaluate, Key: fmt.Sprintf("patterns:nightly:%s:%d", p.Date, i/patternBatch),
			Payload: patternsJob{PersonIDs: batch}, RunAt: now}); err != nil {
			return err
		}
	}
	if err := db.scheduleNightly(ctx, tx, now); err != nil {
		return err
	}
	return db.audit(ctx, tx, jobActor(j), "pattern.nightly", "pattern_alert", "", fmt.Sprintf("%d persons", len(persons)))
}

// alertChange is an alert raised or added to, for the audit log.
type alertChange struct{ action, id, rule, person string }

// runPatternsEvaluate applies the rule set to each person of the job.
func (db *DB) runPatternsEvaluate(ctx context.Context, tx *sql.Tx, j *mash.Job) error {
	var p patternsJob
	if err := json.Unmarshal(j.Payload, &p); err != nil || len(p.PersonIDs) == 0 {
		return mash.Errorf(mash.KindInvalid, "the job's payload is not a pattern evaluation")
	}
	rules, err := loadPatternRules(ctx, tx)
	if err != nil {
		return err
	}
	now := db.Now().UTC()
	var changes []alertChange
	for _, person := range p.PersonIDs {
		ch, err := db.evaluatePerson(ctx, tx, rules, person, now)
		if err != nil {
			return err
		}
		changes = append(changes, ch...)
	}
	// Audit last: the reads of the evaluation, then each alert raised or added to.
	what, entity := "pattern.evaluate", p.ContactID
	etype := "contact"
	if entity == "" {
		etype = "pattern_alert"
	}
	if err := db.audit(ctx, tx, jobActor(j), what, etype, entity, fmt.Sprintf("%d persons", len(p.PersonIDs))); err != nil {
		return err
	}
	for _, c := range changes {
		if err := db.audit(ctx, tx, jobActor(j), c.action, "pattern_alert", c.id, c.rule); err != nil {
			return err
		}
	}
	return nil
}

// householdOf lists a person and the people linked to them: the same
// address in the person index, or named together in a contact. At most 50.
func householdOf(ctx context.Context, q querier, person string) ([]string, error) {
	members, err := ids(ctx, q, `SELECT DISTINCT person_id FROM (
			SELECT r2.person_id FROM person_records r JOIN person_records r2 ON r2.household_key = r.household_key
			WHERE r.person_id = $1 AND r.household_key <> '' AND r2.household_key <> '' -- lets SQLite use the partial index
			UNION
			SELECT s2.person_id FROM contact_subjects s JOIN contact_subjects s2 ON s2.contact_id = s.contact_id
			WHERE s.person_id = $1) m
		WHERE person_id <> $1 ORDER BY person_id LIMIT 49`, person)
	if err != nil {
		return nil, err
	}
	return append([]string{person}, members...), nil
}

// chronology loads the contacts naming any of the persons received since.
func chronology(ctx context.Context, q querier, persons []string, since time.Time) ([]mash.ChronEntry, error) {
	args := []any{since}
	rows, err := q.QueryContext(ctx, `SELECT c.id, c.reference, c.received_at, s.person_id, s.role, c.concerns, COALESCE(d.outcomes, '')
		FROM contact_subjects s JOIN contacts c ON c.id = s.contact_id LEFT JOIN decisions d ON d.contact_id = c.id
		WHERE c.received_at >= $1 AND s.person_id IN (`+placeholders(&args, persons)+`) ORDER BY c.received_at, c.id`, args...)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	var out []mash.ChronEntry
	for rows.Next() {
		var e mash.ChronEntry
		var concerns, outcomes string
		if err := rows.Scan(&e.ContactID, &e.Reference, &e.ReceivedAt, &e.PersonID, &e.Role, &concerns, &outcomes); err != nil {
			return nil, dbErr(err)
		}
		e.ReceivedAt = e.ReceivedAt.UTC()
		_ = json.Unmarshal([]byte(concerns), &e.Codes)
		if outcomes != "" {
			_ = json.Unmarshal([]byte(outcomes), &e.Outcomes)
		}
		out = append(out, e)
	}
	return out, dbErr(rows.Err())
}

// evaluatePerson applies every rule to one person's chronology (and their
// household's, for household rules) and raises or adds to alerts.
func (db *DB) evaluatePerson(ctx context.Context, tx querier, rules mash.PatternRules, person string, now time.Time) ([]alertChange, error) {
	maxWindow, household := 0, false
	for _, r := range rules.Rules {
		if r.Disabled {
			continue
		}
		maxWindow = max(maxWindow, r.WindowDays)
		household = household || r.Scope == mash.ScopeHousehold
	}
	if maxWindow == 0 {
		return nil, nil
	}
	since := now.Add(-mash.PatternHorizon - time.Duration(maxWindow)*24*time.Hour)
	members := []string{person}
	if household {
		var err error
		if members, err = householdOf(ctx, tx, person); err != nil {
			return nil, err
		}
	}
	all, err := chronology(ctx, tx, members, since)
	if err != nil {
		return nil, err
	}
	var own []mash.ChronEntry
	for _, e := range all {
		if e.PersonID == person {
			own = append(own, e)
		}
	}
	var changes []alertChange
	var known *personAlerts // loaded at the first match
	for _, r := range rules.Rules {
		chron := own
		if r.Scope == mash.ScopeHousehold {
			chron = all
		}
		m := r.Evaluate(chron, now)
		if m == nil {
			continue
		}
		if known == nil {
			if known, err = loadPersonAlerts(ctx, tx, person); err != nil {
				return nil, err
			}
		}
		ch, err := db.raise(ctx, tx, rules.Version, r, person, m, chron, known, now)
		if err != nil {
			return nil, err
		}
		if ch != nil {
			changes = append(changes, *ch)
		}
	}
	return changes, nil
}

// personAlerts is what a person's alerts already hold, by rule: the open
// alert and its contacts, and the contacts of acknowledged ones.
type personAlerts struct {
	open     map[string]string          // rule → open alert id
	contacts map[string]map[string]bool // alert id → its contacts
	covered  map[string]map[string]bool // rule → contacts of any of its alerts
}

func loadPersonAlerts(ctx context.Context, q querier, person string) (*personAlerts, error) {
	rows, err := q.QueryContext(ctx, `SELECT a.id, a.rule_id, CASE WHEN a.acknowledged_at IS NULL THEN 1 ELSE 0 END, x.contact_id
		FROM pattern_alerts a JOIN pattern_alert_contacts x ON x.alert_id = a.id WHERE a.person_id = $1`, person)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	pa := &personAlerts{open: map[string]string{}, contacts: map[string]map[string]bool{}, covered: map[string]map[string]bool{}}
	for rows.Next() {
		var id, rule, contact string
		var open int
		if err := rows.Scan(&id, &rule, &open, &contact); err != nil {
			return nil, dbErr(err)
		}
		if open == 1 {
			pa.open[rule] = id
		}
		if pa.contacts[id] == nil {
			pa.contacts[id] = map[string]bool{}
		}
		if pa.covered[rule] == nil {
			pa.covered[rule] = map[string]bool{}
		}
		pa.contacts[id][contact], pa.covered[rule][contact] = true, true
	}
	return pa, dbErr(rows.Err())
}

// raise records a match: added to the person's open alert for the rule, or
// a new alert unless every contact of the match was covered by an alert
// someone already acknowledged.
func (db *DB) raise(ctx context.Context, tx querier, version int, r mash.PatternRule, person string, m *mash.PatternMatch,
	chron []mash.ChronEntry, known *personAlerts, now time.Time) (*alertChange, error) {
	named := map[string]string{} // contact → the member it names, the person first
	for _, e := range chron {
		if named[e.ContactID] == "" || e.PersonID == person {
			named[e.ContactID] = e.PersonID
		}
	}
	add := func(alertID string) (int, error) {
		n := 0
		for _, c := range m.ContactIDs {
			if known.contacts[alertID][c] {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO pattern_alert_contacts (alert_id, contact_id, person_id, added_at)
				VALUES ($1,$2,$3,$4)`, alertID, c, named[c], now); err != nil {
				return 0, dbErr(err)
			}
			n++
		}
		return n, nil
	}
	if open := known.open[r.ID]; open != "" {
		n, err := add(open)
		if err != nil || n == 0 {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE pattern_alerts SET summary = $1, rule_name = $2, rules_version = $3, updated_at = $4 WHERE id = $5`,
			m.Summary, r.Name, version, now, open); err != nil {
			return nil, dbErr(err)
		}
		return &alertChange{"pattern_alert.update", open, r.ID, person}, nil
	}
	fresh := false
	for _, c := range m.ContactIDs {
		fresh = fresh || !known.covered[r.ID][c]
	}
	if !fresh {
		return nil, nil
	}
	id := newID()
	if _, err := tx.ExecContext(ctx, `INSERT INTO pattern_alerts (id, rule_id, rule_name, scope, rules_version, person_id, summary,
		raised_at, updated_at, acknowledged_by, acknowledged_at, ack_note) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$8,NULL,NULL,'')`,
		id, r.ID, r.Name, string(r.Scope), version, person, m.Summary, now); err != nil {
		return nil, dbErr(err)
	}
	if _, err := add(id); err != nil {
		return nil, err
	}
	return &alertChange{"pattern_alert.raise", id, r.ID, person}, nil
}
