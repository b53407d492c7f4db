package mash

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
)

// permissions is the role table: which role may attempt which action. What a
// permitted actor then sees is narrowed by scope in every store query.
var permissions = map[Role][]Action{
	RoleReferrer: {ActionContactCreate, ActionContactRead, ActionContactList, ActionAgencyRead},
	RoleScreener: {ActionContactCreate, ActionContactRead, ActionContactList, ActionContactScreen,
		ActionContactRate, ActionRequestCreate, ActionRequestRead, ActionFeedbackSend, ActionContactClose,
		ActionHistoryRead, ActionAgencyRead, ActionPolicyRead},
	RoleManager: {ActionContactCreate, ActionContactRead, ActionContactList, ActionContactScreen,
		ActionContactRate, ActionConsentOverride, ActionRequestCreate, ActionRequestRead, ActionDecide,
		ActionFeedbackSend, ActionContactClose, ActionHistoryRead, ActionAgencyRead, ActionPolicyRead},
	RoleResearcher: {ActionRequestRead, ActionReturnSubmit, ActionContactRead, ActionAgencyRead},
	RoleAuditor:    {ActionAgencyRead, ActionPolicyRead},
	RoleAnalyst:    {ActionAgencyRead, ActionPolicyRead},
	RoleAdmin:      {ActionAgencyRead, ActionAgencyManage, ActionUserManage, ActionPolicyRead},
}

// Can reports whether the actor's role allows the action at all.
func Can(a Actor, action Action) bool { return oneOf(action, permissions[a.Role]) }

// HubWide reports whether the actor works on the hub's whole queue (the
// social-care side of the hub), rather than on a scoped slice of it.
func (a Actor) HubWide() bool { return a.Role == RoleScreener || a.Role == RoleManager }
