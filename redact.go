package mash

import (
	"regexp"
	"strings"
)

// Redaction happens here, at the source: the store calls these on every
// contact and request it returns, so no response, page, export or error can
// carry what the view may not show.

// ItemVisible reports whether an agency's returned item may be shown in a view.
func ItemVisible(v View, a Actor, it ReturnItem) bool {
	switch v {
	case ViewHub:
		return true
	case ViewResearcher:
		return it.OwningAgencyID == a.AgencyID // never another agency's items
	case ViewReceiver:
		return it.Marking == MarkingReceivingTeam || it.Marking == MarkingFamily || it.Released != nil
	}
	return false
}

// Redact cuts the contact down to what the view may show.
func (d *ContactDetail) Redact(v View, a Actor) {
	if v == ViewHub {
		return
	}
	if d.Referrer.Anonymous && v != ViewReferrer {
		d.Referrer = Referrer{Anonymous: true}
	}
	switch v {
	case ViewReferrer:
		// Status and the proportionate outcome: not the hub's rating, the
		// partners' information or the decision's reasons.
		d.RAG, d.ThresholdLevel, d.DueAt, d.ScreenedAt, d.Overdue = "", 0, nil, nil, false
		d.ConsentOverride, d.ClosureReason = nil, ""
		for i := range d.Subjects {
			d.Subjects[i].PersonID = ""
		}
		d.Requests, d.Decision = []InfoRequest{}, nil
		if d.Feedback != nil && d.Feedback.Status == FeedbackSent {
			d.Feedback = &Feedback{ID: d.Feedback.ID, ContactID: d.ID, Status: FeedbackSent, Text: d.Feedback.Text, SentAt: d.Feedback.SentAt}
		} else {
			d.Feedback = nil
		}
		return
	case ViewResearcher:
		if d.Decision != nil {
			d.Decision = &Decision{ID: d.Decision.ID, ContactID: d.ID, Outcomes: d.Decision.Outcomes, DecidedAt: d.Decision.DecidedAt, AgencyViews: []AgencyView{}}
		}
	case ViewReceiver:
		if d.Decision != nil {
			dd := *d.Decision
			dd.AgencyViews, dd.DecidedBy = []AgencyView{}, ""
			d.Decision = &dd
		}
	default:
		d.Requests, d.Decision = []InfoRequest{}, nil
	}
	d.Feedback = nil
	d.Requests = RedactRequests(v, a, d.Requests)
}

// RedactRequests keeps the requests and items the view may show.
func RedactRequests(v View, a Actor, reqs []InfoRequest) []InfoRequest {
	if v == ViewHub {
		return reqs
	}
	out := []InfoRequest{}
	for _, r := range reqs {
		if v == ViewResearcher && r.AgencyID != a.AgencyID {
			continue
		}
		if v == ViewReferrer {
			continue
		}
		if r.Return != nil {
			ret := *r.Return
			if v == ViewReceiver {
				ret.LegalBasis, ret.Reason, ret.ReturnedBy = "", "", ""
			}
			ret.Items = nil
			for _, it := range r.Return.Items {
				if !ItemVisible(v, a, it) {
					continue
				}
				if it.OwningAgencyID != a.AgencyID {
					it = withholdThirdParties(it)
				}
				ret.Items = append(ret.Items, it)
			}
			r.Return = &ret
		}
		out = append(out, r)
	}
	return out
}

// withholdThirdParties removes protected people from an item, names and all.
func withholdThirdParties(it ReturnItem) ReturnItem {
	for _, n := range it.ProtectedNames {
		re := regexp.MustCompile(`(?i)` + regexp.QuoteMeta(strings.TrimSpace(n)))
		it.Summary = re.ReplaceAllString(it.Summary, "[withheld]")
		it.Detail = re.ReplaceAllString(it.Detail, "[withheld]")
	}
	it.ProtectedNames = nil
	return it
}
