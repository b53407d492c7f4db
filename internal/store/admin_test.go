package store_test

import (
	"context"
	"testing"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestAdministration: only an administrator lists users, disables and
// enables them and changes the RAG policy; bad input changes nothing.
func TestAdministration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := storetest.Partnership(t, db)
		admin := f.Actor(mash.RoleAdmin)
		victim := f.Users[mash.RoleReferrer]
		for _, r := range []mash.Role{mash.RoleScreener, mash.RoleManager, mash.RoleAuditor} {
			by := f.Actor(r)
			if _, err := db.ListUsers(ctx, by); (r == mash.RoleAuditor) != (err == nil) {
				t.Errorf("%s lists users: %v", r, err)
			}
			if err := db.SetUserDisabled(ctx, by, victim.ID, true, "left the school"); mash.KindOf(err) != mash.KindForbidden {
				t.Errorf("%s disables a user: %v", r, err)
			}
			if err := db.UpdatePolicy(ctx, by, mash.DefaultRAGPolicy()); mash.KindOf(err) != mash.KindForbidden {
				t.Errorf("%s sets the policy: %v", r, err)
			}
		}
		if _, err := db.ContactIDByReference(ctx, admin, "MASH-2026-000001"); mash.KindOf(err) != mash.KindForbidden {
			t.Errorf("admin looks up a contact: %v", err)
		}
		if _, err := db.ContactIDByReference(ctx, f.Actor(mash.RoleAuditor), "MASH-2026-999999"); mash.KindOf(err) != mash.KindNotFound {
			t.Errorf("auditor looks up no contact: %v", err)
		}
		users, err := db.ListUsers(ctx, admin)
		if err != nil || len(users) != 9 {
			t.Fatalf("users: %d %v", len(users), err)
		}
		if err := db.SetUserDisabled(ctx, admin, victim.ID, true, " "); mash.KindOf(err) != mash.KindInvalid {
			t.Errorf("disable without a reason: %v", err)
		}
		if err := db.SetUserDisabled(ctx, admin, admin.UserID, true, "testing"); mash.KindOf(err) != mash.KindConflict {
			t.Errorf("disable oneself: %v", err)
		}
		if err := db.SetUserDisabled(ctx, admin, victim.ID, true, "left the school"); err != nil {
			t.Fatal(err)
		}
		users, _ = db.ListUsers(ctx, admin)
		for _, u := range users {
			if (u.ID == victim.ID) != (u.DisabledAt != nil) {
				t.Errorf("%s disabled at %v", u.Email, u.DisabledAt)
			}
			if u.AgencyName == "" {
				t.Errorf("%s has no agency name", u.Email)
			}
		}
		if err := db.SetUserDisabled(ctx, admin, victim.ID, false, ""); err != nil {
			t.Fatal(err)
		}

		p := mash.DefaultRAGPolicy()
		p.Levels = append([]mash.RAGLevel(nil), p.Levels...)
		p.Levels[0].Label = ""
		if err := db.UpdatePolicy(ctx, admin, p); mash.KindOf(err) != mash.KindInvalid {
			t.Errorf("a policy with an unnamed level: %v", err)
		}
		p.Levels[0].Label = "Critical"
		if err := db.UpdatePolicy(ctx, admin, p); err != nil {
			t.Fatal(err)
		}
		got, err := db.Policy(ctx)
		if err != nil || got.Levels[0].Label != "Critical" {
			t.Fatalf("policy after the change: %+v %v", got.Levels, err)
		}
		events, err := db.AuditEvents(ctx, f.Actor(mash.RoleAuditor), mash.AuditFilter{ActorID: admin.UserID})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range events {
			seen[e.Action] = true
		}
		for _, a := range []string{"user.list", "user.disable", "user.enable", "policy.update"} {
			if !seen[a] {
				t.Errorf("no %s audit event", a)
			}
		}
	})
}
