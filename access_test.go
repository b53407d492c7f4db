package mash

import "testing"

// TestCan pins the role table: a change to who may do what must change this
// test too.
func TestCan(t *testing.T) {
	want := map[Role][]Action{
		RoleReferrer: {ActionContactCreate, ActionContactRead, ActionContactList, ActionAgencyRead},
		RoleScreener: {ActionContactCreate, ActionContactRead, ActionContactList, ActionContactScreen, ActionContactRate,
			ActionRequestCreate, ActionRequestRead, ActionFeedbackSend, ActionContactClose, ActionHistoryRead, ActionAgencyRead, ActionPolicyRead},
		RoleManager: {ActionContactCreate, ActionContactRead, ActionContactList, ActionContactScreen, ActionContactRate,
			ActionConsentOverride, ActionRequestCreate, ActionRequestRead, ActionDecide, ActionFeedbackSend, ActionContactClose,
			ActionHistoryRead, ActionAgencyRead, ActionPolicyRead},
		RoleResearcher: {ActionRequestRead, ActionReturnSubmit, ActionContactRead, ActionAgencyRead, ActionBreakGlass, ActionItemRelease},
		RoleReceiver:   {ActionContactRead, ActionContactList, ActionAgencyRead, ActionBreakGlass},
		RoleAuditor:    {ActionAgencyRead, ActionPolicyRead, ActionAuditRead, ActionBreakGlass, ActionContactRead, ActionHistoryRead},
		RoleAnalyst:    {ActionAgencyRead, ActionPolicyRead},
		RoleAdmin:      {ActionAgencyRead, ActionAgencyManage, ActionUserManage, ActionPolicyRead},
	}
	all := []Action{ActionContactCreate, ActionContactRead, ActionContactList, ActionContactScreen, ActionContactRate,
		ActionConsentOverride, ActionRequestCreate, ActionRequestRead, ActionReturnSubmit, ActionDecide, ActionFeedbackSend,
		ActionContactClose, ActionHistoryRead, ActionAgencyRead, ActionAgencyManage, ActionUserManage, ActionPolicyRead,
		ActionBreakGlass, ActionItemRelease, ActionAuditRead}
	for _, r := range Roles {
		for _, a := range all {
			if got, exp := Can(Actor{Role: r}, a, Resource{}), oneOf(a, want[r]); got != exp {
				t.Errorf("Can(%s, %s) = %v, want %v", r, a, got, exp)
			}
		}
	}
	if Can(Actor{Role: "superuser"}, ActionContactRead, Resource{}) {
		t.Error("an unknown role may act")
	}
	// Only the hub's social-care staff decide, and no one outside the hub
	// screens or sees the whole queue.
	for _, r := range []Role{RoleReferrer, RoleResearcher, RoleReceiver, RoleAuditor, RoleAnalyst, RoleAdmin} {
		if Can(Actor{Role: r}, ActionDecide, Resource{}) || Can(Actor{Role: r}, ActionContactScreen, Resource{}) || (Actor{Role: r}).HubWide() {
			t.Errorf("%s may decide, screen or see the whole queue", r)
		}
	}
}
