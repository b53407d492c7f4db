package mash

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRAGDefaultPolicy(t *testing.T) {
	p := DefaultRAGPolicy()
	if err := p.Validate(); err != nil {
		t.Fatalf("DefaultRAGPolicy().Validate() = %v", err)
	}
	for _, want := range []RAGLevel{
		{"red", "Red", 4 * time.Hour, ClockElapsed, ClockStartReceived},
		{"amber", "Amber", 8 * time.Hour, ClockWorking, ClockStartReceived},
		{"green", "Green", 24 * time.Hour, ClockWorking, ClockStartReceived},
	} {
		got, err := p.Level(want.Code)
		if err != nil || got != want {
			t.Errorf("Level(%q) = %+v, %v; want %+v", want.Code, got, err, want)
		}
	}
}

func TestRAGLevelUnknown(t *testing.T) {
	p := DefaultRAGPolicy()
	for _, code := range []string{"purple", "", "Red"} {
		_, err := p.Level(code)
		if KindOf(err) != KindInvalid || !strings.Contains(err.Error(), "red, amber, green") {
			t.Errorf("Level(%q) error = %v, want invalid listing red, amber, green", code, err)
		}
	}
}

func TestRAGDeadline(t *testing.T) {
	p := DefaultRAGPolicy()
	screenedPolicy := DefaultRAGPolicy()
	screenedPolicy.Levels[1].Start = ClockStartScreened
	for _, tc := range []struct {
		name               string
		p                  RAGPolicy
		code               string
		received, screened time.Time
		want               time.Time
	}{
		{"red is round the clock", p, "red", london(t, "2026-01-09 16:00"), time.Time{}, london(t, "2026-01-09 20:00")},
		{"red at the weekend", p, "red", london(t, "2026-01-10 23:00"), time.Time{}, london(t, "2026-01-11 03:00")},
		// 00:30 GMT + 4h of real time is 04:30 UTC, which the clocks show as 05:30 BST.
		{"red across spring change", p, "red", utc(t, "2026-03-29T00:30:00Z"), time.Time{}, london(t, "2026-03-29 05:30")},
		// 00:30 UTC is 01:30 BST (01:30 is ambiguous that morning); + 4h is 04:30 GMT: the wall clock moves 3h.
		{"red across autumn change", p, "red", utc(t, "2026-10-25T00:30:00Z"), time.Time{}, utc(t, "2026-10-25T04:30:00Z")},
		{"amber over weekend", p, "amber", london(t, "2026-01-09 16:00"), time.Time{}, london(t, "2026-01-12 16:00")},
		{"amber over christmas", p, "amber", utc(t, "2026-12-24T16:00:00Z"), time.Time{}, utc(t, "2026-12-29T16:00:00Z")},
		{"amber across spring change", p, "amber", utc(t, "2026-03-27T15:00:00Z"), time.Time{}, utc(t, "2026-03-30T14:00:00Z")},
		{"amber outside hours", p, "amber", london(t, "2026-01-12 03:00"), time.Time{}, london(t, "2026-01-12 17:00")},
		{"amber at 17:00", p, "amber", london(t, "2026-01-12 17:00"), time.Time{}, london(t, "2026-01-13 17:00")},
		// Fri 16:00: 1h, then Mon, Tue 8h each and 7h on Wed.
		{"green", p, "green", london(t, "2026-01-09 16:00"), time.Time{}, london(t, "2026-01-14 16:00")},
		{"received ignores screened", p, "amber", london(t, "2026-01-12 09:00"), london(t, "2026-01-13 09:00"), london(t, "2026-01-12 17:00")},
		{"screened start", screenedPolicy, "amber", london(t, "2026-01-12 09:00"), london(t, "2026-01-13 09:00"), london(t, "2026-01-13 17:00")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.p.Deadline(tc.code, tc.received, tc.screened)
			if err != nil || !got.Equal(tc.want) {
				t.Errorf("Deadline(%q, %v, %v) = %v, %v; want %v", tc.code, tc.received, tc.screened, got, err, tc.want)
			}
		})
	}
	// Round the clock means exactly 4h of real time, whatever the wall clock does.
	for _, s := range []string{"2026-03-29T00:30:00Z", "2026-10-25T00:30:00Z"} {
		start := utc(t, s)
		got, _ := p.Deadline("red", start, time.Time{})
		if got.Sub(start) != 4*time.Hour {
			t.Errorf("red from %v: %v of real time, want 4h", start, got.Sub(start))
		}
	}
}

func TestRAGDeadlineErrors(t *testing.T) {
	screened := DefaultRAGPolicy()
	screened.Levels[0].Start = ClockStartScreened
	noCal := DefaultRAGPolicy()
	noCal.Calendar = nil
	badCal := DefaultRAGPolicy()
	badCal.Calendar = &Calendar{}
	badClock := DefaultRAGPolicy()
	badClock.Levels[1].Clock = "weekly"
	badStart := DefaultRAGPolicy()
	badStart.Levels[1].Start = "triaged"
	at := london(t, "2026-01-12 10:00")
	for _, tc := range []struct {
		name     string
		p        RAGPolicy
		code     string
		received time.Time
		want     string
	}{
		{"unknown code", DefaultRAGPolicy(), "blue", at, `unknown RAG level "blue"`},
		{"not screened", screened, "red", at, "no screened time"},
		{"no received time", DefaultRAGPolicy(), "amber", time.Time{}, "received time is missing"},
		{"no calendar", noCal, "amber", at, "no valid working hours"},
		{"empty calendar", badCal, "amber", at, "no valid working hours"},
		{"unknown clock", badClock, "amber", at, `unknown clock "weekly"`},
		{"unknown start", badStart, "amber", at, `unknown clock start "triaged"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.p.Deadline(tc.code, tc.received, time.Time{})
			if KindOf(err) != KindInvalid || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Deadline error = %v, want invalid containing %q", err, tc.want)
			}
		})
	}
	// Elapsed levels need no calendar.
	if _, err := noCal.Deadline("red", at, time.Time{}); err != nil {
		t.Errorf("red without calendar: %v", err)
	}
}

func TestRAGValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(p *RAGPolicy)
		field string
	}{
		{"no levels", func(p *RAGPolicy) { p.Levels = nil }, "levels"},
		{"empty code", func(p *RAGPolicy) { p.Levels[0].Code = "" }, "levels[0].code"},
		{"code with space", func(p *RAGPolicy) { p.Levels[0].Code = "dark red" }, "levels[0].code"},
		{"duplicate code", func(p *RAGPolicy) { p.Levels[2].Code = "red" }, "levels[2].code"},
		{"no label", func(p *RAGPolicy) { p.Levels[1].Label = " " }, "levels[1].label"},
		{"zero target", func(p *RAGPolicy) { p.Levels[1].Target = 0 }, "levels[1].target_hours"},
		{"negative target", func(p *RAGPolicy) { p.Levels[0].Target = -time.Hour }, "levels[0].target_hours"},
		{"bad clock", func(p *RAGPolicy) { p.Levels[2].Clock = "" }, "levels[2].clock"},
		{"bad start", func(p *RAGPolicy) { p.Levels[2].Start = "closed" }, "levels[2].start"},
		{"no calendar", func(p *RAGPolicy) { p.Calendar = nil }, "calendar"},
		{"bad calendar", func(p *RAGPolicy) { p.Calendar.Days = [7]bool{} }, "calendar.days"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultRAGPolicy()
			tc.edit(&p)
			err := p.Validate()
			if KindOf(err) != KindInvalid {
				t.Fatalf("Validate() = %v, want an invalid error", err)
			}
			if e, ok := err.(*Error); !ok || e.Fields[tc.field] == "" {
				t.Fatalf("Validate() = %v, want a problem with %s", err, tc.field)
			}
		})
	}
	// A policy of elapsed levels only needs no calendar.
	p := RAGPolicy{Levels: []RAGLevel{{Code: "red", Label: "Red", Target: time.Hour, Clock: ClockElapsed, Start: ClockStartScreened}}}
	if err := p.Validate(); err != nil {
		t.Errorf("elapsed-only policy without calendar: %v", err)
	}
}

func TestRAGLevelJSON(t *testing.T) {
	b, err := json.Marshal(DefaultRAGPolicy().Levels)
	if err != nil {
		t.Fatal(err)
	}
	const want = `[` +
		`{"code":"red","label":"Red","target_hours":4,"clock":"elapsed","start":"received"},` +
		`{"code":"amber","label":"Amber","target_hours":8,"clock":"working","start":"received"},` +
		`{"code":"green","label":"Green","target_hours":24,"clock":"working","start":"received"}]`
	if string(b) != want {
		t.Errorf("JSON:\n got %s\nwant %s", b, want)
	}
	var p RAGPolicy
	if err := json.Unmarshal([]byte(`{"levels":`+string(b)+`}`), &p); err != nil {
		t.Fatal(err)
	}
	for i, l := range DefaultRAGPolicy().Levels {
		if p.Levels[i] != l {
			t.Errorf("round trip level %d = %+v, want %+v", i, p.Levels[i], l)
		}
	}
	var l RAGLevel
	if err := json.Unmarshal([]byte(`{"code":"amber","target_hours":1.5}`), &l); err != nil || l.Target != 90*time.Minute {
		t.Errorf("target_hours 1.5 = %v, %v; want 1h30m", l.Target, err)
	}
	if err := json.Unmarshal([]byte(`{"code":"amber","target_hours":1e30}`), &l); KindOf(err) != KindInvalid {
		t.Errorf("huge target_hours: error %v, want invalid", err)
	}
}

func TestRAGPolicyJSONDefault(t *testing.T) {
	b, err := json.Marshal(DefaultRAGPolicy())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"target_hours":4,`,
		`"calendar":{"timezone":"Europe/London","days":["monday","tuesday","wednesday","thursday","friday"],"start":"09:00","end":"17:00","holidays":{`,
		`"2026-12-28":"Boxing Day (substitute day)"`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("default policy JSON lacks %s:\n%s", want, b)
		}
	}
}

func TestRAGPolicyJSONRoundTrip(t *testing.T) {
	want := DefaultRAGPolicy()
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var got RAGPolicy
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if err := got.Validate(); err != nil {
		t.Fatalf("round-tripped policy: Validate() = %v", err)
	}
	if !slices.Equal(got.Levels, want.Levels) {
		t.Errorf("levels = %+v, want %+v", got.Levels, want.Levels)
	}
	sameCalendar(t, got.Calendar, want.Calendar)
	for _, at := range []string{
		"2026-03-27 15:00", // Friday before the clocks go forward
		"2026-03-28 12:00", // Saturday
		"2026-04-02 16:30", // Thursday before Good Friday and Easter Monday
		"2026-10-23 17:00", // closing, the Friday before the clocks go back
		"2026-12-24 16:00", // Christmas Eve, then Christmas Day and the Boxing Day substitute
		"2027-12-23 09:00", // before two substitute days
		"2026-06-01 08:59:59.999999999",
	} {
		start := london(t, at)
		for _, l := range want.Levels {
			w, err1 := want.Deadline(l.Code, start, start)
			g, err2 := got.Deadline(l.Code, start, start)
			if err1 != nil || err2 != nil || !g.Equal(w) {
				t.Errorf("%s from %s: deadline %v, %v after round trip; want %v, %v", l.Code, at, g, err2, w, err1)
			}
		}
	}
}

// sameCalendar compares calendars field by field, locations by name.
func sameCalendar(t *testing.T, got, want *Calendar) {
	t.Helper()
	if got == nil || want == nil {
		t.Fatalf("calendar = %v, want %v", got, want)
	}
	if got.loc().String() != want.loc().String() {
		t.Errorf("Location = %v, want %v", got.loc(), want.loc())
	}
	if got.Days != want.Days || got.Start != want.Start || got.End != want.End {
		t.Errorf("Days, Start, End = %v, %v, %v; want %v, %v, %v", got.Days, got.Start, got.End, want.Days, want.Start, want.End)
	}
	if !maps.Equal(got.Holidays, want.Holidays) {
		t.Errorf("Holidays = %v, want %v", got.Holidays, want.Holidays)
	}
}

func TestRAGPolicyJSONWithoutCalendar(t *testing.T) {
	levels, err := json.Marshal(DefaultRAGPolicy().Levels)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{
		`{"levels":` + string(levels) + `}`,
		`{"levels":` + string(levels) + `,"calendar":null}`,
	} {
		var p RAGPolicy
		if err := json.Unmarshal([]byte(in), &p); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if p.Calendar != nil || len(p.Levels) != 3 {
			t.Errorf("%s: Calendar = %v, %d levels; want nil, 3", in, p.Calendar, len(p.Levels))
		}
		// Decoding over a policy replaces it: no stale calendar survives.
		p = DefaultRAGPolicy()
		if err := json.Unmarshal([]byte(in), &p); err != nil || p.Calendar != nil {
			t.Errorf("%s over the default policy: Calendar = %v, %v; want nil", in, p.Calendar, err)
		}
	}
	// Omitted when nil.
	b, err := json.Marshal(RAGPolicy{Levels: DefaultRAGPolicy().Levels})
	if err != nil || strings.Contains(string(b), "calendar") {
		t.Errorf("policy without calendar = %s, %v; want no calendar member", b, err)
	}
}

func TestRAGPolicyJSONDoesNotWriteThroughCalendar(t *testing.T) {
	shared := DefaultCalendar()
	p := RAGPolicy{Calendar: shared}
	in := `{"levels":[],"calendar":{"timezone":"UTC","days":["sunday"],"start":"10:00","end":"11:00"}}`
	if err := json.Unmarshal([]byte(in), &p); err != nil {
		t.Fatal(err)
	}
	if p.Calendar == shared || shared.Start != 9*time.Hour || shared.loc() != londonLocation {
		t.Errorf("decoding changed the calendar the policy pointed to: %+v", shared)
	}
	if p.Calendar.loc().String() != "UTC" || p.Calendar.Start != 10*time.Hour || len(p.Calendar.Holidays) != 0 {
		t.Errorf("decoded calendar = %+v", p.Calendar)
	}
}

func TestRAGPolicyJSONCalendarErrors(t *testing.T) {
	in := `{"levels":[],"calendar":{"timezone":"Europe/Lundon","days":["monday"],"start":"09:00","end":"17:00"}}`
	var p RAGPolicy
	err := json.Unmarshal([]byte(in), &p)
	e, ok := errors.AsType[*Error](err)
	if !ok || e.Kind != KindInvalid || !strings.Contains(e.Fields["calendar.timezone"], `unknown time zone "Europe/Lundon"`) {
		t.Fatalf("Unmarshal = %v, want an invalid error for calendar.timezone", err)
	}
}
