package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"openmash.org/mash"
)

// handlePerson is a person as the hub shows them to the reader: GetPerson
// gives only the records and contacts the reader may see.
func (h *Handler) handlePerson(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	h.showPerson(w, r, a, http.StatusOK, page{}, personView{}) // household.go: with the merge forms
}

type reviewsData struct {
	Reviews []mash.MatchReview
	// The answer that failed, to show again.
	Failed       string
	Outcome, Why string
}

// handleReviews is the queue of uncertain identity matches for a person to
// answer.
func (h *Handler) handleReviews(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	p := page{Title: "Identity reviews", Actor: &a, Agency: h.agencyName(r, a)}
	if r.URL.Query().Has("answered") {
		p.Notice = "Your answer was saved."
	}
	h.showReviews(w, r, a, http.StatusOK, p, reviewsData{})
}

func (h *Handler) showReviews(w http.ResponseWriter, r *http.Request, a mash.Actor, status int, p page, d reviewsData) {
	list, err := h.hub.ListMatchReviews(r.Context(), a, true)
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	d.Reviews = list
	p.Data = d
	h.render(w, r, status, "reviews", p)
}

// handleResolveReview records a person's answer to one review through the
// hub, which checks it; its problems are shown against the fields.
func (h *Handler) handleResolveReview(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		h.problemFor(w, r, a, http.StatusBadRequest, "There is a problem", "The form could not be read. Go back and try again.")
		return
	}
	id := r.PathValue("id")
	outcome, reason := r.PostForm.Get("outcome"), strings.TrimSpace(r.PostForm.Get("reason"))
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	_, err := h.hub.ResolveMatchReview(r.Context(), a, id, outcome, reason, version)
	var e *mash.Error
	if mash.KindOf(err) == mash.KindInvalid && errors.As(err, &e) && len(e.Fields) > 0 {
		p := page{Title: "Identity reviews", Actor: &a, Agency: h.agencyName(r, a)}
		// In the form's order.
		if _, bad := e.Fields["outcome"]; bad {
			p.addError("outcome-"+id, "Choose whether the record and the person are the same person")
		}
		if _, bad := e.Fields["reason"]; bad {
			p.addError("reason-"+id, "Enter why you decided")
		}
		for f, msg := range e.Fields {
			if f != "outcome" && f != "reason" {
				p.addError("outcome-"+id, "The form is out of date ("+f+" "+msg+"). Reload the page and try again")
			}
		}
		h.showReviews(w, r, a, http.StatusBadRequest, p, reviewsData{Failed: id, Outcome: outcome, Why: reason})
		return
	}
	if mash.KindOf(err) == mash.KindConflict && !stale(err) {
		// Answered already, or the two look related: said against the
		// answer, with the way to merge with confirmation (household.go).
		p := page{Title: "Identity reviews", Actor: &a, Agency: h.agencyName(r, a)}
		p.addError("outcome-"+id, capitalise(mash.Message(err))+". To merge them anyway, use the merge form on the known person's page")
		h.showReviews(w, r, a, http.StatusConflict, p, reviewsData{Failed: id, Outcome: outcome, Why: reason})
		return
	}
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	http.Redirect(w, r, "/match-reviews?answered", http.StatusSeeOther)
}
