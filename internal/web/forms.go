package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"openmash.org/mash"
)

// Helpers shared by the pages' forms: reading them, naming their fields and
// turning the hub's field problems into an error summary. They decide no
// rules: every form is checked by the hub method it calls.

// readForm parses a POST form of at most maxForm bytes; false (with a
// problem page sent) when it cannot be read.
func (h *Handler) readForm(w http.ResponseWriter, r *http.Request, a mash.Actor) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		h.problemFor(w, r, a, http.StatusBadRequest, "There is a problem", "The form could not be read. Go back and try again.")
		return false
	}
	return true
}

// refuse sends the route-level refusal: the role may not take action at
// all (the first of the two checks; the hub's scope is the second).
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, a mash.Actor, action mash.Action, what string) bool {
	if mash.Can(a, action, mash.Resource{}) {
		return false
	}
	h.problemFor(w, r, a, http.StatusForbidden, "You cannot use this page", "Your role cannot "+what+".")
	return true
}

var idReplacer = strings.NewReplacer("[", "-", "].", "-", "]", "", ".", "-", "_", "_")

// fieldID is the HTML id of the form field for a hub field path:
// "subjects[1].dob" is "subjects-1-dob", "referrer.name" "referrer-name".
// A prefix names the form on a page with several.
func fieldID(prefix, path string) string {
	id := idReplacer.Replace(path)
	if prefix != "" {
		id = prefix + "-" + id
	}
	return id
}

// fieldProblems returns the hub's field problems in err, and whether err is
// an Invalid error that carries them.
func fieldProblems(err error) (map[string]string, bool) {
	var e *mash.Error
	if mash.KindOf(err) != mash.KindInvalid || !errors.As(err, &e) || len(e.Fields) == 0 {
		return nil, false
	}
	return e.Fields, true
}

// stale reports whether err is the hub's refusal of a write made against a
// version that is no longer current.
func stale(err error) bool {
	var e *mash.Error
	if mash.KindOf(err) != mash.KindConflict || !errors.As(err, &e) {
		return false
	}
	_, ok := e.Fields["version"]
	return ok
}

// sentence makes a hub field problem readable on its own in an error
// summary: "Date of birth is not a real date", "Concerns: at least one
// concern code is required".
func sentence(label, problem string) string {
	for _, verb := range []string{"is ", "must ", "has ", "are "} {
		if strings.HasPrefix(problem, verb) {
			return label + " " + problem
		}
	}
	return label + ": " + problem
}

var indexRE = regexp.MustCompile(`\[(\d+)\]`)

// genericPath replaces indexes in a hub field path: "subjects[2].dob" is
// "subjects[].dob". It also returns the first index, or -1.
func genericPath(path string) (string, int) {
	first := -1
	out := indexRE.ReplaceAllStringFunc(path, func(m string) string {
		if first < 0 {
			first, _ = strconv.Atoi(m[1 : len(m)-1])
		}
		return "[]"
	})
	return out, first
}

// sortErrors puts a page's error summary in the order its fields appear:
// order lists field ids top to bottom; unknown ids go last.
func sortErrors(p *page, order []string) {
	rank := map[string]int{}
	for i, id := range order {
		if _, dup := rank[id]; !dup {
			rank[id] = i
		}
	}
	at := func(id string) int {
		if i, ok := rank[id]; ok {
			return i
		}
		return len(order)
	}
	sort.SliceStable(p.Errors, func(i, j int) bool { return at(p.Errors[i].Field) < at(p.Errors[j].Field) })
}

// version reads a form's version field; 0 (which the hub refuses) when it
// is missing or not a number.
func version(r *http.Request) int {
	v, _ := strconv.Atoi(r.PostForm.Get("version"))
	return v
}

// formRows is how many numbered rows (subjects, items) a form posted: its
// count field, at least min and at most max.
func formRows(r *http.Request, field string, min, max int) int {
	n, err := strconv.Atoi(r.PostForm.Get(field))
	if err != nil || n < min {
		n = min
	}
	if n > max {
		n = max
	}
	return n
}

// seq is 0..n-1, for templates.
func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// formField is what the templates' "field" needs for one text input.
type formField struct {
	FE                                    map[string]string
	Name, Label, Hint, Value, Type, Width string
}

// rowField is one text input of a subject row; Live inputs fetch the
// row's match candidates as the user types (htmx).
type rowField struct {
	Row                             subjectRow
	Name, Label, Hint, Value, Width string
	Live                            bool
}

var sexOptions = []option{{"", "Not known"}, {"F", "Female"}, {"M", "Male"}, {"X", "Another way"}, {"U", "Not stated"}}

var matchLabels = map[string]string{mash.MatchSame: "Same person", mash.MatchUncertain: "Possibly the same",
	mash.MatchDifferent: "Probably different", mash.MatchRelated: "A relative, not the same"}

func init() {
	viewFuncs["fid"] = func(path string) string { return fieldID("", path) }
	viewFuncs["inc"] = func(i int) int { return i + 1 }
	viewFuncs["seq"] = seq
	viewFuncs["fieldArgs"] = func(fe map[string]string, name, label, hint, value, typ, width string) formField {
		return formField{FE: fe, Name: name, Label: label, Hint: hint, Value: value, Type: typ, Width: width}
	}
	viewFuncs["rowArgs"] = func(row subjectRow, name, label, hint, value, width string) rowField {
		live := row.Match && (name == "given_name" || name == "family_name" || name == "dob")
		return rowField{Row: row, Name: fmt.Sprintf("subjects[%d].%s", row.Index, name), Label: label, Hint: hint, Value: value, Width: width, Live: live}
	}
	viewFuncs["subjectRoles"] = func() []option { return subjectRoleOptions }
	viewFuncs["sexes"] = func() []option { return sexOptions }
	viewFuncs["matchLabel"] = func(o string) string {
		if l, ok := matchLabels[o]; ok {
			return l
		}
		return label(o)
	}
	viewFuncs["matchClass"] = func(o string) string {
		switch o {
		case mash.MatchSame:
			return "govuk-tag--green"
		case mash.MatchUncertain:
			return "govuk-tag--yellow"
		}
		return "govuk-tag--grey"
	}
}

// control is what the partials "input", "textarea", "select" and "radios"
// need: a field of a form whose ids start with the form's prefix.
type control struct {
	FE                                 map[string]string
	ID, Name, Label, Hint, Value, Type string
	Rows                               int
	Inline                             bool
	Options                            []option
}

type formsArgs struct {
	D  contactData
	FE map[string]string
}

func init() {
	ctl := func(fe map[string]string, form, name, lbl, hint, value string) control {
		return control{FE: fe, ID: fieldID(form, name), Name: name, Label: lbl, Hint: hint, Value: value}
	}
	viewFuncs["formsArgs"] = func(d contactData, fe map[string]string) formsArgs { return formsArgs{d, fe} }
	viewFuncs["inputArgs"] = ctl
	viewFuncs["textArgs"] = ctl
	viewFuncs["selectArgs"] = func(fe map[string]string, form, name, lbl, hint string, opts []option, value string) control {
		c := ctl(fe, form, name, lbl, hint, value)
		c.Options = opts
		return c
	}
	viewFuncs["radioArgs"] = func(fe map[string]string, form, name, lbl, hint string, opts []option, value string) control {
		c := ctl(fe, form, name, lbl, hint, value)
		c.Options, c.Inline = opts, len(opts) <= 4
		return c
	}
	viewFuncs["prepend"] = func(value, lbl string, opts []option) []option {
		return append([]option{{value, lbl}}, opts...)
	}
	viewFuncs["levelOptions"] = func(levels []int) []option {
		var out []option
		for _, l := range levels {
			out = append(out, option{strconv.Itoa(l), "Level " + strconv.Itoa(l)})
		}
		return out
	}
	viewFuncs["agencyOptions"] = func(first string, ags []mash.Agency) []option {
		out := []option{{"", first}}
		for _, a := range ags {
			out = append(out, option{a.ID, a.Name})
		}
		return out
	}
}

func init() {
	viewFuncs["ctlArgs"] = func(fe map[string]string, name, lbl, hint, value string) control {
		return control{FE: fe, ID: fieldID("", name), Name: name, Label: lbl, Hint: hint, Value: value}
	}
}

// keptInput is what a user sent that was not saved, to show back to them
// when the form itself is no longer offered (the record moved on): every
// non-empty field but the form's bookkeeping, in the order sent.
func keptInput(v url.Values, order []string) []keptField {
	var out []keptField
	seen := map[string]bool{}
	for _, k := range order {
		seen[k] = true
		for _, x := range v[k] {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, keptField{keptLabel(k), x})
			}
		}
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if seen[k] || k == "version" || k == "views" || k == "items" || k == "action" || strings.HasSuffix(k, "agency_id") {
			continue
		}
		for _, x := range v[k] {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, keptField{keptLabel(k), x})
			}
		}
	}
	return out
}

// keptField is one field of kept input: its name and what was typed.
type keptField struct{ Label, Value string }

func keptLabel(k string) string {
	gen, i := genericPath(k)
	gen = strings.ReplaceAll(strings.ReplaceAll(gen, "[]", ""), ".", " ")
	l := label(gen)
	if i >= 0 {
		l += fmt.Sprintf(" (%d)", i+1)
	}
	return l
}
