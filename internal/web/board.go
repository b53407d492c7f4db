package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"openmash.org/mash"
)

// boardLimit is how many contacts the board asks the hub for.
const boardLimit = 1000

type boardData struct {
	Rows []boardRow
	// RowsHTML is the rows' markup (writeBoardRows), empty with no rows.
	RowsHTML  template.HTML
	Counts    []stateCount
	Open      int  // contacts on the board, all states but closed
	Overdue   int  // of them, past their deadline
	Truncated bool // the hub returned boardLimit rows: there may be more
	// Token is the live queue's fingerprint when the page was made; the
	// page polls /board/changes with it every PollSeconds.
	Token       string
	PollSeconds int
	// Pager is the page of the (filtered, ordered) rows shown.
	Pager boardPager

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

// boardRow is one contact on the board with its cells' words worked out in
// Go once. writeBoardRows turns the rows into markup: with 500 rows, the
// template's reflective field reads and escaper calls per cell were most
// of the page's time (p95 over 50 ms).
type boardRow struct {
	// The summary's fields the row shows.
	ID, Reference, Subject, RAG, AssignedName string
	ImmediateRisk, Overdue                    bool
	Version                                   int
	CohortLabel, StatusLabel                  string
	RAGClass, RAGLabel                        string
	// The deadline cell: Overdue (the summary's), else Running (the clock
	// runs towards DueAt) or Stopped (paused past it); none of them: no
	// deadline. TimeLeft is the time to, or past, the deadline, and Due
	// the deadline itself (RFC 3339), for the page to count down.
	Running, Stopped bool
	TimeLeft, Due    string
	Close            bool // running, and past the share of the clock at which the hub alerts
	Requests         []boardRequest
	// The "Assign to me" form: shown to a reader who may assign, on an
	// unassigned open contact; Back is the board's address to return to.
	AssignForm bool
	Back       string
}

// boardRequest is an open request to a partner agency, as a board row shows it.
type boardRequest struct {
	AgencyName string
	Overdue    bool
	TimeLeft   string
	Due        string // RFC 3339, for the countdown
}

// newBoardRow works out a row's cells at now.
func newBoardRow(c mash.ContactSummary, reqs []mash.InfoRequest, canAssign bool, back string, now time.Time) boardRow {
	row := boardRow{ID: c.ID, Reference: c.Reference, Subject: c.Subject, RAG: c.RAG, AssignedName: c.AssignedName,
		ImmediateRisk: c.ImmediateRisk, Overdue: c.Overdue, Version: c.Version, CohortLabel: label(string(c.Cohort)), StatusLabel: statusLabel(c.Status),
		RAGClass: ragClass(c.RAG), RAGLabel: ragLabel(c.RAG), Back: back}
	if !c.Overdue && c.DueAt != nil {
		row.Running = c.DueAt.After(now)
		row.Stopped = !row.Running
		// Deadline close: past the share of the clock at which the hub
		// alerts the manager, not yet missed.
		row.Close = row.Running && !now.Before(mash.PointInTime(c.ReceivedAt, *c.DueAt, mash.ContactApproaching))
	}
	if c.Overdue || row.Running {
		row.TimeLeft, row.Due = timeLeft(c.DueAt, now), c.DueAt.UTC().Format(time.RFC3339)
	}
	for _, q := range reqs {
		br := boardRequest{AgencyName: q.AgencyName, Overdue: q.Status == mash.RequestOverdue}
		if !br.Overdue {
			br.TimeLeft, br.Due = timeLeft(&q.DueAt, now), q.DueAt.UTC().Format(time.RFC3339)
		}
		row.Requests = append(row.Requests, br)
	}
	row.AssignForm = c.AssignedName == "" && canAssign && !c.Status.Closed()
	return row
}

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

	// The queue's fingerprint first: a change after it and before the
	// lists below can only make the page offer a needless refresh, never
	// miss one.
	state, err := h.hub.BoardState(ctx, a)
	if err != nil {
		h.failFor(w, r, a, err)
		return
	}
	d.Token, d.PollSeconds = state.Token, int(h.boardPoll/time.Second)
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
	shown := make([]mash.ContactSummary, 0, len(rows))
	for _, c := range rows {
		// Closed contacts leave the board unless asked for by state.
		if c.Status.Closed() && f.Status == "" {
			continue
		}
		shown = append(shown, c)
	}
	if less := boardOrders[d.Sort]; less != nil {
		sort.SliceStable(shown, func(i, j int) bool { return less(shown[i], shown[j]) })
	}
	if d.Sort == "rag" {
		sortByRAG(shown, policy)
	}
	n, ok := pageNumber(q.Get("page"))
	if !ok {
		p.addError("page", "Choose a page from the list of pages")
	}
	var lo, hi int
	d.Pager, lo, hi = paginate(r.URL, len(shown), n)
	shown = shown[lo:hi]
	// The open requests to partner agencies, for the rows; the hub says
	// whether the reader may see them.
	var requests map[string][]mash.InfoRequest
	if mash.Can(a, mash.ActionRequestRead, mash.Resource{}) && len(shown) > 0 {
		ids := make([]string, len(shown))
		for i, c := range shown {
			ids[i] = c.ID
		}
		reqs, err := h.hub.ListRequests(ctx, a, mash.RequestFilter{ContactIDs: ids, Status: mash.RequestOpen, Limit: boardLimit})
		if err != nil {
			h.failFor(w, r, a, err)
			return
		}
		requests = map[string][]mash.InfoRequest{}
		for _, q := range reqs {
			requests[q.ContactID] = append(requests[q.ContactID], q)
		}
	}
	// The rows' cells at one now, the page's.
	p.Now, p.Path = h.now(), r.URL.RequestURI()
	d.Rows = make([]boardRow, 0, len(shown))
	for _, c := range shown {
		d.Rows = append(d.Rows, newBoardRow(c, requests[c.ID], d.CanAssign, p.Path, p.Now))
	}
	d.RowsHTML = writeBoardRows(d.Rows)
	// The filter's problems in the form's order, whatever order the hub's
	// field map gave.
	order := map[string]int{"status": 0, "rag": 1, "cohort": 2, "due": 3, "assigned": 4, "agency": 5, "sort": 6, "page": 7}
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

// writeBoardRows is the markup of the board's rows (the table body's
// rows in board.html), written here rather than by the template: per row
// it is the same markup the template wrote, escaped as html/template
// escapes text and quoted attributes (boardEscaper). The "Assign to me"
// form posts without JavaScript, as before.
func writeBoardRows(rows []boardRow) template.HTML {
	var b strings.Builder
	b.Grow(len(rows) * 1400)
	esc := func(s string) { boardEscaper.WriteString(&b, s) }
	for i := range rows {
		row := &rows[i]
		b.WriteString("<tr class=\"govuk-table__row\">\n<td class=\"govuk-table__cell\"><a class=\"govuk-link\" href=\"/contacts/")
		b.WriteString(url.PathEscape(row.ID))
		b.WriteString("\">")
		esc(row.Reference)
		b.WriteString("</a>")
		if row.ImmediateRisk {
			b.WriteString("<br><strong class=\"moj-badge moj-badge--red\">Immediate risk</strong>")
		}
		b.WriteString("</td>\n<td class=\"govuk-table__cell\">")
		esc(row.Subject)
		b.WriteString("</td>\n<td class=\"govuk-table__cell\">")
		esc(row.CohortLabel)
		b.WriteString("</td>\n<td class=\"govuk-table__cell\">")
		esc(row.StatusLabel)
		b.WriteString("</td>\n<td class=\"govuk-table__cell\">")
		if row.RAG != "" {
			b.WriteString("<strong class=\"govuk-tag ")
			esc(row.RAGClass)
			b.WriteString("\">")
			esc(row.RAGLabel)
			b.WriteString("</strong>")
		} else {
			b.WriteString("Not rated")
		}
		b.WriteString("</td>\n<td class=\"govuk-table__cell\">")
		switch {
		case row.Overdue:
			b.WriteString("<span class=\"app-overdue\" data-due=\"")
			esc(row.Due)
			b.WriteString("\">")
			esc(row.TimeLeft)
			b.WriteString("</span>")
		case row.Running:
			b.WriteString("<span data-due=\"")
			esc(row.Due)
			b.WriteString("\">")
			esc(row.TimeLeft)
			b.WriteString("</span>")
			if row.Close {
				b.WriteString(" <strong class=\"govuk-tag govuk-tag--orange\">Deadline close</strong>")
			}
		case row.Stopped:
			b.WriteString("Clock stopped")
		default:
			b.WriteString("No deadline")
		}
		b.WriteString("</td>\n<td class=\"govuk-table__cell\">")
		if len(row.Requests) > 0 {
			b.WriteString("<ul class=\"govuk-list govuk-body-s app-requests\">")
			for _, q := range row.Requests {
				b.WriteString("<li>")
				esc(q.AgencyName)
				b.WriteString(": ")
				if q.Overdue {
					b.WriteString("<strong class=\"app-overdue\">Overdue</strong>")
				} else {
					b.WriteString("<span data-due=\"")
					esc(q.Due)
					b.WriteString("\">")
					esc(q.TimeLeft)
					b.WriteString("</span>")
				}
				b.WriteString("</li>")
			}
			b.WriteString("</ul>")
		} else {
			b.WriteString("None")
		}
		b.WriteString("</td>\n<td class=\"govuk-table__cell\">")
		switch {
		case row.AssignedName != "":
			esc(row.AssignedName)
		case row.AssignForm:
			b.WriteString("\n<form method=\"post\" action=\"/contacts/")
			b.WriteString(url.PathEscape(row.ID))
			b.WriteString("/assignment\">\n<input type=\"hidden\" name=\"user_id\" value=\"me\">\n<input type=\"hidden\" name=\"version\" value=\"")
			b.WriteString(strconv.Itoa(row.Version))
			b.WriteString("\">\n<input type=\"hidden\" name=\"back\" value=\"")
			esc(row.Back)
			b.WriteString("\">\n<button type=\"submit\" class=\"govuk-button govuk-button--secondary govuk-!-margin-bottom-0\" data-module=\"govuk-button\">Assign<span class=\"govuk-visually-hidden\"> ")
			esc(row.Reference)
			b.WriteString("</span> to me</button>\n</form>")
		default:
			b.WriteString("Not assigned")
		}
		b.WriteString("</td>\n</tr>\n")
	}
	return template.HTML(b.String())
}

// boardEscaper escapes text and quoted attribute values as html/template
// does (its htmlEscaper), so the rows read the same as when the template
// wrote them.
var boardEscaper = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")
