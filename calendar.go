package mash

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // embed the zone database so Europe/London loads on bare machines and in containers
)

// holidayLayout is the key format of Calendar.Holidays: a local calendar date.
const holidayLayout = "2006-01-02"

// londonLocation is loaded once; with time/tzdata embedded it cannot fail.
var londonLocation = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic("mash: loading Europe/London: " + err.Error())
	}
	return loc
}()

// Calendar is a working-hours calendar: the clock that statutory and local
// timescales ("within 1 working day") run on. Hours are wall-clock times on
// local calendar dates, so 09:00–17:00 stays 09:00–17:00 across a change to or
// from summer time. A Calendar is read-only once built and safe to share.
//
// Its JSON form (see MarshalJSON) writes hours as HH:MM, so Start and End
// finer than a whole minute, which Validate allows, cannot be saved as JSON.
type Calendar struct {
	Location   *time.Location    // nil means Europe/London
	Days       [7]bool           // working weekdays, indexed by time.Weekday
	Start, End time.Duration     // working hours each day as wall-clock offsets from local midnight
	Holidays   map[string]string // local date "2006-01-02" -> name; days not worked
}

// DefaultCalendar returns Monday to Friday, 09:00–17:00 Europe/London, with the
// England and Wales bank holidays for 2025–2030. Each call returns a fresh
// Holidays map, so callers may edit it (for example to add a one-off holiday
// proclaimed for a national event) without affecting others.
func DefaultCalendar() *Calendar {
	c := &Calendar{
		Location: londonLocation,
		Start:    9 * time.Hour,
		End:      17 * time.Hour,
		Holidays: EnglandAndWalesBankHolidays(2025, 2030),
	}
	for d := time.Monday; d <= time.Friday; d++ {
		c.Days[d] = true
	}
	return c
}

// Validate reports every problem with the calendar, keyed by field.
func (c *Calendar) Validate() error {
	if c == nil {
		return Errorf(KindInvalid, "working-hours calendar is missing")
	}
	fe := FieldErrors{}
	if c.Start < 0 || c.Start >= 24*time.Hour {
		fe.Add("start", fmt.Sprintf("opening time %s must be from 00:00 to before 24:00", clockString(c.Start)))
	}
	if c.End <= 0 || c.End > 24*time.Hour {
		fe.Add("end", fmt.Sprintf("closing time %s must be after 00:00 and at most 24:00", clockString(c.End)))
	}
	if c.Start >= c.End {
		fe.Add("end", fmt.Sprintf("closing time %s must be after opening time %s", clockString(c.End), clockString(c.Start)))
	}
	if c.Days == [7]bool{} {
		fe.Add("days", "at least one weekday must be a working day")
	}
	for k, name := range c.Holidays {
		field := fmt.Sprintf("holidays[%q]", k)
		if d, err := time.Parse(holidayLayout, k); err != nil || d.Format(holidayLayout) != k {
			fe.Add(field, "date must be a calendar date written YYYY-MM-DD")
		} else if name == "" {
			fe.Add(field, "holiday name is required")
		}
	}
	return fe.Err("invalid working-hours calendar")
}

// calendarJSON is Calendar's wire form.
type calendarJSON struct {
	Timezone string            `json:"timezone"`
	Days     []string          `json:"days"`
	Start    string            `json:"start"`
	End      string            `json:"end"`
	Holidays map[string]string `json:"holidays"`
}

// weekOrder lists the weekdays Monday first, the order days are written in.
var weekOrder = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

const dayNames = "monday, tuesday, wednesday, thursday, friday, saturday, sunday"

// clockString writes a wall-clock offset as HH:MM when it is a whole number of
// minutes (HH may reach 24 or more, so Validate can name an out-of-range
// value), and as a Go duration otherwise.
func clockString(d time.Duration) string {
	if d < 0 || d%time.Minute != 0 {
		return d.String()
	}
	return fmt.Sprintf("%02d:%02d", d/time.Hour, d%time.Hour/time.Minute)
}

// parseClock reads HH:MM (two digits each, minutes below 60). It checks the
// format only; Validate owns the ranges, so "24:00" and "25:00" parse here.
func parseClock(s string) (time.Duration, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	var n [4]int
	for i, j := range []int{0, 1, 3, 4} {
		if s[j] < '0' || s[j] > '9' {
			return 0, false
		}
		n[i] = int(s[j] - '0')
	}
	h, m := n[0]*10+n[1], n[2]*10+n[3]
	if m >= 60 {
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, true
}

// MarshalJSON writes the calendar as
//
//	{"timezone":"Europe/London","days":["monday",...,"friday"],
//	 "start":"09:00","end":"17:00","holidays":{"2026-12-25":"Christmas Day",...}}
//
// with days Monday first and holidays in date order; a nil Location is written
// "Europe/London". It fails, rather than round, if Start or End is not a whole
// minute, and if the location has no IANA name to load it by (time.Local, a
// fixed zone).
func (c Calendar) MarshalJSON() ([]byte, error) {
	loc := c.loc()
	name := loc.String()
	if name == "Local" {
		return nil, Errorf(KindInvalid, "working-hours calendar: timezone: the machine's local zone cannot be saved; use an IANA name such as \"Europe/London\"")
	}
	if _, err := time.LoadLocation(name); err != nil {
		return nil, Errorf(KindInvalid, "working-hours calendar: timezone: zone %q has no IANA name to save it by", name)
	}
	j := calendarJSON{Timezone: name, Days: []string{}, Holidays: c.Holidays}
	for _, d := range weekOrder {
		if c.Days[d] {
			j.Days = append(j.Days, strings.ToLower(d.String()))
		}
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"start", c.Start}, {"end", c.End}} {
		if f.d < 0 || f.d%time.Minute != 0 {
			return nil, Errorf(KindInvalid, "working-hours calendar: %s: %v cannot be written as HH:MM", f.name, f.d)
		}
	}
	j.Start, j.End = clockString(c.Start), clockString(c.End)
	if j.Holidays == nil {
		j.Holidays = map[string]string{} // written {}, so an editor sees where holidays go
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the form MarshalJSON writes and replaces the whole
// calendar. Timezone, days, start and end are required; holidays may be
// omitted. Day names are case-insensitive; times must be HH:MM ("24:00" closes
// at midnight). Unknown fields are rejected, so that a misspelt "holidays" does
// not silently drop every holiday. Problems are reported together as one
// KindInvalid error keyed by field, the parse problems first and then
// Validate's, so the range rules live in Validate alone. JSON null leaves the
// calendar unchanged.
func (c *Calendar) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return Errorf(KindInvalid, "working-hours calendar must be a JSON object with timezone, days, start, end and holidays")
	}
	fe := FieldErrors{}
	// field decodes raw[name] into v, recording a problem if it is missing
	// (when required) or of the wrong JSON type.
	field := func(name string, v any, required bool, want string) bool {
		r, ok := raw[name]
		delete(raw, name)
		if !ok || string(r) == "null" {
			if required {
				fe.Add(name, "is required: "+want)
			}
			return false
		}
		if err := json.Unmarshal(r, v); err != nil {
			fe.Add(name, "must be "+want)
			return false
		}
		return true
	}
	var cal Calendar
	var tz string
	if field("timezone", &tz, true, `a time zone name such as "Europe/London"`) {
		loc, err := time.LoadLocation(tz)
		switch {
		case tz == "":
			fe.Add("timezone", `is required: a time zone name such as "Europe/London"`)
		case tz == "Local" || err != nil:
			fe.Add("timezone", fmt.Sprintf(`unknown time zone %q; use an IANA name such as "Europe/London"`, tz))
		default:
			cal.Location = loc
		}
	}
	var days []string
	if field("days", &days, true, "a list of day names ("+dayNames+")") {
	next:
		for i, s := range days {
			for _, d := range weekOrder {
				if strings.EqualFold(s, d.String()) {
					if cal.Days[d] {
						fe.Add(fmt.Sprintf("days[%d]", i), fmt.Sprintf("%s is listed twice", strings.ToLower(s)))
					}
					cal.Days[d] = true
					continue next
				}
			}
			fe.Add(fmt.Sprintf("days[%d]", i), fmt.Sprintf("%q is not a day name; use %s", s, dayNames))
		}
	}
	for _, f := range []struct {
		name string
		dst  *time.Duration
	}{{"start", &cal.Start}, {"end", &cal.End}} {
		const want = `a time written HH:MM, such as "09:00" or "17:30" ("24:00" is midnight at the end of the day)`
		var s string
		if field(f.name, &s, true, want) {
			if d, ok := parseClock(s); ok {
				*f.dst = d
			} else {
				fe.Add(f.name, fmt.Sprintf("%q is not %s", s, want))
			}
		}
	}
	field("holidays", &cal.Holidays, false, `an object of dates to names, such as {"2026-12-25": "Christmas Day"}`)
	for name := range raw {
		fe.Add(name, "unknown field; a calendar has timezone, days, start, end and holidays")
	}
	addFieldErrors(fe, "", cal.Validate())
	if err := fe.Err("invalid working-hours calendar"); err != nil {
		return err
	}
	*c = cal
	return nil
}

// addFieldErrors adds the field problems of err, an error from a Validate
// method, to fe with each key prefixed; an error without fields is recorded
// under the prefix itself (less any trailing dot). Problems already recorded
// for a field are kept.
func addFieldErrors(fe FieldErrors, prefix string, err error) {
	if err == nil {
		return
	}
	e, ok := err.(*Error)
	if !ok || len(e.Fields) == 0 {
		msg := err.Error()
		if ok {
			msg = e.Msg
		}
		fe.Add(strings.TrimSuffix(prefix, "."), msg)
		return
	}
	for k, v := range e.Fields {
		fe.Add(prefix+k, v)
	}
}

// hasWorkingTime is the cheap subset of Validate that the clock arithmetic
// needs to terminate: some weekday with a non-empty window inside the day.
func (c *Calendar) hasWorkingTime() bool {
	return c != nil && c.Days != [7]bool{} && 0 <= c.Start && c.Start < c.End && c.End <= 24*time.Hour
}

func (c *Calendar) mustHaveWorkingTime() {
	if !c.hasWorkingTime() {
		// Without working time the clock would never stop; this is a
		// programming error (an unvalidated calendar), not bad user input.
		panic("mash: Calendar has no working time; call Validate before use")
	}
}

func (c *Calendar) loc() *time.Location {
	if c.Location == nil {
		return londonLocation
	}
	return c.Location
}

// civilDay is the local calendar date of t, held as UTC midnight so that
// stepping a day with AddDate is plain date arithmetic, free of zone effects.
func (c *Calendar) civilDay(t time.Time) time.Time {
	y, m, d := t.In(c.loc()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// hours returns the opening and closing instants of the civil day and whether
// it is worked. They are built with time.Date from wall-clock fields, not by
// adding durations to midnight, so a 23- or 25-hour day still opens at 09:00.
func (c *Calendar) hours(day time.Time) (open, close time.Time, ok bool) {
	y, m, d := day.Date()
	at := func(off time.Duration) time.Time {
		// seconds and nanoseconds separately: int may be 32 bits.
		return time.Date(y, m, d, 0, 0, int(off/time.Second), int(off%time.Second), c.loc())
	}
	open, close = at(c.Start), at(c.End)
	ok = c.Days[day.Weekday()] && open.Before(close)
	if ok && len(c.Holidays) > 0 {
		_, holiday := c.Holidays[day.Format(holidayLayout)]
		ok = !holiday
	}
	return open, close, ok
}

// IsWorking reports whether t falls in working time. Hours are half-open:
// 09:00 is working time, 17:00 is not.
func (c *Calendar) IsWorking(t time.Time) bool {
	open, close, ok := c.hours(c.civilDay(t))
	return ok && !t.Before(open) && t.Before(close)
}

// AddWorking returns the instant at which d of working time has elapsed after
// start. If start is outside working hours the clock starts at the next
// opening, so a zero d returns start itself in hours and the next opening
// otherwise. A d that ends exactly at closing time returns the closing instant,
// not the next opening. Negative d counts as zero. The result is exact to the
// nanosecond and is in start's location. It panics if the calendar has no
// working time at all (see Validate).
func (c *Calendar) AddWorking(start time.Time, d time.Duration) time.Time {
	c.mustHaveWorkingTime()
	d = max(d, 0)
	start = start.Round(0) // drop any monotonic reading: compare on the wall clock like the opening times
	t := start
	for day := c.civilDay(start); ; day = day.AddDate(0, 0, 1) {
		open, close, ok := c.hours(day)
		if !ok || !t.Before(close) {
			continue
		}
		if t.Before(open) {
			t = open
		}
		avail := close.Sub(t)
		if d <= avail {
			return t.Add(d).In(start.Location())
		}
		d -= avail
	}
}

// WorkingBetween returns the working time in [a, b), or 0 if b is not after a.
// It is the inverse of AddWorking: WorkingBetween(s, AddWorking(s, d)) == d.
func (c *Calendar) WorkingBetween(a, b time.Time) time.Duration {
	if !a.Before(b) || !c.hasWorkingTime() {
		return 0
	}
	var sum time.Duration
	for day := c.civilDay(a); ; day = day.AddDate(0, 0, 1) {
		open, close, ok := c.hours(day)
		if !open.Before(b) {
			return sum
		}
		if !ok {
			continue
		}
		lo, hi := open, close
		if a.After(lo) {
			lo = a
		}
		if b.Before(hi) {
			hi = b
		}
		if lo.Before(hi) {
			sum += hi.Sub(lo)
		}
	}
}

// AddWorkingDays returns AddWorking(start, n working days), where a working day
// is the length of the daily window (End-Start). So "within 1 working day" of
// Friday 10:30 is Monday 10:30, not Monday 17:00. Negative n counts as zero.
func (c *Calendar) AddWorkingDays(start time.Time, n int) time.Time {
	c.mustHaveWorkingTime()
	return c.AddWorking(start, time.Duration(max(n, 0))*(c.End-c.Start))
}

// EnglandAndWalesBankHolidays returns the England and Wales bank holidays for
// the years from..to inclusive, keyed "2006-01-02", generated from the standing
// rules (weekend substitutes included, names as on gov.uk). One-off holidays
// proclaimed for national events (for example 2022's platinum jubilee) and
// moved May holidays (2020's VE day) are not in the rules: add them to the map.
// None are announced for 2025–2030.
func EnglandAndWalesBankHolidays(from, to int) map[string]string {
	h := map[string]string{}
	add := func(y int, m time.Month, d int, name string) {
		h[time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format(holidayLayout)] = name
	}
	weekday := func(y int, m time.Month, d int) time.Weekday {
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Weekday()
	}
	// firstMonday is the day of month of the first Monday on or after day d.
	firstMonday := func(y int, m time.Month, d int) int {
		return d + int(time.Monday-weekday(y, m, d)+7)%7
	}
	for y := from; y <= to; y++ {
		switch weekday(y, time.January, 1) {
		case time.Saturday:
			add(y, time.January, 3, "New Year's Day (substitute day)")
		case time.Sunday:
			add(y, time.January, 2, "New Year's Day (substitute day)")
		default:
			add(y, time.January, 1, "New Year's Day")
		}
		em, ed := easterSunday(y)
		add(y, em, ed-2, "Good Friday") // time.Date normalises days outside the month
		add(y, em, ed+1, "Easter Monday")
		add(y, time.May, firstMonday(y, time.May, 1), "Early May bank holiday")
		add(y, time.May, firstMonday(y, time.May, 25), "Spring bank holiday") // last Monday: first on or after the 25th of a 31-day month
		add(y, time.August, firstMonday(y, time.August, 25), "Summer bank holiday")
		// Substitutes: a holiday on a weekend moves to the next weekday not
		// already a holiday; gov.uk keeps the actual name on the day itself.
		switch weekday(y, time.December, 25) {
		case time.Friday:
			add(y, time.December, 25, "Christmas Day")
			add(y, time.December, 28, "Boxing Day (substitute day)")
		case time.Saturday:
			add(y, time.December, 27, "Christmas Day (substitute day)")
			add(y, time.December, 28, "Boxing Day (substitute day)")
		case time.Sunday:
			add(y, time.December, 26, "Boxing Day")
			add(y, time.December, 27, "Christmas Day (substitute day)")
		default:
			add(y, time.December, 25, "Christmas Day")
			add(y, time.December, 26, "Boxing Day")
		}
	}
	return h
}

// easterSunday returns the date of Western (Gregorian) Easter Sunday in year y,
// by the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
func easterSunday(y int) (time.Month, int) {
	a := y % 19
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Month(month), day
}
