// Package returns builds the hub's statutory returns from rows the store
// reads: a Children in Need census-shaped extract of contacts and referrals
// (record level) and the adults' Safeguarding Adults Collection counts
// (aggregate, small numbers suppressed). It holds no SQL and no clock: it
// takes rows and a year and writes CSV files and a manifest.
package returns

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"openmash.org/mash"
)

// Year is a collection year as the DfE and DHSC name them: Year{2026} is the
// reporting year 2026, collected as "2025-26": 1 April 2025 to 31 March 2026
// (the Children in Need census 2025 to 2026 and the Safeguarding Adults
// Collection 2025-26 both cover that period).
type Year struct {
	End int // the calendar year the collection year ends in (31 March)
}

// ParseYear reads "2026" (the reporting year ending 31 March 2026) or
// "2025-26" (the same year, written as the collection names it).
func ParseYear(s string) (Year, error) {
	s = strings.TrimSpace(s)
	bad := mash.Errorf(mash.KindInvalid, "the year must be a reporting year such as 2026 (1 April 2025 to 31 March 2026) or a collection year such as 2025-26")
	if a, b, ok := strings.Cut(s, "-"); ok {
		start, err1 := strconv.Atoi(a)
		end, err2 := strconv.Atoi(b)
		if err1 != nil || err2 != nil || len(a) != 4 || len(b) != 2 || (start+1)%100 != end {
			return Year{}, bad
		}
		return checkYear(start + 1)
	}
	y, err := strconv.Atoi(s)
	if err != nil || len(s) != 4 {
		return Year{}, bad
	}
	return checkYear(y)
}

func checkYear(end int) (Year, error) {
	if end < 2000 || end > 2100 {
		return Year{}, mash.Errorf(mash.KindInvalid, "the year %d is out of range (2000 to 2100)", end)
	}
	return Year{End: end}, nil
}

// Label is the collection's name for the year, e.g. "2025-26".
func (y Year) Label() string { return fmt.Sprintf("%d-%02d", y.End-1, y.End%100) }

// London is where the collection's dates are counted: a contact at 23:30
// UTC on 31 March 2026 in summer time is on 1 April in England.
var London = mustLoad("Europe/London")

func mustLoad(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// Period is the year's first instant and the instant after its last, in UTC.
func (y Year) Period() (from, to time.Time) {
	from = time.Date(y.End-1, time.April, 1, 0, 0, 0, 0, London).UTC()
	to = time.Date(y.End, time.April, 1, 0, 0, 0, 0, London).UTC()
	return from, to
}

// Contains reports whether t falls in the year.
func (y Year) Contains(t time.Time) bool {
	from, to := y.Period()
	return !t.Before(from) && t.Before(to)
}

// date is t as an England calendar date, the census's date format.
func date(t time.Time) string { return t.In(London).Format(time.DateOnly) }
