package api

import (
	"net/http"

	"openmash.org/mash"
)

// disagreementRoutes are professional disagreements: a challenge to the
// hub's decision, its escalation stages and their responses.
func (s *Server) disagreementRoutes() []route {
	return []route{
		{method: "GET", path: "/disagreement-policy", action: mash.ActionDisagreementRead,
			summary: "The escalation stages in force: owner, response time in working days, and where immediate-risk challenges start",
			resp:    mash.DisagreementPolicy{}, status: 200, handler: s.handleDisagreementPolicy},
		{method: "PUT", path: "/disagreement-policy", action: mash.ActionFollowupManage,
			summary: "Replace the escalation stages (admin); running challenges keep the stages they were raised under",
			body:    mash.DisagreementPolicy{}, resp: mash.DisagreementPolicy{}, status: 200, handler: s.handleDisagreementPolicySet},
		{method: "POST", path: "/contacts/{id}/disagreements", action: mash.ActionDisagreementRaise,
			summary: "Challenge the decision on a contact you can see (ETag = the disagreement's version)",
			body:    mash.NewDisagreement{}, resp: mash.Disagreement{}, status: 201, handler: s.handleDisagreementRaise},
		{method: "GET", path: "/disagreements", action: mash.ActionDisagreementRead,
			summary: "Disagreements you may see (hub staff: all; others: their own), newest first",
			resp:    []mash.Disagreement{}, status: 200, handler: s.handleDisagreements, query: []param{
				{"open", "true for those not yet resolved"}, {"contact_id", "one contact's"}, {"limit", "at most 1000; default 100"}}},
		{method: "GET", path: "/disagreements/{id}", action: mash.ActionDisagreementRead,
			summary: "One disagreement with its stages and responses (ETag = version)",
			resp:    mash.Disagreement{}, status: 200, handler: s.handleDisagreementGet},
		{method: "POST", path: "/disagreements/{id}/respond", action: mash.ActionDisagreementRespond,
			summary: "Respond at the current stage: agreed, decision_changed or escalated (its owners), withdrawn or escalated (the raiser); If-Match or version",
			body:    mash.DisagreementResponse{}, resp: mash.Disagreement{}, status: 200, handler: s.handleDisagreementRespond},
	}
}

func (s *Server) handleDisagreementPolicy(w http.ResponseWriter, r *http.Request) {
	p, err := s.hub.DisagreementPolicy(r.Context(), actor(r))
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, p)
}

func (s *Server) handleDisagreementPolicySet(w http.ResponseWriter, r *http.Request) {
	var in mash.DisagreementPolicy
	if err := decode(w, r, &in); err != nil {
		s.problem(w, r, err)
		return
	}
	if err := s.hub.SetDisagreementPolicy(r.Context(), actor(r), &in); err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, in)
}

func (s *Server) handleDisagreementRaise(w http.ResponseWriter, r *http.Request) {
	var in mash.NewDisagreement
	if err := decode(w, r, &in); err != nil {
		s.problem(w, r, err)
		return
	}
	d, err := s.hub.RaiseDisagreement(r.Context(), actor(r), r.PathValue("id"), in)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	etag(w, d.Version)
	s.json(w, http.StatusCreated, d)
}

func (s *Server) handleDisagreements(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fe := mash.FieldErrors{}
	f := mash.DisagreementFilter{ContactID: q.Get("contact_id"), Limit: limit(q.Get("limit"), fe)}
	switch q.Get("open") {
	case "", "false":
	case "true":
		f.Open = true
	default:
		fe.Add("open", "must be true or false")
	}
	if err := fe.Err("the query is not valid"); err != nil {
		s.problem(w, r, err)
		return
	}
	list, err := s.hub.ListDisagreements(r.Context(), actor(r), f)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, list)
}

func (s *Server) handleDisagreementGet(w http.ResponseWriter, r *http.Request) {
	d, err := s.hub.GetDisagreement(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		s.problem(w, r, err)
		return
	}
	etag(w, d.Version)
	s.json(w, http.StatusOK, d)
}

func (s *Server) handleDisagreementRespond(w http.ResponseWriter, r *http.Request) {
	var in mash.DisagreementResponse
	if err := decode(w, r, &in); err != nil {
		s.problem(w, r, err)
		return
	}
	v, err := version(r, in.Version)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	in.Version = v
	d, err := s.hub.RespondDisagreement(r.Context(), actor(r), r.PathValue("id"), in)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	etag(w, d.Version)
	s.json(w, http.StatusOK, d)
}
