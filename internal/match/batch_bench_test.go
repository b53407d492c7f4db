package match

import (
	"bytes"
	"testing"

	"openmash.org/mash/internal/synth"
)

func benchRecords(b *testing.B, n int) []Record {
	b.Helper()
	var data bytes.Buffer
	if _, err := synth.WriteCSV(&data, nil, synth.Config{N: n, Seed: 1, DupRate: 0.3}); err != nil {
		b.Fatal(err)
	}
	recs, err := ReadRecords(&data, "", func(int, string) {})
	if err != nil {
		b.Fatal(err)
	}
	return recs
}

// BenchmarkDedupe100k is batch dedupe of 100,000 synthetic records with a
// trained model (training is measured by BenchmarkTrain100k). For the
// million-record figure use mash bench gen-people and mash match dedupe.
func BenchmarkDedupe100k(b *testing.B) {
	recs := benchRecords(b, 100_000)
	m, err := Train(recs, TrainOptions{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Dedupe(recs, Options{})
	}
}

func BenchmarkTrain100k(b *testing.B) {
	recs := benchRecords(b, 100_000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Train(recs, TrainOptions{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
