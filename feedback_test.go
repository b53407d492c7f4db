package mash

import (
	"strings"
	"testing"
	"time"
)

// TestFeedbackRender: the outcome names the reference, the date and each
// outcome's wording, repeats a shared next step once and leaves no
// placeholder behind.
func TestFeedbackRender(t *testing.T) {
	tpl := DefaultFeedbackTemplates()
	if err := tpl.Validate(); err != nil {
		t.Fatalf("the default templates are not valid: %v", err)
	}
	at := time.Date(2026, 7, 1, 23, 30, 0, 0, time.UTC) // 00:30 on 2 July in London
	got := tpl.Render("MASH-2026-000042", at, []Outcome{OutcomeNFA, OutcomeAdvice})
	for _, want := range []string{"MASH-2026-000042", "2 July 2026", "no further action", "signposted"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	if n := strings.Count(got, "No further contact from the hub is planned."); n != 1 {
		t.Errorf("shared next step %d times in %q", n, got)
	}
	if strings.ContainsAny(got, "{}") {
		t.Errorf("placeholder left in %q", got)
	}
	if ack := tpl.Acknowledge("MASH-2026-000042", at); !strings.Contains(ack, "MASH-2026-000042") || strings.ContainsAny(ack, "{}") {
		t.Errorf("acknowledgement %q", ack)
	}
}

// TestFeedbackTemplatesValidate: unknown placeholders, missing and repeated
// outcomes are each reported against their field.
func TestFeedbackTemplatesValidate(t *testing.T) {
	tpl := DefaultFeedbackTemplates()
	tpl.Acknowledgement = "Received {reference} about {subject}"
	tpl.Outcomes[1].Outcome = tpl.Outcomes[0].Outcome
	tpl.Outcomes[2].NextStep = "Ask {referrer}"
	fields := fieldsOfErr(t, tpl.Validate())
	for _, f := range []string{"acknowledgement", "outcomes[1].outcome", "outcomes[2].next_step", "outcomes"} {
		if fields[f] == "" {
			t.Errorf("no problem reported for %s: %v", f, fields)
		}
	}
}

// TestDisagreementPolicyValidate: the default is valid; bad stages are
// reported by field.
func TestDisagreementPolicyValidate(t *testing.T) {
	p := DefaultDisagreementPolicy()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	p.Stages[1].OwnerRole = RoleReferrer
	p.Stages[2].Name = " "
	p.Stages[3].RespondWithinDays = 0
	p.ImmediateRiskStage = 5
	fields := fieldsOfErr(t, p.Validate())
	for _, f := range []string{"stages[1].owner_role", "stages[2].name", "stages[3].respond_within_days", "immediate_risk_stage"} {
		if fields[f] == "" {
			t.Errorf("no problem reported for %s: %v", f, fields)
		}
	}
}

func fieldsOfErr(t *testing.T, err error) map[string]string {
	t.Helper()
	e, ok := err.(*Error)
	if !ok || e.Kind != KindInvalid {
		t.Fatalf("want an Invalid error, got %v", err)
	}
	return e.Fields
}
