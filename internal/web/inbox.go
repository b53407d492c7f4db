package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"openmash.org/mash"
)

// The agency inbox: a researcher's information requests (the hub gives
// only their own agency's), soonest due first, and the form to answer one:
// nothing held, information items each with its marking, or a recorded
// decision not to share.

const (
	inboxLimit   = 500
	itemRows     = 3
	maxItemRows  = 100
	inboxRefusal = "answer information requests"
)

type inboxData struct {
	Open, Returned []mash.InfoRequest
	Overdue        int
}

func (h *Handler) handleInbox(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if h.refuse(w, r, a, mash.ActionReturnSubmit, inboxRefusal) {
		return
	}
	list, err := h.hub.ListRequests(r.Context(), a, mash.RequestFilter{Limit: inboxLimit})
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	var d inboxData
	for _, q := range list {
		if q.Status == mash.RequestReturned {
			d.Returned = append(d.Returned, q)
			continue
		}
		if q.Status == mash.RequestOverdue {
			d.Overdue++
		}
		d.Open = append(d.Open, q)
	}
	p := page{Title: "Agency inbox", Actor: &a, Agency: h.agencyName(r, a), Data: d}
	if r.URL.Query().Has("answered") {
		p.Notice = "Your answer was sent to the hub."
	}
	h.render(w, r, http.StatusOK, "inbox", p)
}

// itemRow is one information item of the answer form, as typed.
type itemRow struct {
	Index                                int
	Summary, Detail, OccurredOn, Marking string
}

func (it itemRow) blank() bool {
	return strings.TrimSpace(it.Summary+it.Detail+it.OccurredOn) == ""
}

type requestData struct {
	Q        mash.InfoRequest
	C        *mash.ContactDetail // the contact as the researcher may see it; nil if the hub gives none
	Outcome  string
	Items    []itemRow
	Legal    string
	Reason   string
	Stale    bool
	Markings []option
	Agencies map[string]string
	in       url.Values // the answer as sent
	Draft    draftView  // the user's draft of the answer (drafts.go)
	Merge    *mergeView // what changed since the answer was started, when it is stale
	draftVer int        // the request's version the restored draft was started from; -1 for none
}

// Kept is the answer refused as stale, as sent.
func (d requestData) Kept() []keptField {
	var order []string
	order = append(order, "outcome")
	for _, it := range d.Items {
		for _, n := range []string{"summary", "detail", "occurred_on", "marking"} {
			order = append(order, fmt.Sprintf("items[%d].%s", it.Index, n))
		}
	}
	return keptInput(d.in, append(order, "legal_basis", "reason"))
}

var markingOptions = []option{{"", "Choose a marking"}, {string(mash.MarkingMASHOnly), "MASH only: inside the hub, not passed on without our consent"},
	{string(mash.MarkingReceivingTeam), "Shareable with the receiving team"}, {string(mash.MarkingFamily), "Shareable with the family"}}

// findRequest is the request with id among those the hub lets a see: the
// hub has no single-request read, so the page lists and picks.
func (h *Handler) findRequest(r *http.Request, a mash.Actor, id string) (*mash.InfoRequest, error) {
	list, err := h.hub.ListRequests(r.Context(), a, mash.RequestFilter{Limit: 1000})
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].ID == id {
			return &list[i], nil
		}
	}
	return nil, mash.Errorf(mash.KindNotFound, "no such information request")
}

func (h *Handler) handleRequest(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if h.refuse(w, r, a, mash.ActionReturnSubmit, inboxRefusal) {
		return
	}
	d := requestData{draftVer: -1}
	dr, dv := h.restoreDraft(r, a, mash.DraftReturn, r.PathValue("id"))
	if dr != nil {
		d = readReturn(asPosted(r, dr.Values))
		d.draftVer = dr.Version
	} else {
		for i := range itemRows {
			d.Items = append(d.Items, itemRow{Index: i})
		}
	}
	d.Draft = dv
	h.showRequest(w, r, a, http.StatusOK, page{}, d)
}

func (h *Handler) showRequest(w http.ResponseWriter, r *http.Request, a mash.Actor, status int, p page, d requestData) {
	q, err := h.findRequest(r, a, r.PathValue("id"))
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	d.Q, d.Markings, d.Agencies = *q, markingOptions, map[string]string{}
	if d.Draft.Save == "" {
		d.Draft = newDraftView(mash.DraftReturn, q.ID)
	}
	if d.Stale || (d.draftVer >= 0 && d.draftVer != q.Version) {
		d.Merge = returnMerge(*q, d, d.in, !d.Stale)
	}
	if c, err := h.hub.GetContact(r.Context(), a, q.ContactID); err == nil {
		d.C = c
	} else if k := mash.KindOf(err); k != mash.KindNotFound && k != mash.KindForbidden {
		h.failFor(w, r, a, err)
		return
	}
	if ags, err := h.hub.ListAgencies(r.Context()); err == nil {
		for _, ag := range ags {
			d.Agencies[ag.ID] = ag.Name
		}
	}
	if p.FieldErr == nil {
		p.FieldErr = map[string]string{}
	}
	p.Title, p.Actor, p.Agency, p.Data = "Information request for "+q.Reference, &a, h.agencyName(r, a), d
	h.render(w, r, status, "request", p)
}

// handleReturn answers a request through the hub's SubmitReturn, or adds an
// item row ("Add another item" posts the form back).
func (h *Handler) handleReturn(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if h.refuse(w, r, a, mash.ActionReturnSubmit, inboxRefusal) {
		return
	}
	if !h.readForm(w, r, a) {
		return
	}
	v := r.PostForm
	d := readReturn(r)
	if v.Get("action") == "add-item" {
		if len(d.Items) < maxItemRows {
			d.Items = append(d.Items, itemRow{Index: len(d.Items)})
		}
		h.showRequest(w, r, a, http.StatusOK, page{}, d)
		return
	}
	ret := &mash.AgencyReturn{Outcome: mash.ReturnOutcome(d.Outcome), LegalBasis: strings.TrimSpace(d.Legal), Reason: strings.TrimSpace(d.Reason)}
	var rows []int
	for _, it := range d.Items {
		if it.blank() {
			continue
		}
		rows = append(rows, it.Index)
		ret.Items = append(ret.Items, mash.ReturnItem{Summary: it.Summary, Detail: strings.TrimSpace(it.Detail),
			OccurredOn: isoDate(it.OccurredOn), Marking: mash.Marking(it.Marking)})
	}
	id := r.PathValue("id")
	_, err := h.hub.SubmitReturn(r.Context(), a, id, ret, version(r))
	if err == nil {
		h.dropDraft(r, a, mash.DraftReturn, id)
		http.Redirect(w, r, "/inbox?answered", http.StatusSeeOther)
		return
	}
	p := page{FieldErr: map[string]string{}}
	if fields, ok := fieldProblems(err); ok {
		labels := map[string]string{"outcome": "Answer", "items": "Information", "legal_basis": "Legal basis", "reason": "Reason",
			"summary": "summary", "detail": "detail", "occurred_on": "date", "marking": "marking"}
		for path, problem := range fields {
			gen, k := genericPath(path)
			switch {
			case strings.HasPrefix(gen, "items[]."):
				row := 0
				if k >= 0 && k < len(rows) {
					row = rows[k]
				}
				name := strings.TrimPrefix(gen, "items[].")
				if labels[name] == "" {
					name = "summary"
				}
				p.addError(fieldID("", fmt.Sprintf("items[%d].%s", row, name)), sentence(fmt.Sprintf("Item %d: %s", row+1, labels[name]), problem))
			case gen == "items":
				p.addError("items-0-summary", sentence("Information items", problem))
			case labels[gen] != "":
				p.addError(gen, sentence(labels[gen], problem))
			default:
				p.addError("outcome", sentence(label(gen), problem))
			}
		}
		order := []string{"outcome"}
		for _, it := range d.Items {
			for _, n := range []string{"summary", "detail", "occurred_on", "marking"} {
				order = append(order, fieldID("", fmt.Sprintf("items[%d].%s", it.Index, n)))
			}
		}
		sortErrors(&p, append(order, "legal_basis", "reason"))
		h.showRequest(w, r, a, http.StatusBadRequest, p, d)
		return
	}
	switch {
	case stale(err):
		d.Stale = true
		h.showRequest(w, r, a, http.StatusConflict, p, d)
	case mash.KindOf(err) == mash.KindConflict:
		// Answered meanwhile: the form is gone, so the answer as sent is
		// shown back with the hub's reason.
		d.Stale = true
		p.addError("kept-input", capitalise(mash.Message(err)))
		h.showRequest(w, r, a, http.StatusConflict, p, d)
	case mash.KindOf(err) == mash.KindInvalid:
		p.addError("outcome", capitalise(mash.Message(err)))
		h.showRequest(w, r, a, http.StatusBadRequest, p, d)
	default:
		h.failFor(w, r, a, err)
	}
}

// readReturn reads the posted answer form.
func readReturn(r *http.Request) requestData {
	v := r.PostForm
	d := requestData{Outcome: v.Get("outcome"), Legal: v.Get("legal_basis"), Reason: v.Get("reason"), in: v, draftVer: -1}
	for i := range formRows(r, "items", 1, maxItemRows) {
		at := fmt.Sprintf("items[%d].", i)
		d.Items = append(d.Items, itemRow{Index: i, Summary: v.Get(at + "summary"), Detail: v.Get(at + "detail"),
			OccurredOn: v.Get(at + "occurred_on"), Marking: v.Get(at + "marking")})
	}
	return d
}

// dueSoon reports whether a request is due within the next four hours.
func dueSoon(q mash.InfoRequest, now time.Time) bool {
	return q.Status == mash.RequestOpen && q.DueAt.Sub(now) < 4*time.Hour
}

func init() { viewFuncs["dueSoon"] = dueSoon }
