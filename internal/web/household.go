package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"openmash.org/mash"
)

// personView is the person page: what the hub shows the reader of a person,
// and the merge and unmerge forms for those who may use them.
type personView struct {
	*mash.PersonPage
	CanMerge   bool
	Candidates []mash.PersonCandidate // other persons the matcher finds like this one
	FieldErr   map[string]string
	In         url.Values // the merge or unmerge form's input, shown again
	Failed     string     // "merge" or the merge id whose undo failed
}

// Open reports whether a merge is still in force (not undone).
func (v personView) Open(m mash.Merge) bool { return m.UndoneAt == nil }

var personNotices = map[string]string{
	"merged":   "The two persons were merged. Their records and contacts are now on this page.",
	"unmerged": "The merge was undone. The records went back to the other person.",
}

// showPerson renders the person page with its merge forms.
func (h *Handler) showPerson(w http.ResponseWriter, r *http.Request, a mash.Actor, status int, p page, v personView) {
	ctx := r.Context()
	pp, err := h.hub.GetPerson(ctx, a, r.PathValue("id"))
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	v.PersonPage = pp
	v.CanMerge = mash.Can(a, mash.ActionPersonMerge, mash.Resource{}) && pp.Person.MergedInto == ""
	if v.CanMerge {
		// Likely duplicates: the matcher's answer for this person's own
		// description, less the person themself.
		per := pp.Person
		cands, err := h.hub.MatchPersons(ctx, a, mash.PersonQuery{GivenName: per.GivenName, FamilyName: per.FamilyName,
			DOB: per.DOB, Postcode: per.Postcode, NHSNumber: per.NHSNumber, Limit: 6})
		if err != nil && mash.KindOf(err) != mash.KindInvalid {
			h.failFor(w, r, a, err)
			return
		}
		for _, c := range cands {
			if c.PersonID != per.ID {
				v.Candidates = append(v.Candidates, c)
			}
		}
	}
	if v.FieldErr == nil {
		v.FieldErr = p.FieldErr
	}
	if p.Notice == "" {
		p.Notice = personNotices[r.URL.Query().Get("done")]
	}
	p.Title, p.Actor, p.Agency, p.Data = "Person", &a, h.agencyName(r, a), v
	h.render(w, r, status, "person", p)
}

// handleMerge merges a chosen person into this one through the hub, which
// checks the reason, the version read and (for persons who look related)
// the confirmation that they are one person.
func (h *Handler) handleMerge(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if h.refuse(w, r, a, mash.ActionPersonMerge, "merge persons") || !h.readForm(w, r, a) {
		return
	}
	id, in := r.PathValue("id"), r.PostForm
	version, _ := strconv.Atoi(in.Get("version"))
	_, err := h.hub.MergePersons(r.Context(), a, id, mash.MergeRequest{MergeID: in.Get("merge_person_id"),
		Reason: strings.TrimSpace(in.Get("reason")), ConfirmNotRelated: in.Get("confirm_not_related") == "yes", Version: version})
	if err == nil {
		http.Redirect(w, r, "/persons/"+url.PathEscape(id)+"?done=merged#main-content", http.StatusSeeOther)
		return
	}
	p := page{FieldErr: map[string]string{}}
	fields, _ := fieldProblems(err)
	switch {
	case stale(err):
		p.addError("merge-person", "This person changed since you opened the page. Check it as it is now and try again")
	case fields != nil:
		if _, bad := fields["merge_person_id"]; bad {
			p.addError("merge-person", "Choose the person to merge into this one")
		}
		if _, bad := fields["reason"]; bad {
			p.addError("merge-reason", "Enter why these are the same person")
		}
		if len(p.Errors) == 0 {
			p.addError("merge-person", capitalise(mash.Message(err)))
		}
	case mash.KindOf(err) == mash.KindConflict && in.Get("confirm_not_related") != "yes" && strings.Contains(mash.Message(err), "twins"):
		p.addError("merge-confirm", "These look like twins, siblings or a parent and child. Tick the box only if you are sure they are one person")
	case mash.KindOf(err) == mash.KindConflict, mash.KindOf(err) == mash.KindNotFound:
		p.addError("merge-person", capitalise(mash.Message(err)))
	default:
		h.failFor(w, r, a, err)
		return
	}
	h.showPerson(w, r, a, statusOf(err), p, personView{In: in, Failed: "merge"})
}

// handleUnmerge undoes a merge, from the person page it is shown on.
func (h *Handler) handleUnmerge(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if h.refuse(w, r, a, mash.ActionPersonMerge, "undo merges") || !h.readForm(w, r, a) {
		return
	}
	id, mid := r.PathValue("id"), r.PathValue("mid")
	_, err := h.hub.Unmerge(r.Context(), a, mid, strings.TrimSpace(r.PostForm.Get("reason")))
	if err == nil {
		http.Redirect(w, r, "/persons/"+url.PathEscape(id)+"?done=unmerged#main-content", http.StatusSeeOther)
		return
	}
	p := page{FieldErr: map[string]string{}}
	field := "unmerge-" + mid
	switch mash.KindOf(err) {
	case mash.KindInvalid:
		p.addError(field, "Enter why these are different people")
	case mash.KindConflict, mash.KindNotFound:
		p.addError(field, capitalise(mash.Message(err)))
	default:
		h.failFor(w, r, a, err)
		return
	}
	h.showPerson(w, r, a, statusOf(err), p, personView{In: r.PostForm, Failed: mid})
}

func statusOf(err error) int {
	switch mash.KindOf(err) {
	case mash.KindConflict:
		return http.StatusConflict
	case mash.KindNotFound:
		return http.StatusNotFound
	}
	return http.StatusBadRequest
}

// householdData is a person's household: its members, each with the
// contacts naming them that the reader may open.
type householdData struct {
	Person   mash.Person
	Own      []mash.ContactRef
	Members  []householdMember
	Hidden   int
	Contacts int
}

type householdMember struct {
	mash.HouseholdMember
	Contacts []mash.ContactRef
}

// handleHousehold is the household view: who lives with or is related to a
// person, and the household's history, as far as the reader may see it.
func (h *Handler) handleHousehold(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	pp, err := h.hub.GetPerson(r.Context(), a, r.PathValue("id"))
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	d := householdData{Person: pp.Person, Own: pp.Contacts, Hidden: pp.HiddenContacts}
	by := map[string][]mash.ContactRef{}
	for _, c := range pp.HouseholdContacts {
		by[c.PersonID] = append(by[c.PersonID], c)
	}
	for _, m := range pp.Household {
		d.Members = append(d.Members, householdMember{m, by[m.PersonID]})
		d.Contacts += len(by[m.PersonID])
	}
	h.render(w, r, http.StatusOK, "household", page{Title: "Household", Actor: &a, Agency: h.agencyName(r, a), Data: d})
}
