package api

import (
	"net/http"

	"openmash.org/mash"
)

// patternRoutes are pattern alerts (cumulative concern): the rule set, the
// alerts on a contact and the managers' list, and acknowledgement.
func (s *Server) patternRoutes() []route {
	return []route{
		{method: "GET", path: "/pattern-rules", action: mash.ActionPatternRulesRead,
			summary: "The pattern rules in force (the default set until an admin replaces it)",
			resp:    mash.PatternRules{}, status: 200, handler: s.handlePatternRules},
		{method: "PUT", path: "/pattern-rules", action: mash.ActionPatternRulesManage,
			summary: "Replace the pattern rules (admin); version must be the version replaced",
			body:    mash.PatternRules{}, resp: mash.PatternRules{}, status: 200, handler: s.handlePatternRulesSet},
		{method: "GET", path: "/contacts/{id}/alerts", action: mash.ActionPatternRead,
			summary: "Pattern alerts about the contact's subjects, open first; each lists only the triggering contacts you may open",
			resp:    []mash.PatternAlert{}, status: 200, handler: s.handleContactAlerts},
		{method: "GET", path: "/alerts", action: mash.ActionPatternList,
			summary: "Pattern alerts, newest first (managers)",
			resp:    []mash.PatternAlert{}, status: 200, handler: s.handleAlerts, query: []param{
				{"open", "true for those not yet acknowledged"}, {"limit", "at most 1000; default 100"}}},
		{method: "POST", path: "/alerts/{id}/acknowledge", action: mash.ActionPatternAcknowledge,
			summary: "Acknowledge a pattern alert with a note (screener or manager; once)",
			body:    noteIn{}, resp: mash.PatternAlert{}, status: 200, handler: s.handleAlertAcknowledge},
	}
}

func (s *Server) handlePatternRules(w http.ResponseWriter, r *http.Request) {
	rs, err := s.hub.PatternRules(r.Context(), actor(r))
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, rs)
}

func (s *Server) handlePatternRulesSet(w http.ResponseWriter, r *http.Request) {
	var in mash.PatternRules
	if err := decode(w, r, &in); err != nil {
		s.problem(w, r, err)
		return
	}
	rs, err := s.hub.SetPatternRules(r.Context(), actor(r), in)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, rs)
}

func (s *Server) handleContactAlerts(w http.ResponseWriter, r *http.Request) {
	list, err := s.hub.ContactAlerts(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, list)
}

func (s *Server) handleAlerts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fe := mash.FieldErrors{}
	f := mash.AlertFilter{Limit: limit(q.Get("limit"), fe)}
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
	list, err := s.hub.ListPatternAlerts(r.Context(), actor(r), f)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, list)
}

func (s *Server) handleAlertAcknowledge(w http.ResponseWriter, r *http.Request) {
	var in noteIn
	if err := decode(w, r, &in); err != nil {
		s.problem(w, r, err)
		return
	}
	a, err := s.hub.AcknowledgeAlert(r.Context(), actor(r), r.PathValue("id"), in.Note)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, a)
}
