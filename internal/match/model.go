package match

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
)

// LevelParams are the Fellegi–Sunter probabilities of one comparison level:
// M = P(level | same person), U = P(level | different people).
type LevelParams struct {
	Label   string  `json:"label"`
	Wording string  `json:"wording"`
	M       float64 `json:"m"`
	U       float64 `json:"u"`
	// BayesFactor is M/U, for readers; recomputed on load.
	BayesFactor float64 `json:"bayes_factor"`
}

// FieldParams are the levels of one field's comparison.
type FieldParams struct {
	Field                 string        `json:"field"`
	TermFrequencyAdjusted bool          `json:"term_frequency_adjusted,omitempty"`
	Levels                []LevelParams `json:"levels"`
}

// Model is a trained Fellegi–Sunter model, stored as readable JSON.
type Model struct {
	Description string `json:"description"`
	// Prior is the probability that two records drawn at random are the same person.
	Prior float64 `json:"probability_two_random_records_match"`
	// LinkThreshold and ReviewThreshold are match probabilities: at or above
	// LinkThreshold the records are the same person; from ReviewThreshold a human reviews.
	LinkThreshold   float64       `json:"link_threshold"`
	ReviewThreshold float64       `json:"review_threshold"`
	Fields          []FieldParams `json:"fields"`
	Trained         TrainingStats `json:"training"`
}

// TrainingStats records how the model was estimated.
type TrainingStats struct {
	Records        int `json:"records"`
	RandomPairs    int `json:"random_pairs_for_u"`
	CandidatePairs int `json:"candidate_pairs_for_em"`
	EMIterations   int `json:"em_iterations"`
}

// WriteJSON writes the model, indented.
func (m *Model) WriteJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(m)
}

// ReadModel reads a model written by WriteJSON and checks it fits this code's comparisons.
func ReadModel(r io.Reader) (*Model, error) {
	var m Model
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		return nil, err
	}
	if len(m.Fields) != len(comparisons) {
		return nil, fmt.Errorf("model has %d fields, want %d", len(m.Fields), len(comparisons))
	}
	for i, c := range comparisons {
		f := m.Fields[i]
		if f.Field != c.Field || len(f.Levels) != len(c.Levels) {
			return nil, fmt.Errorf("model field %d is %q with %d levels, want %q with %d", i, f.Field, len(f.Levels), c.Field, len(c.Levels))
		}
		for j := range f.Levels {
			if !(f.Levels[j].M > 0 && f.Levels[j].M <= 1 && f.Levels[j].U > 0 && f.Levels[j].U <= 1) {
				return nil, fmt.Errorf("field %s level %d: m and u must be in (0,1]", f.Field, j)
			}
		}
	}
	if !(m.Prior > 0 && m.Prior < 1) {
		return nil, fmt.Errorf("probability_two_random_records_match must be in (0,1)")
	}
	m.refresh()
	return &m, nil
}

func (m *Model) refresh() {
	for i := range m.Fields {
		for j := range m.Fields[i].Levels {
			l := &m.Fields[i].Levels[j]
			l.BayesFactor = round4(l.M / l.U)
		}
	}
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

type gamma []int8

func gammaOf(a, b *prepared) gamma {
	g := make(gamma, len(comparisons))
	for i, c := range comparisons {
		g[i] = int8(c.compare(a, b))
	}
	return g
}

// TrainOptions tune training; zero values take defaults.
type TrainOptions struct {
	RandomPairs  int    // pairs sampled for u (default 300,000 or all pairs if fewer)
	EMIterations int    // default 25
	Seed         uint64 // for the random samples
	MaxRecords   int    // train on a random sample of at most this many records (default 200,000)
}

// Train estimates a model from records: u by random sampling of pairs,
// m and the prior by EM over the blocked candidate pairs, with u fixed.
// Large inputs are sampled: the prior (the chance that two records drawn at
// random match) is the same in a uniform sample as in the whole.
func Train(recs []Record, opt TrainOptions) (*Model, error) {
	if len(recs) < 2 {
		return nil, fmt.Errorf("need at least two records to train, have %d", len(recs))
	}
	if opt.MaxRecords == 0 {
		opt.MaxRecords = defaultTrainRecords
	}
	ps := prepareAll(trainingSample(recs, opt.MaxRecords, opt.Seed))
	if opt.RandomPairs == 0 {
		opt.RandomPairs = 300_000
	}
	if opt.EMIterations == 0 {
		opt.EMIterations = 25
	}
	m := &Model{
		Description:   "Fellegi–Sunter record linkage model for OpenMASH (u by random sampling, m by EM over blocked pairs)",
		LinkThreshold: 0.5, ReviewThreshold: 0.05,
	}
	// u by random sampling.
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6d617368))
	n := len(ps)
	total := n * (n - 1) / 2
	counts := make([][]float64, len(comparisons))
	for i, c := range comparisons {
		counts[i] = make([]float64, len(c.Levels))
	}
	sample := opt.RandomPairs
	if total <= sample {
		sample = total
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				countGamma(counts, gammaOf(&ps[i], &ps[j]))
			}
		}
	} else {
		idx := make([]pair, sample)
		for k := range idx {
			i, j := rng.IntN(n), rng.IntN(n-1)
			if j >= i {
				j++
			}
			idx[k] = pair{int32(i), int32(j)}
		}
		per := make([][][]float64, workers())
		parallel(sample, func(w, lo, hi int) {
			c := make([][]float64, len(comparisons))
			for i, cmp := range comparisons {
				c[i] = make([]float64, len(cmp.Levels))
			}
			for _, p := range idx[lo:hi] {
				countGamma(c, gammaOf(&ps[p.a], &ps[p.b]))
			}
			per[w] = c
		})
		for _, c := range per {
			for i := range c {
				for j := range c[i] {
					counts[i][j] += c[i][j]
				}
			}
		}
	}
	m.Fields = make([]FieldParams, len(comparisons))
	for i, c := range comparisons {
		f := FieldParams{Field: c.Field, TermFrequencyAdjusted: c.TF != ""}
		sum := 0.0
		for _, x := range counts[i] {
			sum += x
		}
		for j, l := range c.Levels {
			u := (counts[i][j] + 1) / (sum + float64(len(c.Levels)))
			// Initial m: most weight on the closest levels.
			mm := math.Pow(0.3, float64(j))
			f.Levels = append(f.Levels, LevelParams{Label: l.Label, Wording: l.Wording, M: mm, U: u})
		}
		normaliseM(f.Levels)
		m.Fields[i] = f
	}
	// m by EM, Splink style: one session per training blocking rule, with the
	// fields the rule blocks on left out of that session (they would agree by
	// construction); each field's m is the mean over the sessions that estimated it.
	msum := make([][]float64, len(comparisons))
	mcount := make([]int, len(comparisons))
	for i, c := range comparisons {
		msum[i] = make([]float64, len(c.Levels))
	}
	idPairs := 0
	for _, s := range trainingSessions {
		if (s.keys == "d" || s.keys == "n") && idPairs >= 100 {
			// Pairs sharing a date of birth include twins and pairs sharing a
			// name include parents and children, who also share a family name
			// and an address: EM would learn "same household" for "same
			// person". Pairs sharing an identifier are cleaner, so when there
			// are enough of them they replace the name and date-of-birth sessions.
			continue
		}
		pats, npairs := emPatterns(ps, newBlocker(ps, nil, trainMaxBlock, s.keys), s.exclude)
		if s.keys == "i" {
			idPairs = npairs
		}
		if npairs == 0 {
			continue
		}
		est, _ := em(m, pats, s.exclude, 0.3, opt.EMIterations, false)
		for i := range comparisons {
			if s.exclude[i] || est[i] == nil {
				continue
			}
			mcount[i]++
			for j := range est[i] {
				msum[i][j] += est[i][j]
			}
		}
		m.Trained.EMIterations += opt.EMIterations
	}
	for i := range m.Fields {
		if mcount[i] == 0 {
			continue
		}
		for j := range m.Fields[i].Levels {
			m.Fields[i].Levels[j].M = math.Max(msum[i][j]/float64(mcount[i]), 1e-6)
		}
		normaliseM(m.Fields[i].Levels)
	}
	// The prior, as Splink uses it: the probability that two records drawn at
	// random are the same person. EM with m and u fixed estimates how many
	// candidate pairs match; blocking is assumed to find nearly all matches.
	pats, npairs := emPatterns(ps, newBlocker(ps, nil, trainMaxBlock, ""), nil)
	_, lambda := em(m, pats, nil, 0.1, 15, true)
	lambda = math.Min(math.Max(lambda*float64(npairs)/float64(total), 1e-9), 0.5)
	m.Prior = lambda
	m.Trained.Records, m.Trained.RandomPairs, m.Trained.CandidatePairs = n, sample, npairs
	m.refresh()
	return m, nil
}

func normaliseM(ls []LevelParams) {
	s := 0.0
	for _, l := range ls {
		s += l.M
	}
	for i := range ls {
		ls[i].M /= s
	}
}

func countGamma(counts [][]float64, g gamma) {
	for i, l := range g {
		if l >= 0 {
			counts[i][l]++
		}
	}
}

// Contribution is one field's part in a pair's score.
type Contribution struct {
	Field   string  `json:"field"`
	Level   string  `json:"level"`
	Wording string  `json:"wording"`
	Bits    float64 `json:"weight_bits"` // log2 Bayes factor; 0 when missing
}

// Scored is a compared pair with its explanation.
type Scored struct {
	Weight      float64        `json:"match_weight"`
	Probability float64        `json:"match_probability"`
	Fields      []Contribution `json:"fields"`
}

// termFreq holds the proportion of records having each given and family name.
type termFreq struct {
	given, family map[string]float64
}

func newTermFreq(ps []prepared) *termFreq {
	t := &termFreq{given: map[string]float64{}, family: map[string]float64{}}
	ng, nf := 0.0, 0.0
	for i := range ps {
		if ps[i].given != "" {
			t.given[ps[i].given]++
			ng++
		}
		if ps[i].family != "" {
			t.family[ps[i].family]++
			nf++
		}
	}
	for k := range t.given {
		t.given[k] /= ng
	}
	for k := range t.family {
		t.family[k] /= nf
	}
	return t
}

// score compares two prepared records; explain fills Fields.
func (m *Model) score(a, b *prepared, tf *termFreq, explain bool) Scored {
	w := math.Log2(m.Prior / (1 - m.Prior))
	var s Scored
	for i, c := range comparisons {
		l := c.compare(a, b)
		if l < 0 {
			if explain {
				s.Fields = append(s.Fields, Contribution{Field: c.Field, Level: "missing", Wording: strings.ReplaceAll(strings.Replace(c.Field, "nhs_number", "NHS number", 1), "_", " ") + ": not known on both records"})
			}
			continue
		}
		lp := m.Fields[i].Levels[l]
		bits := m.bits(i, l, a, tf)
		w += bits
		if explain {
			s.Fields = append(s.Fields, Contribution{Field: c.Field, Level: lp.Label, Wording: lp.Wording, Bits: round4(bits)})
		}
	}
	s.Weight = w
	s.Probability = 1 / (1 + math.Exp2(-w))
	return s
}

// bits is the weight of evidence, log2 m/u, of comparison i at level l, with
// the term-frequency adjustment of an exact agreement on a's name.
func (m *Model) bits(i, l int, a *prepared, tf *termFreq) float64 {
	lp := &m.Fields[i].Levels[l]
	u := lp.U
	if c := &comparisons[i]; l == 0 && tf != nil && c.TF != "" {
		var f float64
		if c.TF == "given" {
			f = tf.given[a.given]
		} else {
			f = tf.family[a.family]
		}
		if f > 0 {
			u = math.Max(f, 1e-5)
		}
	}
	return math.Log2(lp.M / u)
}

// Explain scores two records against each other with field-by-field contributions.
func (m *Model) Explain(a, b Record) Scored {
	pa, pb := prepare(a), prepare(b)
	return m.score(&pa, &pb, nil, true)
}

// maxEMPairs bounds the pairs EM compares in each session.
const maxEMPairs = 500_000

// defaultTrainRecords bounds the records training reads: estimates are
// proportions, and a large enough random sample gives the same ones.
const defaultTrainRecords = 200_000

type session struct {
	keys    string       // blocking key kinds used
	exclude map[int]bool // comparison indexes left out
}

func fieldIndex(name string) int {
	for i, c := range comparisons {
		if c.Field == name {
			return i
		}
	}
	panic("no field " + name)
}

var trainingSessions = []session{
	{"i", map[int]bool{fieldIndex("nhs_number"): true}},
	{"g", map[int]bool{fieldIndex("given_name"): true, fieldIndex("dob"): true}},
	{"n", map[int]bool{fieldIndex("given_name"): true, fieldIndex("family_name"): true}},
	{"d", map[int]bool{fieldIndex("dob"): true}},
}

// em runs expectation maximisation over comparison patterns (with their
// counts) with u fixed. It returns the m estimates per comparison (nil for
// excluded ones) and the match rate. With lambdaOnly, m is held fixed and
// only the match rate is estimated.
func em(m *Model, pats []pattern, exclude map[int]bool, lambda float64, iters int, lambdaOnly bool) ([][]float64, float64) {
	mm := make([][]float64, len(comparisons))
	for i := range comparisons {
		for _, l := range m.Fields[i].Levels {
			mm[i] = append(mm[i], l.M)
		}
	}
	for it := 0; it < iters; it++ {
		mc := make([][]float64, len(comparisons))
		for i, c := range comparisons {
			mc[i] = make([]float64, len(c.Levels))
		}
		sumP, sumN := 0.0, 0.0
		for _, p := range pats {
			lm, lu := math.Log(lambda), math.Log(1-lambda)
			for i, l := range p.g {
				if l >= 0 {
					lm += math.Log(mm[i][l])
					lu += math.Log(m.Fields[i].Levels[l].U)
				}
			}
			pm := 1 / (1 + math.Exp(lu-lm))
			sumP += pm * p.n
			sumN += p.n
			for i, l := range p.g {
				if l >= 0 {
					mc[i][l] += pm * p.n
				}
			}
		}
		lambda = math.Min(math.Max(sumP/sumN, 1e-6), 1-1e-6)
		if lambdaOnly {
			continue
		}
		for i := range mm {
			tot := 0.0
			for _, x := range mc[i] {
				tot += x
			}
			if tot == 0 || exclude[i] {
				continue
			}
			for j := range mm[i] {
				mm[i][j] = math.Max(mc[i][j]/tot, 1e-6)
			}
		}
	}
	for i := range mm {
		if exclude[i] {
			mm[i] = nil
		}
	}
	return mm, lambda
}
