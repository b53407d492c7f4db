package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

func TestDrafts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f, clk := setup(t, db, time.Date(2026, 11, 26, 14, 2, 0, 0, time.UTC))
		screener, manager := f.Actor(mash.RoleScreener), f.Actor(mash.RoleManager)

		d := &mash.Draft{Kind: mash.DraftContact, Key: "new", Version: 0,
			Values: map[string][]string{"narrative": {"Synthetic: a teacher saw bruising."}, "concerns": {"2A", "2B"}}}
		if err := db.SaveDraft(ctx, screener, d); err != nil {
			t.Fatal(err)
		}
		if d.ID == "" || d.UserID != screener.UserID || !d.UpdatedAt.Equal(clk.Now()) {
			t.Fatalf("saved %+v", d)
		}
		got, err := db.GetDraft(ctx, screener, mash.DraftContact, "new")
		if err != nil || got.ID != d.ID || got.Values["narrative"][0] != "Synthetic: a teacher saw bruising." || len(got.Values["concerns"]) != 2 {
			t.Fatalf("read %+v, %v", got, err)
		}

		// A second save replaces the first: one draft per user, kind and key.
		clk.Set(clk.Now().Add(time.Minute))
		d2 := &mash.Draft{Kind: mash.DraftContact, Key: "new", Values: map[string][]string{"narrative": {"Changed."}}}
		if err := db.SaveDraft(ctx, screener, d2); err != nil || d2.ID != d.ID {
			t.Fatalf("resave: %v (id %s, was %s)", err, d2.ID, d.ID)
		}
		if n := count(t, db, `SELECT count(*) FROM drafts WHERE user_id = $1`, screener.UserID); n != 1 {
			t.Fatalf("%d drafts", n)
		}
		// The draft's start is audited; its autosaves are not.
		if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = 'draft.save' AND actor_id = $1`, screener.UserID); n != 1 {
			t.Fatalf("%d draft.save events for two saves of one draft; want 1", n)
		}

		// Only the owner: the manager (who may create contacts too) finds
		// nothing and removes nothing.
		_, err = db.GetDraft(ctx, manager, mash.DraftContact, "new")
		wantKind(t, err, mash.KindNotFound)
		wantKind(t, db.DeleteDraft(ctx, manager, mash.DraftContact, "new"), mash.KindNotFound)
		if _, err := db.GetDraft(ctx, screener, mash.DraftContact, "new"); err != nil {
			t.Fatalf("the owner lost the draft: %v", err)
		}

		// Bad input is refused and changes nothing.
		before := count(t, db, `SELECT count(*) FROM drafts`)
		for _, bad := range []*mash.Draft{
			{Kind: "essay", Key: "new"},
			{Kind: mash.DraftContact, Key: ""},
			{Kind: mash.DraftContact, Key: "../x"},
			{Kind: mash.DraftContact, Key: "new", Version: -1},
			{Kind: mash.DraftContact, Key: "new", Values: map[string][]string{"narrative": {strings.Repeat("x", mash.MaxDraftBytes)}}},
		} {
			err := db.SaveDraft(ctx, screener, bad)
			wantKind(t, err, mash.KindInvalid)
			if e, _ := err.(*mash.Error); e == nil || len(e.Fields) == 0 {
				t.Fatalf("no field problems in %v", err)
			}
		}
		_, err = db.GetDraft(ctx, screener, "essay", "new")
		wantKind(t, err, mash.KindInvalid)
		if n := count(t, db, `SELECT count(*) FROM drafts`); n != before {
			t.Fatal("bad drafts changed the table")
		}

		// Only a role that may send the form keeps a draft of it.
		dec := &mash.Draft{Kind: mash.DraftDecision, Key: "c1", Version: 3, Values: map[string][]string{"rationale": {"Level 3."}}}
		wantKind(t, db.SaveDraft(ctx, screener, dec), mash.KindForbidden)
		wantKind(t, db.SaveDraft(ctx, store.System, &mash.Draft{Kind: mash.DraftContact, Key: "new"}), mash.KindForbidden)
		if err := db.SaveDraft(ctx, manager, dec); err != nil {
			t.Fatal(err)
		}
		if got, err := db.GetDraft(ctx, manager, mash.DraftDecision, "c1"); err != nil || got.Version != 3 {
			t.Fatalf("decision draft %+v, %v", got, err)
		}

		// Sent: the draft is deleted, and audited.
		if err := db.DeleteDraft(ctx, screener, mash.DraftContact, "new"); err != nil {
			t.Fatal(err)
		}
		_, err = db.GetDraft(ctx, screener, mash.DraftContact, "new")
		wantKind(t, err, mash.KindNotFound)
		wantKind(t, db.DeleteDraft(ctx, screener, mash.DraftContact, "new"), mash.KindNotFound)
		for _, act := range []string{"draft.save", "draft.read", "draft.delete"} {
			if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action = $1 AND actor_id = $2`, act, screener.UserID); n == 0 {
				t.Fatalf("no %s event", act)
			}
		}
		if n := count(t, db, `SELECT count(*) FROM audit_events WHERE action LIKE 'draft.%' AND reason LIKE '%bruising%'`); n != 0 {
			t.Fatal("draft text in the audit log")
		}

		// Old drafts are not shown, and the purge removes them.
		clk.Set(clk.Now().Add(mash.DraftTTL + time.Hour))
		_, err = db.GetDraft(ctx, manager, mash.DraftDecision, "c1")
		wantKind(t, err, mash.KindNotFound)
		if n, err := db.PurgeDrafts(ctx); err != nil || n != 1 {
			t.Fatalf("purged %d, %v", n, err)
		}
		if n := count(t, db, `SELECT count(*) FROM drafts`); n != 0 {
			t.Fatalf("%d drafts left", n)
		}
	})
}
