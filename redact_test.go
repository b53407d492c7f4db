package mash

import (
	"strings"
	"testing"
)

func TestContactAccess(t *testing.T) {
	rel := Relation{SubmittedBy: "ref1", RequestedAgencies: []string{"police"}, ReceivingAgencyID: "eh"}
	cases := []struct {
		a    Actor
		rel  Relation
		view View
	}{
		{Actor{Role: RoleScreener}, rel, ViewHub},
		{Actor{Role: RoleManager}, Relation{}, ViewHub},
		{Actor{Role: RoleResearcher, AgencyID: "police"}, rel, ViewResearcher},
		{Actor{Role: RoleResearcher, AgencyID: "health"}, rel, ""},
		{Actor{Role: RoleReceiver, AgencyID: "eh"}, rel, ViewReceiver},
		{Actor{Role: RoleReceiver, AgencyID: "eh"}, Relation{}, ""}, // no decision yet: no receiving team
		{Actor{Role: RoleReferrer, UserID: "ref1"}, rel, ViewReferrer},
		{Actor{Role: RoleReferrer, UserID: "ref2"}, rel, ""},
		{Actor{Role: RoleAuditor}, rel, ""},
		{Actor{Role: RoleAuditor}, Relation{BreakGlass: "SAR review"}, ViewHub},
		{Actor{Role: RoleAnalyst}, Relation{BreakGlass: "curious"}, ""}, // analysts may not break the glass
		{Actor{Role: RoleAdmin}, Relation{BreakGlass: "curious"}, ""},
	}
	for i, tc := range cases {
		acc := ContactAccess(tc.a, tc.rel)
		if acc.View != tc.view || acc.Allowed != (tc.view != "") || (acc.Allowed && acc.Why == "") {
			t.Errorf("case %d (%s): %+v, want view %q", i, tc.a.Role, acc, tc.view)
		}
		if got := Can(tc.a, ActionContactRead, Resource{Contact: &tc.rel}); got != (tc.view != "" && oneOf(ActionContactRead, permissions[tc.a.Role])) {
			t.Errorf("case %d: Can = %v", i, got)
		}
	}
}

func TestRedactItems(t *testing.T) {
	police := Actor{Role: RoleResearcher, AgencyID: "police"}
	reqs := []InfoRequest{{AgencyID: "police", Return: &AgencyReturn{Outcome: ReturnInformation, Items: []ReturnItem{
		{Summary: "own", OwningAgencyID: "police", Marking: MarkingMASHOnly},
		// An item in the police return but owned by another agency: not theirs to see.
		{Summary: "probation's", OwningAgencyID: "probation", Marking: MarkingReceivingTeam},
	}}}, {AgencyID: "health", Return: &AgencyReturn{Items: []ReturnItem{{Summary: "health's", OwningAgencyID: "health", Marking: MarkingFamily}}}}}
	got := RedactRequests(ViewResearcher, police, reqs)
	if len(got) != 1 || len(got[0].Return.Items) != 1 || got[0].Return.Items[0].Summary != "own" {
		t.Fatalf("researcher sees %+v", got)
	}
	if len(reqs[0].Return.Items) != 2 {
		t.Fatal("redaction changed the caller's data")
	}
	recv := RedactRequests(ViewReceiver, Actor{Role: RoleReceiver, AgencyID: "eh"}, []InfoRequest{{Return: &AgencyReturn{
		LegalBasis: "basis", Items: []ReturnItem{{Summary: "Seen by Ann Other", Detail: "ann other said so", ProtectedNames: []string{"Ann Other"}, Marking: MarkingFamily}}}}})
	it := recv[0].Return.Items[0]
	if strings.Contains(strings.ToLower(it.Summary+it.Detail), "ann other") || it.ProtectedNames != nil || recv[0].Return.LegalBasis != "" {
		t.Fatalf("receiver sees %+v", recv[0].Return)
	}
}

func TestRedactReferrerView(t *testing.T) {
	d := &ContactDetail{Contact: Contact{RAG: "red", ThresholdLevel: 4, Referrer: Referrer{Name: "R", Anonymous: true},
		Subjects: []Subject{{PersonID: "p1"}}}, Requests: []InfoRequest{{}}, Decision: &Decision{Rationale: "x"},
		Feedback: &Feedback{Status: FeedbackPending}}
	d.Redact(ViewReferrer, Actor{Role: RoleReferrer})
	if d.RAG != "" || d.ThresholdLevel != 0 || d.Referrer.Name != "R" || d.Subjects[0].PersonID != "" ||
		len(d.Requests) != 0 || d.Decision != nil || d.Feedback != nil {
		t.Fatalf("referrer view: %+v", d)
	}
}
