package web

import (
	"errors"
	"net/http"
	"sort"

	"openmash.org/mash"
)

// boardLimit is how many contacts the board asks the hub for.
const boardLimit = 1000

type boardData struct {
	Rows      []mash.ContactSummary
	Counts    []stateCount
	Open      int  // contacts on the board, all states but closed
	Overdue   int  // of them, past their deadline
	Truncated bool // the hub returned boardLimit rows: there may be more
	// Requests are the open information requests by contact id.
	Requests map[string][]mash.InfoRequest

	// The filter as asked for, and its choices.
	Status, RAG, Due, Sort, Cohort string
	Statuses                       []option
	Cohorts                        []option
	Sorts                          []option
	RAGs                           []option
	Filtered                       bool
	// Assignment (assign.go): the worker and agency filters, and whether
	// the reader may take contacts from the board.
	Assigned, Agency  string
	Workers, Agencies []option
	CanAssign         bool
}

// boardSorts are the board's orders; the first, the hub's own (immediate
// risk, then the nearest deadline), is the default.
var boardSorts = []option{{"", "Most urgent first"}, {"newest", "Newest first"}, {"oldest", "Oldest first"},
	{"deadline", "Nearest deadline first"}, {"rag", "Most serious rating first"}, {"reference", "Reference"}}

var boardOrders = map[string]func(a, b mash.ContactSummary) bool{
	"":          nil,
	"newest":    func(a, b mash.ContactSummary) bool { return a.ReceivedAt.After(b.ReceivedAt) },
	"oldest":    func(a, b mash.ContactSummary) bool { return a.ReceivedAt.Before(b.ReceivedAt) },
	"reference": func(a, b mash.ContactSummary) bool { return a.Reference < b.Reference },
	"deadline": func(a, b mash.ContactSummary) bool {
		if a.DueAt == nil || b.DueAt == nil {
			return a.DueAt != nil && b.DueAt == nil
		}
		return a.DueAt.Before(*b.DueAt)
	},
	"rag": nil, // by the policy's order of levels: see sortByRAG
}

type stateCount struct {
	Status mash.Status
	Label  string
	N      int
}

type option struct{ Value, Label string }

// handleBoard is the MASH board: the hub's open contacts, most urgent first
// (the hub's order: immediate risk, then the nearest deadline), with a
// count per state and filters. Only the screeners and managers who work the
// hub's queue have it.
func (h *Handler) handleBoard(w http.ResponseWriter, r *http.Request, a mash.Actor) {
	if !onBoard(a) {
		h.problemFor(w, r, a, http.StatusForbidden, "You cannot use this page",
			"The MASH board is for the hub's screeners and managers.")
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	d := boardData{Status: q.Get("status"), RAG: q.Get("rag"), Due: q.Get("due"), Sort: q.Get("sort"), Cohort: q.Get("cohort"), Sorts: boardSorts,
		Cohorts: []option{{"", "Children and adults"}, {string(mash.CohortChild), "Children"}, {string(mash.CohortAdult), "Adults"}}}
	p := page{Title: "MASH board", Actor: &a, Agency: h.agencyName(r, a), FieldErr: map[string]string{}}
	f := mash.ContactFilter{Status: mash.Status(d.Status), RAG: d.RAG, Cohort: mash.Cohort(d.Cohort), Limit: boardLimit}
	if err := h.boardAssignment(ctx, a, &d, &f, &p, q); err != nil {
		h.failFor(w, r, a, err)
		return
	}
	switch d.Due {
	case "":
	case "overdue", "in-time":
		v := d.Due == "overdue"
		f.Overdue = &v
	default:
		p.addError("due", "Choose whether to show overdue contacts")
		d.Due = ""
	}
	d.Filtered = f != (mash.ContactFilter{Limit: boardLimit})
	// With no state chosen, the board is the live queue: closed contacts
	// stay off it however many there are.
	f.Open = f.Status == ""
	if _, ok := boardOrders[d.Sort]; !ok {
		p.addError("sort", "Choose an order from the list")
		d.Sort = ""
	}

	policy, err := h.hub.Policy(ctx)
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	d.Statuses = []option{{"", "Any open state"}}
	for _, s := range mash.Statuses {
		d.Statuses = append(d.Statuses, option{string(s), statusLabel(s)})
	}
	d.RAGs = []option{{"", "Any rating"}}
	for _, l := range policy.Levels {
		d.RAGs = append(d.RAGs, option{l.Code, l.Label})
	}

	// Every open contact, for the counts; then the filtered list, if the
	// filter narrows it. The hub checks the filter.
	all, err := h.hub.ListContacts(ctx, a, mash.ContactFilter{Open: true, Limit: boardLimit})
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	d.Truncated = len(all) == boardLimit
	counts := map[mash.Status]int{}
	for _, c := range all {
		if c.Status.Closed() {
			continue
		}
		counts[c.Status]++
		d.Open++
		if c.Overdue {
			d.Overdue++
		}
	}
	for _, s := range mash.Statuses {
		if !s.Closed() {
			d.Counts = append(d.Counts, stateCount{s, statusLabel(s), counts[s]})
		}
	}
	rows := all
	if d.Filtered && len(p.Errors) == 0 {
		rows, err = h.hub.ListContacts(ctx, a, f)
		var e *mash.Error
		if mash.KindOf(err) == mash.KindInvalid && errors.As(err, &e) {
			for field, problem := range e.Fields {
				switch field {
				case "status":
					p.addError("status", "Choose a state from the list")
				case "rag":
					p.addError("rag", "Choose a rating from the list")
				case "cohort":
					p.addError("cohort", "Choose children or adults")
				case "assigned":
					p.addError("assigned", "Choose a worker from the list")
				default:
					p.addError("status", capitalise(problem))
				}
			}
			rows, err = nil, nil
		}
		if err != nil {
			h.failFor(w, r, a, err)
			return
		}
	}
	for _, c := range rows {
		// Closed contacts leave the board unless asked for by state.
		if c.Status.Closed() && f.Status == "" {
			continue
		}
		d.Rows = append(d.Rows, c)
	}
	if less := boardOrders[d.Sort]; less != nil {
		sort.SliceStable(d.Rows, func(i, j int) bool { return less(d.Rows[i], d.Rows[j]) })
	}
	if d.Sort == "rag" {
		sortByRAG(d.Rows, policy)
	}
	// The open requests to partner agencies, for the rows; the hub says
	// whether the reader may see them.
	if mash.Can(a, mash.ActionRequestRead, mash.Resource{}) {
		reqs, err := h.hub.ListRequests(ctx, a, mash.RequestFilter{Status: mash.RequestOpen, Limit: boardLimit})
		if err != nil {
			h.failFor(w, r, a, err)
			return
		}
		d.Requests = map[string][]mash.InfoRequest{}
		for _, q := range reqs {
			d.Requests[q.ContactID] = append(d.Requests[q.ContactID], q)
		}
	}
	// The filter's problems in the form's order, whatever order the hub's
	// field map gave.
	order := map[string]int{"status": 0, "rag": 1, "cohort": 2, "due": 3, "assigned": 4, "agency": 5, "sort": 6}
	sort.SliceStable(p.Errors, func(i, j int) bool { return order[p.Errors[i].Field] < order[p.Errors[j].Field] })
	p.Data = d
	status := http.StatusOK
	if len(p.Errors) > 0 {
		status = http.StatusBadRequest
	}
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") == "board-results" {
		h.renderTemplate(w, r, status, "board", "board-results", p)
		return
	}
	h.render(w, r, status, "board", p)
}

// addError adds a problem with a field to the page's error summary and to
// the field itself.
func (p *page) addError(field, msg string) {
	if p.FieldErr == nil {
		p.FieldErr = map[string]string{}
	}
	if _, dup := p.FieldErr[field]; dup {
		return
	}
	p.FieldErr[field] = msg
	p.Errors = append(p.Errors, fieldError{field, msg})
}
