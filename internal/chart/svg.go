package chart

import (
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// SVG draws the chart as an inline <svg role="img">, named by its <title>
// and described by its <desc> (aria-labelledby both), sized by its viewBox
// so it takes the width it is given. id must be unique on the page: it
// prefixes the element ids. Every text is escaped.
func (c Chart) SVG(id string) template.HTML {
	sc := c.Layout()
	id = cleanID(id)
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" role="img" viewBox="0 0 `)
	b.WriteString(num(sc.W) + " " + num(sc.H))
	b.WriteString(`" aria-labelledby="` + id + `-title ` + id + `-desc" font-family="system-ui,-apple-system,&quot;Segoe UI&quot;,Roboto,Helvetica,Arial,sans-serif">`)
	b.WriteString(`<title id="` + id + `-title">` + esc(c.Title) + `</title>`)
	b.WriteString(`<desc id="` + id + `-desc">` + esc(c.Description()) + `</desc>`)
	if len(sc.Patterns) > 0 {
		b.WriteString("<defs>")
		for _, f := range sc.Patterns {
			writePattern(&b, id, f)
		}
		b.WriteString("</defs>")
	}
	for _, s := range sc.Shapes {
		writeShape(&b, id, s)
	}
	b.WriteString("</svg>")
	return template.HTML(b.String())
}

func esc(s string) string { return html.EscapeString(s) }

// cleanID keeps an id to letters, digits and hyphens, so it is safe in
// attributes and url(#…) references.
func cleanID(id string) string {
	var b strings.Builder
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 || !(id[0] >= 'a' && id[0] <= 'z' || id[0] >= 'A' && id[0] <= 'Z') {
		return "chart-" + b.String()
	}
	return b.String()
}

// num writes a coordinate with at most two decimals.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

func patternID(id string, f Fill) string {
	return id + "-fill-" + strings.TrimPrefix(f.Colour.Hex(), "#") + "-" + strconv.Itoa(int(f.Pattern))
}

func fillRef(id string, f Fill) string {
	if f.Pattern == Solid {
		return f.Colour.Hex()
	}
	return "url(#" + patternID(id, f) + ")"
}

// writePattern defines a fill: the colour with white lines or dots on it.
func writePattern(b *strings.Builder, id string, f Fill) {
	if f.Pattern == Solid {
		return
	}
	b.WriteString(`<pattern id="` + patternID(id, f) + `" patternUnits="userSpaceOnUse" width="8" height="8">`)
	b.WriteString(`<rect width="8" height="8" fill="` + f.Colour.Hex() + `"/>`)
	const line = `" stroke="#fff" stroke-width="2"/>`
	switch f.Pattern {
	case Diagonal:
		b.WriteString(`<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4` + line)
	case Dots:
		b.WriteString(`<circle cx="4" cy="4" r="1.8" fill="#fff"/>`)
	case Crosshatch:
		b.WriteString(`<path d="M0,0 l8,8 M8,0 l-8,8` + `" stroke="#fff" stroke-width="1.5"/>`)
	case Horizontal:
		b.WriteString(`<path d="M0,4 h8` + line)
	case Vertical:
		b.WriteString(`<path d="M4,0 v8` + line)
	}
	b.WriteString(`</pattern>`)
}

func dashAttr(d []float64) string {
	if len(d) == 0 {
		return ""
	}
	parts := make([]string, len(d))
	for i, v := range d {
		parts[i] = num(v)
	}
	return ` stroke-dasharray="` + strings.Join(parts, " ") + `"`
}

func writeShape(b *strings.Builder, id string, s Shape) {
	switch s.Kind {
	case RectShape:
		b.WriteString(`<rect x="` + num(s.X) + `" y="` + num(s.Y) + `" width="` + num(s.W) + `" height="` + num(s.H) +
			`" fill="` + fillRef(id, Fill{s.Fill, s.Pattern}) + `" stroke="` + s.Stroke.Hex() + `" stroke-width="` + num(s.StrokeWidth) + `"/>`)
	case LineShape:
		p, q := s.Points[0], s.Points[1]
		b.WriteString(`<line x1="` + num(p.X) + `" y1="` + num(p.Y) + `" x2="` + num(q.X) + `" y2="` + num(q.Y) +
			`" stroke="` + s.Stroke.Hex() + `" stroke-width="` + num(s.StrokeWidth) + `"` + dashAttr(s.Dash) + `/>`)
	case PathShape:
		pts := make([]string, len(s.Points))
		for i, p := range s.Points {
			pts[i] = num(p.X) + "," + num(p.Y)
		}
		b.WriteString(`<polyline points="` + strings.Join(pts, " ") + `" fill="none" stroke="` + s.Stroke.Hex() +
			`" stroke-width="` + num(s.StrokeWidth) + `" stroke-linejoin="round"` + dashAttr(s.Dash) + `/>`)
	case PointShape:
		const stroke = `" stroke="#fff" stroke-width="1.5"/>`
		fill := `" fill="` + s.Fill.Hex()
		x, y := s.X, s.Y
		switch s.Marker {
		case Circle:
			b.WriteString(`<circle cx="` + num(x) + `" cy="` + num(y) + `" r="5` + fill + stroke)
		case Square:
			b.WriteString(`<rect x="` + num(x-4.5) + `" y="` + num(y-4.5) + `" width="9" height="9` + fill + stroke)
		case Triangle:
			b.WriteString(`<path d="M` + num(x) + "," + num(y-6) + " L" + num(x+5.5) + "," + num(y+4) + " L" + num(x-5.5) + "," + num(y+4) + ` Z` + fill + stroke)
		case Diamond:
			b.WriteString(`<path d="M` + num(x) + "," + num(y-6) + " L" + num(x+6) + "," + num(y) + " L" + num(x) + "," + num(y+6) + " L" + num(x-6) + "," + num(y) + ` Z` + fill + stroke)
		}
	case TextShape:
		b.WriteString(`<text x="` + num(s.X) + `" y="` + num(s.Y) + `" font-size="` + num(s.Size) + `" fill="` + s.Fill.Hex() + `"`)
		if s.Anchor != Start && s.Anchor != "" {
			b.WriteString(` text-anchor="` + string(s.Anchor) + `"`)
		}
		if s.Bold {
			b.WriteString(` font-weight="bold"`)
		}
		b.WriteString(">" + esc(s.Text) + "</text>")
	}
}
