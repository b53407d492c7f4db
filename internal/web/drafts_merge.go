package web

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"openmash.org/mash"
)

// A stale edit: the user's input (sent, or restored from a draft) was
// filled against version N of a record that is now at version M. The page
// never overwrites silently: it lists what changed since the form was
// opened (from the contact's history, as the hub keeps no per-field values
// of old versions), sets out field by field the value when the user
// started, the value now and the user's own, and where someone else
// changed a field the form also sets, asks which to keep. The form is then
// sent against version M.

// openedField is the hidden field that records when the form was shown:
// changes after it are the ones the user has not seen.
const openedField = "opened_at"

// mergeView is the "what changed" panel of a stale form.
type mergeView struct {
	Since   time.Time // when the user opened the form; zero if not known
	Draft   bool      // the input is a restored draft, not a refused send
	Changes []changeLine
	Fields  []mergeField
	Fixed   bool // the record can no longer take the input (answered, decided)
	// Base is the form's values on record when the user started, sent
	// again with the form so a second try still compares with them.
	Base map[string]string
}

// changeLine is one change since the form was opened.
type changeLine struct {
	At   time.Time
	What string
}

// mergeField is one field set out three ways. Choose is set where someone
// else changed the value the user's input would replace: the user must
// pick one (Name "merge.<field>": "yours" or "now").
type mergeField struct {
	Name, Label      string
	Then, Now, Yours string
	Choose           bool
	Choice           string
	NowValue         string // the value "now" stands for, sent back with the form
}

// openedAt reads when a form was opened, from its hidden field.
func openedAt(v url.Values) time.Time {
	n, err := strconv.ParseInt(v.Get(openedField), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

// contactMerge is the panel for the contact page's form, for input filled
// against an older version of c.
func contactMerge(c *mash.ContactDetail, hist *mash.History, form string, in url.Values, draft bool) *mergeView {
	m := &mergeView{Since: openedAt(in), Draft: draft, Base: map[string]string{"rag": in.Get("base.rag")}}
	m.Changes = contactChanges(c, hist, m.Since)
	if then, now := in.Get("base.rag"), c.RAG; then != now && in.Has("base.rag") {
		// Not set by the form, but what it decides on.
		m.Fields = append(m.Fields, mergeField{Name: "rag", Label: "RAG rating", Then: ragLabel(then), Now: ragLabel(now), Yours: "Not set by this form"})
	}
	if dec := c.Decision; dec != nil && form == "decide" {
		// Decided meanwhile: that decision stands, set beside the user's.
		var outs []string
		for _, o := range dec.Outcomes {
			outs = append(outs, label(string(o)))
		}
		var mine []string
		for _, o := range in["outcomes"] {
			mine = append(mine, label(o))
		}
		m.Fixed = true
		m.Fields = append(m.Fields,
			mergeField{Name: "threshold_level", Label: "Threshold level", Now: levelWords(levelText(dec.ThresholdLevel)), Yours: levelWords(in.Get("threshold_level"))},
			mergeField{Name: "outcomes", Label: "Outcomes", Now: strings.Join(outs, ", "), Yours: strings.Join(mine, ", ")},
			mergeField{Name: "rationale", Label: "Rationale", Now: dec.Rationale, Yours: strings.TrimSpace(in.Get("rationale"))})
		return m
	}
	if fb := c.Feedback; fb != nil && fb.SentAt != nil && form == "feedback" {
		m.Fixed = true
		m.Fields = append(m.Fields, mergeField{Name: "text", Label: "Feedback", Now: fb.Text, Yours: strings.TrimSpace(in.Get("text"))})
		return m
	}
	if form == "decide" {
		then, now, yours := in.Get("base.threshold_level"), levelText(c.ThresholdLevel), in.Get("threshold_level")
		f := mergeField{Name: "threshold_level", Label: "Threshold level", Then: levelWords(then), Now: levelWords(now),
			Yours: levelWords(yours), Choice: in.Get("merge.threshold_level"), NowValue: now}
		f.Choose = then != now && yours != "" && yours != now && now != ""
		m.Fields = append(m.Fields, f)
		m.Base["threshold_level"] = then
	}
	return m
}

func levelText(l int) string {
	if l == 0 {
		return ""
	}
	return strconv.Itoa(l)
}

func levelWords(s string) string {
	if s == "" {
		return "None"
	}
	return "Level " + s
}

// contactChanges lists what happened to the contact after since, oldest
// first: the history the reader may see, else the requests on the contact.
func contactChanges(c *mash.ContactDetail, hist *mash.History, since time.Time) []changeLine {
	var out []changeLine
	after := func(t time.Time) bool { return t.After(since) }
	by := func(name string) string {
		if name == "" {
			return ""
		}
		return " by " + name
	}
	reqs := c.Requests
	if hist != nil {
		for _, t := range hist.Transitions {
			if after(t.At) && t.From != "" {
				out = append(out, changeLine{t.At, fmt.Sprintf("Status changed from %s to %s%s", statusLabel(t.From), statusLabel(t.To), by(t.ByName))})
			}
		}
		for _, r := range hist.Ratings {
			if after(r.At) {
				out = append(out, changeLine{r.At, fmt.Sprintf("RAG rating changed from %s to %s%s", ragLabel(r.From), ragLabel(r.To), by(r.ByName))})
			}
		}
		if hist.Requests != nil {
			reqs = hist.Requests
		}
	}
	for _, q := range reqs {
		if after(q.RequestedAt) {
			out = append(out, changeLine{q.RequestedAt, "Information requested from " + q.AgencyName})
		}
		if q.Return != nil && after(q.Return.ReturnedAt) {
			out = append(out, changeLine{q.Return.ReturnedAt, fmt.Sprintf("%s answered: %s", q.AgencyName, strings.ToLower(label(string(q.Return.Outcome))))})
		}
	}
	if c.Decision != nil && after(c.Decision.DecidedAt) {
		out = append(out, changeLine{c.Decision.DecidedAt, "The decision was recorded"})
	}
	if c.ConsentOverride != nil && after(c.ConsentOverride.At) {
		out = append(out, changeLine{c.ConsentOverride.At, "Checks without consent were approved"})
	}
	slices.SortStableFunc(out, func(a, b changeLine) int { return a.At.Compare(b.At) })
	return out
}

// returnMerge is the panel for an answer filled against an older version
// of q: another researcher of the agency answered first. The answer
// stands, so the two are set side by side for the user to compare.
func returnMerge(q mash.InfoRequest, d requestData, in url.Values, draft bool) *mergeView {
	m := &mergeView{Since: openedAt(in), Draft: draft}
	ret := q.Return
	if ret == nil {
		return m
	}
	m.Fixed = true
	m.Changes = append(m.Changes, changeLine{ret.ReturnedAt, "Your agency answered the request"})
	var theirs, yours []string
	for _, it := range ret.Items {
		theirs = append(theirs, it.Summary)
	}
	for _, it := range d.Items {
		if !it.blank() {
			yours = append(yours, it.Summary)
		}
	}
	outcome := func(s string) string {
		if s == "" {
			return "Not chosen"
		}
		return label(s)
	}
	m.Fields = []mergeField{
		{Name: "outcome", Label: "Answer", Now: outcome(string(ret.Outcome)), Yours: outcome(d.Outcome)},
		{Name: "items", Label: "Information items", Now: strings.Join(theirs, "; "), Yours: strings.Join(yours, "; ")},
		{Name: "legal_basis", Label: "Legal basis", Now: ret.LegalBasis, Yours: strings.TrimSpace(d.Legal)},
		{Name: "reason", Label: "Reason", Now: ret.Reason, Yours: strings.TrimSpace(d.Reason)},
	}
	return m
}

// applyMerge puts the user's choices into v before it is sent: "now" takes
// the value on record (sent back with the form, and checked by the hub
// like any other input). A choice asked for and not made is a problem with
// the form, so nothing is sent.
func applyMerge(v url.Values) map[string]string {
	own := map[string]string{}
	for _, name := range v["merge_required"] {
		switch v.Get("merge." + name) {
		case "now":
			v.Set(name, v.Get("now."+name))
		case "yours":
		default:
			own["merge."+name] = "choose which value to keep"
		}
	}
	return own
}
