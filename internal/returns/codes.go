package returns

import (
	"sort"
	"strings"

	"openmash.org/mash"
)

// Lists are the code lists a year's returns are checked against.
type Lists struct {
	Version           string        // the collection year the lists belong to, e.g. "2025-26"
	ReferralSources   mash.CodeList // CIN census source of referral
	AssessmentFactors mash.CodeList // CIN census factors identified at assessment
	AbuseTypes        mash.CodeList // SAC type of risk (Care Act 2014's ten types)
}

// listsByYear holds each collection year's lists. A new year is a new entry,
// so a return for an earlier year is still checked against the lists it was
// collected under. No change to these lists for 2026-27 had been published
// in the hub's sources: the 2026-27 entry repeats 2025-26 and is where a
// change is to be recorded when the DfE's 2026 to 2027 guide gives one.
var listsByYear = map[string]Lists{
	"2025-26": {Version: "2025-26", ReferralSources: mash.CINReferralSources2025,
		AssessmentFactors: mash.CINFactors2025, AbuseTypes: mash.CareActTypes2014},
	"2026-27": {Version: "2026-27", ReferralSources: relabel(mash.CINReferralSources2025, "2026-27"),
		AssessmentFactors: relabel(mash.CINFactors2025, "2026-27"), AbuseTypes: mash.CareActTypes2014},
}

func relabel(l mash.CodeList, version string) mash.CodeList {
	l.Version = version
	l.Codes = append([]mash.Code(nil), l.Codes...)
	return l
}

// ListsFor returns the code lists of the year, or an Invalid error naming
// the years that have lists.
func ListsFor(y Year) (Lists, error) {
	if l, ok := listsByYear[y.Label()]; ok {
		return l, nil
	}
	return Lists{}, &mash.Error{Kind: mash.KindInvalid, Msg: "no statutory code lists for the collection year " + y.Label(),
		Fields: map[string]string{"year": "code lists are held for " + strings.Join(KnownYears(), ", ")}}
}

// KnownYears lists the collection years with code lists, oldest first.
func KnownYears() []string {
	var out []string
	for k := range listsByYear {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// UnknownCode is a recorded code that the year's list does not hold. It is
// written to the files as recorded and reported here, never dropped.
type UnknownCode struct {
	File  string `json:"file"`
	Field string `json:"field"`
	List  string `json:"list"`
	Code  string `json:"code"`
	Rows  int    `json:"rows"`
}

// unknowns collects unknown codes by file, field and code.
type unknowns map[UnknownCode]int

func (u unknowns) check(file, field string, l mash.CodeList, code string) {
	if l.Has(code) {
		return
	}
	u[UnknownCode{File: file, Field: field, List: l.Name + " " + l.Version, Code: code}]++
}

func (u unknowns) list() []UnknownCode {
	out := make([]UnknownCode, 0, len(u))
	for k, n := range u {
		k.Rows = n
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Field != b.Field {
			return a.Field < b.Field
		}
		return a.Code < b.Code
	})
	return out
}
