package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/store"
	"openmash.org/mash/internal/store/storetest"
)

// TestMeasuresFollowup: pattern alerts raised and acknowledged per rule,
// and disagreements reaching and resolved at each stage, on a hand-made
// hub: two children with three contacts each in a month (one alert
// acknowledged, one not), a third child with two (no alert); one challenge
// agreed at stage 1 and one escalated to stage 2 and still open there.
func TestMeasuresFollowup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newScene(t, db)
		for n, days := range [][]int{{30, 20, 10}, {25, 15, 5}, {12, 2}} {
			child, _, _ := family(100+n, fmt.Sprintf("Followup%d", n))
			for _, d := range days {
				s.contact(d, []string{"16A"}, child)
			}
		}
		s.run()
		if _, err := db.AcknowledgeAlert(ctx, s.f.Actor(mash.RoleScreener), s.alert("Followup01", "repeat_contacts").ID,
			"Known to the team; discussed at screening"); err != nil {
			t.Fatal(err)
		}
		referrer, screener := s.f.Actor(mash.RoleReferrer), s.f.Actor(mash.RoleScreener)
		agreed, err := db.RaiseDisagreement(ctx, referrer, challengedContact(t, db, s.f, false).ID, challenge)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.RespondDisagreement(ctx, screener, agreed.ID, mash.DisagreementResponse{Response: mash.DisagreementAgreed,
			Note: "Agreed after a call", Version: agreed.Version}); err != nil {
			t.Fatal(err)
		}
		escalated, err := db.RaiseDisagreement(ctx, referrer, challengedContact(t, db, s.f, false).ID, challenge)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.RespondDisagreement(ctx, screener, escalated.ID, mash.DisagreementResponse{Response: mash.DisagreementEscalated,
			Note: "Could not agree", Version: escalated.Version}); err != nil {
			t.Fatal(err)
		}

		analyst := s.f.Actor(mash.RoleAnalyst)
		now := s.clock.Now()
		q := mash.MeasureQuery{From: now.AddDate(0, 0, -60), To: now.Add(time.Minute)}
		for _, c := range []struct{ name, want string }{
			{mash.MeasurePatternAlerts, "all=2,1,1,50 | repeat_contacts=2,1,1,50"},
			{mash.MeasureDisagreements, "1=2,1,0,50 | 2=1,0,1,0 | all=2,1,1,50"},
		} {
			r, err := db.Measure(ctx, analyst, c.name, q)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got := mRender(r); got != c.want {
				t.Errorf("%s:\n got: %s\nwant: %s", c.name, got, c.want)
			}
		}
		// Before anything happened: nothing counted, the "all" row still there.
		early := mash.MeasureQuery{From: now.AddDate(0, 0, -400), To: now.AddDate(0, 0, -300)}
		for _, name := range []string{mash.MeasurePatternAlerts, mash.MeasureDisagreements} {
			r, err := db.Measure(ctx, analyst, name, early)
			if err != nil || mRender(r) != "all=0,0,0," {
				t.Errorf("%s a year ago: %s %v", name, mRender(r), err)
			}
		}
	})
}
