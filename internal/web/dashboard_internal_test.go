package web

import (
	"strings"
	"testing"

	"openmash.org/mash"
)

// TestMeasureCSV: codes with their names, suppressed cells as [c], and no
// text a spreadsheet would run as a formula.
func TestMeasureCSV(t *testing.T) {
	r := mash.Suppress(&mash.MeasureResult{Dimensions: []string{"agency", "source"},
		Legend:  map[string]map[string]string{"source": {"6": "Police"}},
		Columns: []mash.MeasureColumn{{Name: "contacts", Unit: mash.UnitCount}, {Name: "rate", Unit: mash.UnitPercent, Base: []string{"contacts"}}},
		Rows: []mash.MeasureRow{
			{Labels: []string{"=HYPERLINK(\"http://x\")", "6"}, Values: []mash.MeasureCell{mash.Num(12), mash.Num(33.333)}},
			{Labels: []string{"@SUM(A1)", "2A"}, Values: []mash.MeasureCell{mash.Num(3), mash.Num(50)}},
			{Labels: []string{"-5", "6"}, Values: []mash.MeasureCell{mash.Num(0), {}}},
		}})
	got := string(measureCSV(r))
	want := "agency,source,source_name,contacts,rate\n" +
		"\"'=HYPERLINK(\"\"http://x\"\")\",6,Police,12,33.3\n" +
		"'@SUM(A1),2A,2A,[c],[c]\n" +
		"-5,6,Police,0,\n"
	if got != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(got, "\n=") || strings.Contains(got, ",=") {
		t.Error("a formula is left in the CSV")
	}
}
