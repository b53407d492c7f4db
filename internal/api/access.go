package api

// accessRoutes are break-glass, release approvals and the auditor's views.
func (s *Server) accessRoutes() []route {
	return nil
}
