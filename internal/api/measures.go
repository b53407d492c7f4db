package api

import (
	"bytes"
	"net/http"
	"time"

	"openmash.org/mash"
)

// measureRoutes serve the hub's figures, each with its definition, so partner
// systems and tests read the numbers the dashboards show. The JSON is for
// analysts and managers inside the hub and is not suppressed unless asked;
// CSV is for taking away, so small numbers in it are always suppressed.
func (s *Server) measureRoutes() []route {
	query := []param{
		{"from", "first day (YYYY-MM-DD, UK time) or RFC 3339 time; default 27 days before today"},
		{"to", "last day, inclusive (YYYY-MM-DD), or RFC 3339 time, exclusive; default today"},
		{"cohort", "child or adult; default both"},
		{"period", "day, week or month: adds a period dimension to measures that have one"},
		{"format", "json (default) or csv (small numbers suppressed)"},
		{"suppress", "true to replace counts of 1 to 4, and figures derived from them, with [c]"},
	}
	return []route{
		{method: "GET", path: "/measures", action: mash.ActionMeasureRead, summary: "The hub's measures with their definitions",
			resp: []mash.MeasureDef{}, status: 200, handler: s.handleMeasures},
		{method: "GET", path: "/measures/{name}", action: mash.ActionMeasureRead,
			summary: "One measure: its definition and its rows (aggregates only, no names); the read is audited",
			resp:    mash.MeasureResult{}, status: 200, handler: s.handleMeasure, query: query},
	}
}

func (s *Server) handleMeasures(w http.ResponseWriter, r *http.Request) {
	list, err := s.hub.ListMeasures(r.Context(), actor(r))
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, list)
}

func (s *Server) handleMeasure(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	fe := mash.FieldErrors{}
	format := v.Get("format")
	if format != "" && format != "json" && format != "csv" {
		fe.Add("format", "must be json or csv")
	}
	suppress := false
	switch v.Get("suppress") {
	case "", "false":
	case "true":
		suppress = true
	default:
		fe.Add("suppress", "must be true or false")
	}
	if err := fe.Err("the query is not valid"); err != nil {
		s.problem(w, r, err)
		return
	}
	q, err := mash.ParseMeasureQuery(v.Get, time.Now())
	if err != nil {
		s.problem(w, r, err)
		return
	}
	res, err := s.hub.Measure(r.Context(), actor(r), r.PathValue("name"), q)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	if format == "csv" {
		var b bytes.Buffer
		if err := mash.Suppress(res).WriteCSV(&b); err != nil {
			s.problem(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+res.Name+`.csv"`)
		w.WriteHeader(http.StatusOK)
		w.Write(b.Bytes())
		return
	}
	if suppress {
		res = mash.Suppress(res)
	}
	s.json(w, http.StatusOK, res)
}
