package api

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"openmash.org/mash"
)

// route is one API operation. The same table registers the handlers and
// writes the OpenAPI document.
type route struct {
	method, path string
	action       mash.Action // "" for routes that need no token
	summary      string
	body         any // request body type, for the document
	resp         any // success response type
	status       int // success status
	query        []param
	handler      http.HandlerFunc
}

type param struct{ name, desc string }

func (s *Server) routes() []route {
	return slices.Concat(s.authRoutes(), s.caseRoutes(), s.accessRoutes(), s.personRoutes(), s.alertRoutes(), s.assignRoutes(), s.patternRoutes(), s.webhookRoutes(), s.measureRoutes(),
		s.referralRoutes(), s.disagreementRoutes())
}

// caseRoutes are the contact's journey: intake to closure.
func (s *Server) caseRoutes() []route {
	return []route{
		{method: "GET", path: "/openapi.json", summary: "This document", resp: map[string]any{}, status: 200, handler: s.handleOpenAPI},
		{method: "GET", path: "/agencies", action: mash.ActionAgencyRead, summary: "List partner agencies",
			resp: []mash.Agency{}, status: 200, handler: s.handleAgencies},
		{method: "GET", path: "/policy", action: mash.ActionPolicyRead, summary: "The RAG policy and working calendar in force",
			resp: mash.RAGPolicy{}, status: 200, handler: s.handlePolicy},
		{method: "POST", path: "/contacts", action: mash.ActionContactCreate, summary: "Record a new contact (Idempotency-Key header supported)",
			body: ContactIn{}, resp: contactCreated{}, status: 201, handler: s.handleContactCreate},
		{method: "GET", path: "/contacts", action: mash.ActionContactList, summary: "The contact queue: immediate risk first, then by deadline",
			resp: []mash.ContactSummary{}, status: 200, handler: s.handleContactList,
			query: []param{{"status", "filter by state"}, {"rag", "filter by RAG code"}, {"overdue", "true or false"},
				{"cohort", "child or adult"}, {"open", "true for contacts not yet closed"}, {"limit", "at most 1000; default 100"},
				{"assigned", "me, none or a user id (hub staff)"}, {"agency", "with an open information request to this agency id (hub staff)"}}},
		{method: "GET", path: "/contacts/{id}", action: mash.ActionContactRead, summary: "A contact with what the caller may see of its requests, decision and feedback (ETag = version)",
			resp: mash.ContactDetail{}, status: 200, handler: s.handleContactGet},
		{method: "POST", path: "/contacts/{id}/screening", action: mash.ActionContactScreen, summary: "Record the screening decision (and rating, if accepted into MASH)",
			body: mash.Screening{}, resp: mash.Contact{}, status: 200, handler: s.handleScreen},
		{method: "POST", path: "/contacts/{id}/rag", action: mash.ActionContactRate, summary: "Re-rate a contact; the deadline moves",
			body: rateIn{}, resp: mash.Contact{}, status: 200, handler: s.handleRate},
		{method: "POST", path: "/contacts/{id}/consent-override", action: mash.ActionConsentOverride, summary: "Record a manager's decision to make checks without consent",
			body: overrideIn{}, resp: mash.Contact{}, status: 200, handler: s.handleOverride},
		{method: "POST", path: "/contacts/{id}/requests", action: mash.ActionRequestCreate, summary: "Ask a partner agency what it holds",
			body: requestIn{}, resp: mash.InfoRequest{}, status: 201, handler: s.handleRequestCreate},
		{method: "POST", path: "/contacts/{id}/decision", action: mash.ActionDecide, summary: "Record the hub's decision (manager)",
			body: mash.Decision{}, resp: mash.Contact{}, status: 200, handler: s.handleDecide},
		{method: "POST", path: "/contacts/{id}/feedback", action: mash.ActionFeedbackSend, summary: "Record the outcome sent to the referrer",
			body: feedbackIn{}, resp: mash.Contact{}, status: 200, handler: s.handleFeedback},
		{method: "POST", path: "/contacts/{id}/close", action: mash.ActionContactClose, summary: "Close a contact whose work is done",
			body: closeIn{}, resp: mash.Contact{}, status: 200, handler: s.handleClose},
		{method: "GET", path: "/contacts/{id}/history", action: mash.ActionHistoryRead, summary: "Every transition, rating, request, decision and feedback",
			resp: mash.History{}, status: 200, handler: s.handleHistory},
		{method: "GET", path: "/requests", action: mash.ActionRequestRead, summary: "Information requests (a researcher sees their own agency's)",
			resp: []mash.InfoRequest{}, status: 200, handler: s.handleRequestList,
			query: []param{{"status", "open, returned or overdue"}, {"contact_id", "one contact's requests"}, {"limit", "at most 1000; default 100"}}},
		{method: "POST", path: "/requests/{id}/return", action: mash.ActionReturnSubmit, summary: "Answer an information request (researcher of the agency asked)",
			body: mash.AgencyReturn{}, resp: mash.InfoRequest{}, status: 200, handler: s.handleReturn},
	}
}

func (s *Server) handleAgencies(w http.ResponseWriter, r *http.Request) {
	list, err := s.hub.ListAgencies(r.Context())
	if err != nil {
		s.problem(w, r, err)
		return
	}
	if list == nil {
		list = []mash.Agency{}
	}
	s.json(w, http.StatusOK, list)
}

func (s *Server) handlePolicy(w http.ResponseWriter, r *http.Request) {
	p, err := s.hub.Policy(r.Context())
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, p)
}

// ContactIn is the body of POST /contacts: the wire form of a new contact,
// for Go clients too. received_at is read as a string so a bad time is
// reported against its field.
type ContactIn struct {
	ReceivedAt    string         `json:"received_at" format:"date-time"`
	Channel       string         `json:"channel"`
	Cohort        mash.Cohort    `json:"cohort"`
	Referrer      mash.Referrer  `json:"referrer"`
	Subjects      []mash.Subject `json:"subjects"`
	Concerns      []string       `json:"concerns"`
	Narrative     string         `json:"narrative"`
	ImmediateRisk bool           `json:"immediate_risk"`
	Consent       mash.Consent   `json:"consent"`
}

type contactCreated struct {
	ID        string      `json:"id"`
	Reference string      `json:"reference"`
	Status    mash.Status `json:"status"`
	Version   int         `json:"version"`
	RAG       string      `json:"rag,omitempty"`
	DueAt     *time.Time  `json:"due_at,omitempty"`
}

// Contact converts the body to the domain's contact, reporting a bad
// received_at against its field.
func (in ContactIn) Contact() (*mash.Contact, error) {
	c := &mash.Contact{Channel: in.Channel, Cohort: in.Cohort, Referrer: in.Referrer, Subjects: slices.Clone(in.Subjects),
		Concerns: slices.Clone(in.Concerns), Narrative: in.Narrative, ImmediateRisk: in.ImmediateRisk, Consent: in.Consent}
	if in.ReceivedAt != "" {
		t, err := time.Parse(time.RFC3339, in.ReceivedAt)
		if err != nil {
			return nil, &mash.Error{Kind: mash.KindInvalid, Msg: "the contact is not valid",
				Fields: map[string]string{"received_at": "must be an RFC 3339 time, e.g. 2026-12-24T16:00:00Z"}}
		}
		c.ReceivedAt = t
	}
	return c, nil
}

func (s *Server) handleContactCreate(w http.ResponseWriter, r *http.Request) {
	var in ContactIn
	if err := decode(w, r, &in); err != nil {
		s.problem(w, r, err)
		return
	}
	c, err := in.Contact()
	if err != nil {
		s.problem(w, r, err)
		return
	}
	created, err := s.hub.CreateContact(r.Context(), actor(r), c, r.Header.Get("Idempotency-Key"))
	if err != nil {
		s.problem(w, r, err)
		return
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK // a retry: the contact first created with this key
	}
	w.Header().Set("Location", prefix+"/contacts/"+c.ID)
	etag(w, c.Version)
	s.json(w, status, contactCreated{ID: c.ID, Reference: c.Reference, Status: c.Status, Version: c.Version, RAG: c.RAG, DueAt: c.DueAt})
}

func (s *Server) handleContactList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := mash.ContactFilter{Status: mash.Status(q.Get("status")), RAG: q.Get("rag"), Cohort: mash.Cohort(q.Get("cohort")),
		AssignedTo: q.Get("assigned"), Agency: q.Get("agency")}
	fe := mash.FieldErrors{}
	if v := q.Get("open"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			fe.Add("open", "must be true or false")
		}
		f.Open = b
	}
	if v := q.Get("overdue"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			fe.Add("overdue", "must be true or false")
		}
		f.Overdue = &b
	}
	f.Limit = limit(q.Get("limit"), fe)
	if err := fe.Err("the query is not valid"); err != nil {
		s.problem(w, r, err)
		return
	}
	list, err := s.hub.ListContacts(r.Context(), actor(r), f)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, list)
}

func limit(v string, fe mash.FieldErrors) int {
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		fe.Add("limit", "must be a whole number from 1 to 1000")
	}
	return n
}

func (s *Server) handleContactGet(w http.ResponseWriter, r *http.Request) {
	d, err := s.hub.GetContact(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		s.problem(w, r, err)
		return
	}
	etag(w, d.Version)
	s.json(w, http.StatusOK, d)
}

func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) {
	h, err := s.hub.History(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.json(w, http.StatusOK, h)
}

// contactWrite handles a change to a contact: decode the body, take the
// version the client last read (If-Match or the body's version field), apply
// the change and answer with the contact at its new version.
func contactWrite[T any](s *Server, w http.ResponseWriter, r *http.Request, bodyVersion func(*T) *int,
	apply func(in *T, version int) (*mash.Contact, error)) {
	var in T
	if err := decode(w, r, &in); err != nil {
		s.problem(w, r, err)
		return
	}
	v, err := version(r, *bodyVersion(&in))
	if err != nil {
		s.problem(w, r, err)
		return
	}
	*bodyVersion(&in) = v
	c, err := apply(&in, v)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	etag(w, c.Version)
	s.json(w, http.StatusOK, c)
}

func (s *Server) handleScreen(w http.ResponseWriter, r *http.Request) {
	contactWrite(s, w, r, func(in *mash.Screening) *int { return &in.Version }, func(in *mash.Screening, _ int) (*mash.Contact, error) {
		return s.hub.Screen(r.Context(), actor(r), r.PathValue("id"), *in)
	})
}

func (s *Server) handleRate(w http.ResponseWriter, r *http.Request) {
	contactWrite(s, w, r, func(in *rateIn) *int { return &in.Version }, func(in *rateIn, v int) (*mash.Contact, error) {
		return s.hub.Rate(r.Context(), actor(r), r.PathValue("id"), in.RAG, in.Reason, v)
	})
}

func (s *Server) handleOverride(w http.ResponseWriter, r *http.Request) {
	contactWrite(s, w, r, func(in *overrideIn) *int { return &in.Version }, func(in *overrideIn, v int) (*mash.Contact, error) {
		return s.hub.OverrideConsent(r.Context(), actor(r), r.PathValue("id"), in.LawfulBasis, in.Reason, v)
	})
}

func (s *Server) handleDecide(w http.ResponseWriter, r *http.Request) {
	contactWrite(s, w, r, func(in *mash.Decision) *int { return &in.Version }, func(in *mash.Decision, _ int) (*mash.Contact, error) {
		return s.hub.Decide(r.Context(), actor(r), r.PathValue("id"), in)
	})
}

func (s *Server) handleFeedback(w http.ResponseWriter, r *http.Request) {
	contactWrite(s, w, r, func(in *feedbackIn) *int { return &in.Version }, func(in *feedbackIn, v int) (*mash.Contact, error) {
		return s.hub.SendFeedback(r.Context(), actor(r), r.PathValue("id"), in.Text, v)
	})
}

func (s *Server) handleClose(w http.ResponseWriter, r *http.Request) {
	contactWrite(s, w, r, func(in *closeIn) *int { return &in.Version }, func(in *closeIn, v int) (*mash.Contact, error) {
		return s.hub.CloseContact(r.Context(), actor(r), r.PathValue("id"), in.Reason, v)
	})
}

type rateIn struct {
	RAG     string `json:"rag"`
	Reason  string `json:"reason"`
	Version int    `json:"version,omitempty"`
}

type overrideIn struct {
	LawfulBasis string `json:"lawful_basis"`
	Reason      string `json:"reason"`
	Version     int    `json:"version,omitempty"`
}

type requestIn struct {
	AgencyID string `json:"agency_id"`
	Question string `json:"question"`
	DueAt    string `json:"due_at,omitempty" format:"date-time"`
}

func (s *Server) handleRequestCreate(w http.ResponseWriter, r *http.Request) {
	var in requestIn
	if err := decode(w, r, &in); err != nil {
		s.problem(w, r, err)
		return
	}
	nr := mash.NewRequest{AgencyID: in.AgencyID, Question: in.Question}
	if in.DueAt != "" {
		t, err := time.Parse(time.RFC3339, in.DueAt)
		if err != nil {
			s.problem(w, r, &mash.Error{Kind: mash.KindInvalid, Msg: "the information request is not valid",
				Fields: map[string]string{"due_at": "must be an RFC 3339 time"}})
			return
		}
		nr.DueAt = &t
	}
	req, err := s.hub.CreateRequest(r.Context(), actor(r), r.PathValue("id"), nr)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	etag(w, req.Version)
	s.json(w, http.StatusCreated, req)
}

func (s *Server) handleRequestList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fe := mash.FieldErrors{}
	f := mash.RequestFilter{ContactID: q.Get("contact_id"), Status: mash.RequestStatus(q.Get("status")), Limit: limit(q.Get("limit"), fe)}
	if err := fe.Err("the query is not valid"); err != nil {
		s.problem(w, r, err)
		return
	}
	list, err := s.hub.ListRequests(r.Context(), actor(r), f)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	if list == nil {
		list = []mash.InfoRequest{}
	}
	s.json(w, http.StatusOK, list)
}

func (s *Server) handleReturn(w http.ResponseWriter, r *http.Request) {
	var in mash.AgencyReturn
	if err := decode(w, r, &in); err != nil {
		s.problem(w, r, err)
		return
	}
	v, err := version(r, in.RequestVers)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	in.RequestVers = 0
	req, err := s.hub.SubmitReturn(r.Context(), actor(r), r.PathValue("id"), &in, v)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	etag(w, req.Version)
	s.json(w, http.StatusOK, req)
}

type feedbackIn struct {
	Text    string `json:"text"`
	Version int    `json:"version,omitempty"`
}

type closeIn struct {
	Reason  string `json:"reason"`
	Version int    `json:"version,omitempty"`
}
