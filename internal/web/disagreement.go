package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"openmash.org/mash"
)

// The contact page's referrer feedback and professional disagreement parts:
// the feedback form pre-filled from the hub's templates, the challenges to
// the decision the reader may see with their stages, and the forms to raise
// one and to respond at a stage (templates/disagreements.html).

type followupView struct {
	ContactID string
	FE        map[string]string
	Draft     string // the templated outcome, for the feedback form
	CanRaise  bool
	Rows      []disagreementRow
	Failed    string     // the form whose input is shown again
	In        url.Values // that input
}

type disagreementRow struct {
	D         mash.Disagreement
	Form      string   // the respond form's id prefix
	Responses []option // what the reader may answer; none: no form
	Last      bool     // at the last stage: no escalation
}

// Val is the input of a field of form shown again after a refusal.
func (v *followupView) Val(form, name string) string {
	if v.Failed != form {
		return ""
	}
	return v.In.Get(name)
}

// FeedbackText is what the feedback form shows: the input sent (or the
// user's saved draft), else the outcome written from the templates.
func (d contactData) FeedbackText() string {
	if d.Failed == "feedback" {
		return d.Val("feedback", "text")
	}
	if d.Followup != nil {
		return d.Followup.Draft
	}
	return ""
}

var responseLabels = map[mash.DisagreementOutcome]string{
	mash.DisagreementAgreed:          "Resolved: the challenger accepts the decision",
	mash.DisagreementDecisionChanged: "Resolved: the decision is changed",
	mash.DisagreementWithdrawn:       "Withdraw the challenge",
	mash.DisagreementEscalated:       "Not resolved: escalate to the next stage",
}

// followupFor fills the page's feedback draft and disagreements.
func (h *Handler) followupFor(ctx context.Context, r *http.Request, a mash.Actor, d *contactData, fe map[string]string) error {
	c := d.C
	v := &followupView{ContactID: c.ID, FE: fe, CanRaise: mash.Can(a, mash.ActionDisagreementRaise, mash.Resource{}) && mash.CanChallenge(c.Status)}
	if r.Method == http.MethodPost {
		v.Failed, v.In = r.PostForm.Get("followup_form"), r.PostForm
	}
	if d.Forms.Feedback {
		draft, err := h.hub.FeedbackDraft(ctx, a, c.ID)
		switch mash.KindOf(err) {
		case mash.KindConflict, mash.KindForbidden, mash.KindNotFound:
			// No decision to write from, or not the reader's to send.
		default:
			if err != nil {
				return err
			}
			v.Draft = draft
		}
	}
	if mash.Can(a, mash.ActionDisagreementRead, mash.Resource{}) {
		list, err := h.hub.ListDisagreements(ctx, a, mash.DisagreementFilter{ContactID: c.ID})
		if err != nil && mash.KindOf(err) != mash.KindForbidden {
			return err
		}
		for _, dg := range list {
			row := disagreementRow{D: dg, Form: "respond-" + dg.ID, Last: dg.Stage >= len(dg.Stages)}
			if dg.Status == mash.DisagreementOpen && mash.Can(a, mash.ActionDisagreementRespond, mash.Resource{}) {
				var allowed []mash.DisagreementOutcome
				if dg.Owns(a) {
					allowed = append(allowed, mash.DisagreementAgreed, mash.DisagreementDecisionChanged)
				}
				if dg.RaisedBy == a.UserID {
					allowed = append(allowed, mash.DisagreementWithdrawn)
				}
				if (dg.Owns(a) || dg.RaisedBy == a.UserID) && !row.Last {
					allowed = append(allowed, mash.DisagreementEscalated)
				}
				for _, o := range allowed {
					row.Responses = append(row.Responses, option{string(o), responseLabels[o]})
				}
			}
			v.Rows = append(v.Rows, row)
		}
	}
	d.Followup = v
	return nil
}

// followupRefused shows the contact page again with the hub's problems
// against the form's fields and the input kept.
func (h *Handler) followupRefused(w http.ResponseWriter, r *http.Request, a mash.Actor, err error, form, first string, labels map[string]string) {
	kind := mash.KindOf(err)
	if kind != mash.KindInvalid && kind != mash.KindConflict && kind != mash.KindForbidden {
		h.failFor(w, r, a, err)
		return
	}
	p := page{FieldErr: map[string]string{}}
	switch fields, ok := fieldProblems(err); {
	case ok:
		var order []string
		for _, k := range []string{first, "reason", "outcome_sought", "response", "note"} {
			order = append(order, fieldID(form, k))
		}
		for path, problem := range fields {
			id, l := fieldID(form, first), labels[path]
			if l != "" {
				id = fieldID(form, path)
			} else {
				l = label(path)
			}
			p.addError(id, sentence(l, problem))
		}
		sortErrors(&p, order)
	case stale(err):
		p.addError(fieldID(form, first), "This disagreement changed since you opened the page. Check it as it is now and try again")
	default:
		p.addError(fieldID(form, first), capitalise(mash.Message(err)))
	}
	status := map[mash.Kind]int{mash.KindInvalid: http.StatusBadRequest, mash.KindConflict: http.StatusConflict,
		mash.KindForbidden: http.StatusForbidden}[kind]
	h.showContact(w, r, a, status, p, contactData{})
}

// handleRaiseDisagreement challenges the decision on the contact.
func (h *Handler) handleRaiseDisagreement(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if h.refuse(w, r, a, mash.ActionDisagreementRaise, "raise professional disagreements") || !h.readForm(w, r, a) {
		return
	}
	id := r.PathValue("id")
	r.PostForm.Set("followup_form", "disagree")
	in := mash.NewDisagreement{Reason: r.PostForm.Get("reason"), OutcomeSought: r.PostForm.Get("outcome_sought"),
		ImmediateRisk: r.PostForm.Get("immediate_risk") == "yes"}
	if _, err := h.hub.RaiseDisagreement(r.Context(), a, id, in); err != nil {
		h.followupRefused(w, r, a, err, "disagree", "reason", map[string]string{"reason": "Why you disagree", "outcome_sought": "The outcome you seek"})
		return
	}
	http.Redirect(w, r, "/contacts/"+url.PathEscape(id)+"?done=disagreement#disagreements", http.StatusSeeOther)
}

// handleRespondDisagreement records a response at the current stage. The
// disagreement must be one of this contact's.
func (h *Handler) handleRespondDisagreement(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if h.refuse(w, r, a, mash.ActionDisagreementRespond, "respond to professional disagreements") || !h.readForm(w, r, a) {
		return
	}
	id, did := r.PathValue("id"), r.PathValue("did")
	form := "respond-" + did
	r.PostForm.Set("followup_form", form)
	dg, err := h.hub.GetDisagreement(r.Context(), a, did)
	if err == nil && dg.ContactID != id {
		err = mash.Errorf(mash.KindNotFound, "no such disagreement on this contact")
	}
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	in := mash.DisagreementResponse{Response: mash.DisagreementOutcome(r.PostForm.Get("response")),
		Note: r.PostForm.Get("note"), Version: versionOf(r.PostForm)}
	if _, err := h.hub.RespondDisagreement(r.Context(), a, did, in); err != nil {
		h.followupRefused(w, r, a, err, form, "response", map[string]string{"response": "Response", "note": "Note"})
		return
	}
	http.Redirect(w, r, "/contacts/"+url.PathEscape(id)+"?done=disagreement-response#disagreements", http.StatusSeeOther)
}

func init() {
	contactNotices["disagreement"] = "The disagreement was raised. The stage's owners have been told."
	contactNotices["disagreement-response"] = "The response to the disagreement was recorded."
	viewFuncs["ownerLabel"] = func(s mash.DisagreementStep) string {
		return strings.ToLower(label(string(s.OwnerRole))) + "s"
	}
	viewFuncs["responseLabel"] = func(o mash.DisagreementOutcome) string {
		if l, ok := responseLabels[o]; ok {
			return l
		}
		return label(string(o))
	}
}
