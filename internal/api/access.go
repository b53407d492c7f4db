package api

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"openmash.org/mash"
)

// accessRoutes are break-glass, release approvals and the auditor's views.
func (s *Server) accessRoutes() []route {
	return []route{
		{method: "POST", path: "/contacts/{id}/break-glass", action: mash.ActionBreakGlass,
			summary: "Open a contact outside your scope for an hour, giving the reason (audited, reviewed by the auditor)",
			body:    reasonIn{}, resp: mash.BreakGlass{}, status: 201, handler: s.handleBreakGlass},
		{method: "POST", path: "/items/{id}/release", action: mash.ActionItemRelease,
			summary: "The owning agency approves passing a mash_only item to the receiving team",
			body:    reasonIn{}, resp: mash.Release{}, status: 201, handler: s.handleRelease},
		{method: "GET", path: "/audit/events", action: mash.ActionAuditRead,
			summary: "Audit events: who looked at a contact or person, what a user looked at (format=csv for a CSV export)",
			resp:    []mash.AuditEvent{}, status: 200, handler: s.handleAuditEvents, query: []param{
				{"entity_type", "e.g. contact"}, {"entity_id", "the record's id"}, {"person_id", "events on contacts naming this person"},
				{"actor_id", "what this user did"}, {"from", "RFC 3339, inclusive"}, {"to", "RFC 3339, exclusive"},
				{"limit", "at most 10000"}, {"format", "json (default) or csv"}}},
		{method: "GET", path: "/audit/break-glass", action: mash.ActionAuditRead, summary: "Break-glass uses to review",
			resp: []mash.BreakGlass{}, status: 200, handler: s.handleBreakGlassList, query: []param{{"unreviewed", "true for those not yet reviewed"}}},
		{method: "POST", path: "/audit/break-glass/{id}/review", action: mash.ActionAuditRead, summary: "Record the review of a break-glass use",
			body: noteIn{}, resp: mash.BreakGlass{}, status: 200, handler: s.handleBreakGlassReview},
	}
}

type reasonIn struct {
	Reason string `json:"reason"`
}

type noteIn struct {
	Note string `json:"note"`
}

func (s *Server) handleBreakGlass(w http.ResponseWriter, r *http.Request) {
	var in reasonIn
	if err := decode(w, r, &in); err != nil {
		s.problem(w, r, err)
		return
	}
	g, err := s.hub.BreakGlass(r.Context(), actor(r), r.PathValue("id"), in.Reason)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusCreated, g)
}

func (s *Server) handleRelease(w http.ResponseWriter, r *http.Request) {
	var in reasonIn
	if err := decode(w, r, &in); err != nil {
		s.problem(w, r, err)
		return
	}
	rel, err := s.hub.ReleaseItem(r.Context(), actor(r), r.PathValue("id"), in.Reason)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusCreated, rel)
}

func (s *Server) handleBreakGlassList(w http.ResponseWriter, r *http.Request) {
	list, err := s.hub.ListBreakGlass(r.Context(), actor(r), r.URL.Query().Get("unreviewed") == "true")
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, list)
}

func (s *Server) handleBreakGlassReview(w http.ResponseWriter, r *http.Request) {
	var in noteIn
	if err := decode(w, r, &in); err != nil {
		s.problem(w, r, err)
		return
	}
	g, err := s.hub.ReviewBreakGlass(r.Context(), actor(r), r.PathValue("id"), in.Note)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, g)
}

func (s *Server) handleAuditEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fe := mash.FieldErrors{}
	f := mash.AuditFilter{EntityType: q.Get("entity_type"), EntityID: q.Get("entity_id"), PersonID: q.Get("person_id"), ActorID: q.Get("actor_id")}
	for name, t := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(name); v != "" {
			p, err := time.Parse(time.RFC3339, v)
			if err != nil {
				fe.Add(name, "must be an RFC 3339 time")
			}
			*t = p
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			fe.Add("limit", "must be a whole number from 1 to 10000")
		}
		f.Limit = n
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		fe.Add("format", "must be json or csv")
	}
	if err := fe.Err("the query is not valid"); err != nil {
		s.problem(w, r, err)
		return
	}
	events, err := s.hub.AuditEvents(r.Context(), actor(r), f)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	if format != "csv" {
		s.json(w, http.StatusOK, events)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="audit-events.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"seq", "id", "at", "actor_id", "actor_role", "agency_id", "action", "entity_type", "entity_id", "request_id", "client_ip", "reason", "hash"})
	for _, e := range events {
		cw.Write([]string{strconv.FormatInt(e.Seq, 10), e.ID, e.At.Format(time.RFC3339Nano), e.ActorID, string(e.ActorRole), e.AgencyID,
			e.Action, e.EntityType, e.EntityID, e.RequestID, e.ClientIP, csvSafe(e.Reason), e.Hash})
	}
	cw.Flush()
}

// csvSafe defuses cells a spreadsheet would run as a formula.
func csvSafe(v string) string {
	if v != "" && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@') {
		return "'" + v
	}
	return v
}
