package returns

// File is one CSV file of a return.
type File struct {
	Name        string
	Description string
	Header      []string
	Rows        [][]string
	// RecordLevel files carry one row per child (a statutory record-level
	// return, not suppressed); SuppressedSmall files are aggregate counts
	// with 1 to 4 suppressed.
	RecordLevel     bool
	SuppressedSmall bool
}

// Return is a year's statutory returns, ready to write.
type Return struct {
	Year       Year
	Lists      Lists
	Files      []File
	Unknown    []UnknownCode
	NotCovered []string
}

// NotCovered lists what the collections ask for that the hub does not hold:
// a MASH sees the front door, and the rest lives in the social care systems.
var NotCovered = []string{
	"CIN census child module (UPN, ethnicity, disability, dates of birth and death): held by the children's social care system, not the hub",
	"CIN census primary need code: set at assessment by social care; primary_need_code is left blank",
	"CIN census assessments, s47 enquiries, initial child protection conferences, CIN and CP plans, closure date and reason: recorded after the hub passes the referral on",
	"CIN census referral NFA: a hub referral is by definition one passed on for an assessment or s47, so referral_nfa is always 0; a later NFA is recorded by social care",
	"SAC other (non-s42) enquiries: the hub has no outcome for them",
	"SAC location of risk and source of risk: not recorded by the hub",
	"SAC concluded enquiries, their outcomes (risk reduced, removed, remains) and Making Safeguarding Personal questions: recorded by adult social care after the enquiry",
	"SAC individuals' ethnicity and primary support reason: not recorded by the hub",
}

// Build makes the year's returns from the contacts the store read. It needs
// every contact received in the year and every contact decided in it.
func Build(y Year, l Lists, contacts []Contact) Return {
	u := unknowns{}
	r := Return{Year: y, Lists: l, NotCovered: NotCovered}
	r.Files = []File{cinContacts(y, l, contacts, u), cinReferrals(y, l, contacts, u), sacCounts(y, l, contacts, u)}
	r.Unknown = u.list()
	return r
}
