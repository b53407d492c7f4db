package api

import (
	"net/http"

	"openmash.org/mash"
)

// personRoutes are identity resolution: matching, the person page, merges
// and the review queue for uncertain matches.
func (s *Server) personRoutes() []route {
	return []route{
		{method: "POST", path: "/persons/match", action: mash.ActionPersonMatch,
			summary: "Ranked candidates for a partial description, each with its score, the field-by-field explanation, the agencies that know the person and the contacts you may open",
			body:    mash.PersonQuery{}, resp: []mash.PersonCandidate{}, status: 200, handler: s.handlePersonMatch},
		{method: "GET", path: "/persons/{id}", action: mash.ActionPersonRead,
			summary: "A person: records, agencies that know them, contacts, household and its history, match decisions and merges (as far as you may see)",
			resp:    mash.PersonPage{}, status: 200, handler: s.handlePersonGet},
		{method: "POST", path: "/persons/{id}/merge", action: mash.ActionPersonMerge,
			summary: "Merge another person into this one (audited; reversible with the merge's undo)",
			body:    mash.MergeRequest{}, resp: mash.Merge{}, status: 201, handler: s.handlePersonMerge},
		{method: "POST", path: "/merges/{id}/undo", action: mash.ActionPersonMerge,
			summary: "Undo a merge: what it moved goes back to the merged person",
			body:    reasonIn{}, resp: mash.Merge{}, status: 200, handler: s.handleUnmerge},
		{method: "GET", path: "/match-reviews", action: mash.ActionPersonMerge,
			summary: "Uncertain identity matches waiting for a human (all=true for answered ones too)",
			resp:    []mash.MatchReview{}, status: 200, handler: s.handleReviews, query: []param{{"all", "true to include answered reviews"}}},
		{method: "POST", path: "/match-reviews/{id}/resolve", action: mash.ActionPersonMerge,
			summary: `Answer an uncertain match: "same" merges the two persons, "different" keeps them apart`,
			body:    resolveIn{}, resp: mash.MatchReview{}, status: 200, handler: s.handleResolve},
	}
}

type resolveIn struct {
	Outcome string `json:"outcome"` // same or different
	Reason  string `json:"reason"`
	Version int    `json:"version"`
}

func (s *Server) handlePersonMatch(w http.ResponseWriter, r *http.Request) {
	var q mash.PersonQuery
	if err := decode(w, r, &q); err != nil {
		s.problem(w, r, err)
		return
	}
	out, err := s.hub.MatchPersons(r.Context(), actor(r), q)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, out)
}

func (s *Server) handlePersonGet(w http.ResponseWriter, r *http.Request) {
	p, err := s.hub.GetPerson(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, p)
}

func (s *Server) handlePersonMerge(w http.ResponseWriter, r *http.Request) {
	var in mash.MergeRequest
	if err := decode(w, r, &in); err != nil {
		s.problem(w, r, err)
		return
	}
	m, err := s.hub.MergePersons(r.Context(), actor(r), r.PathValue("id"), in)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusCreated, m)
}

func (s *Server) handleUnmerge(w http.ResponseWriter, r *http.Request) {
	var in reasonIn
	if err := decode(w, r, &in); err != nil {
		s.problem(w, r, err)
		return
	}
	m, err := s.hub.Unmerge(r.Context(), actor(r), r.PathValue("id"), in.Reason)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, m)
}

func (s *Server) handleReviews(w http.ResponseWriter, r *http.Request) {
	list, err := s.hub.ListMatchReviews(r.Context(), actor(r), r.URL.Query().Get("all") != "true")
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, list)
}

func (s *Server) handleResolve(w http.ResponseWriter, r *http.Request) {
	var in resolveIn
	if err := decode(w, r, &in); err != nil {
		s.problem(w, r, err)
		return
	}
	v, err := s.hub.ResolveMatchReview(r.Context(), actor(r), r.PathValue("id"), in.Outcome, in.Reason, in.Version)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, v)
}
