package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// decidedContact is a contact the referrer raised, accepted Amber, asked of
// the police (who return a mash_only item naming a protected neighbour) and
// decided as early help by the manager.
func challengedContact(t *testing.T, db *store.DB, f *storetest.Fixture, immediate bool) *mash.Contact {
	t.Helper()
	ctx := context.Background()
	c := storetest.NewContact(db.Now())
	c.ImmediateRisk = immediate
	if _, err := db.CreateContact(ctx, f.Actor(mash.RoleReferrer), c, ""); err != nil {
		t.Fatal(err)
	}
	rag := "amber"
	if immediate {
		rag = "red"
	}
	c, err := db.Screen(ctx, f.Actor(mash.RoleScreener), c.ID, mash.Screening{Decision: mash.ScreenAccept, RAG: rag,
		ThresholdLevel: 3, Reason: "Neglect indicators", Version: c.Version})
	if err != nil {
		t.Fatal(err)
	}
	req, err := db.CreateRequest(ctx, f.Actor(mash.RoleScreener), c.ID, mash.NewRequest{AgencyID: f.Police.ID, Question: "Any call-outs?"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SubmitReturn(ctx, storetest.ActorOf(f.PoliceResearcher), req.ID, &mash.AgencyReturn{Outcome: mash.ReturnInformation,
		Items: []mash.ReturnItem{{Summary: "Two domestic call-outs in 2026", Detail: "Neighbour Maureen Pike reported shouting.",
			Marking: mash.MarkingMASHOnly, ProtectedNames: []string{"Maureen Pike"}}}}, req.Version); err != nil {
		t.Fatal(err)
	}
	cur, err := db.GetContact(ctx, f.Actor(mash.RoleManager), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	c, err = db.Decide(ctx, f.Actor(mash.RoleManager), c.ID, &mash.Decision{ThresholdLevel: 3,
		Outcomes: []mash.Outcome{mash.OutcomeEarlyHelp}, Rationale: "Needs support below the statutory threshold",
		ReceivingAgencyID: f.EarlyHelp.ID, Version: cur.Version})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var privateWords = []string{"Kayleigh", "Dawn", "Smith", "hungry", "shouting", "Maureen", "Pike", "call-outs"}

func holdsPrivate(s string) string {
	for _, w := range privateWords {
		if strings.Contains(s, w) {
			return w
		}
	}
	return ""
}

// TestAcknowledgementAtIntake: a hub-user referrer is acknowledged in-app at
// once; a contact a screener records for an outside referrer is recorded as
// acknowledged externally. Both are on the history, by reference only.
func TestAcknowledgementAtIntake(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clock, _ := alertsFixture(t, db)
		referrer := f.Actor(mash.RoleReferrer)
		own := storetest.NewContact(clock.Now())
		if _, err := db.CreateContact(ctx, referrer, own, ""); err != nil {
			t.Fatal(err)
		}
		phoned := storetest.NewContact(clock.Now())
		if _, err := db.CreateContact(ctx, f.Actor(mash.RoleScreener), phoned, ""); err != nil {
			t.Fatal(err)
		}
		ns, err := db.Notifications(ctx, referrer, 0)
		if err != nil || len(ns.Items) != 1 || ns.Items[0].Kind != "referral.acknowledged" || ns.Items[0].Reference != own.Reference {
			t.Fatalf("referrer's notifications: %+v %v", ns, err)
		}
		if w := holdsPrivate(ns.Items[0].Message); w != "" || !strings.Contains(ns.Items[0].Message, own.Reference) {
			t.Fatalf("acknowledgement %q (holds %q)", ns.Items[0].Message, w)
		}
		if got := kinds(t, db, f.Actor(mash.RoleScreener)); len(got) != 0 {
			t.Fatalf("screener notified of %v", got)
		}
		for c, channel := range map[*mash.Contact]string{own: mash.AckInApp, phoned: mash.AckExternal} {
			h, err := db.History(ctx, f.Actor(mash.RoleManager), c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if h.Acknowledgement == nil || h.Acknowledgement.Channel != channel || !h.Acknowledgement.SentAt.Equal(clock.Now()) ||
				!strings.Contains(h.Acknowledgement.Message, c.Reference) {
				t.Fatalf("acknowledgement of %s: %+v", channel, h.Acknowledgement)
			}
		}
		list, err := db.MyReferrals(ctx, referrer, 0)
		if err != nil || len(list) != 1 || list[0].ContactID != own.ID || list[0].AcknowledgedAt == nil || list[0].Outcome != "" {
			t.Fatalf("referrer's referrals: %+v %v", list, err)
		}
	})
}

// TestFeedbackFromTemplate: the draft is the template's wording with the
// reference and outcome only; text naming another subject, a protected
// third party or repeating a mash_only item is refused with nothing
// changed; the draft is sent and the referrer sees it on their referrals.
func TestFeedbackFromTemplate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, _, _ := alertsFixture(t, db)
		c := challengedContact(t, db, f, false)
		screener := f.Actor(mash.RoleScreener)
		draft, err := db.FeedbackDraft(ctx, screener, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if w := holdsPrivate(draft); w != "" || !strings.Contains(draft, c.Reference) || !strings.Contains(draft, "early help") {
			t.Fatalf("draft %q (holds %q)", draft, w)
		}
		if _, err := db.FeedbackDraft(ctx, f.Actor(mash.RoleReferrer), c.ID); mash.KindOf(err) != mash.KindForbidden {
			t.Fatalf("referrer drafts feedback: %v", err)
		}
		for name, text := range map[string]string{
			"parent's name":       draft + " Dawn has been told.",
			"protected neighbour": draft + " Thanks to maureen pike.",
			"mash_only item":      draft + " Police reported two domestic call-outs in 2026.",
		} {
			_, err := db.SendFeedback(ctx, screener, c.ID, text, c.Version)
			if mash.KindOf(err) != mash.KindInvalid || fieldsOf(err)["text"] == "" {
				t.Fatalf("%s: %v", name, err)
			}
			if w := holdsPrivate(err.Error()); w != "" {
				t.Fatalf("%s: the error repeats %q", name, w)
			}
		}
		d, err := db.GetContact(ctx, screener, c.ID)
		if err != nil || d.Version != c.Version || d.Status != mash.StatusDecided || d.Feedback.Status != mash.FeedbackPending {
			t.Fatalf("refused feedback changed the contact: %+v %v", d, err)
		}
		// The main subject's own name is fine.
		text := draft + " Kayleigh's school will be told by early help."
		if _, err := db.SendFeedback(ctx, screener, c.ID, text, c.Version); err != nil {
			t.Fatal(err)
		}
		list, err := db.MyReferrals(ctx, f.Actor(mash.RoleReferrer), 0)
		if err != nil || len(list) != 1 || list[0].Outcome != text || list[0].FeedbackSentAt == nil || list[0].Status != mash.StatusFeedbackSent {
			t.Fatalf("referrer's referrals: %+v %v", list, err)
		}
		if mine, err := db.MyReferrals(ctx, screener, 0); err != nil || len(mine) != 0 {
			t.Fatalf("screener's own referrals: %+v %v", mine, err)
		}
		if _, err := db.MyReferrals(ctx, f.Actor(mash.RoleAnalyst), 0); mash.KindOf(err) != mash.KindForbidden {
			t.Fatalf("analyst's referrals: %v", err)
		}
	})
}

// TestFeedbackOverdue: feedback not sent by its working day breaches once,
// alerting the managers; feedback sent in time does not.
func TestFeedbackOverdue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clock, r := alertsFixture(t, db)
		late := challengedContact(t, db, f, false)
		sent := challengedContact(t, db, f, false)
		if _, err := db.SendFeedback(ctx, f.Actor(mash.RoleScreener), sent.ID, "Decided: early help.", sent.Version); err != nil {
			t.Fatal(err)
		}
		d, err := db.GetContact(ctx, f.Actor(mash.RoleManager), late.ID)
		if err != nil {
			t.Fatal(err)
		}
		drain(t, r)
		before := kinds(t, db, f.Actor(mash.RoleManager))
		clock.Set(d.Feedback.DueAt.Add(-time.Minute))
		drain(t, r)
		if got := countRows(t, db, `SELECT count(*) FROM feedback_breaches`); got != 0 {
			t.Fatalf("%d breaches before the due time", got)
		}
		clock.Set(d.Feedback.DueAt)
		drain(t, r)
		if _, err := db.EnqueueJob(ctx, store.NewJob{Kind: store.JobFeedbackOverdue, Key: "again", Payload: map[string]any{"contact_id": late.ID}, RunAt: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		drain(t, r)
		after := kinds(t, db, f.Actor(mash.RoleManager))
		if len(after) != len(before)+1 || after[0] != "feedback.overdue" {
			t.Fatalf("manager notified of %v after %v", after, before)
		}
		list, err := db.ListFeedbackBreaches(ctx, f.Actor(mash.RoleAnalyst), 0)
		if err != nil || len(list) != 1 || list[0].ContactID != late.ID || !list[0].DueAt.Equal(d.Feedback.DueAt) {
			t.Fatalf("feedback breaches: %+v %v", list, err)
		}
		if _, err := db.ListFeedbackBreaches(ctx, f.Actor(mash.RoleReferrer), 0); mash.KindOf(err) != mash.KindForbidden {
			t.Fatalf("referrer lists breaches: %v", err)
		}
		h, err := db.History(ctx, f.Actor(mash.RoleManager), late.ID)
		if err != nil || h.FeedbackBreach == nil {
			t.Fatalf("history: %+v %v", h, err)
		}
	})
}

// TestFeedbackTemplatesAdmin: only an admin changes the wording; bad wording
// is refused and changes nothing; the draft follows the new version.
func TestFeedbackTemplatesAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, _, _ := alertsFixture(t, db)
		admin := f.Actor(mash.RoleAdmin)
		tpl, err := db.FeedbackTemplates(ctx, f.Actor(mash.RoleScreener))
		if err != nil || tpl.Version != 1 || len(tpl.Outcomes) != len(mash.Outcomes) {
			t.Fatalf("templates: %+v %v", tpl, err)
		}
		bad := mash.DefaultFeedbackTemplates()
		bad.Outcome = "Referral {reference}: {narrative}"
		bad.Outcomes = bad.Outcomes[1:]
		err = db.SetFeedbackTemplates(ctx, admin, &bad)
		fields := fieldsOf(err)
		if mash.KindOf(err) != mash.KindInvalid || fields["outcome"] == "" || fields["outcomes"] == "" {
			t.Fatalf("bad templates: %v %v", err, fields)
		}
		good := mash.DefaultFeedbackTemplates()
		good.Outcomes[slices.IndexFunc(good.Outcomes, func(w mash.OutcomeWording) bool { return w.Outcome == mash.OutcomeEarlyHelp })].Summary = "Early help will be offered."
		if err := db.SetFeedbackTemplates(ctx, f.Actor(mash.RoleManager), &good); mash.KindOf(err) != mash.KindForbidden {
			t.Fatalf("manager sets templates: %v", err)
		}
		if tpl, _ := db.FeedbackTemplates(ctx, admin); tpl.Version != 1 {
			t.Fatalf("refused changes changed the version: %d", tpl.Version)
		}
		if err := db.SetFeedbackTemplates(ctx, admin, &good); err != nil || good.Version != 2 {
			t.Fatalf("set: %v (version %d)", err, good.Version)
		}
		c := challengedContact(t, db, f, false)
		if draft, err := db.FeedbackDraft(ctx, f.Actor(mash.RoleManager), c.ID); err != nil || !strings.Contains(draft, "Early help will be offered.") {
			t.Fatalf("draft after the change: %q %v", draft, err)
		}
	})
}

// fieldsOf is the per-field problems of a hub error.
func fieldsOf(err error) map[string]string {
	if e, ok := errors.AsType[*mash.Error](err); ok {
		return e.Fields
	}
	return nil
}
