package api

import (
	"net/http"

	"openmash.org/mash"
)

// alertRoutes are the background job queue (for admins and managers), each
// user's in-app notifications and the record of missed deadlines.
func (s *Server) alertRoutes() []route {
	return []route{
		{method: "GET", path: "/jobs", action: mash.ActionJobsRead,
			summary: "Background jobs (reminders, alerts) with their state, attempts and last error, soonest first",
			resp:    []mash.Job{}, status: 200, handler: s.handleJobs, query: []param{
				{"state", "queued, running, done or failed"}, {"kind", "e.g. request.reminder"}, {"limit", "at most 1000; default 100"}}},
		{method: "GET", path: "/notifications", action: mash.ActionNotificationRead,
			summary: "Your in-app notifications, newest first, with the number unread",
			resp:    mash.Notifications{}, status: 200, handler: s.handleNotifications, query: []param{{"limit", "at most 1000; default 100"}}},
		{method: "POST", path: "/notifications/{id}/read", action: mash.ActionNotificationRead,
			summary: "Mark one of your notifications read",
			resp:    mash.Notification{}, status: 200, handler: s.handleNotificationRead},
		{method: "GET", path: "/breaches", action: mash.ActionBreachRead,
			summary: "Contacts that missed their RAG deadline, newest first, with the reason a manager gave",
			resp:    []mash.Breach{}, status: 200, handler: s.handleBreaches, query: []param{
				{"unexplained", "true for those with no reason yet"}, {"limit", "at most 1000; default 100"}}},
		{method: "POST", path: "/breaches/{id}/reason", action: mash.ActionBreachExplain,
			summary: "Give the reason a contact missed its deadline (manager; once)",
			body:    reasonIn{}, resp: mash.Breach{}, status: 200, handler: s.handleBreachReason},
	}
}

func (s *Server) handleJobs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fe := mash.FieldErrors{}
	f := mash.JobFilter{State: mash.JobState(q.Get("state")), Kind: q.Get("kind"), Limit: limit(q.Get("limit"), fe)}
	if err := fe.Err("the query is not valid"); err != nil {
		s.problem(w, r, err)
		return
	}
	list, err := s.hub.ListJobs(r.Context(), actor(r), f)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, list)
}

func (s *Server) handleNotifications(w http.ResponseWriter, r *http.Request) {
	fe := mash.FieldErrors{}
	n := limit(r.URL.Query().Get("limit"), fe)
	if err := fe.Err("the query is not valid"); err != nil {
		s.problem(w, r, err)
		return
	}
	list, err := s.hub.Notifications(r.Context(), actor(r), n)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, list)
}

func (s *Server) handleNotificationRead(w http.ResponseWriter, r *http.Request) {
	n, err := s.hub.MarkNotificationRead(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, n)
}

func (s *Server) handleBreaches(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fe := mash.FieldErrors{}
	f := mash.BreachFilter{Unexplained: q.Get("unexplained") == "true", Limit: limit(q.Get("limit"), fe)}
	if err := fe.Err("the query is not valid"); err != nil {
		s.problem(w, r, err)
		return
	}
	list, err := s.hub.ListBreaches(r.Context(), actor(r), f)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, list)
}

func (s *Server) handleBreachReason(w http.ResponseWriter, r *http.Request) {
	var in reasonIn
	if err := decode(w, r, &in); err != nil {
		s.problem(w, r, err)
		return
	}
	b, err := s.hub.ExplainBreach(r.Context(), actor(r), r.PathValue("id"), in.Reason)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, b)
}
