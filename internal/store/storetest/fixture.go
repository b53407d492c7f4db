package storetest

import (
	"context"
	"testing"
	"time"

	"openmash.org/mash"
	"openmash.org/mash/internal/auth"
	"openmash.org/mash/internal/store"
)

// Fixture is a small synthetic partnership: a hub (children's social care),
// police, health and education, and one user per role.
type Fixture struct {
	Hub, Police, Health, Education mash.Agency
	EarlyHelp                      mash.Agency // a receiving team outside the hub
	Users                          map[mash.Role]mash.User
	// Researchers by agency kind: police and health each have one.
	PoliceResearcher, HealthResearcher mash.User
	Password                           string
}

// TOTPSecret is every fixture user's TOTP secret, so tests can make codes.
const TOTPSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// Code is the fixture users' one-time code for a TOTP time step.
func Code(step int64) string {
	key, _ := auth.DecodeTOTPSecret(TOTPSecret)
	return auth.TOTPCode(key, step)
}

// Actor returns the actor for a role's user.
func (f *Fixture) Actor(r mash.Role) mash.Actor {
	u := f.Users[r]
	return ActorOf(u)
}

// ActorOf makes an actor from a user.
func ActorOf(u mash.User) mash.Actor {
	return mash.Actor{UserID: u.ID, Name: u.Name, Role: u.Role, AgencyID: u.AgencyID, RequestID: "test", ClientIP: "127.0.0.1"}
}

// Partnership creates the fixture's agencies and users in db.
func Partnership(t testing.TB, db *store.DB) *Fixture {
	t.Helper()
	ctx := context.Background()
	f := &Fixture{Users: map[mash.Role]mash.User{}, Password: "correct-horse-battery"}
	for _, a := range []*mash.Agency{
		{Name: "Northshire Children's Services", Kind: mash.AgencyChildrensSocialCare},
		{Name: "Northshire Police", Kind: mash.AgencyPolice},
		{Name: "Northshire Community Health", Kind: mash.AgencyHealth},
		{Name: "Northshire Schools", Kind: mash.AgencyEducation},
		{Name: "Northshire Early Help", Kind: mash.AgencyOther},
	} {
		if err := db.CreateAgency(ctx, store.System, a); err != nil {
			t.Fatalf("create agency: %v", err)
		}
	}
	all, err := db.ListAgencies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range all {
		switch a.Kind {
		case mash.AgencyChildrensSocialCare:
			f.Hub = a
		case mash.AgencyPolice:
			f.Police = a
		case mash.AgencyHealth:
			f.Health = a
		case mash.AgencyEducation:
			f.Education = a
		case mash.AgencyOther:
			f.EarlyHelp = a
		}
	}
	add := func(email, name, agency string, role mash.Role) mash.User {
		u := mash.User{Email: email, Name: name, AgencyID: agency, Role: role}
		if err := db.CreateUser(ctx, store.System, &u, f.Password); err != nil {
			t.Fatalf("create user %s: %v", email, err)
		}
		if _, err := db.EnrolTOTP(ctx, store.System, u.ID, TOTPSecret, false, ""); err != nil {
			t.Fatalf("enrol %s for one-time codes: %v", email, err)
		}
		return u
	}
	f.Users[mash.RoleReferrer] = add("teacher@schools.example", "Test Teacher", f.Education.ID, mash.RoleReferrer)
	f.Users[mash.RoleScreener] = add("screener@hub.example", "Test Screener", f.Hub.ID, mash.RoleScreener)
	f.Users[mash.RoleManager] = add("manager@hub.example", "Test Manager", f.Hub.ID, mash.RoleManager)
	f.PoliceResearcher = add("police@police.example", "Test Police Researcher", f.Police.ID, mash.RoleResearcher)
	f.HealthResearcher = add("health@health.example", "Test Health Researcher", f.Health.ID, mash.RoleResearcher)
	f.Users[mash.RoleResearcher] = f.PoliceResearcher
	f.Users[mash.RoleReceiver] = add("worker@earlyhelp.example", "Test Early Help Worker", f.EarlyHelp.ID, mash.RoleReceiver)
	f.Users[mash.RoleAuditor] = add("auditor@hub.example", "Test Auditor", f.Hub.ID, mash.RoleAuditor)
	f.Users[mash.RoleAnalyst] = add("analyst@hub.example", "Test Analyst", f.Hub.ID, mash.RoleAnalyst)
	f.Users[mash.RoleAdmin] = add("admin@hub.example", "Test Admin", f.Hub.ID, mash.RoleAdmin)
	return f
}

// NewContact returns a valid synthetic contact received at at.
func NewContact(at time.Time) *mash.Contact {
	return &mash.Contact{
		ReceivedAt: at, Channel: "phone", Cohort: mash.CohortChild,
		Referrer: mash.Referrer{Name: "A Teacher", Organisation: "Hillside Primary", Email: "a@school.example", Phone: "0113 496 0000"},
		Subjects: []mash.Subject{
			{Role: mash.SubjectMain, GivenName: "Kayleigh", FamilyName: "Smith", DOB: "2015-04-03", Sex: "F",
				Address: "1 Church Road, Leeds", Postcode: "LS1 4AP", NHSNumber: "9434765919"},
			{Role: mash.SubjectParentCarer, GivenName: "Dawn", FamilyName: "Smith", DOB: "1988-11-20", Sex: "F"},
		},
		Concerns:  []string{"3A", "16A"},
		Narrative: "Child arrived at school hungry and said there was shouting at home.",
		Consent:   mash.Consent{FamilyAware: true, Status: mash.ConsentGiven},
	}
}
