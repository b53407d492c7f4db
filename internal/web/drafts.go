package web

import (
	"html/template"
	"net/http"
	"net/url"
	"time"

	"openmash.org/mash"
)

// Drafts: the long forms (a new contact, an agency's answer, the decision
// and the feedback) keep the user's unsent input in the hub (mash.Drafts).
// With JavaScript, htmx posts the form to /drafts/{kind}/{key} two seconds
// after the last change and shows "Draft saved at 14:02"; without it, the
// form's "Save draft" button posts the same. A draft is restored when the
// user opens the form again (after a timeout, a crash or a restart), with a
// banner and a button to discard it, and deleted when the form is sent.
// An autosave without a live session gets 401, not the sign-in page: the
// page keeps what was typed (drafts.js says so), and the last saved draft
// is waiting after signing in again.

// draftView is what a form's template needs for its draft.
type draftView struct {
	Kind     mash.DraftKind
	Key      string
	Save     string     // where the form posts its draft
	Discard  string     // where the banner's button discards it
	Restored *time.Time // when the draft shown was saved; nil if none was restored
	JustSent bool       // the user just saved it with the button (JavaScript off)
	Gone     bool       // the user just discarded it
}

func newDraftView(kind mash.DraftKind, key string) draftView {
	u := "/drafts/" + string(kind) + "/" + url.PathEscape(key)
	return draftView{Kind: kind, Key: key, Save: u, Discard: u + "/discard"}
}

// StatusID is the id of the form's autosave status line.
func (d draftView) StatusID() string { return "draft-status-" + string(d.Kind) }

// formPage is the page of the form a draft belongs to.
func formPage(kind mash.DraftKind, key string) string {
	switch kind {
	case mash.DraftReturn:
		return "/inbox/" + url.PathEscape(key)
	case mash.DraftDecision, mash.DraftFeedback:
		return "/contacts/" + url.PathEscape(key)
	}
	return "/contacts/new"
}

// formAnchor is the form's place on its page.
func formAnchor(kind mash.DraftKind) string {
	switch kind {
	case mash.DraftReturn:
		return "#answer"
	case mash.DraftDecision:
		return "#form-decide"
	case mash.DraftFeedback:
		return "#form-feedback"
	}
	return "#main-content"
}

// draftFields are the form's values worth keeping: all but the button.
func draftFields(v url.Values) map[string][]string {
	out := make(map[string][]string, len(v))
	for k, xs := range v {
		if k != "action" {
			out[k] = xs
		}
	}
	return out
}

// handleSaveDraft keeps the posted form as the user's draft. It resolves
// the session itself: an htmx autosave without one gets 401, so the page
// stays as it is; a plain post goes to sign in, back to the form after.
func (h *Handler) handleSaveDraft(w http.ResponseWriter, r *http.Request) {
	kind, key := mash.DraftKind(r.PathValue("kind")), r.PathValue("key")
	ajax := r.Header.Get("HX-Request") == "true"
	a, ok, err := h.actor(w, r)
	if err == nil && !ok {
		if ajax {
			draftStatus(w, http.StatusUnauthorized, "You have been signed out, so the draft was not saved.")
			return
		}
		http.Redirect(w, r, "/sign-in?next="+url.QueryEscape(formPage(kind, key)), http.StatusSeeOther)
		return
	}
	if err != nil {
		if ajax {
			draftStatus(w, http.StatusServiceUnavailable, "The draft could not be saved just now.")
			return
		}
		h.fail(w, r, err)
		return
	}
	if !h.readForm(w, r, a) {
		return
	}
	d := &mash.Draft{Kind: kind, Key: key, Values: draftFields(r.PostForm), Version: versionOf(r.PostForm)}
	if err := h.hub.SaveDraft(r.Context(), a, d); err != nil {
		if ajax {
			status := http.StatusInternalServerError
			switch mash.KindOf(err) {
			case mash.KindInvalid:
				status = http.StatusUnprocessableEntity
			case mash.KindForbidden:
				status = http.StatusForbidden
			case mash.KindUnavailable:
				status = http.StatusServiceUnavailable
			default:
				h.log.Error("save draft", "request_id", requestID(r), "err", err)
			}
			draftStatus(w, status, "The draft could not be saved.")
			return
		}
		h.failFor(w, r, a, err)
		return
	}
	if ajax {
		draftStatus(w, http.StatusOK, "Draft saved at "+d.UpdatedAt.In(london).Format("15:04"))
		return
	}
	http.Redirect(w, r, formPage(kind, key)+"?draft=saved"+formAnchor(kind), http.StatusSeeOther)
}

// draftStatus answers an autosave with the words for its status line.
func draftStatus(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write([]byte(template.HTMLEscapeString(msg)))
}

// handleDiscardDraft deletes the user's draft and shows the empty form.
func (h *Handler) handleDiscardDraft(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	kind, key := mash.DraftKind(r.PathValue("kind")), r.PathValue("key")
	if err := h.hub.DeleteDraft(r.Context(), a, kind, key); err != nil && mash.KindOf(err) != mash.KindNotFound {
		h.failFor(w, r, a, err)
		return
	}
	http.Redirect(w, r, formPage(kind, key)+"?draft=discarded"+formAnchor(kind), http.StatusSeeOther)
}

// restoreDraft is the user's draft of a form, if they have one, and the
// form's draft view either way. A draft that cannot be read is logged and
// the form shown empty: the page must not fail for it.
func (h *Handler) restoreDraft(r *http.Request, a mash.Actor, kind mash.DraftKind, key string) (*mash.Draft, draftView) {
	dv := newDraftView(kind, key)
	dv.Gone = r.URL.Query().Get("draft") == "discarded"
	if !mash.Can(a, mash.DraftKinds[kind], mash.Resource{}) {
		return nil, dv
	}
	d, err := h.hub.GetDraft(r.Context(), a, kind, key)
	if err != nil {
		if k := mash.KindOf(err); k != mash.KindNotFound && k != mash.KindForbidden {
			h.log.Error("read draft", "request_id", requestID(r), "kind", string(kind), "err", err)
		}
		return nil, dv
	}
	t := d.UpdatedAt
	dv.Restored, dv.JustSent = &t, r.URL.Query().Get("draft") == "saved"
	return d, dv
}

// dropDraft deletes a draft whose form was sent. A failure is only logged:
// the form was saved, and a draft left behind is purged in time (a new
// contact's draft carries its idempotency key, so sending it again makes
// no second contact).
func (h *Handler) dropDraft(r *http.Request, a mash.Actor, kind mash.DraftKind, key string) {
	if !mash.Can(a, mash.DraftKinds[kind], mash.Resource{}) {
		return
	}
	if err := h.hub.DeleteDraft(r.Context(), a, kind, key); err != nil && mash.KindOf(err) != mash.KindNotFound {
		h.log.Warn("delete sent draft", "request_id", requestID(r), "kind", string(kind), "err", err)
	}
}

// asPosted is r with vals as its posted form, so a draft is read by the
// same code that reads the form.
func asPosted(r *http.Request, vals map[string][]string) *http.Request {
	r2 := r.Clone(r.Context())
	r2.PostForm = url.Values(vals)
	r2.Form = url.Values(vals)
	return r2
}

// contactDraftKinds are the contact page's forms that keep drafts.
var contactDraftKinds = map[string]mash.DraftKind{"decide": mash.DraftDecision, "feedback": mash.DraftFeedback}

// mergeArgs is what the "merge" template needs: the panel and the page's
// field problems.
type mergeArgs struct {
	M  *mergeView
	FE map[string]string
}

func init() {
	viewFuncs["hhmm"] = func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(london).Format("15:04")
	}
	viewFuncs["mergeArgs"] = func(m *mergeView, fe map[string]string) mergeArgs { return mergeArgs{m, fe} }
	viewFuncs["unix"] = func(t time.Time) int64 { return t.Unix() }
}

// contactDrafts sets up the drafts of the contact page's forms: restores
// the user's draft of an offered form (unless the page shows input just
// sent), and sets out what changed when the input is older than the
// contact.
func (h *Handler) contactDrafts(r *http.Request, a mash.Actor, d *contactData) {
	c := d.C
	d.DecideDraft, d.FeedbackDraft = newDraftView(mash.DraftDecision, c.ID), newDraftView(mash.DraftFeedback, c.ID)
	defer func() {
		d.Opened = h.now().Unix()
		if d.Merge != nil && !d.Merge.Since.IsZero() {
			d.Opened = d.Merge.Since.Unix()
		}
	}()
	if d.Failed != "" {
		// Refused as stale, or sent again from the merge and refused for
		// another reason: the panel stays until the form is saved.
		if _, ok := contactDraftKinds[d.Failed]; ok && (d.Stale || d.In.Has("merge_required")) {
			d.Merge = contactMerge(c, d.History, d.Failed, d.In, false)
		}
		return
	}
	for _, form := range []string{"decide", "feedback"} {
		if !d.Offered(form) {
			continue
		}
		dr, dv := h.restoreDraft(r, a, contactDraftKinds[form], c.ID)
		if form == "decide" {
			d.DecideDraft = dv
		} else {
			d.FeedbackDraft = dv
		}
		if dr == nil || d.Failed != "" {
			continue
		}
		d.Failed, d.In = form, url.Values(dr.Values)
		if dr.Version != c.Version {
			d.Merge = contactMerge(c, d.History, form, d.In, true)
		}
	}
	// A draft of a form the contact has moved past (someone else decided,
	// or sent the feedback) is shown beside what was saved, to discard.
	for _, form := range []string{"decide", "feedback"} {
		kind := contactDraftKinds[form]
		if d.Failed != "" || d.Offered(form) || !mash.Can(a, mash.DraftKinds[kind], mash.Resource{}) {
			continue
		}
		dr, dv := h.restoreDraft(r, a, kind, c.ID)
		if dr == nil {
			continue
		}
		d.Failed, d.In, d.StaleForm, d.GoneDraft = form, url.Values(dr.Values), contactFormHeadings[form], &dv
		d.Merge = contactMerge(c, d.History, form, d.In, true)
	}
}

// contactFormHeadings name the forms with drafts, as their headings do.
var contactFormHeadings = map[string]string{"decide": "Decision", "feedback": "Feedback to the referrer"}
