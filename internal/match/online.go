package match

import (
	"bytes"
	_ "embed"
	"strings"
)

// Online matching: the hub files each known record under its blocking keys in
// the database and, for a query, scores the records that share a key. These
// are the pieces it needs, over the same normalisation and model as batch.

// KeysVersion names the blocking-key scheme. The store keeps the version its
// keys were made with and rebuilds them when this changes, so a change to
// blockingKeys must change this string.
const KeysVersion = "keys-3"

// onlinePerKey bounds how many records one key may bring to an online query:
// a common key (a birth year and a popular name) adds little once the rarer
// keys have been read.
const OnlinePerKey = 20

// Keys returns the blocking keys a record is filed under in the hub's store.
// The family-name-only key is left out: at county scale it names thousands.
func Keys(r Record) []string {
	p := prepare(r)
	all := blockingKeys(&p)
	out := all[:0]
	for _, k := range all {
		if strings.HasPrefix(k, "F|") {
			continue
		}
		out = append(out, k)
	}
	return out
}

// Query is a description prepared once and compared with many records.
type Query struct {
	m *Model
	p prepared
}

// NewQuery prepares a description for comparison.
func (m *Model) NewQuery(r Record) *Query { return &Query{m: m, p: prepare(r)} }

// Score compares the query with one record, with the field-by-field
// explanation when explain is set. Related reports the twin, sibling or
// parent–child rule: such records are never the same person, whatever the
// score.
func (q *Query) Score(r Record, explain bool) (s Scored, related bool) {
	p := prepare(r)
	s = q.m.score(&q.p, &p, nil, explain)
	return s, twinsOrRelatives(&q.p, &p)
}

// Related reports whether two records look like twins, siblings or a parent
// and child rather than one person (see twinsOrRelatives).
func Related(a, b Record) bool {
	pa, pb := prepare(a), prepare(b)
	return twinsOrRelatives(&pa, &pb)
}

// HouseholdKey is the normalised address a household is found by: the
// postcode unit with the first number in the address (the house number), or
// the folded address when there is no postcode. Empty when too little is
// known to place anyone at an address.
func HouseholdKey(address, postcode string) string {
	pc := ParsePostcode(postcode)
	addr := Fold(address)
	num := ""
	for _, t := range strings.Fields(addr) {
		if t[0] >= '0' && t[0] <= '9' {
			num = t
			break
		}
	}
	switch {
	case pc.Unit != "" && num != "":
		return num + "|" + pc.Unit
	case pc.Unit != "" && addr != "":
		return addr + "|" + pc.Unit
	case num != "" && len(strings.Fields(addr)) >= 4: // a number, a street and a town at least
		return addr
	}
	return ""
}

//go:embed default_model.json
var defaultModel []byte

// DefaultModel is the model the hub starts with, trained on synthetic
// UK-style people (mash bench gen-people); a hub retrains it on its own
// records with mash match train and installs it with mash match install.
func DefaultModel() *Model {
	m, err := ReadModel(bytes.NewReader(defaultModel))
	if err != nil {
		panic("match: the embedded default model does not fit this code (regenerate default_model.json): " + err.Error())
	}
	return m
}
