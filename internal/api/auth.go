package api

import (
	"net/http"

	"openmash.org/mash"
)

// authRoutes are sign-in and credentials.
func (s *Server) authRoutes() []route {
	return []route{
		{method: "POST", path: "/auth/token", summary: "Exchange an email and password for a bearer token",
			body: tokenIn{}, resp: mash.Token{}, status: 200, handler: s.handleToken},
	}
}

type tokenIn struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	var in tokenIn
	if err := decode(w, r, &in); err != nil {
		s.problem(w, r, err)
		return
	}
	fe := mash.FieldErrors{}
	if in.Email == "" {
		fe.Add("email", "is required")
	}
	if in.Password == "" {
		fe.Add("password", "is required")
	}
	if err := fe.Err("email and password are required"); err != nil {
		s.problem(w, r, err)
		return
	}
	u, err := s.hub.Authenticate(r.Context(), in.Email, in.Password)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	tok, err := s.hub.IssueToken(r.Context(), u.ID, s.tokenTTL)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, tok)
}
