package web

import (
	"context"
	"net/http"
	"net/url"
	"sort"

	"openmash.org/mash"
)

// casework is the contact page's assignment and chasing: the worker who has
// the contact in hand, who it may go to, and each request's chases.
type casework struct {
	CanAssign bool        // the reader may assign (screener or manager)
	Manager   bool        // and may give it to anyone
	Mine      bool        // the contact is the reader's
	UserID    string      // the reader
	Workers   []mash.User // whom a manager may give it to
	CanChase  bool
	Chases    map[string][]mash.Chase // by request id
	FieldErr  map[string]string
}

// chaseView is one request's chase button and chases.
type chaseView struct {
	ContactID string
	RequestID string
	Agency    string // the agency asked, for the button's name
	Version   int
	Open      bool // the request can be chased
	Can       bool
	Chases    []mash.Chase
	Err       string
}

// ChaseOf is the chase part of a request's card.
func (d contactData) ChaseOf(q mash.InfoRequest) chaseView {
	v := chaseView{ContactID: d.C.ID, RequestID: q.ID, Agency: q.AgencyName, Version: d.C.Version, Open: q.Status == mash.RequestOpen || q.Status == mash.RequestOverdue}
	if w := d.Work; w != nil {
		v.Can, v.Chases, v.Err = w.CanChase, w.Chases[q.ID], w.FieldErr["chase-"+q.ID]
	}
	return v
}

// caseworkFor fills the contact page's casework for the reader, from the
// hub: only the hub's own staff get any.
func (h *Handler) caseworkFor(ctx context.Context, a mash.Actor, d *contactData, fe map[string]string) error {
	if !a.HubWide() {
		return nil
	}
	w := &casework{UserID: a.UserID, FieldErr: fe, Mine: d.C.AssignedTo == a.UserID,
		CanAssign: mash.Can(a, mash.ActionContactAssign, mash.Resource{}) && !d.C.Status.Closed(),
		CanChase:  mash.Can(a, mash.ActionRequestChase, mash.Resource{})}
	w.Manager = w.CanAssign && a.Role == mash.RoleManager
	var err error
	if w.Manager {
		if w.Workers, err = h.hub.Workers(ctx, a); err != nil {
			return err
		}
	}
	if len(d.C.Requests) > 0 {
		chases, err := h.hub.Chases(ctx, a, d.C.ID)
		if err != nil && mash.KindOf(err) != mash.KindForbidden {
			return err
		}
		w.Chases = map[string][]mash.Chase{}
		for _, c := range chases {
			w.Chases[c.RequestID] = append(w.Chases[c.RequestID], c)
		}
	}
	d.Work = w
	return nil
}

// handleAssign gives a contact to a worker: "me" for the reader (the
// board's and the contact page's "Assign to me"), "" for no one, or a
// worker's id (managers). It goes back to the page it came from.
func (h *Handler) handleAssign(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if h.refuse(w, r, a, mash.ActionContactAssign, "assign contacts") || !h.readForm(w, r, a) {
		return
	}
	id, to := r.PathValue("id"), r.PostForm.Get("user_id")
	if to == mash.AssignedToMe {
		to = a.UserID
	}
	_, err := h.hub.Assign(r.Context(), a, id, to, versionOf(r.PostForm))
	if err == nil {
		back := localPath(r.PostForm.Get("back"))
		if back == "/" {
			back = "/contacts/" + url.PathEscape(id) + "?done=assigned#main-content"
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	h.contactRefused(w, r, a, err, "assign-user_id")
}

// handleChase chases the asked agency for an open request.
func (h *Handler) handleChase(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if h.refuse(w, r, a, mash.ActionRequestChase, "chase partner agencies") || !h.readForm(w, r, a) {
		return
	}
	id, rid := r.PathValue("id"), r.PathValue("rid")
	// The request must be this contact's, as the page showed it.
	c, err := h.hub.GetContact(r.Context(), a, id)
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	found := false
	for _, q := range c.Requests {
		found = found || q.ID == rid
	}
	if !found {
		h.failFor(w, r, a, mash.Errorf(mash.KindNotFound, "no such request on this contact"))
		return
	}
	if _, err := h.hub.ChaseRequest(r.Context(), a, rid); err != nil {
		h.contactRefused(w, r, a, err, "chase-"+rid)
		return
	}
	http.Redirect(w, r, "/contacts/"+url.PathEscape(id)+"?done=chased#request-"+url.PathEscape(rid), http.StatusSeeOther)
}

// contactRefused shows the contact page again with the hub's answer in the
// error summary, linked to the control that was used. The contact as it is
// now is on the page, so a stale version needs only saying.
func (h *Handler) contactRefused(w http.ResponseWriter, r *http.Request, a mash.Actor, err error, field string) {
	p := page{FieldErr: map[string]string{}}
	kind := mash.KindOf(err)
	if kind != mash.KindInvalid && kind != mash.KindConflict && kind != mash.KindForbidden {
		h.failFor(w, r, a, err)
		return
	}
	msg := capitalise(mash.Message(err))
	if fields, ok := fieldProblems(err); ok && fields["user"] != "" {
		msg = "Choose an active screener or manager to assign the contact to"
	}
	if stale(err) {
		msg = "This contact changed since you opened it. Check it as it is now and try again"
	}
	p.addError(field, msg)
	status := map[mash.Kind]int{mash.KindInvalid: http.StatusBadRequest, mash.KindConflict: http.StatusConflict,
		mash.KindForbidden: http.StatusForbidden}[kind]
	h.showContact(w, r, a, status, p, contactData{})
}

// boardAssignment reads the board's worker and agency filters into f, with
// their choices: the hub's workers and the partner agencies.
func (h *Handler) boardAssignment(ctx context.Context, a mash.Actor, d *boardData, f *mash.ContactFilter, p *page, q url.Values) error {
	d.Assigned, d.Agency = q.Get("assigned"), q.Get("agency")
	d.CanAssign = mash.Can(a, mash.ActionContactAssign, mash.Resource{})
	d.Workers = []option{{"", "Anyone"}, {mash.AssignedToMe, "Assigned to me"}, {mash.AssignedToNone, "Not assigned"}}
	known := map[string]bool{"": true, mash.AssignedToMe: true, mash.AssignedToNone: true, a.UserID: true}
	if d.CanAssign {
		workers, err := h.hub.Workers(ctx, a)
		if err != nil {
			return err
		}
		for _, u := range workers {
			if u.ID != a.UserID {
				d.Workers = append(d.Workers, option{u.ID, u.Name})
				known[u.ID] = true
			}
		}
	}
	ags, err := h.hub.ListAgencies(ctx)
	if err != nil {
		return err
	}
	d.Agencies = []option{{"", "Any agency"}}
	agencyKnown := map[string]bool{"": true}
	for _, ag := range ags {
		if ag.ID != a.AgencyID {
			d.Agencies = append(d.Agencies, option{ag.ID, ag.Name})
			agencyKnown[ag.ID] = true
		}
	}
	if !known[d.Assigned] {
		p.addError("assigned", "Choose a worker from the list")
		d.Assigned = ""
	}
	if !agencyKnown[d.Agency] {
		p.addError("agency", "Choose an agency from the list")
		d.Agency = ""
	}
	f.AssignedTo, f.Agency = d.Assigned, d.Agency
	return nil
}

// sortByRAG orders rows by the policy's levels, most serious (first) first,
// unrated last; ties keep the hub's order.
func sortByRAG(rows []mash.ContactSummary, policy mash.RAGPolicy) {
	rank := map[string]int{}
	for i, l := range policy.Levels {
		rank[l.Code] = i
	}
	of := func(c mash.ContactSummary) int {
		if r, ok := rank[c.RAG]; ok {
			return r
		}
		return len(policy.Levels)
	}
	sort.SliceStable(rows, func(i, j int) bool { return of(rows[i]) < of(rows[j]) })
}

type boardFilter struct {
	D  boardData
	FE map[string]string
}

func init() {
	viewFuncs["boardFilterArgs"] = func(d boardData, fe map[string]string) boardFilter { return boardFilter{d, fe} }
}
