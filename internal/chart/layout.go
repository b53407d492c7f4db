package chart

import (
	"math"
	"sort"
	"strings"
)

// Width is a scene's width in its own units (an SVG viewBox's pixels at
// 100%); renderers scale it to the space they have.
const Width = 640

// Text sizes and spacing of a scene.
const (
	fontSize   = 13
	legendRow  = 22
	swatch     = 14
	plotHeight = 240
	hbarRow    = 34
	hbarBar    = 22
	labelGap   = 6
)

// ShapeKind is what a Shape draws.
type ShapeKind int

// The shapes.
const (
	RectShape  ShapeKind = iota // X, Y, W, H; Fill and Pattern
	LineShape                   // Points[0] to Points[1]; Stroke, StrokeWidth, Dash
	PathShape                   // a polyline through Points
	PointShape                  // a Marker centred on X, Y
	TextShape                   // Text at X, Y (baseline), Anchor, Size, Bold
)

// Anchor aligns text on its X.
type Anchor string

// The anchors, as SVG names them.
const (
	Start  Anchor = "start"
	Middle Anchor = "middle"
	End    Anchor = "end"
)

// Point is a position in a scene; Y grows downwards.
type Point struct{ X, Y float64 }

// Shape is one thing to draw.
type Shape struct {
	Kind        ShapeKind
	X, Y, W, H  float64
	Points      []Point
	Fill        RGB
	Pattern     Pattern
	Series      int // the series a bar, path or marker belongs to; -1 for none
	Stroke      RGB
	StrokeWidth float64
	Dash        []float64
	Marker      Marker
	Text        string
	Anchor      Anchor
	Size        float64
	Bold        bool
}

// Scene is a chart laid out: shapes in drawing order on a Width × H area.
type Scene struct {
	W, H   float64
	Shapes []Shape
	// Patterns lists the fills the bars use, so a renderer can define each
	// once.
	Patterns []Fill
}

// Fill is a colour with a pattern.
type Fill struct {
	Colour  RGB
	Pattern Pattern
}

// TextWidth estimates the width of s at size: an average glyph of the
// system sans-serif fonts, generous so labels do not collide.
func TextWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		switch {
		case strings.ContainsRune("il.,:;'|![]()", r):
			w += 0.3
		case r == 'm' || r == 'w' || r == 'M' || r == 'W':
			w += 0.85
		case r >= 'A' && r <= 'Z':
			w += 0.68
		default:
			w += 0.56
		}
	}
	return w * size
}

// Layout lays the chart out.
func (c Chart) Layout() Scene {
	sc := &Scene{W: Width}
	if c.Empty() || len(c.Labels) == 0 {
		sc.H = 60
		sc.text(Width/2, 35, "No data for this period", Middle, fontSize+1, false)
		return *sc
	}
	switch c.Kind {
	case HBar, Funnel:
		c.layoutHBar(sc)
	default:
		c.layoutVertical(sc)
	}
	return *sc
}

func (sc *Scene) add(s Shape) { sc.Shapes = append(sc.Shapes, s) }

func (sc *Scene) text(x, y float64, s string, a Anchor, size float64, bold bool) {
	sc.add(Shape{Kind: TextShape, X: x, Y: y, Text: s, Anchor: a, Size: size, Bold: bold, Fill: Text, Series: -1})
}

func (sc *Scene) line(x1, y1, x2, y2 float64, col RGB, w float64) {
	sc.add(Shape{Kind: LineShape, Points: []Point{{x1, y1}, {x2, y2}}, Stroke: col, StrokeWidth: w, Series: -1})
}

func (sc *Scene) bar(x, y, w, h float64, s int, col RGB) {
	f := Fill{col, PatternOf(s)}
	found := false
	for _, p := range sc.Patterns {
		found = found || p == f
	}
	if !found {
		sc.Patterns = append(sc.Patterns, f)
	}
	sc.add(Shape{Kind: RectShape, X: x, Y: y, W: w, H: h, Fill: f.Colour, Pattern: f.Pattern, Series: s, Stroke: Text, StrokeWidth: 0.5})
}

// legend draws a key for several series at y, wrapping to rows, and
// returns the height it took.
func (c Chart) legend(sc *Scene, y float64) float64 {
	if len(c.Series) < 2 {
		return 0
	}
	x, rows := 0.0, 1
	for s, ser := range c.Series {
		w := swatch + labelGap + TextWidth(ser.Name, fontSize) + 18
		if x > 0 && x+w > Width {
			x, rows = 0, rows+1
		}
		top := y + float64(rows-1)*legendRow
		if c.Kind == Line {
			sc.add(Shape{Kind: LineShape, Points: []Point{{x + 2, top + swatch/2}, {x + 24, top + swatch/2}}, Stroke: c.Colour(s),
				StrokeWidth: 2.5, Dash: Dash(s), Series: s})
			sc.add(Shape{Kind: PointShape, X: x + 12, Y: top + swatch/2, Marker: MarkerOf(s), Fill: c.Colour(s), Series: s})
			w += 10
			sc.text(x+24+labelGap, top+swatch-2, ser.Name, Start, fontSize, false)
		} else {
			sc.bar(x, top, swatch, swatch, s, c.Colour(s))
			sc.text(x+swatch+labelGap, top+swatch-2, ser.Name, Start, fontSize, false)
		}
		x += w
	}
	return float64(rows)*legendRow + 6
}

// scale gives the value axis: its top and tick step, 1, 2, 2.5 or 5 times a
// power of ten, about five ticks.
// With whole set (values shown without decimals) a step is at least 1.
func scale(max float64, whole bool) (top, step float64) {
	if max <= 0 || math.IsNaN(max) {
		return 1, 0.25
	}
	raw := max / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	if whole && step < 1 {
		step = 1 // counts: no ticks at fractions
	}
	return math.Ceil(max/step-1e-9) * step, step
}

// dataMax is the largest value to show: the largest stack for Stacked.
func (c Chart) dataMax() float64 {
	max := 0.0
	for i := range c.Labels {
		sum := 0.0
		for s := range c.Series {
			v := c.value(s, i)
			if math.IsNaN(v) {
				continue
			}
			if c.Kind == Stacked {
				sum += v
			} else {
				max = math.Max(max, v)
			}
		}
		max = math.Max(max, sum)
	}
	if c.Max > 0 {
		max = math.Max(max, c.Max)
	}
	return max
}

func (c Chart) layoutVertical(sc *Scene) {
	top := c.legend(sc, 4) + 24 // room for value labels above the tallest bar
	vmax, step := scale(c.dataMax(), c.Decimals == 0)
	ticks := []string{}
	tickW := 0.0
	for v := 0.0; v <= vmax+step/2; v += step {
		t := Chart{Decimals: decimalsFor(step), Suffix: c.Suffix}.Format(v)
		ticks = append(ticks, t)
		tickW = math.Max(tickW, TextWidth(t, fontSize))
	}
	left, right := tickW+12, 8.0
	n := len(c.Labels)
	if c.Kind == Line {
		// Lines are labelled at their ends: room for the longest.
		end := 0.0
		for s, ser := range c.Series {
			end = math.Max(end, TextWidth(c.endLabel(s, ser.Name), fontSize))
		}
		right = math.Min(end+16, Width/3)
	}
	plotW := Width - left - right
	bottom := top + plotHeight
	y := func(v float64) float64 { return bottom - v/vmax*plotHeight }
	// Gridlines and the value axis's labels.
	for i, t := range ticks {
		v := float64(i) * step
		sc.line(left, y(v), Width-right, y(v), Grid, 1)
		sc.text(left-6, y(v)+4, t, End, fontSize, false)
	}
	band := plotW / float64(n)
	// Category labels: wrapped under their bars where there is room for
	// words, else thinned so they do not overlap.
	every, rows := 1, 1
	var wrapped [][]string
	if band >= 56 {
		for _, l := range c.Labels {
			ls := wrapN(l, band-6, fontSize, 3)
			rows = max(rows, len(ls))
			wrapped = append(wrapped, ls)
		}
	} else {
		lw := 0.0
		for _, l := range c.Labels {
			lw = math.Max(lw, TextWidth(l, fontSize))
			wrapped = append(wrapped, []string{l})
		}
		if lw+6 > band {
			every = int(math.Ceil((lw + 6) / band))
		}
	}
	for i, ls := range wrapped {
		if i%every == 0 {
			for j, l := range ls {
				sc.text(left+band*(float64(i)+0.5), bottom+18+float64(j)*(fontSize+3), l, Middle, fontSize, false)
			}
		}
	}
	switch c.Kind {
	case Line:
		c.drawLines(sc, left, band, y, plotW)
	case Stacked:
		bw := math.Min(band*0.6, 64)
		for i := range c.Labels {
			x, sum := left+band*(float64(i)+0.5)-bw/2, 0.0
			for s := range c.Series {
				v := c.value(s, i)
				if math.IsNaN(v) || v <= 0 {
					continue
				}
				sc.bar(x, y(sum+v), bw, y(sum)-y(sum+v), s, c.Colour(s))
				sum += v
			}
			if lbl := c.Format(sum); TextWidth(lbl, fontSize-1) <= band {
				sc.text(x+bw/2, y(sum)-5, lbl, Middle, fontSize-1, true)
			}
		}
	default: // Bar and Grouped
		k := len(c.Series)
		if c.Kind == Bar {
			k = 1
		}
		gw := math.Min(band*0.75, 64*float64(k))
		bw := gw / float64(k)
		for i := range c.Labels {
			x0 := left + band*(float64(i)+0.5) - gw/2
			for s := 0; s < k; s++ {
				v := c.value(s, i)
				x := x0 + float64(s)*bw
				lbl := c.Format(v)
				if !math.IsNaN(v) && v > 0 {
					sc.bar(x+1, y(v), bw-2, y(0)-y(v), s, c.Colour(s))
				}
				if TextWidth(lbl, fontSize-1) <= bw+2 {
					vy := y(0)
					if !math.IsNaN(v) {
						vy = y(v)
					}
					sc.text(x+bw/2, vy-5, lbl, Middle, fontSize-1, false)
				}
			}
		}
	}
	sc.line(left, bottom, Width-right, bottom, Text, 1.5) // the baseline, over the bars' feet
	sc.H = bottom + 12 + float64(rows)*(fontSize+3)
}

// endLabel is what a line is labelled with at its end: its name, and its
// last value.
func (c Chart) endLabel(s int, name string) string {
	for i := len(c.Labels) - 1; i >= 0; i-- {
		if v := c.value(s, i); !math.IsNaN(v) {
			if name == "" {
				return c.Format(v)
			}
			return name + " " + c.Format(v)
		}
	}
	return name
}

func (c Chart) drawLines(sc *Scene, left, band float64, y func(float64) float64, plotW float64) {
	type end struct {
		s    int
		y    float64
		text string
	}
	var ends []end
	for s, ser := range c.Series {
		var run []Point
		flush := func() {
			if len(run) > 1 {
				sc.add(Shape{Kind: PathShape, Points: run, Stroke: c.Colour(s), StrokeWidth: 2.5, Dash: Dash(s), Series: s})
			}
			run = nil
		}
		var pts []Point
		for i := range c.Labels {
			v := c.value(s, i)
			if math.IsNaN(v) {
				flush()
				continue
			}
			p := Point{left + band*(float64(i)+0.5), y(v)}
			run = append(run, p)
			pts = append(pts, p)
		}
		flush()
		for _, p := range pts {
			sc.add(Shape{Kind: PointShape, X: p.X, Y: p.Y, Marker: MarkerOf(s), Fill: c.Colour(s), Series: s})
		}
		if len(pts) > 0 {
			ends = append(ends, end{s, pts[len(pts)-1].Y, c.endLabel(s, ser.Name)})
		}
	}
	// End labels in the order of their lines, pushed apart so they do not
	// overlap.
	sort.SliceStable(ends, func(i, j int) bool { return ends[i].y < ends[j].y })
	for i := 1; i < len(ends); i++ {
		ends[i].y = math.Max(ends[i].y, ends[i-1].y+fontSize+3)
	}
	for _, e := range ends {
		sc.text(left+plotW+8, e.y+4, e.text, Start, fontSize, false)
	}
}

// decimalsFor is how many decimals tick labels need at this step.
func decimalsFor(step float64) int {
	switch {
	case step >= 1:
		return 0
	case step >= 0.1:
		return 1
	}
	return 2
}

func (c Chart) layoutHBar(sc *Scene) {
	// Category names on the left, wrapped to two lines at most.
	maxLabel := Width * 0.4
	lines := make([][]string, len(c.Labels))
	labelW := 0.0
	for i, l := range c.Labels {
		lines[i] = wrap(l, maxLabel, fontSize)
		for _, ln := range lines[i] {
			labelW = math.Max(labelW, TextWidth(ln, fontSize))
		}
	}
	first := c.value(0, 0)
	valueLabel := func(i int) string {
		v := c.value(0, i)
		lbl := c.Format(v)
		if c.Kind == Funnel && i > 0 && !math.IsNaN(v) && !math.IsNaN(first) && first > 0 {
			lbl += " (" + Chart{Decimals: 0, Suffix: "%"}.Format(v/first*100) + " of first)"
		}
		return lbl
	}
	valW := 0.0
	for i := range c.Labels {
		valW = math.Max(valW, TextWidth(valueLabel(i), fontSize))
	}
	left := labelW + 12
	plotW := Width - left - valW - 12
	vmax := c.dataMax()
	if vmax <= 0 {
		vmax = 1
	}
	for i := range c.Labels {
		top := 6 + float64(i)*hbarRow
		mid := top + hbarBar/2
		ls := lines[i]
		for j, ln := range ls {
			sc.text(left-8, mid+4+(float64(j)-float64(len(ls)-1)/2)*(fontSize+2), ln, End, fontSize, false)
		}
		v := c.value(0, i)
		w := 0.0
		if !math.IsNaN(v) && v > 0 {
			w = v / vmax * plotW
			sc.bar(left, top, w, hbarBar, 0, c.Colour(0))
		}
		sc.text(left+w+6, mid+4, valueLabel(i), Start, fontSize, false)
	}
	bottom := 6 + float64(len(c.Labels))*hbarRow - (hbarRow - hbarBar)
	sc.line(left, 2, left, bottom+4, Text, 1.5)
	sc.H = bottom + 12
}

// wrap breaks s into at most two lines no wider than max, shortening the
// second with an ellipsis if it must.
func wrap(s string, max, size float64) []string { return wrapN(s, max, size, 2) }

// wrapN breaks s at spaces into at most n lines no wider than max,
// shortening the last (or a word too long for a line) with an ellipsis.
func wrapN(s string, max, size float64, n int) []string {
	if TextWidth(s, size) <= max {
		return []string{s}
	}
	var lines []string
	words := strings.Fields(s)
	for len(words) > 0 && len(lines) < n {
		if len(lines) == n-1 {
			lines = append(lines, clip(strings.Join(words, " "), max, size))
			break
		}
		line := words[0]
		i := 1
		for ; i < len(words); i++ {
			next := line + " " + words[i]
			if TextWidth(next, size) > max {
				break
			}
			line = next
		}
		lines = append(lines, clip(line, max, size))
		words = words[i:]
	}
	return lines
}

func clip(s string, max, size float64) string {
	if TextWidth(s, size) <= max {
		return s
	}
	r := []rune(s)
	for len(r) > 1 && TextWidth(string(r)+"…", size) > max {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}
