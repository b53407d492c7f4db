package api

import (
	"net/http"

	"openmash.org/mash"
)

// assignRoutes are the hub's casework: who has a contact in hand, and
// chasing partner agencies.
func (s *Server) assignRoutes() []route {
	return []route{
		{method: "POST", path: "/contacts/{id}/assignment", action: mash.ActionContactAssign,
			summary: "Assign a contact to a screener or manager (empty user_id: to no one); a screener may only take it for themselves",
			body:    assignIn{}, resp: mash.Contact{}, status: 200, handler: s.handleAssign},
		{method: "POST", path: "/requests/{id}/chase", action: mash.ActionRequestChase,
			summary: "Chase the asked agency for an open information request; its researchers are notified",
			resp:    mash.Chase{}, status: 201, handler: s.handleChase},
	}
}

type assignIn struct {
	UserID  string `json:"user_id"`
	Version int    `json:"version,omitempty"`
}

func (s *Server) handleAssign(w http.ResponseWriter, r *http.Request) {
	contactWrite(s, w, r, func(in *assignIn) *int { return &in.Version }, func(in *assignIn, v int) (*mash.Contact, error) {
		return s.hub.Assign(r.Context(), actor(r), r.PathValue("id"), in.UserID, v)
	})
}

func (s *Server) handleChase(w http.ResponseWriter, r *http.Request) {
	ch, err := s.hub.ChaseRequest(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusCreated, ch)
}
