package deeptucker

import (
	"maps"
	"math"
	"slices"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Record is one snapshot of a run's diagnostics, the quantities of the paper's section 4 and 5.
// Modes are 0-based: the paper's mode 1 is index 0.
type Record struct {
	Step int // steps done
	// TrainLoss is the full training objective on the observed entries: the data term plus every Term.
	TrainLoss float64
	// DataLoss is the data term alone: the loss (2) (or Training.DataTerm); Terms holds each extra term by name.
	DataLoss   float64
	Terms      map[string]float64 `json:",omitempty"`
	HeldOutMSE float64            // NaN without a held-out mask
	HeldOutR2  float64            // scikit-learn's r2_score on held-out entries (as metrics.R2); NaN with fewer than two
	// ValidationMSE and ValidationR2 are computed on Run.Validation (NaN without one): the early-stopping signal.
	ValidationMSE, ValidationR2 float64
	// AllR2 is the R2 over every entry the run reads (observed, validation and held-out): a diagnostic of the
	// fit as a whole, not a completion score.
	AllR2 float64
	// Epsilon is the unbalancedness ε(t) of Definition 4.2: the largest | ||w_r||² − ||G_{..r..}||² | and
	// | ||w_r||² − ||A_i^{n,r}||_F² | over modes, columns and layers (0 when no mode is factorised).
	Epsilon float64
	// SliceNorms[n][r] is the core slice norm ||G_{..r..}|| along mode n (|λ_r| for a diagonal core).
	SliceNorms [][]float64
	// ColumnNorms[n][r] is ||A_1^{n,r}···A_k^{n,r} w_r^n||, the norm of column r of V(n); nil for depth 0.
	ColumnNorms [][]float64
	// WNorms[n][r] is ||w_r^n|| and LayerNorms[n][i][r] is ||A_{i+1}^{n,r}||_F, the quantities Lemma 4.1 ties to
	// the slice norms; nil for a mode of depth 0.
	WNorms     [][]float64
	LayerNorms [][][]float64
	// ActiveColumns[n] counts the columns of V(n) whose squared norm exceeds Training.ColumnThreshold (Fig. 4);
	// -1 for a mode of depth 0, which has no columns.
	ActiveColumns []int
	// Extra holds the user's diagnostics (Training.Diagnostics) by name.
	Extra map[string][]float64 `json:",omitempty"`
}

// diagnosticsGraph computes every run's diagnostics from the current variables, in this order:
// objective, data term, held-out MSE and R2, validation MSE and R2, R2 over every entry read ([M] each); each Term [M]; per mode the squared slice
// norms [M, r_n]; per factorised mode the squared column norms, ||w_r||² and each layer's ||A_i||_F²
// ([M, r_n] each); each graph Diagnostic ([M] or [M, k]).
func (s *session) diagnosticsGraph(_ *context.Context, g *Graph) []*Node {
	o := s.objectiveGraph(g, s.trainMask.ValueGraph(g), s.trainCount.ValueGraph(g), false)
	v := o.vars
	held, heldCount := s.heldOutMask.ValueGraph(g), s.heldOutCount.ValueGraph(g)
	val, valCount := s.validationMask.ValueGraph(g), s.validationCount.ValueGraph(g)
	train := s.trainMask.ValueGraph(g)
	all, allCount := Add(Add(train, held), val), Add(Add(s.trainCount.ValueGraph(g), heldCount), valCount)
	out := []*Node{o.perRun, o.data, maskedMSE(v.W, v.Target, held, heldCount), maskedR2(v.W, v.Target, held, heldCount),
		maskedMSE(v.W, v.Target, val, valCount), maskedR2(v.W, v.Target, val, valCount), maskedR2(v.W, v.Target, all, allCount)}
	out = append(out, o.terms...)
	for n := range s.model.Order() {
		out = append(out, sliceNormsSq(s.model, v.Core, n))
	}
	for n, c := range v.Columns {
		if c == nil {
			continue
		}
		out = append(out, rowNormsSq(c), rowNormsSq(v.Vectors[n]))
		for _, a := range v.Matrices[n] {
			out = append(out, rowNormsSq(a))
		}
	}
	for _, d := range s.training.Diagnostics {
		if d.Graph == nil {
			continue
		}
		x := callUser("diagnostic", d.Name, varsHint, func() *Node { return d.Graph(v.forUser()) })
		if x == nil || x.Rank() < 1 || x.Rank() > 2 || x.Shape().Dimensions[0] != s.numRuns {
			panic("deeptucker: diagnostic " + d.Name + " must return [M] or [M, k] (one row per run), got " + shapeOf(x))
		}
		out = append(out, ConvertDType(x, s.dtype))
	}
	return out
}

func shapeOf(x *Node) string {
	if x == nil {
		return "nil"
	}
	return x.Shape().String()
}

// buildRecord reads run i's record from the diagnostics outputs (host copies, see diagnosticsGraph's order).
func (s *session) buildRecord(host [][]float64, i, step int, params *Params) Record {
	m, M := s.model, s.numRuns
	rec := Record{Step: step, TrainLoss: host[0][i], DataLoss: host[1][i], HeldOutMSE: host[2][i], HeldOutR2: host[3][i],
		ValidationMSE: host[4][i], ValidationR2: host[5][i], AllR2: host[6][i]}
	k := 7
	for _, t := range s.training.Terms {
		if rec.Terms == nil {
			rec.Terms = map[string]float64{}
		}
		rec.Terms[t.Name] = host[k][i]
		k++
	}
	sliceSq := make([][]float64, m.Order())
	for n := range m.Order() {
		sliceSq[n] = row(host[k], i, len(host[k])/M)
		rec.SliceNorms = append(rec.SliceNorms, sqrtAll(sliceSq[n]))
		k++
	}
	rec.ColumnNorms = make([][]float64, m.Order())
	rec.WNorms = make([][]float64, m.Order())
	rec.LayerNorms = make([][][]float64, m.Order())
	rec.ActiveColumns = make([]int, m.Order())
	for n, depth := range m.Depths {
		if depth == 0 {
			rec.ActiveColumns[n] = -1
			continue
		}
		r := m.CoreShape[n]
		colSq, wSq := row(host[k], i, r), row(host[k+1], i, r)
		k += 2
		rec.ColumnNorms[n] = sqrtAll(colSq)
		rec.WNorms[n] = sqrtAll(wSq)
		for _, c := range colSq {
			if c > s.training.ColumnThreshold {
				rec.ActiveColumns[n]++
			}
		}
		for j := range r {
			rec.Epsilon = math.Max(rec.Epsilon, math.Abs(wSq[j]-sliceSq[n][j]))
		}
		for range depth - 1 {
			aSq := row(host[k], i, r)
			k++
			rec.LayerNorms[n] = append(rec.LayerNorms[n], sqrtAll(aSq))
			for j := range r {
				rec.Epsilon = math.Max(rec.Epsilon, math.Abs(wSq[j]-aSq[j]))
			}
		}
	}
	for _, d := range s.training.Diagnostics {
		if rec.Extra == nil {
			rec.Extra = map[string][]float64{}
		}
		if d.Host != nil {
			// A copy: params is also the snapshot a run that later diverges goes back to, and a host function
			// may use its argument as scratch space.
			rec.Extra[d.Name] = callUser("diagnostic", d.Name, "", func() []float64 { return d.Host(params.Clone()) })
			continue
		}
		rec.Extra[d.Name] = append([]float64(nil), row(host[k], i, len(host[k])/M)...)
		k++
	}
	return rec
}

// record runs the diagnostics and appends one Record per run still recording. A run whose objective is no
// longer finite (seen by the step's own check, or here) goes back to its last finite record and stops; a run
// within the tolerance stops where it is. It reports whether any run is still moving.
func (s *session) record(step int) (moving bool, err error) {
	outs, err := s.diagnostics.Exec()
	if err != nil {
		return false, err
	}
	host := make([][]float64, len(outs))
	for i, t := range outs {
		host[i] = toFloat64s(t)
	}
	divergedAt, err := s.divergedAt.Value()
	if err != nil {
		return false, err
	}
	flagged, err := anyToFloat64s(divergedAt)
	if err != nil {
		return false, err
	}
	values, err := s.paramValues()
	if err != nil {
		return false, err
	}
	changed, restored := false, false
	recs := make([]Record, s.numRuns)
	for i := range s.numRuns {
		if s.divergedStep[i] >= 0 {
			recs[i] = s.lastRecord(i, step)
			continue
		}
		objective := host[0][i]
		if flagged[i] >= 0 || math.IsNaN(objective) || math.IsInf(objective, 0) {
			s.divergedStep[i] = step
			if flagged[i] >= 0 {
				s.divergedStep[i] = int(flagged[i])
			}
			s.activeHost[i], changed = 0, true
			if snap := s.snapshots[i]; snap != nil {
				s.setRun(values, i, snap.params)
				restored = true
				s.truncateRecords(i, snap.step)
			}
			recs[i] = s.lastRecord(i, step)
			continue
		}
		params := s.runParams(values, i)
		rec := s.buildRecord(host, i, step, params)
		recs[i] = rec
		s.records[i] = append(s.records[i], rec)
		s.snapshots[i] = &snapshot{step: step, params: params}
		// Only records on the RecordEvery grid can stop a run: a chunk that ends (or a resumed Fit that starts)
		// off the grid then freezes where the one long run would.
		if s.training.Tol > 0 && step%s.training.RecordEvery == 0 && rec.TrainLoss <= s.training.Tol && s.convergedAt[i] < 0 {
			s.convergedAt[i] = step
		}
		if s.convergedAt[i] >= 0 && s.activeHost[i] != 0 {
			s.activeHost[i], changed = 0, true
		}
	}
	if restored {
		if err := s.setParamValues(values); err != nil {
			return false, err
		}
	}
	if changed {
		if err := s.active.SetValue(toTensor(s.dtype, s.activeHost, s.numRuns)); err != nil {
			return false, err
		}
	}
	if s.training.OnRecord != nil {
		// Copies: the records are the runs' history, and a display may sort or rescale what it is shown.
		shown := make([]Record, len(recs))
		for i, r := range recs {
			shown[i] = r.clone()
		}
		s.training.OnRecord(step, shown)
	}
	for _, a := range s.activeHost {
		if a != 0 {
			return true, nil
		}
	}
	return false, nil
}

// clone returns a deep copy of r.
func (r Record) clone() Record {
	c := r
	c.Terms = maps.Clone(r.Terms)
	c.SliceNorms, c.ColumnNorms, c.WNorms = cloneRows(r.SliceNorms), cloneRows(r.ColumnNorms), cloneRows(r.WNorms)
	if r.LayerNorms != nil {
		c.LayerNorms = make([][][]float64, len(r.LayerNorms))
		for n, layers := range r.LayerNorms {
			c.LayerNorms[n] = cloneRows(layers)
		}
	}
	c.ActiveColumns = slices.Clone(r.ActiveColumns)
	if r.Extra != nil {
		c.Extra = make(map[string][]float64, len(r.Extra))
		for k, v := range r.Extra {
			c.Extra[k] = slices.Clone(v)
		}
	}
	return c
}

func cloneRows(rows [][]float64) [][]float64 {
	if rows == nil {
		return nil
	}
	out := make([][]float64, len(rows))
	for i, r := range rows {
		out[i] = slices.Clone(r)
	}
	return out
}

// lastRecord is what a run that stopped reports at a later record: its last record, or, for a run whose
// objective was not finite at its first record (it has none), a record of NaNs at step, as RunResult.Final.
func (s *session) lastRecord(i, step int) Record {
	if n := len(s.records[i]); n > 0 {
		return s.records[i][n-1]
	}
	nan := math.NaN()
	return Record{Step: step, TrainLoss: nan, DataLoss: nan, HeldOutMSE: nan, HeldOutR2: nan, Epsilon: nan}
}

// runParams cuts run i's parameters out of the stacked host values (paramValues' layout).
func (s *session) runParams(values [][]float64, i int) *Params {
	p := NewParams(s.model)
	for k, dst := range p.flat() {
		copy(dst, values[k][i*len(dst):(i+1)*len(dst)])
	}
	return p
}

// setRun writes run i's parameters into the stacked host values.
func (s *session) setRun(values [][]float64, i int, p *Params) {
	for k, src := range p.flat() {
		copy(values[k][i*len(src):(i+1)*len(src)], src)
	}
}

func row(flat []float64, i, width int) []float64 { return flat[i*width : (i+1)*width] }

func sqrtAll(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.Sqrt(x)
	}
	return out
}
