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

// Professional disagreements. A challenge is visible to the hub's own staff
// and to the person who raised it, and only while the reader may see its
// contact: anyone else gets NotFound, as for the contact itself.

const disagreementPolicyKey = "disagreement_policy"

// JobDisagreementOverdue alerts a stage's owners that their response is late.
const JobDisagreementOverdue = "disagreement.overdue"

type disagreementJob struct {
	DisagreementID string `json:"disagreement_id"`
	Stage          int    `json:"stage"`
}

var errNoDisagreement = mash.Errorf(mash.KindNotFound, "no such disagreement")

func disagreementPolicy(ctx context.Context, q querier) (mash.DisagreementPolicy, error) {
	return loadSetting(ctx, q, disagreementPolicyKey, mash.DefaultDisagreementPolicy)
}

// DisagreementPolicy returns the escalation stages in force.
func (db *DB) DisagreementPolicy(ctx context.Context, by mash.Actor) (p mash.DisagreementPolicy, err error) {
	defer mash.Wrap(&err, "store.DisagreementPolicy")
	if !mash.Can(by, mash.ActionDisagreementRead, mash.Resource{}) && !mash.Can(by, mash.ActionPolicyRead, mash.Resource{}) {
		return p, mash.Errorf(mash.KindForbidden, "your role may not do this")
	}
	return disagreementPolicy(ctx, db.r)
}

// SetDisagreementPolicy replaces the stages (admin). Running challenges keep
// the stages they were raised under.
func (db *DB) SetDisagreementPolicy(ctx context.Context, by mash.Actor, p *mash.DisagreementPolicy) (err error) {
	defer mash.Wrap(&err, "store.SetDisagreementPolicy")
	if err := may(by, mash.ActionFollowupManage); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		cur, err := disagreementPolicy(ctx, tx)
		if err != nil {
			return err
		}
		p.Version = cur.Version + 1
		if err := putSetting(ctx, tx, disagreementPolicyKey, p, db.Now().UTC()); err != nil {
			return err
		}
		return db.audit(ctx, tx, by, "disagreement_policy.update", "settings", disagreementPolicyKey, fmt.Sprintf("version %d", p.Version))
	})
}

// RaiseDisagreement challenges the decision on a contact the actor can see.
// It starts at stage 1, or at the policy's immediate-risk stage when the
// challenge says so or the contact is Red or of immediate risk.
func (db *DB) RaiseDisagreement(ctx context.Context, by mash.Actor, contactID string, in mash.NewDisagreement) (out *mash.Disagreement, err error) {
	defer mash.Wrap(&err, "store.RaiseDisagreement")
	if err := may(by, mash.ActionDisagreementRaise); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	rag, err := db.Policy(ctx)
	if err != nil {
		return nil, err
	}
	now := db.jobNow()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		c, _, err := visible(ctx, tx, by, contactID, now)
		if err != nil {
			return err
		}
		if !mash.CanChallenge(c.Status) {
			return mash.Errorf(mash.KindConflict, "the contact has no decision to challenge yet (it is %s)", strings.ReplaceAll(string(c.Status), "_", " "))
		}
		policy, err := disagreementPolicy(ctx, tx)
		if err != nil {
			return err
		}
		d := &mash.Disagreement{ID: newID(), ContactID: c.ID, Reference: c.Reference, Version: 1, RaisedBy: by.UserID,
			RaisedByName: by.Name, RaisedAgencyID: by.AgencyID, RaisedAt: now, Reason: in.Reason, OutcomeSought: in.OutcomeSought,
			ImmediateRisk: in.ImmediateRisk, Status: mash.DisagreementOpen, Stage: 1, Stages: policy.Stages}
		if in.ImmediateRisk || c.ImmediateRisk || c.RAG == "red" {
			d.Stage = policy.ImmediateRiskStage
		}
		stages, _ := json.Marshal(d.Stages)
		if _, err := tx.ExecContext(ctx, `INSERT INTO disagreements (id, contact_id, version, raised_by, raised_agency_id, raised_at,
			reason, outcome_sought, immediate_risk, status, stage, resolution, resolved_at, stages)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,'',NULL,$12)`, d.ID, d.ContactID, d.Version, d.RaisedBy, d.RaisedAgencyID,
			d.RaisedAt, d.Reason, d.OutcomeSought, d.ImmediateRisk, string(d.Status), d.Stage, string(stages)); err != nil {
			return dbErr(err)
		}
		if err := db.openStage(ctx, tx, d, rag.Calendar, now); err != nil {
			return err
		}
		out = d
		return db.audit(ctx, tx, by, "disagreement.raise", "contact", c.ID, fmt.Sprintf("disagreement %s at stage %d", d.ID, d.Stage))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// openStage records the step of d's current stage with its deadline,
// enqueues the overdue alert and tells the stage's owners.
func (db *DB) openStage(ctx context.Context, tx querier, d *mash.Disagreement, cal *mash.Calendar, now time.Time) error {
	st := d.Stages[d.Stage-1]
	step := mash.DisagreementStep{Stage: d.Stage, Name: st.Name, OwnerRole: st.OwnerRole, OwnerAgencyID: st.OwnerAgencyID,
		StartedAt: now, DueAt: cal.AddWorkingDays(now, st.RespondWithinDays).UTC().Truncate(time.Microsecond)}
	stepID := newID()
	if _, err := tx.ExecContext(ctx, `INSERT INTO disagreement_steps (id, disagreement_id, stage, name, owner_role, owner_agency_id,
		started_at, due_at, response, note, responded_by, responded_at, overdue_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'','',NULL,NULL,NULL)`,
		stepID, d.ID, step.Stage, step.Name, string(step.OwnerRole), step.OwnerAgencyID, step.StartedAt, step.DueAt); err != nil {
		return dbErr(err)
	}
	d.Steps = append(d.Steps, step)
	if _, err := db.enqueue(ctx, tx, NewJob{Kind: JobDisagreementOverdue, Key: fmt.Sprintf("disagreement:%s:%d", d.ID, d.Stage),
		Payload: disagreementJob{d.ID, d.Stage}, RunAt: step.DueAt}); err != nil {
		return err
	}
	owners, err := stageOwners(ctx, tx, step.OwnerRole, step.OwnerAgencyID)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("A professional disagreement about %s is at stage %d (%s): respond by %s.", d.Reference, step.Stage, step.Name, londonTime(step.DueAt))
	return db.notify(ctx, tx, "disagreement:"+stepID, owners, "disagreement.stage", d.Reference, "/contacts/"+d.ContactID, msg)
}

func stageOwners(ctx context.Context, q querier, role mash.Role, agencyID string) ([]string, error) {
	if agencyID != "" {
		return usersWhere(ctx, q, `role = $1 AND agency_id = $2`, string(role), agencyID)
	}
	return usersWhere(ctx, q, `role = $1`, string(role))
}

// disagreementScope limits disagreements to those the actor may see: the
// contact must be in their scope, and outside the hub only one's own.
func disagreementScope(by mash.Actor, now time.Time, args *[]any) string {
	cond := contactScope(by, now, args)
	if by.HubWide() {
		return cond
	}
	*args = append(*args, by.UserID)
	return fmt.Sprintf("%s AND d.raised_by = $%d", cond, len(*args))
}

const disagreementColumns = `d.id, d.contact_id, c.reference, d.version, d.raised_by, COALESCE(u.name, ''), d.raised_agency_id,
	d.raised_at, d.reason, d.outcome_sought, d.immediate_risk, d.status, d.stage, d.resolution, d.resolved_at, d.stages`

// loadDisagreements loads the disagreements matching where (on d and c),
// with their steps, newest first.
func loadDisagreements(ctx context.Context, q querier, where string, args []any, now time.Time, limit int) ([]mash.Disagreement, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+disagreementColumns+` FROM disagreements d JOIN contacts c ON c.id = d.contact_id
		LEFT JOIN users u ON u.id = d.raised_by WHERE `+where+` ORDER BY d.raised_at DESC, d.id LIMIT `+fmt.Sprint(clampLimit(limit)), args...)
	if err != nil {
		return nil, dbErr(err)
	}
	out := []mash.Disagreement{}
	for rows.Next() {
		var d mash.Disagreement
		var resolved sql.NullTime
		var stages string
		if err := rows.Scan(&d.ID, &d.ContactID, &d.Reference, &d.Version, &d.RaisedBy, &d.RaisedByName, &d.RaisedAgencyID,
			&d.RaisedAt, &d.Reason, &d.OutcomeSought, &d.ImmediateRisk, &d.Status, &d.Stage, &d.Resolution, &resolved, &stages); err != nil {
			rows.Close()
			return nil, dbErr(err)
		}
		d.RaisedAt, d.ResolvedAt = d.RaisedAt.UTC(), ptrTime(resolved)
		if err := json.Unmarshal([]byte(stages), &d.Stages); err != nil {
			rows.Close()
			return nil, dbErr(err)
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, dbErr(err)
	}
	for i := range out {
		if err := loadSteps(ctx, q, &out[i], now); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func loadSteps(ctx context.Context, q querier, d *mash.Disagreement, now time.Time) error {
	rows, err := q.QueryContext(ctx, `SELECT s.stage, s.name, s.owner_role, s.owner_agency_id, s.started_at, s.due_at, s.response,
		s.note, COALESCE(s.responded_by, ''), COALESCE(u.name, ''), s.responded_at, s.overdue_at
		FROM disagreement_steps s LEFT JOIN users u ON u.id = s.responded_by WHERE s.disagreement_id = $1 ORDER BY s.stage`, d.ID)
	if err != nil {
		return dbErr(err)
	}
	defer rows.Close()
	d.Steps = []mash.DisagreementStep{}
	for rows.Next() {
		var s mash.DisagreementStep
		var responded, overdue sql.NullTime
		if err := rows.Scan(&s.Stage, &s.Name, &s.OwnerRole, &s.OwnerAgencyID, &s.StartedAt, &s.DueAt, &s.Response, &s.Note,
			&s.RespondedBy, &s.RespondedByName, &responded, &overdue); err != nil {
			return dbErr(err)
		}
		s.StartedAt, s.DueAt, s.RespondedAt, s.OverdueAt = s.StartedAt.UTC(), s.DueAt.UTC(), ptrTime(responded), ptrTime(overdue)
		d.Steps = append(d.Steps, s)
	}
	if err := rows.Err(); err != nil {
		return dbErr(err)
	}
	if cur := d.Current(); cur != nil && d.Status == mash.DisagreementOpen && cur.Response == "" && now.After(cur.DueAt) {
		d.Overdue = true
	}
	return nil
}

// ListDisagreements lists the disagreements the actor may see, newest first.
func (db *DB) ListDisagreements(ctx context.Context, by mash.Actor, f mash.DisagreementFilter) (out []mash.Disagreement, err error) {
	defer mash.Wrap(&err, "store.ListDisagreements")
	if err := may(by, mash.ActionDisagreementRead); err != nil {
		return nil, err
	}
	now := db.Now().UTC()
	var args []any
	where := disagreementScope(by, now, &args)
	if f.Open {
		where += " AND d.status = 'open'"
	}
	if f.ContactID != "" {
		args = append(args, f.ContactID)
		where += fmt.Sprintf(" AND d.contact_id = $%d", len(args))
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if out, err = loadDisagreements(ctx, tx, where, args, now, f.Limit); err != nil {
			return err
		}
		return db.audit(ctx, tx, by, "disagreement.list", "contact", f.ContactID, fmt.Sprintf("%d disagreements", len(out)))
	})
	return out, err
}

// getDisagreement loads one disagreement the actor may see, or NotFound.
func getDisagreement(ctx context.Context, q querier, by mash.Actor, id string, now time.Time) (*mash.Disagreement, error) {
	args := []any{id}
	where := "d.id = $1 AND " + disagreementScope(by, now, &args)
	list, err := loadDisagreements(ctx, q, where, args, now, 1)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, errNoDisagreement
	}
	return &list[0], nil
}

// GetDisagreement returns one disagreement the actor may see, audited.
func (db *DB) GetDisagreement(ctx context.Context, by mash.Actor, id string) (d *mash.Disagreement, err error) {
	defer mash.Wrap(&err, "store.GetDisagreement")
	if err := may(by, mash.ActionDisagreementRead); err != nil {
		return nil, err
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if d, err = getDisagreement(ctx, tx, by, id, db.Now().UTC()); err != nil {
			return err
		}
		return db.audit(ctx, tx, by, "disagreement.read", "contact", d.ContactID, "disagreement "+d.ID)
	})
	return d, err
}

// RespondDisagreement records a stage's response: the challenge is resolved
// (and its raiser told) or escalated to the next stage (whose owners are
// told). A stale version is a Conflict; nothing changes on any refusal.
func (db *DB) RespondDisagreement(ctx context.Context, by mash.Actor, id string, in mash.DisagreementResponse) (out *mash.Disagreement, err error) {
	defer mash.Wrap(&err, "store.RespondDisagreement")
	if err := may(by, mash.ActionDisagreementRespond); err != nil {
		return nil, err
	}
	rag, err := db.Policy(ctx)
	if err != nil {
		return nil, err
	}
	now := db.jobNow()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		d, err := getDisagreement(ctx, tx, by, id, now)
		if err != nil {
			return err
		}
		if in.Version == 0 {
			return &mash.Error{Kind: mash.KindInvalid, Msg: "the version you last read is required (If-Match header or version field)",
				Fields: map[string]string{"version": "is required"}}
		}
		if d.Version != in.Version {
			return staleErr(d.Version, in.Version)
		}
		stage := d.Stage
		next, err := d.Respond(by, in, now)
		if err != nil {
			return err
		}
		cur := d.Steps[len(d.Steps)-1]
		if _, err := tx.ExecContext(ctx, `UPDATE disagreement_steps SET response = $1, note = $2, responded_by = $3, responded_at = $4
			WHERE disagreement_id = $5 AND stage = $6`, string(cur.Response), cur.Note, by.UserID, now, d.ID, stage); err != nil {
			return dbErr(err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE disagreements SET version = version + 1, status = $1, stage = $2, resolution = $3,
			resolved_at = $4 WHERE id = $5 AND version = $6`, string(d.Status), d.Stage, string(d.Resolution), nullTime(d.ResolvedAt), d.ID, in.Version)
		if err != nil {
			return dbErr(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return staleErr(d.Version, in.Version)
		}
		d.Version++
		if next != nil {
			if err := db.openStage(ctx, tx, d, rag.Calendar, now); err != nil {
				return err
			}
		} else if d.RaisedBy != by.UserID {
			msg := fmt.Sprintf("Your professional disagreement about %s was resolved at stage %d.", d.Reference, stage)
			if err := db.notify(ctx, tx, fmt.Sprintf("disagreement:%s:resolved", d.ID), []string{d.RaisedBy},
				"disagreement.resolved", d.Reference, "/contacts/"+d.ContactID, msg); err != nil {
				return err
			}
		}
		out = d
		return db.audit(ctx, tx, by, "disagreement.respond", "contact", d.ContactID,
			fmt.Sprintf("disagreement %s stage %d: %s", d.ID, stage, cur.Response))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// runDisagreementOverdue alerts a stage's owners, once, that its response
// is late, unless the stage has responded or the challenge moved on.
func (db *DB) runDisagreementOverdue(ctx context.Context, tx *sql.Tx, j *mash.Job) error {
	var p disagreementJob
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.DisagreementID == "" {
		return mash.Errorf(mash.KindInvalid, "the job's payload is not a disagreement deadline")
	}
	var contactID, reference, name, role, agency string
	var due time.Time
	err := tx.QueryRowContext(ctx, `SELECT d.contact_id, c.reference, s.name, s.owner_role, s.owner_agency_id, s.due_at
		FROM disagreement_steps s JOIN disagreements d ON d.id = s.disagreement_id JOIN contacts c ON c.id = d.contact_id
		WHERE s.disagreement_id = $1 AND s.stage = $2 AND d.status = 'open' AND d.stage = $2 AND s.response = '' AND s.overdue_at IS NULL`,
		p.DisagreementID, p.Stage).Scan(&contactID, &reference, &name, &role, &agency, &due)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // answered, moved on or already alerted
	}
	if err != nil {
		return dbErr(err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE disagreement_steps SET overdue_at = $1 WHERE disagreement_id = $2 AND stage = $3`,
		db.jobNow(), p.DisagreementID, p.Stage); err != nil {
		return dbErr(err)
	}
	owners, err := stageOwners(ctx, tx, mash.Role(role), agency)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("The response to a professional disagreement about %s at stage %d (%s) is overdue: it was due %s.",
		reference, p.Stage, name, londonTime(due))
	if err := db.notify(ctx, tx, j.ID, owners, "disagreement.overdue", reference, "/contacts/"+contactID, msg); err != nil {
		return err
	}
	return db.audit(ctx, tx, jobActor(j), "disagreement.overdue", "contact", contactID,
		fmt.Sprintf("disagreement %s stage %d; %d notified", p.DisagreementID, p.Stage, len(owners)))
}
