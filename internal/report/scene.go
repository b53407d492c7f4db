package report

import (
	"math"

	"github.com/go-pdf/fpdf"

	"openmash.org/mash/internal/chart"
)

// drawScene draws a chart's scene with fpdf's primitives at (x0, y0),
// k millimetres to the scene's unit: the same shapes, patterns, markers and
// labels as the SVG, so the printed chart reads without colour too.
func drawScene(pdf *fpdf.Fpdf, tr func(string) string, sc chart.Scene, x0, y0, k float64) {
	X := func(v float64) float64 { return x0 + v*k }
	Y := func(v float64) float64 { return y0 + v*k }
	pdf.SetLineCapStyle("butt")
	pdf.SetLineJoinStyle("round")
	for _, s := range sc.Shapes {
		switch s.Kind {
		case chart.RectShape:
			x, y, w, h := X(s.X), Y(s.Y), s.W*k, s.H*k
			fill(pdf, s.Fill)
			pdf.Rect(x, y, w, h, "F")
			hatch(pdf, s.Pattern, x, y, w, h, k)
			stroke(pdf, s.Stroke, s.StrokeWidth*k, nil)
			pdf.Rect(x, y, w, h, "D")
		case chart.LineShape:
			stroke(pdf, s.Stroke, s.StrokeWidth*k, scaled(s.Dash, k))
			pdf.Line(X(s.Points[0].X), Y(s.Points[0].Y), X(s.Points[1].X), Y(s.Points[1].Y))
		case chart.PathShape:
			stroke(pdf, s.Stroke, s.StrokeWidth*k, scaled(s.Dash, k))
			pdf.MoveTo(X(s.Points[0].X), Y(s.Points[0].Y))
			for _, p := range s.Points[1:] {
				pdf.LineTo(X(p.X), Y(p.Y))
			}
			pdf.DrawPath("D")
		case chart.PointShape:
			fill(pdf, s.Fill)
			stroke(pdf, chart.White, 1.5*k, nil)
			x, y := X(s.X), Y(s.Y)
			switch s.Marker {
			case chart.Circle:
				pdf.Circle(x, y, 5*k, "FD")
			case chart.Square:
				pdf.Rect(x-4.5*k, y-4.5*k, 9*k, 9*k, "FD")
			case chart.Triangle:
				pdf.Polygon([]fpdf.PointType{{X: x, Y: y - 6*k}, {X: x + 5.5*k, Y: y + 4*k}, {X: x - 5.5*k, Y: y + 4*k}}, "FD")
			case chart.Diamond:
				pdf.Polygon([]fpdf.PointType{{X: x, Y: y - 6*k}, {X: x + 6*k, Y: y}, {X: x, Y: y + 6*k}, {X: x - 6*k, Y: y}}, "FD")
			}
		case chart.TextShape:
			style := ""
			if s.Bold {
				style = "B"
			}
			pdf.SetFont("Helvetica", style, s.Size*k/pt)
			pdf.SetTextColor(int(s.Fill.R), int(s.Fill.G), int(s.Fill.B))
			txt := tr(s.Text)
			x := X(s.X)
			switch s.Anchor {
			case chart.Middle:
				x -= pdf.GetStringWidth(txt) / 2
			case chart.End:
				x -= pdf.GetStringWidth(txt)
			}
			pdf.Text(x, Y(s.Y), txt)
		}
	}
	pdf.SetDashPattern(nil, 0)
	ink(pdf)
}

func fill(pdf *fpdf.Fpdf, c chart.RGB) { pdf.SetFillColor(int(c.R), int(c.G), int(c.B)) }

func stroke(pdf *fpdf.Fpdf, c chart.RGB, w float64, dash []float64) {
	pdf.SetDrawColor(int(c.R), int(c.G), int(c.B))
	pdf.SetLineWidth(w)
	pdf.SetDashPattern(dash, 0)
}

func scaled(d []float64, k float64) []float64 {
	if d == nil {
		return nil
	}
	out := make([]float64, len(d))
	for i, v := range d {
		out[i] = v * k
	}
	return out
}

// hatch draws a pattern's white lines or dots inside a rectangle, clipped
// to it, on the same 8-unit grid as the SVG pattern.
func hatch(pdf *fpdf.Fpdf, p chart.Pattern, x, y, w, h, k float64) {
	if p == chart.Solid || w <= 0 || h <= 0 {
		return
	}
	step := 8 * k
	pdf.ClipRect(x, y, w, h, false)
	stroke(pdf, chart.White, 2*k, nil)
	fill(pdf, chart.White)
	n := int(math.Ceil((w+h)/step)) + 1
	switch p {
	case chart.Diagonal:
		for i := 0; i <= n; i++ {
			d := float64(i) * step
			pdf.Line(x+d-h, y+h, x+d, y)
		}
	case chart.Crosshatch:
		pdf.SetLineWidth(1.5 * k)
		for i := 0; i <= n; i++ {
			d := float64(i) * step
			pdf.Line(x+d-h, y+h, x+d, y)
			pdf.Line(x+d-h, y, x+d, y+h)
		}
	case chart.Dots:
		for yy := y + step/2; yy < y+h; yy += step {
			for xx := x + step/2; xx < x+w; xx += step {
				pdf.Circle(xx, yy, 1.8*k, "F")
			}
		}
	case chart.Horizontal:
		for yy := y + step/2; yy < y+h; yy += step {
			pdf.Line(x, yy, x+w, yy)
		}
	case chart.Vertical:
		for xx := x + step/2; xx < x+w; xx += step {
			pdf.Line(xx, y, xx, y+h)
		}
	}
	pdf.ClipEnd()
}
