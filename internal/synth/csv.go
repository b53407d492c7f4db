package synth

import (
	"bufio"
	"encoding/csv"
	"io"
)

// Stats counts what a run wrote.
type Stats struct {
	Records, Duplicates, People, Households, Children, Twins, SameName int
}

// WriteCSV writes cfg.N records to out as CSV with a header. With truth nil,
// out has a last column cluster_id, or cfg.ClusterColumn (records of one
// real person share it);
// otherwise out has only Columns and the ground truth (TruthColumns) goes to
// truth, row for row.
func WriteCSV(out, truth io.Writer, cfg Config) (Stats, error) {
	bo := bufio.NewWriterSize(out, 1<<18)
	w := csv.NewWriter(bo)
	var tw *csv.Writer
	var bt *bufio.Writer
	header := append([]string(nil), Columns...)
	if truth == nil {
		col := cfg.ClusterColumn
		if col == "" {
			col = "cluster_id"
		}
		header = append(header, col)
	} else {
		bt = bufio.NewWriterSize(truth, 1<<18)
		tw = csv.NewWriter(bt)
		if err := tw.Write(TruthColumns); err != nil {
			return Stats{}, err
		}
	}
	if err := w.Write(header); err != nil {
		return Stats{}, err
	}
	var st Stats
	g := New(cfg)
	row := make([]string, 0, len(header))
	for {
		rec, ok := g.Next()
		if !ok {
			break
		}
		st.Records++
		if rec.Duplicate {
			st.Duplicates++
		} else {
			st.People++
			if rec.Child {
				st.Children++
			}
			if rec.TwinOf != "" {
				st.Twins++
			}
			if rec.SameNameAs != "" {
				st.SameName++
			}
		}
		row = append(row[:0], rec.ID, rec.Source, rec.Given, rec.Middle, rec.Family, rec.DOB, rec.Sex,
			rec.Address, rec.Postcode, rec.NHS, rec.Phone)
		if tw == nil {
			row = append(row, rec.Cluster)
		} else if err := tw.Write(rec.TruthFields()); err != nil {
			return st, err
		}
		if err := w.Write(row); err != nil {
			return st, err
		}
	}
	st.Households = int(g.nextHH)
	w.Flush()
	if err := w.Error(); err != nil {
		return st, err
	}
	if err := bo.Flush(); err != nil {
		return st, err
	}
	if tw != nil {
		tw.Flush()
		if err := tw.Error(); err != nil {
			return st, err
		}
		return st, bt.Flush()
	}
	return st, nil
}
