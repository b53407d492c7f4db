package mash

import "time"

// Action is something an actor may do.
type Action string

// The actions the API and UI guard.
const (
	ActionContactCreate   Action = "contact:create"
	ActionContactRead     Action = "contact:read"     // scope decides which contacts
	ActionContactList     Action = "contact:list"     // the hub queue, or one's own referrals
	ActionContactScreen   Action = "contact:screen"   // screening decision and rating
	ActionContactRate     Action = "contact:rate"     // re-rating
	ActionConsentOverride Action = "consent:override" // checks without consent below Red
	ActionRequestCreate   Action = "request:create"
	ActionRequestRead     Action = "request:read"
	ActionReturnSubmit    Action = "return:submit"
	ActionDecide          Action = "contact:decide"
	ActionFeedbackSend    Action = "feedback:send"
	ActionContactClose    Action = "contact:close"
	ActionHistoryRead     Action = "history:read"
	ActionAgencyRead      Action = "agency:read"
	ActionAgencyManage    Action = "agency:manage"
	ActionUserManage      Action = "user:manage"
	ActionPolicyRead      Action = "policy:read"
	ActionBreakGlass      Action = "contact:break_glass" // open a contact outside one's scope, with a reason
	ActionItemRelease     Action = "item:release"        // the owning agency releases a mash_only item
	ActionAuditRead       Action = "audit:read"
	ActionPersonMatch     Action = "person:match" // search for a person; results respect scope
	ActionPersonRead      Action = "person:read"  // a person page; scope decides what it shows
	ActionPersonMerge     Action = "person:merge" // merge, unmerge and resolve uncertain matches
)

// The actions of background work and alerts.
const (
	ActionJobsRead         Action = "jobs:read"         // the background job queue, with failures and reasons
	ActionNotificationRead Action = "notification:read" // one's own in-app notifications
	ActionBreachRead       Action = "breach:read"       // the record of missed RAG deadlines
	ActionBreachExplain    Action = "breach:explain"    // give the reason a deadline was missed
)

// The actions of casework and administration (casework.go).
const (
	ActionContactAssign Action = "contact:assign" // take a contact, or (managers) give it to a worker
	ActionRequestChase  Action = "request:chase"  // chase a partner agency for an open request
	ActionPolicyManage  Action = "policy:manage"  // change the RAG policy and working calendar
)

// The actions of the hub's figures (measures.go).
const (
	ActionMeasureRead Action = "measure:read" // aggregate measures: no names, no references
)

// The actions of pattern alerts (patterns.go).
const (
	ActionPatternRead        Action = "pattern:read"        // alerts on a contact one may open; scope cuts the references
	ActionPatternAcknowledge Action = "pattern:acknowledge" // acknowledge an alert, with a note
	ActionPatternList        Action = "pattern:list"        // every alert, e.g. the open ones
	ActionPatternRulesRead   Action = "pattern_rules:read"  // the rule set in force
	ActionPatternRulesManage Action = "pattern_rules:manage"
)

// The actions of referrer feedback and professional disagreement (feedback.go, disagreement.go).
const (
	ActionReferralsRead       Action = "referral:read"        // one's own referrals with their outcomes
	ActionDisagreementRaise   Action = "disagreement:raise"   // challenge a decision on a contact one can see
	ActionDisagreementRead    Action = "disagreement:read"    // challenges one raised, owns or (hub staff) all
	ActionDisagreementRespond Action = "disagreement:respond" // respond at a stage one owns, or withdraw one's own
	ActionFollowupManage      Action = "followup:manage"      // change the feedback templates and escalation stages
)

// The actions of notification channels (webhooks.go).
const (
	ActionWebhookManage Action = "webhook:manage" // register and delete partner webhook endpoints
	ActionWebhookRead   Action = "webhook:read"   // list endpoints and their delivery logs
)

// The actions of statutory returns (internal/returns).
const (
	ActionReturnsExport Action = "returns:export" // the CIN census extract and SAC counts: a system export, record level
)

// permissions is the role table: which role may attempt which action. What a
// permitted actor then sees is narrowed by scope in every store query.
var permissions = map[Role][]Action{
	RoleReferrer: {ActionReferralsRead, ActionDisagreementRaise, ActionDisagreementRead, ActionDisagreementRespond, ActionContactCreate, ActionContactRead, ActionContactList, ActionAgencyRead, ActionNotificationRead},
	RoleScreener: {ActionReferralsRead, ActionDisagreementRaise, ActionDisagreementRead, ActionDisagreementRespond, ActionContactCreate, ActionContactRead, ActionContactList, ActionContactScreen,
		ActionContactRate, ActionRequestCreate, ActionRequestRead, ActionFeedbackSend, ActionContactClose,
		ActionHistoryRead, ActionAgencyRead, ActionPolicyRead, ActionPersonMatch, ActionPersonRead, ActionPersonMerge,
		ActionNotificationRead, ActionContactAssign, ActionRequestChase,
		ActionPatternRead, ActionPatternAcknowledge, ActionPatternRulesRead},
	RoleManager: {ActionReferralsRead, ActionDisagreementRead, ActionDisagreementRespond, ActionContactCreate, ActionContactRead, ActionContactList, ActionContactScreen,
		ActionContactRate, ActionConsentOverride, ActionRequestCreate, ActionRequestRead, ActionDecide,
		ActionFeedbackSend, ActionContactClose, ActionHistoryRead, ActionAgencyRead, ActionPolicyRead,
		ActionPersonMatch, ActionPersonRead, ActionPersonMerge, ActionJobsRead, ActionNotificationRead,
		ActionBreachRead, ActionBreachExplain, ActionContactAssign, ActionRequestChase, ActionMeasureRead,
		ActionPatternRead, ActionPatternAcknowledge, ActionPatternList, ActionPatternRulesRead},
	RoleResearcher: {ActionDisagreementRaise, ActionDisagreementRead, ActionDisagreementRespond, ActionRequestRead, ActionReturnSubmit, ActionContactRead, ActionAgencyRead, ActionBreakGlass, ActionItemRelease,
		ActionPersonMatch, ActionPersonRead, ActionNotificationRead},
	RoleReceiver: {ActionDisagreementRaise, ActionDisagreementRead, ActionDisagreementRespond, ActionContactRead, ActionContactList, ActionAgencyRead, ActionBreakGlass, ActionPersonMatch, ActionPersonRead,
		ActionNotificationRead, ActionPatternRead},
	RoleAuditor: {ActionDisagreementRead, ActionAgencyRead, ActionPolicyRead, ActionAuditRead, ActionBreakGlass, ActionContactRead, ActionHistoryRead,
		ActionPersonRead, ActionNotificationRead},
	RoleAnalyst: {ActionAgencyRead, ActionPolicyRead, ActionNotificationRead, ActionBreachRead, ActionMeasureRead},
	RoleAdmin: {ActionReturnsExport, ActionFollowupManage, ActionAgencyRead, ActionAgencyManage, ActionUserManage, ActionPolicyRead, ActionJobsRead, ActionNotificationRead,
		ActionPolicyManage, ActionPatternRulesRead, ActionPatternRulesManage,
		ActionWebhookManage, ActionWebhookRead},
}

// Resource is what an action is taken on. The zero value stands for "some
// resource of this kind": the route-level check of the role alone. Contact,
// when set, carries the facts that tie the actor to one contact.
type Resource struct {
	Contact *Relation
}

// Can reports whether the actor may take the action on the resource: the role
// must allow the action, and for a contact the actor must have a legitimate
// relationship to it (see ContactAccess). Every store query applies the same
// scope in SQL as well, so a handler that forgets this check still returns
// nothing it should not.
func Can(a Actor, action Action, res Resource) bool {
	if !oneOf(action, permissions[a.Role]) {
		return false
	}
	if res.Contact != nil {
		return ContactAccess(a, *res.Contact).Allowed
	}
	return true
}

// HubWide reports whether the actor works on the hub's whole queue (the
// social-care side of the hub), rather than on a scoped slice of it.
func (a Actor) HubWide() bool { return a.Role == RoleScreener || a.Role == RoleManager }

// Relation is what ties an actor to a contact: facts the store looks up.
type Relation struct {
	SubmittedBy       string   // the user who recorded the contact
	RequestedAgencies []string // agencies asked for information about it
	ReceivingAgencyID string   // the team the decision passed the case to
	BreakGlass        string   // the reason of the actor's active break-glass grant, if any
}

// View is how much of a contact an actor sees.
type View string

// The views, from most to least.
const (
	ViewHub        View = "hub"        // everything, including mash_only items and protected third parties
	ViewResearcher View = "researcher" // the contact, own agency's requests and items, the decision's outcomes
	ViewReceiver   View = "receiver"   // items marked receiving_team or family (or released), the decision
	ViewReferrer   View = "referrer"   // what they submitted, its status and the feedback sent to them
)

// Access is the policy's answer for one actor and one contact: whether they
// may see it, how much, and why. Why is recorded with every read (DPA 2018
// s.62 asks for the justification of each consultation).
type Access struct {
	Allowed bool
	View    View
	Why     string
}

// ContactAccess decides whether and how the actor may see a contact.
func ContactAccess(a Actor, rel Relation) Access {
	switch {
	case a.HubWide():
		return Access{true, ViewHub, "hub social care staff"}
	case a.Role == RoleResearcher && oneOf(a.AgencyID, rel.RequestedAgencies):
		return Access{true, ViewResearcher, "information request to the reader's agency"}
	case a.Role == RoleReceiver && rel.ReceivingAgencyID != "" && a.AgencyID == rel.ReceivingAgencyID:
		return Access{true, ViewReceiver, "case passed to the reader's team by the hub's decision"}
	case a.Role == RoleReferrer && rel.SubmittedBy == a.UserID:
		return Access{true, ViewReferrer, "referrer of this contact"}
	case rel.BreakGlass != "" && oneOf(ActionBreakGlass, permissions[a.Role]):
		return Access{true, ViewHub, "break-glass: " + rel.BreakGlass}
	}
	return Access{}
}

// BreakGlassFor is how long a break-glass grant lasts.
const BreakGlassFor = 60 * time.Minute
