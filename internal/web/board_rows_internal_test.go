package web

import (
	"bytes"
	"html/template"
	"strings"
	"testing"
)

// TestBoardRowsEscaped: the board's rows, written in Go, escape text and
// attribute values as html/template would, so a subject's name or the
// board's address cannot inject markup.
func TestBoardRowsEscaped(t *testing.T) {
	hostile := `Ann+O'Neil <script>alert("x")</script> & co` + "\x00"
	tmpl := template.Must(template.New("").Parse(`<td>{{.}}</td><input value="{{.}}">`))
	var want bytes.Buffer
	if err := tmpl.Execute(&want, hostile); err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	got.WriteString("<td>")
	boardEscaper.WriteString(&got, hostile)
	got.WriteString(`</td><input value="`)
	boardEscaper.WriteString(&got, hostile)
	got.WriteString(`">`)
	if got.String() != want.String() {
		t.Fatalf("escaped as\n%s\nhtml/template escapes as\n%s", got.String(), want.String())
	}

	rows := writeBoardRows([]boardRow{{ID: "c1", Reference: "MASH-1", Subject: hostile, AssignForm: true, Back: `/board?x="><script>`,
		Requests: []boardRequest{{AgencyName: "<b>Police</b>", TimeLeft: "2h left", Due: "2026-11-26T12:00:00Z"}}}})
	for _, bad := range []string{"<script>", "<b>"} {
		if strings.Contains(string(rows), bad) {
			t.Errorf("the rows carry %q unescaped:\n%s", bad, rows)
		}
	}
	for _, want := range []string{`<a class="govuk-link" href="/contacts/c1">MASH-1</a>`, `name="back" value="/board?x=&#34;&gt;&lt;script&gt;"`,
		`<li>&lt;b&gt;Police&lt;/b&gt;: <span data-due="2026-11-26T12:00:00Z">2h left</span></li>`, `Assign<span class="govuk-visually-hidden"> MASH-1</span> to me`} {
		if !strings.Contains(string(rows), want) {
			t.Errorf("the rows lack %q:\n%s", want, rows)
		}
	}
	if writeBoardRows(nil) != "" {
		t.Error("no rows write markup")
	}
}
