package returns

import (
	"sort"
	"strconv"
	"time"

	"openmash.org/mash"
)

// FileSAC holds the Safeguarding Adults Collection counts the hub's data
// supports. It is aggregate and leaves the hub, so small numbers are
// suppressed.
const FileSAC = "sac_counts.csv"

// SACHeader is the long form: one count per row.
var SACHeader = []string{"measure", "breakdown", "category", "value"}

// Suppressed stands for a count of 1 to 4 (the Government Statistical
// Service's "[c]", confidential).
const Suppressed = "[c]"

// SuppressSmall returns n as text, or Suppressed for 1 to 4. Zero is shown:
// it discloses nothing about anyone.
func SuppressSmall(n int) string {
	if n >= 1 && n <= 4 {
		return Suppressed
	}
	return strconv.Itoa(n)
}

// AgeBands are the SAC's age bands, plus under_18 for an adult contact whose
// recorded date of birth says otherwise, and not_known.
var AgeBands = []string{"under_18", "18-64", "65-74", "75-84", "85-94", "95+", "not_known"}

// Sexes are the categories of the recorded sex (F, M, X, U or blank).
var Sexes = []string{"female", "male", "other", "not_known"}

func ageBand(dob string, at time.Time) string {
	d, err := mash.ParseDate(dob)
	if err != nil {
		return "not_known"
	}
	at = at.In(London)
	age := at.Year() - d.Year()
	if at.Month() < d.Month() || at.Month() == d.Month() && at.Day() < d.Day() {
		age--
	}
	switch {
	case age < 0:
		return "not_known"
	case age < 18:
		return "under_18"
	case age < 65:
		return "18-64"
	case age < 75:
		return "65-74"
	case age < 85:
		return "75-84"
	case age < 95:
		return "85-94"
	}
	return "95+"
}

func sexOf(s string) string {
	switch s {
	case "F":
		return "female"
	case "M":
		return "male"
	case "X":
		return "other"
	}
	return "not_known"
}

// sacCounts counts adult concerns (adult contacts received in the year) and
// s42 enquiries (adult contacts the hub decided in the year with an s42
// enquiry), each by type of risk, and the individuals involved by age band
// and sex (age on the day of their first concern or enquiry in the year).
func sacCounts(y Year, l Lists, cs []Contact, u unknowns) File {
	f := File{Name: FileSAC, Header: SACHeader, SuppressedSmall: true,
		Description: "Safeguarding Adults Collection counts the hub supports: concerns and s42 enquiries, by type of risk, individuals by age band and sex; 1 to 4 shown as [c]"}
	for _, r := range sacRows(y, l, cs, u) {
		f.Rows = append(f.Rows, []string{r.measure, r.breakdown, r.category, SuppressSmall(r.n)})
	}
	return f
}

// sacRow is one count before suppression.
type sacRow struct {
	measure, breakdown, category string
	n                            int
}

func sacRows(y Year, l Lists, cs []Contact, u unknowns) (rows []sacRow) {
	type person struct {
		band, sex string
	}
	concerns, enquiries := 0, 0
	concernTypes, enquiryTypes := map[string]int{}, map[string]int{}
	withConcern, withEnquiry := map[string]person{}, map[string]person{}
	// Oldest first, so each person's age is taken at their first event.
	order := make([]int, 0, len(cs))
	for i := range cs {
		if cs[i].Cohort == mash.CohortAdult {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return cs[order[a]].ReceivedAt.Before(cs[order[b]].ReceivedAt) })
	for _, i := range order {
		c := &cs[i]
		if y.Contains(c.ReceivedAt) {
			concerns++
			for _, code := range c.Concerns {
				concernTypes[code]++
				u.check(FileSAC, "concerns.type_of_risk", l.AbuseTypes, code)
			}
			for _, s := range c.mains() {
				if _, ok := withConcern[s.PersonID]; !ok {
					withConcern[s.PersonID] = person{ageBand(s.DOB, c.ReceivedAt), sexOf(s.Sex)}
				}
			}
		}
		if d := c.Decision; d != nil && y.Contains(d.DecidedAt) && d.has(mash.OutcomeAdultS42Enquiry) {
			enquiries++
			for _, code := range c.Concerns {
				enquiryTypes[code]++
				u.check(FileSAC, "s42_enquiries.type_of_risk", l.AbuseTypes, code)
			}
			for _, s := range c.mains() {
				if _, ok := withEnquiry[s.PersonID]; !ok {
					withEnquiry[s.PersonID] = person{ageBand(s.DOB, d.DecidedAt), sexOf(s.Sex)}
				}
			}
		}
	}
	add := func(measure, breakdown, category string, n int) {
		rows = append(rows, sacRow{measure, breakdown, category, n})
	}
	types := func(measure string, counts map[string]int) {
		for _, c := range l.AbuseTypes.Codes {
			add(measure, "type_of_risk", c.Code, counts[c.Code])
		}
		var other []string
		for code := range counts {
			if !l.AbuseTypes.Has(code) {
				other = append(other, code)
			}
		}
		sort.Strings(other)
		for _, code := range other {
			add(measure, "type_of_risk", code, counts[code])
		}
	}
	people := func(measure string, ps map[string]person) {
		add(measure, "all", "all", len(ps))
		bands, sexes := map[string]int{}, map[string]int{}
		for _, p := range ps {
			bands[p.band]++
			sexes[p.sex]++
		}
		for _, b := range AgeBands {
			add(measure, "age_band", b, bands[b])
		}
		for _, s := range Sexes {
			add(measure, "sex", s, sexes[s])
		}
	}
	add("concerns", "all", "all", concerns)
	types("concerns", concernTypes)
	people("individuals_with_concerns", withConcern)
	add("s42_enquiries", "all", "all", enquiries)
	types("s42_enquiries", enquiryTypes)
	people("individuals_with_s42_enquiries", withEnquiry)
	return rows
}
