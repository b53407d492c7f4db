// Package chart draws the hub's charts: bar, stacked and grouped bar, line
// over time and horizontal bar (with a funnel variant). A Chart is plain
// data; Layout turns it into a Scene of shapes in abstract units, and two
// renderers draw that same scene: SVG here for the pages, and the PDF report
// (internal/report) with its own primitives. So a chart looks and reads the
// same on screen and on paper.
//
// The charts are made to be read without colour: every series has a fill
// pattern or a marker shape and dash as well as a colour (the Government
// Analysis Function's accessible categorical palette), values are labelled
// directly where there is room, lines are labelled at their ends, and the
// SVG is an <svg role="img"> with a <title> and a <desc> that states the
// numbers. Pages put a data table beside every chart all the same.
package chart

import (
	"math"
	"strconv"
	"strings"
)

// Kind is the shape of a chart.
type Kind string

// The kinds of chart.
const (
	Bar     Kind = "bar"     // one series, vertical bars
	Stacked Kind = "stacked" // several series stacked in each category
	Grouped Kind = "grouped" // several series side by side in each category
	Line    Kind = "line"    // several series over time
	HBar    Kind = "hbar"    // one series, horizontal bars (long category names)
	Funnel  Kind = "funnel"  // horizontal bars, each also as a share of the first
)

// Series is one set of values, one per category. NaN is a value that is
// missing or withheld (a suppressed small number): no bar or point is
// drawn, and its label is the chart's Missing text.
type Series struct {
	Name   string
	Values []float64
	// Colour overrides the palette where colour carries meaning (RAG
	// ratings); the pattern still tells series apart.
	Colour *RGB
}

// Chart is what to draw.
type Chart struct {
	Kind   Kind
	Title  string   // short; the SVG's <title>
	Desc   string   // a sentence for screen readers; generated from the data when empty
	Labels []string // the categories (x axis; y axis for HBar and Funnel)
	Series []Series
	// Decimals and Suffix format values: 1 and "%" give "23.5%".
	Decimals int
	Suffix   string
	// Max fixes the value axis's top (100 for percentages); zero scales
	// to the data.
	Max float64
	// Missing labels a NaN value; "[c]" marks a suppressed one as
	// statistical releases do. Default "no data".
	Missing string
}

// Format writes v as the chart labels it.
func (c Chart) Format(v float64) string {
	if math.IsNaN(v) {
		if c.Missing == "" {
			return "no data"
		}
		return c.Missing
	}
	return group(strconv.FormatFloat(v, 'f', c.Decimals, 64)) + c.Suffix
}

// group puts thousands separators in a formatted number: 12,345.6.
func group(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, dot := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if dot {
		b.WriteString("." + frac)
	}
	return b.String()
}

// Empty reports whether the chart has no value to draw.
func (c Chart) Empty() bool {
	for _, s := range c.Series {
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				return false
			}
		}
	}
	return true
}

// value is series s's value at category i, NaN where there is none.
func (c Chart) value(s, i int) float64 {
	if s >= len(c.Series) || i >= len(c.Series[s].Values) {
		return math.NaN()
	}
	return c.Series[s].Values[i]
}

// Description is the chart's text alternative: its Desc, or a sentence per
// series listing each category's value.
func (c Chart) Description() string {
	if c.Desc != "" {
		return c.Desc
	}
	if c.Empty() {
		return "No data for this period."
	}
	var b strings.Builder
	for s, ser := range c.Series {
		if s > 0 {
			b.WriteString(" ")
		}
		if ser.Name != "" && len(c.Series) > 1 {
			b.WriteString(ser.Name + ": ")
		}
		for i, l := range c.Labels {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(l + " " + c.Format(c.value(s, i)))
		}
		b.WriteString(".")
	}
	return b.String()
}

// RGB is a colour.
type RGB struct{ R, G, B uint8 }

// Hex is the colour as #rrggbb.
func (c RGB) Hex() string {
	const digits = "0123456789abcdef"
	b := []byte{'#', 0, 0, 0, 0, 0, 0}
	for i, v := range []uint8{c.R, c.G, c.B} {
		b[1+2*i], b[2+2*i] = digits[v>>4], digits[v&15]
	}
	return string(b)
}

// Palette is the Government Analysis Function's categorical palette for
// charts, in its order (chosen so neighbours differ for colour-blind
// readers); beyond six series the colours repeat with other patterns.
var Palette = []RGB{
	{0x12, 0x43, 0x6d}, // dark blue
	{0x28, 0xa1, 0x97}, // turquoise
	{0x80, 0x16, 0x50}, // dark pink
	{0xf4, 0x6a, 0x25}, // orange
	{0x3d, 0x3d, 0x3d}, // dark grey
	{0xa2, 0x85, 0xd1}, // light purple
}

// Ink colours: text and axes in GOV.UK's text colour, gridlines in its
// border colour.
var (
	Text  = RGB{0x0b, 0x0c, 0x0c}
	Grid  = RGB{0xce, 0xce, 0xce}
	White = RGB{0xff, 0xff, 0xff}
)

// Colour is series s's colour: its own, or the palette's.
func (c Chart) Colour(s int) RGB {
	if s < len(c.Series) && c.Series[s].Colour != nil {
		return *c.Series[s].Colour
	}
	return Palette[s%len(Palette)]
}

// The RAG colours, GOV.UK's red and green and the Analysis Function's
// orange for amber.
var (
	Red   = RGB{0xca, 0x35, 0x35}
	Amber = RGB{0xf4, 0x6a, 0x25}
	Green = RGB{0x0f, 0x7a, 0x52}
)

// Pattern is a fill texture, so stacked and grouped series differ without
// colour (and in black-and-white print).
type Pattern int

// The patterns, in series order.
const (
	Solid Pattern = iota
	Diagonal
	Dots
	Crosshatch
	Horizontal
	Vertical
	patterns
)

// PatternOf is series s's pattern: solid first, then the others, shifting
// once the colours run out so no two series look alike.
func PatternOf(s int) Pattern { return Pattern((s + s/len(Palette)) % int(patterns)) }

// Marker tells line series apart at their points.
type Marker int

// The marker shapes, in series order.
const (
	Circle Marker = iota
	Square
	Triangle
	Diamond
	markers
)

// MarkerOf is series s's marker.
func MarkerOf(s int) Marker { return Marker(s % int(markers)) }

// Dash is series s's line dash, as on and off lengths; nil is solid.
func Dash(s int) []float64 {
	switch s % 3 {
	case 1:
		return []float64{8, 4}
	case 2:
		return []float64{2, 3}
	}
	return nil
}
