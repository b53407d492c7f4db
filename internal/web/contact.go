package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"openmash.org/mash"
)

type contactData struct {
	C        *mash.ContactDetail
	History  *mash.History     // nil when the reader's role has no history
	Agencies map[string]string // agency names by id

	// The work the reader may do on the contact now: a form is offered
	// when the role may take the action (mash.Can) and the procedure has
	// such a move from the contact's state. The hub still decides.
	Forms      contactForms
	RAGs       []option       // the policy's ratings
	Partners   []mash.Agency  // agencies to ask or pass the case to
	Views      []mash.Agency  // agencies asked, whose views the decision records
	Outcomes   []option       // decision outcomes
	Levels     []int          // threshold levels
	Decisions  []option       // screening decisions
	Failed     string         // the form whose input is shown again
	In         url.Values     // that input
	Stale      bool           // the input was refused because the contact changed
	Gone       bool           // the failed form is no longer offered: its input is shown back
	StaleForm  string         // the failed form's heading
	ViewsIndex map[string]int // view rows by agency id
	Work       *casework      // assignment and chases (assign.go); nil outside the hub
	Patterns   *patternView   // pattern alerts (patterns.go); nil when the role may not see them
	Followup   *followupView  // feedback draft and disagreements (disagreement.go)

	DecideDraft, FeedbackDraft draftView  // the user's drafts of those forms (drafts.go)
	Merge                      *mergeView // what changed since the failed form's input was started
	Opened                     int64      // when the user started the forms' input (Unix seconds)
	GoneDraft                  *draftView // a restored draft of a form no longer offered
}

type contactForms struct {
	Screen, Rate, Override, Request, Decide, Feedback, Close bool
}

// Any reports whether any form is offered.
func (f contactForms) Any() bool {
	return f.Screen || f.Rate || f.Override || f.Request || f.Decide || f.Feedback || f.Close
}

// Val is the user's input for a field of form, when that form is being
// shown again; else "".
func (d contactData) Val(form, name string) string {
	if d.Failed != form {
		return ""
	}
	return d.In.Get(name)
}

// Has reports whether the user chose value for a field of form.
func (d contactData) Has(form, name, value string) bool {
	return d.Failed == form && slices.Contains(d.In[name], value)
}

// Offered reports whether the page offers form.
func (d contactData) Offered(form string) bool {
	f := d.Forms
	return map[string]bool{"screen": f.Screen, "rate": f.Rate, "override": f.Override, "request": f.Request,
		"decide": f.Decide, "feedback": f.Feedback, "close": f.Close}[form]
}

// Kept is the input of a form refused as stale.
func (d contactData) Kept() []keptField {
	return keptInput(d.In, []string{"decision", "rag", "threshold_level", "outcomes", "lawful_basis", "question", "rationale", "text", "reason"})
}

// Open reports whether the details element of form starts open: it was
// just sent and failed.
func (d contactData) Open(form string) bool { return d.Failed == form }

var screeningLabels = map[mash.ScreeningDecision]string{
	mash.ScreenAccept:       "Accept into MASH, with a RAG rating",
	mash.ScreenNFA:          "Close: no further action",
	mash.ScreenAdvice:       "Close with advice or signposting",
	mash.ScreenSingleAgency: "Pass to a single agency",
	mash.ScreenOpenCase:     "Pass to the open case's allocated worker",
}

var contactNotices = map[string]string{
	"created":      "The contact was saved.",
	"screened":     "The screening decision was saved.",
	"rated":        "The RAG rating was changed.",
	"override":     "The consent override was recorded.",
	"request":      "The information request was sent.",
	"decided":      "The decision was recorded.",
	"feedback":     "The feedback to the referrer was recorded as sent.",
	"closed":       "The contact was closed.",
	"assigned":     "The contact's worker was changed.",
	"chased":       "The agency was chased. Its researchers have been told.",
	"acknowledged": "The pattern alert was acknowledged.",
}

// handleContact is one contact as the hub gives it to the reader: GetContact
// and History are already narrowed and redacted for the reader's role, and
// a contact outside the reader's scope is "not found".
func (h *Handler) handleContact(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	p := page{Notice: contactNotices[r.URL.Query().Get("done")]}
	h.showContact(w, r, a, http.StatusOK, p, contactData{})
}

// showContact renders the contact page with d's failed input, if any.
func (h *Handler) showContact(w http.ResponseWriter, r *http.Request, a mash.Actor, status int, p page, d contactData) {
	ctx := r.Context()
	c, err := h.hub.GetContact(ctx, a, r.PathValue("id"))
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	d.C, d.Agencies = c, map[string]string{}
	if mash.Can(a, mash.ActionHistoryRead, mash.Resource{}) {
		hist, err := h.hub.History(ctx, a, c.ID)
		switch mash.KindOf(err) {
		case mash.KindForbidden, mash.KindNotFound:
			// The hub decides: the page goes without it.
		default:
			if err != nil {
				h.failFor(w, r, a, err)
				return
			}
			d.History = hist
		}
	}
	ags, err := h.hub.ListAgencies(ctx)
	if err == nil {
		for _, ag := range ags {
			d.Agencies[ag.ID] = ag.Name
		}
	}
	if err := h.contactForms(ctx, a, &d, ags); err != nil {
		h.failFor(w, r, a, err)
		return
	}
	if err := h.caseworkFor(ctx, a, &d, p.FieldErr); err != nil {
		h.failFor(w, r, a, err)
		return
	}
	if err := h.patternsFor(r, a, &d, p.FieldErr); err != nil {
		h.failFor(w, r, a, err)
		return
	}
	h.contactDrafts(r, a, &d)
	if err := h.followupFor(ctx, r, a, &d, p.FieldErr); err != nil {
		h.failFor(w, r, a, err)
		return
	}
	if d.Failed != "" && !d.Offered(d.Failed) {
		// The contact moved on and the form is gone: the input is shown
		// back instead, and the error summary points there.
		d.Gone = true
		for i := range p.Errors {
			if strings.HasPrefix(p.Errors[i].Field, d.Failed+"-") {
				p.Errors[i].Field = "kept-input"
			}
		}
	}
	p.Title, p.Actor, p.Agency, p.Data = "Contact "+c.Reference, &a, h.agencyName(r, a), d
	h.render(w, r, status, "contact", p)
}

// contactForms decides which forms the page offers, and fills their lists.
func (h *Handler) contactForms(ctx context.Context, a mash.Actor, d *contactData, ags []mash.Agency) error {
	c, can := d.C, func(act mash.Action) bool { return mash.Can(a, act, mash.Resource{}) }
	s := c.Status
	// Screening starts from "received" and ends in a move out of
	// "screening"; rating and requests belong to the states where the hub
	// works the contact (mash.Contact.Rate and CheckRequest say which).
	d.Forms = contactForms{
		Screen:   can(mash.ActionContactScreen) && (s.CanMove(mash.StatusScreening) || s.CanMove(mash.StatusInMASH)),
		Rate:     can(mash.ActionContactRate) && c.RAG != "" && (s == mash.StatusScreening || s == mash.StatusInMASH),
		Override: can(mash.ActionConsentOverride) && c.Consent.Status != mash.ConsentGiven && c.ConsentOverride == nil && !s.Closed(),
		Request:  can(mash.ActionRequestCreate) && s == mash.StatusInMASH,
		Decide:   can(mash.ActionDecide) && s.CanMove(mash.StatusDecided),
		Feedback: can(mash.ActionFeedbackSend) && s.CanMove(mash.StatusFeedbackSent),
		Close:    can(mash.ActionContactClose) && s.CanMove(mash.StatusClosed) && s != mash.StatusScreening,
	}
	if d.Forms.Screen || d.Forms.Rate {
		policy, err := h.hub.Policy(ctx)
		if err != nil {
			return err
		}
		for _, l := range policy.Levels {
			d.RAGs = append(d.RAGs, option{l.Code, l.Label})
		}
		for _, sd := range mash.ScreeningDecisions {
			d.Decisions = append(d.Decisions, option{string(sd), screeningLabels[sd]})
		}
	}
	d.Levels = []int{1, 2, 3, 4}
	for _, ag := range ags {
		if ag.ID != a.AgencyID {
			d.Partners = append(d.Partners, ag)
		}
	}
	if d.Forms.Decide {
		for _, o := range mash.Outcomes {
			d.Outcomes = append(d.Outcomes, option{string(o), label(string(o))})
		}
		d.ViewsIndex = map[string]int{}
		for _, q := range c.Requests {
			if _, dup := d.ViewsIndex[q.AgencyID]; dup {
				continue
			}
			d.ViewsIndex[q.AgencyID] = len(d.Views)
			d.Views = append(d.Views, mash.Agency{ID: q.AgencyID, Name: q.AgencyName})
		}
	}
	return nil
}

// contactWrite is one of the contact page's forms: the route-level check,
// the hub call, then either back to the page (POST-redirect-GET) or the
// page again with the hub's problems against the form's fields and the
// user's input kept. A stale version shows the current contact with the
// input below it, never a silent overwrite.
type contactWrite struct {
	form    string      // the form's id prefix
	heading string      // the form's heading, for the stale message
	action  mash.Action // the route-level check
	what    string      // what the role cannot do, if refused
	first   string      // the field a problem with the whole form points to
	done    string      // the notice after success
	labels  map[string]string
	field   func(path string) string // the field id for a hub field path, if not form-path
	call    func(ctx context.Context, a mash.Actor, id string, v url.Values) error
}

func (h *Handler) write(cw contactWrite) appHandler {
	return func(w http.ResponseWriter, r *http.Request, a mash.Actor) {
		if h.refuse(w, r, a, cw.action, cw.what) {
			return
		}
		if !h.readForm(w, r, a) {
			return
		}
		id := r.PathValue("id")
		err := cw.call(r.Context(), a, id, r.PostForm)
		if err == nil {
			if k, ok := contactDraftKinds[cw.form]; ok {
				h.dropDraft(r, a, k, id)
			}
			http.Redirect(w, r, "/contacts/"+url.PathEscape(id)+"?done="+cw.done+"#main-content", http.StatusSeeOther)
			return
		}
		d := contactData{Failed: cw.form, In: r.PostForm, StaleForm: cw.heading}
		p := page{FieldErr: map[string]string{}}
		if fields, ok := fieldProblems(err); ok {
			for path, problem := range fields {
				gen, _ := genericPath(path)
				fid := cw.form + "-" + cw.first
				if cw.field != nil {
					fid = cw.field(path)
				} else if _, known := cw.labels[gen]; known {
					fid = fieldID(cw.form, strings.ReplaceAll(gen, "[]", ""))
				}
				l := cw.labels[gen]
				if l == "" {
					l = label(gen)
				}
				p.addError(fid, sentence(l, problem))
			}
			var order []string
			for _, k := range cw.order() {
				order = append(order, fieldID(cw.form, k))
			}
			sortErrors(&p, order)
			h.showContact(w, r, a, http.StatusBadRequest, p, d)
			return
		}
		switch {
		case stale(err):
			d.Stale = true
			h.showContact(w, r, a, http.StatusConflict, p, d)
		case mash.KindOf(err) == mash.KindConflict, mash.KindOf(err) == mash.KindInvalid:
			// The procedure refused the move, or the whole form is wrong.
			p.addError(fieldID(cw.form, cw.first), capitalise(mash.Message(err)))
			status := http.StatusConflict
			if mash.KindOf(err) == mash.KindInvalid {
				status = http.StatusBadRequest
			}
			h.showContact(w, r, a, status, p, d)
		default:
			h.failFor(w, r, a, err)
		}
	}
}

// order is the form's fields in the order shown.
func (cw contactWrite) order() []string {
	keys := []string{cw.first}
	for _, k := range []string{"decision", "rag", "threshold_level", "outcomes", "lawful_basis", "agency_id", "question",
		"rationale", "receiving_agency_id", "agency_views", "text", "reason"} {
		if _, ok := cw.labels[k]; ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// versionOf reads the version the form was filled against.
func versionOf(v url.Values) int {
	n, _ := strconv.Atoi(v.Get("version"))
	return n
}

// level reads a threshold level; 0 (which the hub refuses) for none.
func level(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func (h *Handler) handleScreen(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	h.write(contactWrite{form: "screen", heading: "Screening decision", action: mash.ActionContactScreen, what: "screen contacts",
		first: "decision", done: "screened",
		labels: map[string]string{"decision": "Decision", "rag": "RAG rating", "threshold_level": "Threshold level", "reason": "Reason"},
		call: func(ctx context.Context, a mash.Actor, id string, v url.Values) error {
			_, err := h.hub.Screen(ctx, a, id, mash.Screening{Decision: mash.ScreeningDecision(v.Get("decision")),
				RAG: v.Get("rag"), ThresholdLevel: level(v.Get("threshold_level")), Reason: v.Get("reason"), Version: versionOf(v)})
			return err
		}})(w, r, a)
}

func (h *Handler) handleRate(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	h.write(contactWrite{form: "rate", heading: "Change the RAG rating", action: mash.ActionContactRate, what: "re-rate contacts",
		first: "rag", done: "rated", labels: map[string]string{"rag": "RAG rating", "reason": "Reason"},
		call: func(ctx context.Context, a mash.Actor, id string, v url.Values) error {
			_, err := h.hub.Rate(ctx, a, id, v.Get("rag"), v.Get("reason"), versionOf(v))
			return err
		}})(w, r, a)
}

func (h *Handler) handleOverride(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	h.write(contactWrite{form: "override", heading: "Checks without consent", action: mash.ActionConsentOverride,
		what: "override consent", first: "lawful_basis", done: "override",
		labels: map[string]string{"lawful_basis": "Lawful basis", "reason": "Reason"},
		call: func(ctx context.Context, a mash.Actor, id string, v url.Values) error {
			_, err := h.hub.OverrideConsent(ctx, a, id, v.Get("lawful_basis"), v.Get("reason"), versionOf(v))
			return err
		}})(w, r, a)
}

// handleCreateRequest asks a partner agency what it holds. The hub's
// CreateRequest takes no version, so the page checks the version read
// against the contact's current one first: a request made from a page
// that no longer shows the contact as it is gets the stale-page answer.
func (h *Handler) handleCreateRequest(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	h.write(contactWrite{form: "request", heading: "Ask an agency", action: mash.ActionRequestCreate,
		what: "send information requests", first: "agency_id", done: "request",
		labels: map[string]string{"agency_id": "Agency", "question": "Question", "due_at": "Due"},
		call: func(ctx context.Context, a mash.Actor, id string, v url.Values) error {
			c, err := h.hub.GetContact(ctx, a, id)
			if err != nil {
				return err
			}
			if v := versionOf(v); v != c.Version {
				return &mash.Error{Kind: mash.KindConflict, Msg: "the contact changed", Fields: map[string]string{"version": "is stale"}}
			}
			_, err = h.hub.CreateRequest(ctx, a, id, mash.NewRequest{AgencyID: v.Get("agency_id"), Question: v.Get("question")})
			return err
		}})(w, r, a)
}

func (h *Handler) handleDecide(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	var rows []int // the decision's agency views by form row
	h.write(contactWrite{form: "decide", heading: "Decision", action: mash.ActionDecide, what: "record decisions",
		first: "threshold_level", done: "decided",
		labels: map[string]string{"threshold_level": "Threshold level", "outcomes": "Outcomes", "outcomes[]": "Outcome",
			"rationale": "Rationale", "receiving_agency_id": "Receiving team", "agency_views[].agency_id": "Agency view",
			"agency_views[].view": "Agency view", "agency_views[].stance": "Agency view", "agency_views": "Agency views"},
		field: func(path string) string {
			gen, k := genericPath(path)
			switch {
			case strings.HasPrefix(gen, "outcomes"):
				return "decide-outcomes"
			case strings.HasPrefix(gen, "agency_views[]"):
				if k >= 0 && k < len(rows) {
					if strings.HasSuffix(gen, ".stance") {
						return fmt.Sprintf("decide-agency_views-%d-stance", rows[k])
					}
					return fmt.Sprintf("decide-agency_views-%d-view", rows[k])
				}
				return "decide-rationale"
			case gen == "threshold_level" || gen == "rationale" || gen == "receiving_agency_id":
				return fieldID("decide", gen)
			case strings.HasPrefix(gen, "merge."):
				return fieldID("", gen)
			}
			return "decide-threshold_level"
		},
		call: func(ctx context.Context, a mash.Actor, id string, v url.Values) error {
			if own := applyMerge(v); len(own) > 0 {
				return &mash.Error{Kind: mash.KindInvalid, Msg: "the decision is not valid", Fields: own}
			}
			d := &mash.Decision{ThresholdLevel: level(v.Get("threshold_level")), Rationale: v.Get("rationale"),
				ReceivingAgencyID: v.Get("receiving_agency_id"), Version: versionOf(v)}
			for _, o := range v["outcomes"] {
				d.Outcomes = append(d.Outcomes, mash.Outcome(o))
			}
			own := map[string]string{}
			n := min(len(v["views"]), 50)
			for i := range n {
				at := fmt.Sprintf("agency_views[%d].", i)
				stance, view := v.Get(at+"stance"), strings.TrimSpace(v.Get(at+"view"))
				if stance == "" && view == "" {
					continue
				}
				if stance != "agrees" && stance != "disagrees" {
					// The form's own question: a view is recorded as
					// agreeing or dissenting, never assumed.
					own[fmt.Sprintf("agency_views[%d].stance", len(d.AgencyViews))] = "say whether the agency agrees"
				}
				rows = append(rows, i)
				d.AgencyViews = append(d.AgencyViews, mash.AgencyView{AgencyID: v.Get(at + "agency_id"), View: view, Agrees: stance == "agrees"})
			}
			if len(own) > 0 {
				return &mash.Error{Kind: mash.KindInvalid, Msg: "the decision is not valid", Fields: own}
			}
			_, err := h.hub.Decide(ctx, a, id, d)
			return err
		}})(w, r, a)
}

func (h *Handler) handleFeedback(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	h.write(contactWrite{form: "feedback", heading: "Feedback to the referrer", action: mash.ActionFeedbackSend,
		what: "send feedback", first: "text", done: "feedback", labels: map[string]string{"text": "Feedback"},
		call: func(ctx context.Context, a mash.Actor, id string, v url.Values) error {
			_, err := h.hub.SendFeedback(ctx, a, id, v.Get("text"), versionOf(v))
			return err
		}})(w, r, a)
}

func (h *Handler) handleClose(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	h.write(contactWrite{form: "close", heading: "Close the contact", action: mash.ActionContactClose, what: "close contacts",
		first: "reason", done: "closed", labels: map[string]string{"reason": "Reason"},
		call: func(ctx context.Context, a mash.Actor, id string, v url.Values) error {
			_, err := h.hub.CloseContact(ctx, a, id, v.Get("reason"), versionOf(v))
			return err
		}})(w, r, a)
}
