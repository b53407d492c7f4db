package api

import (
	"net/http"

	"openmash.org/mash"
)

// webhookRoutes are the admin's partner endpoints and their delivery logs.
// Deliveries are signed: see package notify for the scheme and Verify.
func (s *Server) webhookRoutes() []route {
	return []route{
		{method: "POST", path: "/webhooks", action: mash.ActionWebhookManage,
			summary: "Register a partner endpoint for events (admin); the answer shows the signing secret, once",
			body:    mash.NewWebhook{}, resp: mash.Webhook{}, status: 201, handler: s.handleWebhookCreate},
		{method: "GET", path: "/webhooks", action: mash.ActionWebhookRead,
			summary: "Registered partner endpoints (admin), without their secrets",
			resp:    []mash.Webhook{}, status: 200, handler: s.handleWebhookList},
		{method: "DELETE", path: "/webhooks/{id}", action: mash.ActionWebhookManage,
			summary: "Stop deliveries to an endpoint (admin); its delivery log stays",
			status:  204, handler: s.handleWebhookDelete},
		{method: "GET", path: "/webhooks/{id}/deliveries", action: mash.ActionWebhookRead,
			summary: "Every delivery attempt to an endpoint, newest first: status, error, duration (admin)",
			resp:    []mash.WebhookDelivery{}, status: 200, handler: s.handleWebhookDeliveries,
			query: []param{{"limit", "at most 1000; default 100"}}},
	}
}

func (s *Server) handleWebhookCreate(w http.ResponseWriter, r *http.Request) {
	var in mash.NewWebhook
	if err := decode(w, r, &in); err != nil {
		s.problem(w, r, err)
		return
	}
	hook, err := s.hub.CreateWebhook(r.Context(), actor(r), in)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusCreated, hook)
}

func (s *Server) handleWebhookList(w http.ResponseWriter, r *http.Request) {
	list, err := s.hub.ListWebhooks(r.Context(), actor(r))
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, list)
}

func (s *Server) handleWebhookDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.hub.DeleteWebhook(r.Context(), actor(r), r.PathValue("id")); err != nil {
		s.problem(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleWebhookDeliveries(w http.ResponseWriter, r *http.Request) {
	fe := mash.FieldErrors{}
	n := limit(r.URL.Query().Get("limit"), fe)
	if err := fe.Err("the query is not valid"); err != nil {
		s.problem(w, r, err)
		return
	}
	list, err := s.hub.WebhookDeliveries(r.Context(), actor(r), r.PathValue("id"), n)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, list)
}
