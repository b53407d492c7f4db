package match

import "testing"

func TestDoubleMetaphone(t *testing.T) {
	for _, c := range []struct{ in, p, a string }{
		{"Smith", "SM0", "XMT"},
		{"Smyth", "SM0", "XMT"},
		{"Schmidt", "XMT", "SMT"},
		{"Schneider", "XNTR", "SNTR"},
		// Philips' rules keep the P of "mps" (only ph, pp and pb are special).
		{"Thompson", "TMPSN", "TMPSN"},
		{"Thomas", "TMS", "TMS"},
		{"Jones", "JNS", "ANS"},
		{"Jose", "HS", "HS"},
		{"Xavier", "SF", "SFR"},
		{"Michael", "MKL", "MXL"},
		{"Zhao", "J", "J"},
		{"Filipowicz", "FLPTS", "FLPFX"},
		{"Womo", "AM", "FM"},
		{"Wagner", "AKNR", "FKNR"},
		{"Mohammed", "MHMT", "MHMT"},
		{"Muhammad", "MHMT", "MHMT"},
		{"Mohamed", "MHMT", "MHMT"},
		{"Katherine", "K0RN", "KTRN"},
		{"Catherine", "K0RN", "KTRN"},
		{"Siobhan", "SPN", "XPN"},
		{"Knight", "NT", "NT"},
		{"Wright", "RT", "RT"},
		{"School", "SKL", "SKL"},
		{"Psalm", "SLM", "SLM"},
		{"Hugh", "H", "H"},
		{"Laughlin", "LFLN", "LFLN"},
		{"Caesar", "SSR", "SSR"},
		{"Edge", "AJ", "AJ"},
		{"Czerny", "SRN", "XRN"},
		{"Bacchus", "PKS", "PKS"},
		{"Accident", "AKSTNT", "AKSTNT"},
		{"Cabrillo", "KPRL", "KPR"},
		{"Breaux", "PR", "PR"},
		{"Ghislane", "JLN", "JLN"},
		{"Gallegos", "KLKS", "KKS"},
		{"Siân", "SN", "XN"},
		{"O'Brien", "APRN", "APRN"},
		{"", "", ""},
	} {
		p, a := DoubleMetaphone(c.in)
		if p != c.p || a != c.a {
			t.Errorf("DoubleMetaphone(%q) = %s/%s, want %s/%s", c.in, p, a, c.p, c.a)
		}
	}
}
