package returns

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"openmash.org/mash"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func subj(id string) Subject { return Subject{PersonID: id, Role: mash.SubjectMain} }

func decided(s string, o ...mash.Outcome) *Decision {
	return &Decision{DecidedAt: at(s), ThresholdLevel: 3, Outcomes: o}
}

// knownYear is a hand-made collection year 2025-26 with every case the
// extract distinguishes, including the edges of the year in British Summer
// Time (23:30 UTC on 31 March is 1 April in England).
func knownYear() []Contact {
	return []Contact{
		{Reference: "MASH-2025-000001", ReceivedAt: at("2025-03-31T23:30:00Z"), Cohort: mash.CohortChild, Source: "6",
			ScreenedTo: mash.StatusClosed, ClosureReason: "nfa", Concerns: []string{"16A"}, Subjects: []Subject{subj("P1")}},
		{Reference: "MASH-2025-000002", ReceivedAt: at("2025-06-10T10:00:00Z"), Cohort: mash.CohortChild, Source: "2A",
			ScreenedTo: mash.StatusInMASH, Concerns: []string{"3B", "16A"},
			Subjects: []Subject{subj("P3"), {PersonID: "P9", Role: mash.SubjectParentCarer}, subj("P2")},
			Decision: decided("2025-06-11T09:00:00Z", mash.OutcomeStrategyDiscussionS47, mash.OutcomeMARAC)},
		{Reference: "MASH-2025-000000", ReceivedAt: at("2025-03-20T10:00:00Z"), Cohort: mash.CohortChild, Source: "3A",
			ScreenedTo: mash.StatusInMASH, Concerns: []string{"18A"}, Subjects: []Subject{subj("P4")},
			Decision: decided("2025-04-02T10:00:00Z", mash.OutcomeCINAssessmentS17)},
		{Reference: "MASH-2026-000010", ReceivedAt: at("2026-03-31T23:30:00Z"), Cohort: mash.CohortChild, Source: "6",
			Concerns: []string{"21"}, Subjects: []Subject{subj("P5")}},
		{Reference: "MASH-2026-000001", ReceivedAt: at("2026-01-05T09:00:00Z"), Cohort: mash.CohortChild, Source: "ZZ",
			ScreenedTo: mash.StatusPassedSingleAgency, Concerns: []string{"4B"}, Subjects: []Subject{subj("P6")}},
		{Reference: "MASH-2026-000002", ReceivedAt: at("2026-02-01T09:00:00Z"), Cohort: mash.CohortChild, Source: "9",
			Concerns: []string{"17A"}, Subjects: []Subject{subj("P7")}},
		{Reference: "MASH-2025-000003", ReceivedAt: at("2025-09-01T09:00:00Z"), Cohort: mash.CohortChild, Source: "1A",
			ScreenedTo: mash.StatusInMASH, Concerns: []string{"10A"}, Subjects: []Subject{subj("P8")},
			Decision: decided("2025-09-02T09:00:00Z", mash.OutcomeAdvice)},
		{Reference: "MASH-2025-000004", ReceivedAt: at("2025-10-01T09:00:00Z"), Cohort: mash.CohortChild, Source: "8",
			ScreenedTo: mash.StatusClosed, ClosureReason: "advice", Concerns: []string{"14A"}, Subjects: []Subject{subj("P1")}},
		{Reference: "MASH-2025-000005", ReceivedAt: at("2025-11-01T09:00:00Z"), Cohort: mash.CohortChild, Source: "5C",
			ScreenedTo: mash.StatusInMASH, Concerns: []string{"24A"}, Subjects: []Subject{subj("P10")},
			Decision: decided("2025-11-03T09:00:00Z", mash.OutcomeTransferOut)},
		// Adults.
		{Reference: "MASH-2025-000101", ReceivedAt: at("2025-05-01T09:00:00Z"), Cohort: mash.CohortAdult, Source: "3F",
			Concerns: []string{"neglect", "financial"}, Subjects: []Subject{{PersonID: "A1", Role: mash.SubjectMain, DOB: "1940-06-01", Sex: "F"}},
			Decision: decided("2025-05-03T09:00:00Z", mash.OutcomeAdultS42Enquiry)},
		{Reference: "MASH-2025-000102", ReceivedAt: at("2025-07-01T09:00:00Z"), Cohort: mash.CohortAdult, Source: "6",
			Concerns: []string{"neglect"}, Subjects: []Subject{{PersonID: "A1", Role: mash.SubjectMain, DOB: "1940-06-01", Sex: "F"}}},
		{Reference: "MASH-2025-000103", ReceivedAt: at("2025-08-01T09:00:00Z"), Cohort: mash.CohortAdult, Source: "6",
			Concerns: []string{"physical", "honour"}, Subjects: []Subject{{PersonID: "A2", Role: mash.SubjectMain, DOB: "1990-01-01", Sex: "M"}},
			Decision: decided("2026-04-10T09:00:00Z", mash.OutcomeAdultS42Enquiry)},
		{Reference: "MASH-2025-000099", ReceivedAt: at("2025-02-01T09:00:00Z"), Cohort: mash.CohortAdult, Source: "5A",
			Concerns: []string{"self_neglect"}, Subjects: []Subject{subj("A3")},
			Decision: decided("2025-04-05T09:00:00Z", mash.OutcomeAdultS42Enquiry)},
	}
}

// knownCINContacts and knownCINReferrals are the files knownYear must give.
const knownCINContacts = "la_child_id,contact_id,contact_date,contact_source,contact_outcome,new_referral_flag,cp_enquiry_flag,nfa_flag,advice_flag,ola_cp_flag,other_outcomes_exist_flag\r\n" +
	"P1,MASH-2025-000001,2025-04-01,6,NFA,0,0,1,0,0,0\r\n" +
	"P2,MASH-2025-000002,2025-06-10,2A,CP_ENQUIRY,1,1,0,0,0,1\r\n" +
	"P3,MASH-2025-000002,2025-06-10,2A,CP_ENQUIRY,1,1,0,0,0,1\r\n" +
	"P8,MASH-2025-000003,2025-09-01,1A,ADVICE,0,0,0,1,0,0\r\n" +
	"P1,MASH-2025-000004,2025-10-01,8,ADVICE,0,0,0,1,0,0\r\n" +
	"P10,MASH-2025-000005,2025-11-01,5C,OLA_CP,0,0,0,0,1,0\r\n" +
	"P6,MASH-2026-000001,2026-01-05,ZZ,OTHER,0,0,0,0,0,1\r\n" +
	"P7,MASH-2026-000002,2026-02-01,9,PENDING,0,0,0,0,0,0\r\n"

const knownCINReferrals = "la_child_id,referral_id,referral_date,referral_source,primary_need_code,assessment_factors,referral_nfa,single_assessment_flag,strategy_discussion_flag,other_outcomes_exist_flag\r\n" +
	"P4,MASH-2025-000000,2025-04-02,3A,,18A,0,1,0,0\r\n" +
	"P2,MASH-2025-000002,2025-06-11,2A,,3B;16A,0,0,1,1\r\n" +
	"P3,MASH-2025-000002,2025-06-11,2A,,3B;16A,0,0,1,1\r\n"

func TestKnownYearCIN(t *testing.T) {
	y, _ := ParseYear("2026")
	l, err := ListsFor(y)
	if err != nil {
		t.Fatal(err)
	}
	r := Build(y, l, knownYear())
	if got := string(r.Files[0].CSV()); got != knownCINContacts {
		t.Errorf("cin_contacts.csv:\n%s\nwant:\n%s", got, knownCINContacts)
	}
	if got := string(r.Files[1].CSV()); got != knownCINReferrals {
		t.Errorf("cin_referrals.csv:\n%s\nwant:\n%s", got, knownCINReferrals)
	}
	want := []UnknownCode{
		{File: FileCINContacts, Field: "contact_source", List: "cin_referral_sources 2025-26", Code: "ZZ", Rows: 1},
		{File: FileCINReferrals, Field: "assessment_factors", List: "cin_assessment_factors 2025-26", Code: "18A", Rows: 1},
		{File: FileSAC, Field: "concerns.type_of_risk", List: "care_act_abuse_types 2014", Code: "honour", Rows: 1},
	}
	if !reflect.DeepEqual(r.Unknown, want) {
		t.Errorf("unknown codes:\n%+v\nwant\n%+v", r.Unknown, want)
	}
}

func TestKnownYearSAC(t *testing.T) {
	y, _ := ParseYear("2025-26")
	l, _ := ListsFor(y)
	got := map[string]int{}
	for _, r := range sacRows(y, l, knownYear(), unknowns{}) {
		got[r.measure+"/"+r.breakdown+"/"+r.category] = r.n
	}
	want := map[string]int{
		"concerns/all/all": 3, "concerns/type_of_risk/neglect": 2, "concerns/type_of_risk/financial": 1,
		"concerns/type_of_risk/physical": 1, "concerns/type_of_risk/honour": 1, "concerns/type_of_risk/sexual": 0,
		"individuals_with_concerns/all/all": 2, "individuals_with_concerns/age_band/75-84": 1,
		"individuals_with_concerns/age_band/18-64": 1, "individuals_with_concerns/sex/female": 1, "individuals_with_concerns/sex/male": 1,
		// A3 was referred in 2024-25 and its enquiry began in 2025-26; A2's begins in 2026-27.
		"s42_enquiries/all/all": 2, "s42_enquiries/type_of_risk/neglect": 1, "s42_enquiries/type_of_risk/financial": 1,
		"s42_enquiries/type_of_risk/self_neglect": 1, "s42_enquiries/type_of_risk/physical": 0,
		"individuals_with_s42_enquiries/all/all": 2, "individuals_with_s42_enquiries/age_band/75-84": 1,
		"individuals_with_s42_enquiries/age_band/not_known": 1, "individuals_with_s42_enquiries/sex/not_known": 1,
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s = %d, want %d", k, got[k], n)
		}
	}
	// Every count of 1 to 4 leaves the hub as [c]; 0 and 5+ as they are.
	f := Build(y, l, knownYear()).Files[2]
	for _, row := range f.Rows {
		if row[3] != "0" && row[3] != Suppressed {
			t.Errorf("row %v: a count under 5 was not suppressed", row)
		}
	}
	for n, s := range map[int]string{0: "0", 1: "[c]", 4: "[c]", 5: "5", 123: "123"} {
		if got := SuppressSmall(n); got != s {
			t.Errorf("SuppressSmall(%d) = %q, want %q", n, got, s)
		}
	}
}

func TestParseYear(t *testing.T) {
	for in, want := range map[string]string{"2026": "2025-26", "2025-26": "2025-26", " 2027 ": "2026-27"} {
		y, err := ParseYear(in)
		if err != nil || y.Label() != want {
			t.Errorf("ParseYear(%q) = %s, %v; want %s", in, y.Label(), err, want)
		}
	}
	for _, bad := range []string{"", "26", "2026-28", "2025/26", "twenty", "20266"} {
		if _, err := ParseYear(bad); mash.KindOf(err) != mash.KindInvalid {
			t.Errorf("ParseYear(%q): %v, want Invalid", bad, err)
		}
	}
	y, _ := ParseYear("2026")
	from, to := y.Period()
	if from != at("2025-03-31T23:00:00Z") || to != at("2026-03-31T23:00:00Z") {
		t.Errorf("period %s to %s: want 1 April 2025 to 1 April 2026 in London (BST)", from, to)
	}
	if _, err := ListsFor(Year{End: 2024}); mash.KindOf(err) != mash.KindInvalid || !strings.Contains(err.Error(), "2023-24") {
		t.Errorf("a year without lists: %v", err)
	}
	l, _ := ListsFor(Year{End: 2027})
	if l.Version != "2026-27" || l.ReferralSources.Version != "2026-27" || mash.CINReferralSources2025.Version != "2025-26" {
		t.Errorf("2026-27 lists: %s %s", l.Version, l.ReferralSources.Version)
	}
}

func TestWriteDir(t *testing.T) {
	y, _ := ParseYear("2026")
	l, _ := ListsFor(y)
	r := Build(y, l, knownYear())
	base := t.TempDir()
	out := filepath.Join(base, "returns")
	gen := at("2026-11-26T12:00:00Z")
	m, err := WriteDir(out, r, gen)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, FileCINContacts))
	if err != nil || string(data) != knownCINContacts {
		t.Errorf("written cin_contacts.csv differs: %v", err)
	}
	var got Manifest
	data, _ = os.ReadFile(filepath.Join(out, ManifestName))
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got.Collection != "2025-26" || got.ReportingYear != 2026 || got.PeriodStart != "2025-04-01" || got.PeriodEnd != "2026-03-31" ||
		!got.GeneratedAt.Equal(gen) || got.CodeLists["cin_referral_sources"] != "2025-26" || len(got.Files) != 3 ||
		got.Files[0].Rows != 8 || got.Files[1].Rows != 3 || got.Files[0].Level != "record" || got.Files[2].Level != "aggregate" ||
		!got.Files[2].SmallNumbersSuppressed || got.Files[0].SmallNumbersSuppressed || len(got.UnknownCodes) != 3 || len(got.NotCovered) == 0 {
		t.Errorf("manifest: %+v", got)
	}
	if !reflect.DeepEqual(got.Files, m.Files) {
		t.Error("manifest on disk differs from the one returned")
	}

	// A directory that is not empty, a file, a missing parent: refused,
	// and nothing is left behind (no temporary directory either).
	os.WriteFile(filepath.Join(base, "afile"), []byte("x"), 0o600)
	for _, bad := range []string{out, filepath.Join(base, "afile"), filepath.Join(base, "no", "such"), ""} {
		if _, err := WriteDir(bad, r, gen); mash.KindOf(err) != mash.KindInvalid {
			t.Errorf("WriteDir(%q): %v, want Invalid", bad, err)
		}
	}
	ents, _ := os.ReadDir(base)
	if len(ents) != 2 {
		t.Errorf("left behind: %v", ents)
	}
	// An empty directory is filled.
	empty := filepath.Join(base, "empty")
	os.Mkdir(empty, 0o700)
	if _, err := WriteDir(empty, r, gen); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(empty); len(ents) != 4 {
		t.Errorf("empty directory holds %d files, want 4", len(ents))
	}
}
