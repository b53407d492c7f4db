package mash

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// ClockMode says how a RAG target is counted.
type ClockMode string

const (
	ClockWorking ClockMode = "working" // working time on the policy's calendar
	ClockElapsed ClockMode = "elapsed" // real time, round the clock (urgent work does not wait for Monday)
)

// ClockStart says which event starts a RAG clock.
type ClockStart string

const (
	ClockStartReceived ClockStart = "received" // when the hub received the contact
	ClockStartScreened ClockStart = "screened" // when the contact was screened and rated
)

// RAGLevel is one Red/Amber/Green rating and the timescale it sets. Local
// policy differs between hubs, so levels are data, not code.
type RAGLevel struct {
	Code   string        `json:"code"` // stable identifier, e.g. "red"
	Label  string        `json:"label"`
	Target time.Duration `json:"-"` // in JSON as target_hours, which people can read and edit
	Clock  ClockMode     `json:"clock"`
	Start  ClockStart    `json:"start"`
}

// ragLevelJSON is RAGLevel's wire form: the target in (possibly fractional) hours.
type ragLevelJSON struct {
	Code        string     `json:"code"`
	Label       string     `json:"label"`
	TargetHours float64    `json:"target_hours"`
	Clock       ClockMode  `json:"clock"`
	Start       ClockStart `json:"start"`
}

// TargetHours is Target in hours, as shown in JSON.
func (l RAGLevel) TargetHours() float64 { return l.Target.Hours() }

func (l RAGLevel) MarshalJSON() ([]byte, error) {
	return json.Marshal(ragLevelJSON{l.Code, l.Label, l.TargetHours(), l.Clock, l.Start})
}

func (l *RAGLevel) UnmarshalJSON(b []byte) error {
	var j ragLevelJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	// Bound the hours so the conversion cannot overflow a Duration.
	if math.Abs(j.TargetHours) > float64(math.MaxInt64/int64(time.Hour)) {
		return Errorf(KindInvalid, "RAG level %q: target_hours %v is out of range", j.Code, j.TargetHours)
	}
	*l = RAGLevel{
		Code:   j.Code,
		Label:  j.Label,
		Target: time.Duration(math.Round(j.TargetHours * float64(time.Hour))),
		Clock:  j.Clock,
		Start:  j.Start,
	}
	return nil
}

// RAGPolicy is a hub's set of RAG levels and the calendar that working-time
// targets count on. In JSON the calendar is the "calendar" member in
// Calendar's form; a nil Calendar is omitted, and a policy without one reads
// back with Calendar nil (callers substitute DefaultCalendar()).
type RAGPolicy struct {
	Levels   []RAGLevel `json:"levels"`
	Calendar *Calendar  `json:"calendar,omitempty"`
}

// UnmarshalJSON replaces the whole policy. The calendar is always decoded into
// a fresh Calendar, never into the one p already points to (which may be
// shared), and is nil when absent or null. Problems with the calendar are
// keyed "calendar.<field>", as in Validate.
func (p *RAGPolicy) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var j struct {
		Levels   []RAGLevel      `json:"levels"`
		Calendar json.RawMessage `json:"calendar"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	var cal *Calendar
	if len(j.Calendar) > 0 && string(j.Calendar) != "null" {
		cal = new(Calendar)
		if err := cal.UnmarshalJSON(j.Calendar); err != nil {
			fe := FieldErrors{}
			addFieldErrors(fe, "calendar.", err)
			return fe.Err("invalid working-hours calendar")
		}
	}
	*p = RAGPolicy{Levels: j.Levels, Calendar: cal}
	return nil
}

// DefaultRAGPolicy returns red within 4 hours round the clock, amber within 8
// working hours (one working day) and green within 24 working hours (three
// working days), all from receipt, on DefaultCalendar.
func DefaultRAGPolicy() RAGPolicy {
	return RAGPolicy{
		Levels: []RAGLevel{
			{Code: "red", Label: "Red", Target: 4 * time.Hour, Clock: ClockElapsed, Start: ClockStartReceived},
			{Code: "amber", Label: "Amber", Target: 8 * time.Hour, Clock: ClockWorking, Start: ClockStartReceived},
			{Code: "green", Label: "Green", Target: 24 * time.Hour, Clock: ClockWorking, Start: ClockStartReceived},
		},
		Calendar: DefaultCalendar(),
	}
}

func (p RAGPolicy) codes() string {
	cs := make([]string, len(p.Levels))
	for i, l := range p.Levels {
		cs[i] = l.Code
	}
	return strings.Join(cs, ", ")
}

// Level returns the level with the given code.
func (p RAGPolicy) Level(code string) (RAGLevel, error) {
	for _, l := range p.Levels {
		if l.Code == code {
			return l, nil
		}
	}
	if code == "" {
		return RAGLevel{}, Errorf(KindInvalid, "RAG level is required; valid levels are: %s", p.codes())
	}
	return RAGLevel{}, Errorf(KindInvalid, "unknown RAG level %q; valid levels are: %s", code, p.codes())
}

// Deadline returns when work rated code must be done: the level's target added
// to receivedAt or screenedAt (per the level's Start), round the clock or in
// working time on the policy's calendar (per its Clock). The result is in the
// start time's location.
func (p RAGPolicy) Deadline(code string, receivedAt, screenedAt time.Time) (time.Time, error) {
	l, err := p.Level(code)
	if err != nil {
		return time.Time{}, err
	}
	var start time.Time
	switch l.Start {
	case ClockStartReceived:
		if receivedAt.IsZero() {
			return time.Time{}, Errorf(KindInvalid, "RAG level %q starts its clock on receipt, but the received time is missing", code)
		}
		start = receivedAt
	case ClockStartScreened:
		if screenedAt.IsZero() {
			return time.Time{}, Errorf(KindInvalid, "RAG level %q starts its clock at screening, but the contact has no screened time", code)
		}
		start = screenedAt
	default:
		return time.Time{}, Errorf(KindInvalid, "RAG level %q has unknown clock start %q; valid starts are: received, screened", code, l.Start)
	}
	switch l.Clock {
	case ClockElapsed:
		return start.Add(l.Target), nil
	case ClockWorking:
		// Checked here, not only in Validate, because AddWorking panics on a
		// calendar without working time rather than loop for ever.
		if !p.Calendar.hasWorkingTime() {
			return time.Time{}, Errorf(KindInvalid, "RAG level %q counts working time, but the policy's calendar has no valid working hours", code)
		}
		return p.Calendar.AddWorking(start, l.Target), nil
	default:
		return time.Time{}, Errorf(KindInvalid, "RAG level %q has unknown clock %q; valid clocks are: working, elapsed", code, l.Clock)
	}
}

// Validate reports every problem with the policy, keyed by JSON path; problems
// with the calendar are keyed "calendar.<field>".
func (p RAGPolicy) Validate() error {
	fe := FieldErrors{}
	if len(p.Levels) == 0 {
		fe.Add("levels", "at least one RAG level is required")
	}
	seen := map[string]int{}
	needCalendar := false
	for i, l := range p.Levels {
		at := func(f string) string { return fmt.Sprintf("levels[%d].%s", i, f) }
		switch {
		case l.Code == "":
			fe.Add(at("code"), "code is required")
		case strings.TrimSpace(l.Code) != l.Code || strings.ContainsAny(l.Code, " \t\r\n,"):
			fe.Add(at("code"), fmt.Sprintf("code %q must not contain spaces or commas", l.Code))
		default:
			if j, dup := seen[l.Code]; dup {
				fe.Add(at("code"), fmt.Sprintf("code %q is already used by levels[%d]", l.Code, j))
			}
			seen[l.Code] = i
		}
		if strings.TrimSpace(l.Label) == "" {
			fe.Add(at("label"), "label is required")
		}
		if l.Target <= 0 {
			fe.Add(at("target_hours"), fmt.Sprintf("target must be more than zero, got %v", l.Target))
		}
		switch l.Clock {
		case ClockElapsed:
		case ClockWorking:
			needCalendar = true
		default:
			fe.Add(at("clock"), fmt.Sprintf("clock %q is not one of: working, elapsed", l.Clock))
		}
		if l.Start != ClockStartReceived && l.Start != ClockStartScreened {
			fe.Add(at("start"), fmt.Sprintf("start %q is not one of: received, screened", l.Start))
		}
	}
	switch {
	case p.Calendar == nil && needCalendar:
		fe.Add("calendar", "a working-hours calendar is required for levels that count working time")
	case p.Calendar != nil:
		addFieldErrors(fe, "calendar.", p.Calendar.Validate())
	}
	return fe.Err("invalid RAG policy")
}
