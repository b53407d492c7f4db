package mash

import (
	"strings"
	"testing"
	"time"
)

var screener = Actor{UserID: "u1", Name: "S", Role: RoleScreener}

func TestTransitions(t *testing.T) {
	// Every pair of states: only the procedure's moves are allowed.
	allowed := map[[2]Status]bool{
		{StatusReceived, StatusScreening}:           true,
		{StatusScreening, StatusClosed}:             true,
		{StatusScreening, StatusPassedSingleAgency}: true,
		{StatusScreening, StatusPassedOpenCase}:     true,
		{StatusScreening, StatusInMASH}:             true,
		{StatusPassedSingleAgency, StatusClosed}:    true,
		{StatusPassedOpenCase, StatusClosed}:        true,
		{StatusInMASH, StatusDecided}:               true,
		{StatusDecided, StatusFeedbackSent}:         true,
		{StatusFeedbackSent, StatusClosed}:          true,
	}
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for _, from := range Statuses {
		for _, to := range Statuses {
			c := &Contact{Status: from}
			tr, err := c.Move(to, screener, at, "because")
			if allowed[[2]Status{from, to}] {
				if err != nil {
					t.Errorf("%s → %s refused: %v", from, to, err)
					continue
				}
				if tr.From != from || tr.To != to || tr.By != "u1" || !tr.At.Equal(at) || tr.Reason != "because" || c.Status != to {
					t.Errorf("%s → %s: transition %+v, status %s", from, to, tr, c.Status)
				}
				continue
			}
			if err == nil {
				t.Errorf("%s → %s allowed", from, to)
				continue
			}
			if KindOf(err) != KindConflict || !strings.Contains(err.Error(), string(from)) || c.Status != from {
				t.Errorf("%s → %s: error %v (kind %s), status now %s", from, to, err, KindOf(err), c.Status)
			}
		}
	}
}

func TestScreen(t *testing.T) {
	p := DefaultRAGPolicy()
	received := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC) // a Friday, 16:00 London
	now := received.Add(30 * time.Minute)
	cases := []struct {
		name       string
		in         Screening
		wantStatus Status
		wantDue    time.Time
		wantErr    string
	}{
		{"accept amber", Screening{Decision: ScreenAccept, RAG: "amber", ThresholdLevel: 3, Reason: "r"}, StatusInMASH,
			time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC), ""}, // 1h Friday + 7h Monday
		{"accept red", Screening{Decision: ScreenAccept, RAG: "red", ThresholdLevel: 4, Reason: "r"}, StatusInMASH, received.Add(4 * time.Hour), ""},
		{"nfa", Screening{Decision: ScreenNFA, Reason: "no concerns"}, StatusClosed, time.Time{}, ""},
		{"open case", Screening{Decision: ScreenOpenCase, Reason: "allocated worker"}, StatusPassedOpenCase, time.Time{}, ""},
		{"accept without rag", Screening{Decision: ScreenAccept, ThresholdLevel: 3, Reason: "r"}, StatusReceived, time.Time{}, "rag"},
		{"accept without threshold", Screening{Decision: ScreenAccept, RAG: "red", Reason: "r"}, StatusReceived, time.Time{}, "threshold_level"},
		{"unknown rag", Screening{Decision: ScreenAccept, RAG: "purple", ThresholdLevel: 3, Reason: "r"}, StatusReceived, time.Time{}, "rag"},
		{"rag on nfa", Screening{Decision: ScreenNFA, RAG: "red", Reason: "r"}, StatusReceived, time.Time{}, "rag"},
		{"no reason", Screening{Decision: ScreenNFA}, StatusReceived, time.Time{}, "reason"},
		{"bad decision", Screening{Decision: "maybe", Reason: "r"}, StatusReceived, time.Time{}, "decision"},
		{"bad threshold", Screening{Decision: ScreenNFA, ThresholdLevel: 7, Reason: "r"}, StatusReceived, time.Time{}, "threshold_level"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &Contact{Status: StatusReceived, ReceivedAt: received}
			ts, rating, err := c.Screen(tc.in, p, screener, now)
			if tc.wantErr != "" {
				e, ok := err.(*Error)
				if !ok || e.Kind != KindInvalid || e.Fields[tc.wantErr] == "" {
					t.Fatalf("got %v, want invalid %s", err, tc.wantErr)
				}
				if c.Status != StatusReceived || c.RAG != "" {
					t.Fatalf("a refused screening changed the contact: %+v", c)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Status != tc.wantStatus || len(ts) != 2 || ts[0].To != StatusScreening {
				t.Fatalf("status %s, transitions %+v", c.Status, ts)
			}
			if tc.wantDue.IsZero() {
				if c.DueAt != nil || rating != nil {
					t.Fatalf("closed contact keeps a deadline %v / rating %+v", c.DueAt, rating)
				}
				return
			}
			if c.DueAt == nil || !c.DueAt.Equal(tc.wantDue) || rating == nil || !rating.DueAt.Equal(tc.wantDue) {
				t.Fatalf("due %v (rating %+v), want %v", c.DueAt, rating, tc.wantDue)
			}
		})
	}
}

func TestRerateMovesDeadlineAndKeepsHistory(t *testing.T) {
	p := DefaultRAGPolicy()
	received := time.Date(2026, 3, 27, 15, 0, 0, 0, time.UTC) // Friday before the clocks go forward
	c := &Contact{Status: StatusInMASH, ReceivedAt: received}
	first, err := c.Rate("green", "low level", p, screener, received)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Rate("red", "weapon reported", p, Actor{UserID: "m1", Role: RoleManager}, received.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if first.To != "green" || second.From != "green" || second.To != "red" || second.By != "m1" {
		t.Fatalf("history: %+v, %+v", first, second)
	}
	if !second.DueAt.Equal(received.Add(4*time.Hour)) || !c.DueAt.Equal(second.DueAt) {
		t.Fatalf("red due %v, want %v", c.DueAt, received.Add(4*time.Hour))
	}
	if _, err := c.Rate("red", "again", p, screener, received); KindOf(err) != KindConflict {
		t.Fatalf("same rating again: %v", err)
	}
	if _, err := c.Rate("amber", "", p, screener, received); KindOf(err) != KindInvalid {
		t.Fatalf("no reason: %v", err)
	}
	closed := &Contact{Status: StatusClosed}
	if _, err := closed.Rate("red", "r", p, screener, received); KindOf(err) != KindConflict {
		t.Fatalf("rating a closed contact: %v", err)
	}
}

func TestCheckRequestConsent(t *testing.T) {
	due := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	now := due.Add(-time.Hour)
	manager := Actor{UserID: "m", Role: RoleManager}
	for _, tc := range []struct {
		consent ConsentStatus
		rag     string
		ok      bool
	}{
		{ConsentGiven, "green", true},
		{ConsentRefused, "red", true}, // at Red, checks go ahead; the decision is recorded at intake
		{ConsentRefused, "amber", false},
		{ConsentNotSought, "green", false},
	} {
		c := &Contact{Status: StatusInMASH, RAG: tc.rag, DueAt: &due, Consent: Consent{Status: tc.consent}}
		in := NewRequest{AgencyID: "a", Question: "q"}
		err := c.CheckRequest(&in, now)
		if tc.ok != (err == nil) {
			t.Errorf("%s/%s: %v", tc.consent, tc.rag, err)
		}
		if err != nil {
			if KindOf(err) != KindConflict {
				t.Errorf("%s/%s: kind %s", tc.consent, tc.rag, KindOf(err))
			}
			if _, err := c.Override("", "r", manager, now); KindOf(err) != KindInvalid {
				t.Errorf("override without basis: %v", err)
			}
			if _, err := c.Override("DPA 2018 Sch 1 para 18", "r", screener, now); KindOf(err) != KindForbidden {
				t.Errorf("override by screener: %v", err)
			}
			if _, err := c.Override("DPA 2018 Sch 1 para 18", "risk", manager, now); err != nil {
				t.Fatal(err)
			}
			if err := c.CheckRequest(&in, now); err != nil {
				t.Errorf("after override: %v", err)
			}
		}
		if in.DueAt == nil || !in.DueAt.Equal(due) {
			t.Errorf("request due %v, want the contact's deadline", in.DueAt)
		}
	}
	c := &Contact{Status: StatusReceived, Consent: Consent{Status: ConsentGiven}}
	if err := c.CheckRequest(&NewRequest{AgencyID: "a", Question: "q"}, now); KindOf(err) != KindConflict {
		t.Errorf("request before screening: %v", err)
	}
}

// An immediate-risk contact is rated Red at intake; screening confirms it.
func TestScreenConfirmsIntakeRating(t *testing.T) {
	received := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	due := received.Add(4 * time.Hour)
	c := &Contact{Status: StatusReceived, ReceivedAt: received, RAG: "red", DueAt: &due, ImmediateRisk: true}
	_, ch, err := c.Screen(Screening{Decision: ScreenAccept, RAG: "red", ThresholdLevel: 4, Reason: "confirmed"}, DefaultRAGPolicy(), screener, received.Add(time.Minute))
	if err != nil || ch == nil || ch.From != "red" || ch.To != "red" || !c.DueAt.Equal(due) {
		t.Fatalf("screen: %+v %v (due %v)", ch, err, c.DueAt)
	}
}
