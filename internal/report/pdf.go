package report

import (
	"fmt"
	"io"
	"math"

	"github.com/go-pdf/fpdf"

	"openmash.org/mash"
	"openmash.org/mash/internal/chart"
)

// Page geometry of the report, in millimetres: A4 landscape, so a chart
// and its table sit side by side.
const (
	pageW, pageH = 297.0, 210.0
	margin       = 15.0
	chartW       = 165.0
	gap          = 8.0
	tableX       = margin + chartW + gap
	tableW       = pageW - margin - tableX
	footerY      = pageH - 9
	bottom       = pageH - 16 // the last line a table row may end on
	rowH         = 5.0
	pt           = 25.4 / 72 // a point in millimetres
)

// Options for writing the PDF.
type Options struct {
	Names Names // words for codes; PlainNames when nil
	// Uncompressed leaves the page streams readable, for tests.
	Uncompressed bool
}

// WritePDF writes the report. Every result is suppressed first
// (mash.Suppress): counts of 1 to 4, and what is worked out from them, show
// as [c], because the file leaves the hub.
func (m *Monthly) WritePDF(w io.Writer, o Options) error {
	if o.Names == nil {
		o.Names = PlainNames
	}
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetCompression(!o.Uncompressed)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(false, margin)
	tr := pdf.UnicodeTranslatorFromDescriptor("") // the core fonts' cp1252: "–", "…", "£"
	month := m.Month.In(london).Format("January 2006")
	pdf.SetTitle("Monthly performance report, "+month+", "+m.Hub, true)
	pdf.SetAuthor("OpenMASH", true)
	pdf.SetCreator("OpenMASH", true)
	pdf.SetLang("en-GB")
	pdf.SetCreationDate(m.Generated)
	pdf.SetModificationDate(m.Generated)
	pdf.SetCatalogSort(true)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetFont("Helvetica", "", 8)
		pdf.SetTextColor(0x48, 0x49, 0x49)
		pdf.SetXY(margin, footerY)
		pdf.CellFormat(pageW-2*margin, 4, tr(fmt.Sprintf("OpenMASH monthly performance report – %s – %s – page %d of {nb}",
			m.Hub, month, pdf.PageNo())), "", 0, "L", false, 0, "")
	})

	// Title page.
	pdf.AddPage()
	ink(pdf)
	pdf.SetFont("Helvetica", "B", 28)
	pdf.SetXY(margin, 40)
	pdf.CellFormat(0, 14, "Monthly performance report", "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 20)
	pdf.CellFormat(0, 11, tr(m.Hub), "", 1, "L", false, 0, "")
	pdf.CellFormat(0, 11, month, "", 1, "L", false, 0, "")
	pdf.Ln(4)
	pdf.SetFont("Helvetica", "", 12)
	who := "Children and adults"
	switch m.Cohort {
	case mash.CohortChild:
		who = "Children"
	case mash.CohortAdult:
		who = "Adults"
	}
	pdf.CellFormat(0, 7, who, "", 1, "L", false, 0, "")
	pdf.CellFormat(0, 7, "Generated "+m.Generated.In(london).Format("2 January 2006 at 15:04")+" (UK time)", "", 1, "L", false, 0, "")
	pdf.Ln(6)
	pdf.MultiCell(pageW-2*margin-60, 6, tr("Counts from 1 to 4 are shown as [c], and so are the rates, medians and "+
		"shares worked out from them, as in official statistics, because this report may leave the hub. "+
		"No person or contact is named in it. Each measure's definition is printed above its chart."), "", "L", false)
	pdf.Ln(4)
	pdf.SetFont("Helvetica", "B", 12)
	pdf.CellFormat(0, 7, "Contents", "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 11)
	if len(m.Sections) == 0 {
		pdf.CellFormat(0, 6, "No measures.", "", 1, "L", false, 0, "")
	}
	for _, s := range m.Sections {
		pdf.CellFormat(0, 6, tr("•  "+s.Result.Title), "", 1, "L", false, 0, "")
	}

	for _, s := range m.Sections {
		section(pdf, tr, mash.Suppress(s.Result), s, o.Names)
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return pdf.Output(w)
}

func ink(pdf *fpdf.Fpdf) {
	pdf.SetTextColor(int(chart.Text.R), int(chart.Text.G), int(chart.Text.B))
}

// section draws one measure on a new page: title, definition and range,
// the chart on the left and its table on the right (or below, when it is
// too wide), continuing on further pages if it is long.
func section(pdf *fpdf.Fpdf, tr func(string) string, r *mash.MeasureResult, s Section, names Names) {
	pdf.AddPage()
	pdf.Bookmark(tr(r.Title), 0, -1)
	ink(pdf)
	pdf.SetXY(margin, margin)
	pdf.SetFont("Helvetica", "B", 16)
	pdf.CellFormat(0, 9, tr(r.Title), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9.5)
	pdf.MultiCell(pageW-2*margin, 4.5, tr(r.Definition), "", "L", false)
	span := r.From.In(london).Format("2 January 2006") + " to " + r.To.In(london).AddDate(0, 0, -1).Format("2 January 2006")
	if r.Period != "" {
		span += ", by " + string(r.Period)
	}
	pdf.SetFont("Helvetica", "I", 9.5)
	pdf.CellFormat(0, 5, tr(span), "", 1, "L", false, 0, "")
	top := pdf.GetY() + 3

	c := ChartOf(r, s.Kind, names)
	sc := c.Layout()
	k := math.Min(chartW/sc.W, (bottom-top)/sc.H)
	drawScene(pdf, tr, sc, margin, top, k)

	t := TableOf(r, names, s.Table...)
	if s.Pivot {
		t = ChartTable(c, names("dimension", "period"))
	}
	pdf.SetFont("Helvetica", "", 8)
	widths := colWidths(pdf, tr, t)
	x, w := tableX, tableW
	y := top
	if sum(widths) > tableW {
		// Too wide to sit beside the chart: under it, or on the next page.
		x, w = margin, pageW-2*margin
		y = top + sc.H*k + 6
		if y+3*rowH > bottom {
			pdf.AddPage()
			y = margin
		}
	}
	scaleTo(widths, w)
	drawTable(pdf, tr, t, widths, x, y)
}

// colWidths are the widths the columns' widest cells need.
func colWidths(pdf *fpdf.Fpdf, tr func(string) string, t Table) []float64 {
	w := make([]float64, len(t.Head))
	for i, h := range t.Head {
		pdf.SetFont("Helvetica", "B", 8)
		w[i] = math.Min(pdf.GetStringWidth(tr(h))+3, 45)
	}
	pdf.SetFont("Helvetica", "", 8)
	for _, row := range t.Rows {
		for i, c := range row {
			if i < len(w) {
				w[i] = math.Max(w[i], math.Min(pdf.GetStringWidth(tr(c))+3, 70))
			}
		}
	}
	return w
}

func sum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

// scaleTo shrinks the widths to fit total (never stretches them).
func scaleTo(w []float64, total float64) {
	if s := sum(w); s > total {
		for i := range w {
			w[i] *= total / s
		}
	}
}

// drawTable draws t with its header repeated on every page it runs to.
// Cells too long for their column are cut with an ellipsis.
func drawTable(pdf *fpdf.Fpdf, tr func(string) string, t Table, widths []float64, x, y float64) {
	header := func() {
		pdf.SetFont("Helvetica", "B", 8)
		pdf.SetDrawColor(int(chart.Text.R), int(chart.Text.G), int(chart.Text.B))
		pdf.SetLineWidth(0.3)
		cx := x
		for i, h := range t.Head {
			pdf.SetXY(cx, y)
			pdf.CellFormat(widths[i], rowH+1, fit(pdf, tr(h), widths[i]), "B", 0, align(t.Numeric[i]), false, 0, "")
			cx += widths[i]
		}
		y += rowH + 1
		pdf.SetFont("Helvetica", "", 8)
		pdf.SetDrawColor(int(chart.Grid.R), int(chart.Grid.G), int(chart.Grid.B))
		pdf.SetLineWidth(0.2)
	}
	header()
	if len(t.Rows) == 0 {
		pdf.SetXY(x, y)
		pdf.CellFormat(sum(widths), rowH, "No data for this period.", "B", 0, "L", false, 0, "")
		return
	}
	for _, row := range t.Rows {
		if y+rowH > bottom {
			pdf.AddPage()
			ink(pdf)
			y = margin
			header()
		}
		cx := x
		for i, c := range row {
			if i >= len(widths) {
				break
			}
			pdf.SetXY(cx, y)
			pdf.CellFormat(widths[i], rowH, fit(pdf, tr(c), widths[i]), "B", 0, align(t.Numeric[i]), false, 0, "")
			cx += widths[i]
		}
		y += rowH
	}
}

func align(numeric bool) string {
	if numeric {
		return "R"
	}
	return "L"
}

// fit cuts s to w with an ellipsis (cp1252's 0x85).
func fit(pdf *fpdf.Fpdf, s string, w float64) string {
	if pdf.GetStringWidth(s) <= w-2 {
		return s
	}
	b := []byte(s)
	for len(b) > 1 && pdf.GetStringWidth(string(b)+"\x85") > w-2 {
		b = b[:len(b)-1]
	}
	return string(b) + "\x85"
}
