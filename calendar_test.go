package mash

import (
	"encoding/json"
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// london parses a Europe/London wall-clock time "2006-01-02 15:04" (seconds
// and fractions allowed).
func london(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", s, londonLocation)
	if err != nil {
		v, err = time.ParseInLocation("2006-01-02 15:04", s, londonLocation)
	}
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v
}

func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v
}

func TestHolidaysEnglandAndWalesOfficial(t *testing.T) {
	// From gov.uk/bank-holidays.
	want := []string{
		"2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05", "2025-05-26", "2025-08-25", "2025-12-25", "2025-12-26",
		"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28",
		"2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30", "2027-12-27", "2027-12-28",
	}
	got := slices.Sorted(maps.Keys(EnglandAndWalesBankHolidays(2025, 2027)))
	if !slices.Equal(got, want) {
		t.Errorf("bank holidays 2025-2027:\n got %v\nwant %v", got, want)
	}
	h := EnglandAndWalesBankHolidays(2026, 2027)
	for date, name := range map[string]string{
		"2026-12-28": "Boxing Day (substitute day)",
		"2027-12-27": "Christmas Day (substitute day)",
		"2027-12-28": "Boxing Day (substitute day)",
		"2026-04-03": "Good Friday",
	} {
		if h[date] != name {
			t.Errorf("holiday %s = %q, want %q", date, h[date], name)
		}
	}
	// Substitutions that 2025–2027 do not exercise, from gov.uk for 2022–2023.
	h = EnglandAndWalesBankHolidays(2022, 2023)
	for date, name := range map[string]string{
		"2022-01-03": "New Year's Day (substitute day)", // 1 Jan a Saturday
		"2022-12-26": "Boxing Day",                      // 25 Dec a Sunday
		"2022-12-27": "Christmas Day (substitute day)",
		"2023-01-02": "New Year's Day (substitute day)", // 1 Jan a Sunday
	} {
		if h[date] != name {
			t.Errorf("holiday %s = %q, want %q", date, h[date], name)
		}
	}
}

func TestHolidaysDefaultCalendar(t *testing.T) {
	c := DefaultCalendar()
	// By the rules, checked against a printed calendar and Easter tables.
	for _, d := range []string{
		"2028-01-03", "2028-04-14", "2028-04-17", "2028-05-01", "2028-05-29", "2028-08-28", "2028-12-25", "2028-12-26",
		"2029-01-01", "2029-03-30", "2029-04-02", "2029-05-07", "2029-05-28", "2029-08-27", "2029-12-25", "2029-12-26",
		"2030-01-01", "2030-04-19", "2030-04-22", "2030-05-06", "2030-05-27", "2030-08-26", "2030-12-25", "2030-12-26",
	} {
		if _, ok := c.Holidays[d]; !ok {
			t.Errorf("DefaultCalendar lacks holiday %s", d)
		}
	}
	if n := len(c.Holidays); n != 6*8 {
		t.Errorf("DefaultCalendar has %d holidays, want 48 (8 a year for 2025-2030)", n)
	}
	for d, name := range c.Holidays {
		day, _ := time.Parse(holidayLayout, d)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			t.Errorf("holiday %s (%s) falls on a %v", d, name, wd)
		}
	}
	// Editing one calendar's holidays must not leak into another's.
	c.Holidays["2026-06-01"] = "Local"
	if _, ok := DefaultCalendar().Holidays["2026-06-01"]; ok {
		t.Error("DefaultCalendar shares its Holidays map between calls")
	}
}

func TestHolidaysEaster(t *testing.T) {
	for _, tc := range []struct {
		year  int
		month time.Month
		day   int
	}{
		{1961, time.April, 2}, {2000, time.April, 23}, {2008, time.March, 23}, {2011, time.April, 24},
		{2019, time.April, 21}, {2024, time.March, 31}, {2025, time.April, 20}, {2026, time.April, 5},
		{2027, time.March, 28}, {2028, time.April, 16}, {2029, time.April, 1}, {2030, time.April, 21},
		{2038, time.April, 25}, {2285, time.March, 22},
	} {
		if m, d := easterSunday(tc.year); m != tc.month || d != tc.day {
			t.Errorf("easterSunday(%d) = %v %d, want %v %d", tc.year, m, d, tc.month, tc.day)
		}
	}
}

func TestCalendarAddWorking(t *testing.T) {
	c := DefaultCalendar()
	seven := DefaultCalendar()
	seven.Days = [7]bool{true, true, true, true, true, true, true}
	seven.Holidays = nil
	for _, tc := range []struct {
		name  string
		cal   *Calendar
		start time.Time
		d     time.Duration
		want  time.Time
	}{
		{"within a day", c, london(t, "2026-01-12 10:00"), 3 * time.Hour, london(t, "2026-01-12 13:00")},
		{"weekend", c, london(t, "2026-01-09 16:00"), 8 * time.Hour, london(t, "2026-01-12 16:00")},
		{"weekend, to closing", c, london(t, "2026-01-09 16:00"), time.Hour, london(t, "2026-01-09 17:00")},
		{"whole day", c, london(t, "2026-01-12 09:00"), 8 * time.Hour, london(t, "2026-01-12 17:00")},
		{"one ns short of closing", c, london(t, "2026-01-12 09:00"), 8*time.Hour - 1, london(t, "2026-01-12 16:59:59.999999999")},
		{"one ns past closing", c, london(t, "2026-01-12 09:00"), 8*time.Hour + 1, london(t, "2026-01-13 09:00:00.000000001")},
		{"odd ns start", c, london(t, "2026-01-12 16:59:59.123456789"), time.Second, london(t, "2026-01-13 09:00:00.123456789")},
		{"before opening", c, london(t, "2026-01-12 07:00"), time.Hour, london(t, "2026-01-12 10:00")},
		{"after closing", c, london(t, "2026-01-12 18:00"), 30 * time.Minute, london(t, "2026-01-13 09:30")},
		{"saturday", c, london(t, "2026-01-10 12:00"), time.Hour, london(t, "2026-01-12 10:00")},
		{"exactly 17:00", c, london(t, "2026-01-12 17:00"), time.Hour, london(t, "2026-01-13 10:00")},
		{"exactly 17:00 friday", c, london(t, "2026-01-09 17:00"), time.Hour, london(t, "2026-01-12 10:00")},
		{"zero in hours", c, london(t, "2026-01-12 11:11:11.000000007"), 0, london(t, "2026-01-12 11:11:11.000000007")},
		{"zero at 17:00", c, london(t, "2026-01-12 17:00"), 0, london(t, "2026-01-13 09:00")},
		{"zero at 09:00", c, london(t, "2026-01-12 09:00"), 0, london(t, "2026-01-12 09:00")},
		{"zero on saturday", c, london(t, "2026-01-10 09:00"), 0, london(t, "2026-01-12 09:00")},
		{"negative is zero", c, london(t, "2026-01-12 10:00"), -time.Hour, london(t, "2026-01-12 10:00")},
		// Thu 24 Dec 16:00: 1h, then Christmas, Boxing Day (Sat), Sun, the
		// substitute Mon 28 Dec, so 7h more from Tue 29 Dec 09:00.
		{"christmas 2026", c, utc(t, "2026-12-24T16:00:00Z"), 8 * time.Hour, utc(t, "2026-12-29T16:00:00Z")},
		// Christmas 2027 is a Saturday: Mon 27 and Tue 28 are substitutes.
		{"christmas 2027", c, london(t, "2027-12-24 16:00"), 2 * time.Hour, london(t, "2027-12-29 10:00")},
		{"easter 2026", c, london(t, "2026-04-02 12:00"), 8 * time.Hour, london(t, "2026-04-07 12:00")},
		// Fri 27 Mar 2026 15:00 GMT: 2h, then Mon 30 Mar 09:00 BST (08:00 UTC) + 6h.
		{"spring forward", c, utc(t, "2026-03-27T15:00:00Z"), 8 * time.Hour, utc(t, "2026-03-30T14:00:00Z")},
		// Fri 23 Oct 2026 15:00 BST (14:00 UTC): 2h, then Mon 26 Oct 09:00 GMT + 6h.
		{"fall back", c, utc(t, "2026-10-23T14:00:00Z"), 8 * time.Hour, utc(t, "2026-10-26T15:00:00Z")},
		// On the change days themselves the day still opens 09:00 local.
		{"worked spring sunday", seven, london(t, "2026-03-28 16:00"), 2 * time.Hour, utc(t, "2026-03-29T09:00:00Z")},
		{"worked autumn sunday", seven, london(t, "2026-10-24 16:00"), 2 * time.Hour, utc(t, "2026-10-25T10:00:00Z")},
		{"worked spring sunday whole", seven, london(t, "2026-03-29 00:00"), 8 * time.Hour, utc(t, "2026-03-29T16:00:00Z")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.cal.AddWorking(tc.start, tc.d)
			if !got.Equal(tc.want) {
				t.Errorf("AddWorking(%v, %v) = %v, want %v", tc.start, tc.d, got, tc.want)
			}
			if got.Location() != tc.start.Location() {
				t.Errorf("AddWorking result in %v, want start's location %v", got.Location(), tc.start.Location())
			}
			if w := tc.cal.WorkingBetween(tc.start, got); w != max(tc.d, 0) {
				t.Errorf("WorkingBetween(start, result) = %v, want %v", w, tc.d)
			}
		})
	}
}

func TestCalendarAddWorkingKeepsLocation(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 12, 11, 0, 0, 0, ny) // 16:00 in London
	got := DefaultCalendar().AddWorking(start, 2*time.Hour)
	if want := london(t, "2026-01-13 10:00"); !got.Equal(want) || got.Location() != ny {
		t.Errorf("AddWorking = %v, want %v in America/New_York", got, want)
	}
	// A monotonic clock reading on start must not change the answer.
	now := time.Now()
	if a, b := DefaultCalendar().AddWorking(now, time.Hour), DefaultCalendar().AddWorking(now.Round(0), time.Hour); !a.Equal(b) {
		t.Errorf("monotonic reading changed result: %v vs %v", a, b)
	}
}

func TestCalendarAddWorkingDays(t *testing.T) {
	c := DefaultCalendar()
	for _, tc := range []struct {
		start time.Time
		n     int
		want  time.Time
	}{
		{london(t, "2026-01-09 10:30"), 1, london(t, "2026-01-12 10:30")},
		{london(t, "2026-01-12 10:30"), 5, london(t, "2026-01-19 10:30")},
		{london(t, "2026-12-24 10:00"), 1, london(t, "2026-12-29 10:00")},
		{london(t, "2026-01-12 20:00"), 1, london(t, "2026-01-13 17:00")},
		{london(t, "2026-01-12 10:30"), 0, london(t, "2026-01-12 10:30")},
		{london(t, "2026-01-12 10:30"), -2, london(t, "2026-01-12 10:30")},
	} {
		if got := c.AddWorkingDays(tc.start, tc.n); !got.Equal(tc.want) {
			t.Errorf("AddWorkingDays(%v, %d) = %v, want %v", tc.start, tc.n, got, tc.want)
		}
		if got, want := c.AddWorkingDays(tc.start, tc.n), c.AddWorking(tc.start, time.Duration(max(tc.n, 0))*8*time.Hour); !got.Equal(want) {
			t.Errorf("AddWorkingDays(%v, %d) = %v, AddWorking gives %v", tc.start, tc.n, got, want)
		}
	}
}

func TestCalendarIsWorking(t *testing.T) {
	c := DefaultCalendar()
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{london(t, "2026-01-12 08:59:59.999999999"), false},
		{london(t, "2026-01-12 09:00"), true},
		{london(t, "2026-01-12 16:59:59.999999999"), true},
		{london(t, "2026-01-12 17:00"), false},
		{london(t, "2026-01-10 12:00"), false}, // Saturday
		{london(t, "2026-12-28 12:00"), false}, // substitute Boxing Day
		{utc(t, "2026-03-30T08:00:00Z"), true}, // 09:00 BST
		{utc(t, "2026-03-30T07:59:00Z"), false},
		{utc(t, "2026-03-30T15:59:00Z"), true},
		{utc(t, "2026-03-30T16:00:00Z"), false}, // 17:00 BST
	} {
		if got := c.IsWorking(tc.at); got != tc.want {
			t.Errorf("IsWorking(%v) = %v, want %v", tc.at, got, tc.want)
		}
	}
}

func TestCalendarWorkingBetween(t *testing.T) {
	c := DefaultCalendar()
	for _, tc := range []struct {
		name string
		a, b time.Time
		want time.Duration
	}{
		{"reversed", london(t, "2026-01-13 10:00"), london(t, "2026-01-12 10:00"), 0},
		{"empty", london(t, "2026-01-12 10:00"), london(t, "2026-01-12 10:00"), 0},
		{"one ns", london(t, "2026-01-12 10:00"), london(t, "2026-01-12 10:00:00.000000001"), 1},
		{"overnight", london(t, "2026-01-12 16:00"), london(t, "2026-01-13 10:00"), 2 * time.Hour},
		{"week of the spring change", london(t, "2026-03-23 00:00"), london(t, "2026-03-30 00:00"), 40 * time.Hour},
		{"week of the autumn change", london(t, "2026-10-19 00:00"), london(t, "2026-10-26 00:00"), 40 * time.Hour},
		{"christmas weeks 2026", london(t, "2026-12-21 00:00"), london(t, "2027-01-04 00:00"), 7 * 8 * time.Hour}, // 10 weekdays less 25 Dec, 28 Dec, 1 Jan
		{"year 2026", london(t, "2026-01-01 00:00"), london(t, "2027-01-01 00:00"), (261 - 8) * 8 * time.Hour},
	} {
		if got := c.WorkingBetween(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: WorkingBetween(%v, %v) = %v, want %v", tc.name, tc.a, tc.b, got, tc.want)
		}
	}
}

// checkAddWorking asserts AddWorking's contract for one start and d >= 0: the
// result is not before start, exactly d of working time lies between, and it
// is the earliest such instant (one ns earlier gives d-1ns).
func checkAddWorking(t *testing.T, c *Calendar, start time.Time, d time.Duration) {
	t.Helper()
	got := c.AddWorking(start, d)
	if got.Before(start) {
		t.Fatalf("AddWorking(%v, %v) = %v, before start", start, d, got)
	}
	if w := c.WorkingBetween(start, got); w != d {
		t.Fatalf("AddWorking(%v, %v) = %v, but WorkingBetween = %v", start, d, got, w)
	}
	if d > 0 {
		if w := c.WorkingBetween(start, got.Add(-1)); w != d-1 {
			t.Fatalf("AddWorking(%v, %v) = %v is not the earliest: WorkingBetween to 1ns before = %v", start, d, got, w)
		}
	}
	// IsWorking agrees with the clock: t is working iff [t, t+1ns) has 1ns of working time.
	if c.IsWorking(start) != (c.WorkingBetween(start, start.Add(1)) == 1) {
		t.Fatalf("IsWorking(%v) = %v disagrees with WorkingBetween", start, c.IsWorking(start))
	}
}

func TestWorkingPropertyRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	odd := DefaultCalendar()
	odd.Days = [7]bool{time.Sunday: true, time.Wednesday: true, time.Saturday: true}
	odd.Start, odd.End = 30*time.Minute+7, 24*time.Hour // runs to midnight, across the DST changes at 01:00
	// A slice, not a map: a fixed order keeps the random inputs reproducible.
	cals := []*Calendar{DefaultCalendar(), odd}
	lo := london(t, "2025-01-01 00:00").UnixNano()
	hi := london(t, "2031-01-01 00:00").UnixNano()
	for _, c := range cals {
		for range 3000 {
			start := time.Unix(0, lo+r.Int64N(hi-lo)).In(londonLocation)
			if r.IntN(4) == 0 { // favour awkward starts: on the hour, at opening or closing
				start = start.Truncate(time.Hour)
			}
			d := time.Duration(r.Int64N(int64(300 * time.Hour)))
			if r.IntN(4) == 0 {
				d = d.Truncate(time.Hour)
			}
			checkAddWorking(t, c, start, d)
		}
	}
}

func TestCalendarValidate(t *testing.T) {
	if err := DefaultCalendar().Validate(); err != nil {
		t.Fatalf("DefaultCalendar().Validate() = %v", err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(c *Calendar)
		field string
	}{
		{"negative start", func(c *Calendar) { c.Start = -time.Hour }, "start"},
		{"end past midnight", func(c *Calendar) { c.End = 25 * time.Hour }, "end"},
		{"end before start", func(c *Calendar) { c.Start, c.End = 17*time.Hour, 9*time.Hour }, "end"},
		{"empty window", func(c *Calendar) { c.End = c.Start }, "end"},
		{"no days", func(c *Calendar) { c.Days = [7]bool{} }, "days"},
		{"bad holiday date", func(c *Calendar) { c.Holidays["2026-13-01"] = "Nope" }, `holidays["2026-13-01"]`},
		{"unpadded holiday date", func(c *Calendar) { c.Holidays["2026-1-5"] = "Nope" }, `holidays["2026-1-5"]`},
		{"holiday without name", func(c *Calendar) { c.Holidays["2026-06-01"] = "" }, `holidays["2026-06-01"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultCalendar()
			tc.edit(c)
			err := c.Validate()
			if KindOf(err) != KindInvalid {
				t.Fatalf("Validate() = %v, want an invalid error", err)
			}
			if e, ok := err.(*Error); !ok || e.Fields[tc.field] == "" {
				t.Fatalf("Validate() = %v, want a problem with %s", err, tc.field)
			}
		})
	}
	if err := (*Calendar)(nil).Validate(); KindOf(err) != KindInvalid {
		t.Errorf("nil Calendar Validate() = %v, want invalid", err)
	}
	nilLoc := DefaultCalendar()
	nilLoc.Location = nil // means Europe/London
	if err := nilLoc.Validate(); err != nil {
		t.Errorf("Validate() with nil Location = %v", err)
	}
	if got, want := nilLoc.AddWorking(utc(t, "2026-06-01T07:00:00Z"), 0), utc(t, "2026-06-01T08:00:00Z"); !got.Equal(want) {
		t.Errorf("nil Location: AddWorking = %v, want %v (09:00 BST)", got, want)
	}
}

func TestCalendarNoWorkingTimePanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "no working time") {
			t.Errorf("recover() = %v, want a no-working-time panic", r)
		}
	}()
	(&Calendar{Start: 9 * time.Hour, End: 17 * time.Hour}).AddWorking(time.Now(), time.Hour)
}

func FuzzAddWorking(f *testing.F) {
	f.Add(london(f, "2026-03-27 15:00").UnixNano(), int64(8*time.Hour))
	f.Add(london(f, "2026-10-23 17:00").UnixNano(), int64(0))
	f.Add(london(f, "2026-12-24 16:00").UnixNano(), int64(time.Hour+1))
	c := DefaultCalendar()
	lo := london(f, "2024-01-01 00:00").UnixNano()
	span := london(f, "2032-01-01 00:00").UnixNano() - lo
	f.Fuzz(func(t *testing.T, startNs, d int64) {
		// Fold inputs into 2024–2031 and under 1000 working hours (about half a year).
		start := time.Unix(0, lo+(startNs%span+span)%span)
		dur := time.Duration((d%int64(1000*time.Hour) + int64(1000*time.Hour)) % int64(1000*time.Hour))
		checkAddWorking(t, c, start, dur)
	})
}

func TestCalendarJSON(t *testing.T) {
	c := &Calendar{
		Location: londonLocation,
		Start:    8*time.Hour + 30*time.Minute,
		End:      24 * time.Hour,
		Holidays: map[string]string{"2026-12-25": "Christmas Day", "2026-01-01": "New Year's Day"},
	}
	c.Days[time.Sunday], c.Days[time.Monday], c.Days[time.Saturday] = true, true, true
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"timezone":"Europe/London","days":["monday","saturday","sunday"],"start":"08:30","end":"24:00",` +
		`"holidays":{"2026-01-01":"New Year's Day","2026-12-25":"Christmas Day"}}`
	if string(b) != want {
		t.Errorf("JSON:\n got %s\nwant %s", b, want)
	}
	var got Calendar
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Location.String() != "Europe/London" {
		t.Errorf("Location = %v", got.Location)
	}
	if got.Days != c.Days || got.Start != c.Start || got.End != c.End || !maps.Equal(got.Holidays, c.Holidays) {
		t.Errorf("round trip = %+v, want %+v", got, *c)
	}

	// A value marshals the same as a pointer; a nil Location is London; nil
	// holidays are written {} and read back empty.
	c.Location, c.Holidays = nil, nil
	b, err = json.Marshal(*c)
	if err != nil || !strings.Contains(string(b), `"timezone":"Europe/London"`) || !strings.HasSuffix(string(b), `"holidays":{}}`) {
		t.Errorf("value with nil Location and Holidays = %s, %v", b, err)
	}

	// Other zones, mixed-case day names, holidays omitted.
	in := `{"timezone":"America/New_York","days":["Tuesday","WEDNESDAY"],"start":"00:00","end":"00:01"}`
	got = Calendar{}
	if err := json.Unmarshal([]byte(in), &got); err != nil {
		t.Fatal(err)
	}
	if got.loc().String() != "America/New_York" || got.Days != [7]bool{time.Tuesday: true, time.Wednesday: true} ||
		got.Start != 0 || got.End != time.Minute || got.Holidays != nil {
		t.Errorf("%s = %+v", in, got)
	}
	// Validate runs: a calendar that passes Unmarshal is usable.
	if want, at := utc(t, "2026-06-02T04:00:30Z"), utc(t, "2026-06-01T12:00:00Z"); !got.AddWorking(at, 30*time.Second).Equal(want) {
		t.Errorf("AddWorking = %v, want %v", got.AddWorking(at, 30*time.Second), want)
	}
}

func TestCalendarJSONErrors(t *testing.T) {
	const ok = `"timezone":"Europe/London","days":["monday"],"start":"09:00","end":"17:00"`
	for _, tc := range []struct {
		in, field, msg string
	}{
		{`{"timezone":"Europe/Lundon","days":["monday"],"start":"09:00","end":"17:00"}`, "timezone", `unknown time zone "Europe/Lundon"`},
		{`{"timezone":"Local","days":["monday"],"start":"09:00","end":"17:00"}`, "timezone", `unknown time zone "Local"`},
		{`{"timezone":"","days":["monday"],"start":"09:00","end":"17:00"}`, "timezone", "is required"},
		{`{"days":["monday"],"start":"09:00","end":"17:00"}`, "timezone", "is required"},
		{`{"timezone":1,"days":["monday"],"start":"09:00","end":"17:00"}`, "timezone", "must be a time zone name"},
		{`{"timezone":"UTC","days":["monday","funday"],"start":"09:00","end":"17:00"}`, "days[1]", `"funday" is not a day name`},
		{`{"timezone":"UTC","days":["monday","Monday"],"start":"09:00","end":"17:00"}`, "days[1]", "listed twice"},
		{`{"timezone":"UTC","days":[],"start":"09:00","end":"17:00"}`, "days", "at least one weekday"},
		{`{"timezone":"UTC","days":"monday","start":"09:00","end":"17:00"}`, "days", "must be a list of day names"},
		{`{"timezone":"UTC","start":"09:00","end":"17:00"}`, "days", "is required"},
		{`{"timezone":"UTC","days":["monday"],"start":"9:00","end":"17:00"}`, "start", `"9:00" is not a time written HH:MM`},
		{`{"timezone":"UTC","days":["monday"],"start":"09:60","end":"17:00"}`, "start", "HH:MM"},
		{`{"timezone":"UTC","days":["monday"],"start":"09:00:00","end":"17:00"}`, "start", "HH:MM"},
		{`{"timezone":"UTC","days":["monday"],"start":9,"end":"17:00"}`, "start", "HH:MM"},
		{`{"timezone":"UTC","days":["monday"],"start":"24:00","end":"24:00"}`, "start", "before 24:00"},
		{`{"timezone":"UTC","days":["monday"],"start":"09:00","end":"5pm"}`, "end", `"5pm" is not a time written HH:MM`},
		{`{"timezone":"UTC","days":["monday"],"start":"09:00","end":"24:30"}`, "end", "closing time 24:30 must be after 00:00 and at most 24:00"},
		{`{"timezone":"UTC","days":["monday"],"start":"17:00","end":"09:00"}`, "end", "closing time 09:00 must be after opening time 17:00"},
		{`{"timezone":"UTC","days":["monday"],"start":"09:00"}`, "end", "is required"},
		{`{` + ok + `,"holidays":{"2026-13-01":"Nope"}}`, `holidays["2026-13-01"]`, "YYYY-MM-DD"},
		{`{` + ok + `,"holidays":{"2026-06-01":""}}`, `holidays["2026-06-01"]`, "name is required"},
		{`{` + ok + `,"holidays":["2026-06-01"]}`, "holidays", "must be an object"},
		{`{` + ok + `,"holiday":{"2026-06-01":"Jubilee"}}`, "holiday", "unknown field"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			c := DefaultCalendar()
			before := *c
			err := json.Unmarshal([]byte(tc.in), c)
			e, isErr := errors.AsType[*Error](err)
			if !isErr || e.Kind != KindInvalid || !strings.Contains(e.Fields[tc.field], tc.msg) {
				t.Fatalf("Unmarshal = %v; want an invalid error with %s: ...%s...", err, tc.field, tc.msg)
			}
			if c.Start != before.Start || c.loc() != before.loc() {
				t.Errorf("a failed Unmarshal changed the calendar: %+v", c)
			}
		})
	}
	// Several problems are reported together.
	var c Calendar
	err := json.Unmarshal([]byte(`{"timezone":"Nowhere","days":["moonday"],"start":"nine","end":"17:00"}`), &c)
	if e, isErr := errors.AsType[*Error](err); !isErr || len(e.Fields) < 3 {
		t.Errorf("Unmarshal = %v, want problems with timezone, days[0] and start", err)
	}
	if err := json.Unmarshal([]byte(`[1]`), &c); KindOf(err) != KindInvalid {
		t.Errorf("Unmarshal of an array = %v, want invalid", err)
	}
}

func TestCalendarMarshalErrors(t *testing.T) {
	for _, tc := range []struct {
		name, msg string
		edit      func(c *Calendar)
	}{
		{"sub-minute start", "start: 9h0m30s cannot be written as HH:MM", func(c *Calendar) { c.Start += 30 * time.Second }},
		{"sub-minute end", "end: 17h0m0.000000001s cannot be written", func(c *Calendar) { c.End++ }},
		{"local zone", "local zone cannot be saved", func(c *Calendar) { c.Location = time.Local }},
		{"fixed zone", `zone "XYZ" has no IANA name`, func(c *Calendar) { c.Location = time.FixedZone("XYZ", 3600) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultCalendar()
			tc.edit(c)
			_, err := json.Marshal(c)
			if KindOf(err) != KindInvalid || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Marshal = %v, want an invalid error containing %q", err, tc.msg)
			}
		})
	}
}
