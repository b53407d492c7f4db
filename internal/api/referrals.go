package api

import (
	"net/http"

	"openmash.org/mash"
)

// referralRoutes close the loop with referrers: their own referrals with the
// outcome sent, the templates the outcome is written from, the draft for one
// contact and the record of feedback sent late.
func (s *Server) referralRoutes() []route {
	return []route{
		{method: "GET", path: "/referrals", action: mash.ActionReferralsRead,
			summary: "Your own referrals, newest first: status, acknowledgement and the outcome sent to you (no hub working data)",
			resp:    []mash.Referral{}, status: 200, handler: s.handleReferrals, query: []param{{"limit", "at most 1000; default 100"}}},
		{method: "GET", path: "/feedback-templates", action: mash.ActionPolicyRead,
			summary: "The wording of acknowledgements and outcomes sent to referrers (the default until an admin replaces it)",
			resp:    mash.FeedbackTemplates{}, status: 200, handler: s.handleFeedbackTemplates},
		{method: "PUT", path: "/feedback-templates", action: mash.ActionFollowupManage,
			summary: "Replace the feedback wording (admin); every outcome needs wording; the version goes up by one",
			body:    mash.FeedbackTemplates{}, resp: mash.FeedbackTemplates{}, status: 200, handler: s.handleFeedbackTemplatesSet},
		{method: "GET", path: "/contacts/{id}/feedback-draft", action: mash.ActionFeedbackSend,
			summary: "The outcome for the referrer written from the templates: reference, date, outcomes and next step only",
			resp:    feedbackDraft{}, status: 200, handler: s.handleFeedbackDraft},
		{method: "GET", path: "/feedback-breaches", action: mash.ActionBreachRead,
			summary: "Feedback not sent within one working day of the decision, newest first",
			resp:    []mash.FeedbackBreach{}, status: 200, handler: s.handleFeedbackBreaches, query: []param{{"limit", "at most 1000; default 100"}}},
	}
}

type feedbackDraft struct {
	Text string `json:"text"`
}

func (s *Server) handleReferrals(w http.ResponseWriter, r *http.Request) {
	fe := mash.FieldErrors{}
	n := limit(r.URL.Query().Get("limit"), fe)
	if err := fe.Err("the query is not valid"); err != nil {
		s.problem(w, r, err)
		return
	}
	list, err := s.hub.MyReferrals(r.Context(), actor(r), n)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, list)
}

func (s *Server) handleFeedbackTemplates(w http.ResponseWriter, r *http.Request) {
	t, err := s.hub.FeedbackTemplates(r.Context(), actor(r))
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, t)
}

func (s *Server) handleFeedbackTemplatesSet(w http.ResponseWriter, r *http.Request) {
	var in mash.FeedbackTemplates
	if err := decode(w, r, &in); err != nil {
		s.problem(w, r, err)
		return
	}
	if err := s.hub.SetFeedbackTemplates(r.Context(), actor(r), &in); err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, in)
}

func (s *Server) handleFeedbackDraft(w http.ResponseWriter, r *http.Request) {
	text, err := s.hub.FeedbackDraft(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, feedbackDraft{text})
}

func (s *Server) handleFeedbackBreaches(w http.ResponseWriter, r *http.Request) {
	fe := mash.FieldErrors{}
	n := limit(r.URL.Query().Get("limit"), fe)
	if err := fe.Err("the query is not valid"); err != nil {
		s.problem(w, r, err)
		return
	}
	list, err := s.hub.ListFeedbackBreaches(r.Context(), actor(r), n)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, list)
}
