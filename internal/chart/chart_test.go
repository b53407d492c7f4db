package chart

import (
	"encoding/xml"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden SVG files")

var months = []string{"Nov 25", "Dec 25", "Jan 26", "Feb 26", "Mar 26", "Apr 26", "May 26", "Jun 26", "Jul 26", "Aug 26", "Sep 26", "Oct 26"}

// examples are one chart of each kind, with the awkward cases: a missing
// (suppressed) value, long category names, many series.
var examples = map[string]Chart{
	"bar": {Kind: Bar, Title: "Contacts by channel", Labels: []string{"Phone", "Email", "Online form", "Police notification"},
		Series: []Series{{Name: "Contacts", Values: []float64{120, 45, 310, 1204}}}},
	"stacked": {Kind: Stacked, Title: "Open contacts by state and RAG", Labels: []string{"Received", "Screening", "In MASH", "Decided"},
		Series: []Series{{Name: "Red", Values: []float64{2, 1, 4, 0}}, {Name: "Amber", Values: []float64{5, 3, 7, 1}},
			{Name: "Green", Values: []float64{9, 6, 2, 3}}, {Name: "Not rated", Values: []float64{12, 0, 0, 0}}}},
	"grouped": {Kind: Grouped, Title: "Decided within the RAG timescale", Suffix: "%", Max: 100, Decimals: 1,
		Labels:  []string{"Red", "Amber", "Green"},
		Series:  []Series{{Name: "Children", Values: []float64{95.5, 81.25, 70}}, {Name: "Adults", Values: []float64{100, math.NaN(), 64.2}}},
		Missing: "[c]"},
	"line": {Kind: Line, Title: "Contacts per month", Labels: months,
		Series: []Series{{Name: "Children", Values: []float64{820, 790, 705, 860, 910, 880, 842, 799, 650, 610, 905, 930}},
			{Name: "Adults", Values: []float64{310, 322, 290, math.NaN(), 340, 351, 330, 318, 300, 296, 345, 362}}}},
	"hbar": {Kind: HBar, Title: "Contacts by concern", Labels: []string{"Domestic abuse: child is the subject of concern (3A)",
		"Neglect", "Child sexual exploitation", "Missing"}, Series: []Series{{Name: "Contacts", Values: []float64{412, 230, 3, 57}}}},
	"funnel": {Kind: Funnel, Title: "From contact to decision", Labels: []string{"Contacts", "Screened", "Taken into MASH", "Referred to children's social care"},
		Series: []Series{{Name: "Contacts", Values: []float64{1000, 980, 410, 230}}}},
	"grouped-long": {Kind: Grouped, Title: "Returns by agency", Labels: []string{"Northshire Community Health NHS Trust",
		"Northshire Constabulary", "Probation Service (Northshire)", "Northshire Council Housing Services"},
		Series: []Series{{Name: "Requests", Values: []float64{17, 19, 8, 10}}, {Name: "Returned", Values: []float64{15, 16, 6, 10}},
			{Name: "Open, overdue", Values: []float64{1, 2, 0, 0}}}},
	"empty": {Kind: Line, Title: "Nothing this month", Labels: months, Series: []Series{{Name: "Contacts", Values: make([]float64, 0)}}},
}

func TestGolden(t *testing.T) {
	for name, c := range examples {
		t.Run(name, func(t *testing.T) {
			got := string(c.SVG("chart-" + name))
			wellFormed(t, got)
			path := filepath.Join("testdata", name+".svg")
			if *update {
				if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if got+"\n" != string(want) {
				t.Errorf("%s differs from the golden file; look at it and rerun with -update if the change is right", name)
			}
		})
	}
}

// wellFormed parses svg as XML and checks it is an accessible image: role
// img, a title and a desc, both referenced by aria-labelledby.
func wellFormed(t *testing.T, svg string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	var root *xml.StartElement
	seen := map[string]bool{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == nil {
				root = &se
			}
			for _, a := range se.Attr {
				if a.Name.Local == "id" {
					seen[a.Value] = true
				}
			}
		}
	}
	attr := map[string]string{}
	for _, a := range root.Attr {
		attr[a.Name.Local] = a.Value
	}
	if root.Name.Local != "svg" || attr["role"] != "img" || !strings.HasPrefix(attr["viewBox"], "0 0 640 ") {
		t.Errorf("root %s %v: want <svg role=img viewBox=…>", root.Name.Local, attr)
	}
	if _, ok := attr["width"]; ok {
		t.Error("svg has a fixed width: it should scale by its viewBox")
	}
	for _, ref := range strings.Fields(attr["aria-labelledby"]) {
		if !seen[ref] {
			t.Errorf("aria-labelledby names %q, which is not in the SVG", ref)
		}
	}
	if !strings.Contains(svg, "<title id=") || !strings.Contains(svg, "<desc id=") {
		t.Error("no title or desc")
	}
}

// TestEscapes: names, labels, titles and ids with markup come out as text.
func TestEscapes(t *testing.T) {
	evil := `<script>alert("x")</script> & 'q'`
	for _, k := range []Kind{Bar, Stacked, Grouped, Line, HBar, Funnel} {
		c := Chart{Kind: k, Title: evil, Labels: []string{evil, "b"}, Suffix: evil,
			Series: []Series{{Name: evil, Values: []float64{3, 4}}, {Name: "x", Values: []float64{1, 2}}}}
		svg := string(c.SVG(`a"><script>`))
		if strings.Contains(svg, "<script") || strings.Contains(svg, `"x")`) {
			t.Errorf("%s: markup not escaped:\n%s", k, svg)
		}
		if !strings.Contains(svg, "&lt;script&gt;") {
			t.Errorf("%s: the label is missing, escaped or not", k)
		}
		wellFormed(t, svg)
		c.Desc = evil
		if svg := string(c.SVG("d")); strings.Contains(svg, "<script") {
			t.Errorf("%s: desc not escaped", k)
		}
	}
}

// TestBarsAreToScale: heights are proportional to values on one axis, and
// every value is labelled (the suppressed one as [c]).
func TestBarsAreToScale(t *testing.T) {
	c := examples["grouped"]
	sc := c.Layout()
	var bars []Shape
	texts := map[string]bool{}
	for _, s := range sc.Shapes {
		if s.Kind == RectShape && s.Series >= 0 && s.W > swatch { // not legend swatches
			bars = append(bars, s)
		}
		if s.Kind == TextShape {
			texts[s.Text] = true
		}
	}
	if len(bars) != 5 { // six values, one missing
		t.Fatalf("%d bars, want 5", len(bars))
	}
	unit := bars[0].H / 95.5
	for i, want := range []float64{95.5, 100, 81.25, 70, 64.2} {
		if math.Abs(bars[i].H-want*unit) > 0.01 {
			t.Errorf("bar %d: height %.2f, want %.2f", i, bars[i].H, want*unit)
		}
	}
	for _, want := range []string{"95.5%", "81.2%", "100.0%", "[c]", "Children", "Adults", "Red", "100%", "0%"} {
		if !texts[want] {
			t.Errorf("no label %q in %v", want, texts)
		}
	}
	if bars[0].Pattern == bars[1].Pattern {
		t.Error("two series share a pattern: colour would be the only cue")
	}
}

func TestLinesDifferWithoutColour(t *testing.T) {
	sc := examples["line"].Layout()
	marker := map[int]Marker{}
	dash := map[int]string{}
	var paths int
	for _, s := range sc.Shapes {
		switch s.Kind {
		case PointShape:
			marker[s.Series] = s.Marker
		case PathShape:
			paths++
			dash[s.Series] = dashAttr(s.Dash)
		}
	}
	if marker[0] == marker[1] || dash[0] == dash[1] {
		t.Errorf("series look alike without colour: markers %v, dashes %v", marker, dash)
	}
	if paths != 3 { // Adults broken by its missing month
		t.Errorf("%d line segments, want 3", paths)
	}
	if !strings.Contains(string(examples["line"].SVG("l")), ">Adults 362</text>") {
		t.Error("the line is not labelled at its end with its name and last value")
	}
}

func TestFunnelShares(t *testing.T) {
	svg := string(examples["funnel"].SVG("f"))
	for _, want := range []string{"1,000", "410 (41% of first)", "230 (23% of first)"} {
		if !strings.Contains(svg, want) {
			t.Errorf("no %q", want)
		}
	}
}

func TestEmpty(t *testing.T) {
	c := examples["empty"]
	if !c.Empty() || c.Description() != "No data for this period." {
		t.Errorf("empty chart: %v %q", c.Empty(), c.Description())
	}
	if !strings.Contains(string(c.SVG("e")), "No data for this period") {
		t.Error("an empty chart does not say so")
	}
}

func TestScale(t *testing.T) {
	for _, tc := range []struct {
		max, top, step float64
		whole          bool
	}{
		{0, 1, 0.25, false}, {3, 3, 1, true}, {7, 8, 2, true}, {100, 100, 20, true}, {1204, 1250, 250, true}, {0.42, 0.5, 0.1, false},
	} {
		top, step := scale(tc.max, tc.whole)
		if math.Abs(top-tc.top) > 1e-9 || math.Abs(step-tc.step) > 1e-9 {
			t.Errorf("scale(%v) = %v, %v; want %v, %v", tc.max, top, step, tc.top, tc.step)
		}
	}
}

func TestFormatAndDescription(t *testing.T) {
	c := Chart{Decimals: 1, Suffix: "%", Labels: []string{"a", "b"}, Series: []Series{{Values: []float64{12345.67, math.NaN()}}}, Missing: "[c]"}
	if got := c.Format(12345.67); got != "12,345.7%" {
		t.Errorf("Format = %q", got)
	}
	if got := c.Description(); got != "a 12,345.7%, b [c]." {
		t.Errorf("Description = %q", got)
	}
	if got := (Chart{}).Format(-1234); got != "-1,234" {
		t.Errorf("Format(-1234) = %q", got)
	}
}

func TestCategoryLabelsWrap(t *testing.T) {
	sc := examples["grouped-long"].Layout()
	texts := map[string]bool{}
	for _, s := range sc.Shapes {
		if s.Kind == TextShape {
			texts[s.Text] = true
			if s.Anchor == Middle && s.X-TextWidth(s.Text, s.Size)/2 < 0 {
				t.Errorf("%q runs off the left edge", s.Text)
			}
		}
	}
	for _, want := range []string{"Northshire", "Community Health", "NHS Trust", "Constabulary"} {
		if !texts[want] {
			t.Errorf("no wrapped line %q in %v", want, texts)
		}
	}
}

func TestWrap(t *testing.T) {
	got := wrap("Domestic abuse: child is the subject of concern and a very long name indeed to be clipped", 200, 13)
	if len(got) != 2 || !strings.HasSuffix(got[1], "…") || TextWidth(got[0], 13) > 200 {
		t.Errorf("wrap = %q", got)
	}
}
