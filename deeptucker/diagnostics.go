package deeptucker

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Record is one snapshot of a run's diagnostics, the quantities of the paper's section 4 and 5.
// Modes are 0-based: the paper's mode 1 is index 0.
type Record struct {
	Step       int     // steps done
	TrainLoss  float64 // the loss (2) on observed entries
	HeldOutMSE float64 // NaN without a held-out mask
	HeldOutR2  float64 // scikit-learn's r2_score on held-out entries; NaN without a held-out mask
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
}

// diagnosticsGraph computes every run's diagnostics from the current variables, in this order:
// train loss, held-out MSE, held-out R2 ([M] each); per mode the squared slice norms [M, r_n]; per factorised
// mode the squared column norms, ||w_r||² and each layer's ||A_i||_F² ([M, r_n] each).
func (s *session) diagnosticsGraph(_ *context.Context, g *Graph) []*Node {
	core := s.core.ValueGraph(g)
	cols := s.columnsGraph(g)
	w := reconstruct(s.model, core, cols)
	target := s.target.ValueGraph(g)
	held, heldCount := s.heldOutMask.ValueGraph(g), s.heldOutCount.ValueGraph(g)
	out := []*Node{
		maskedMSE(w, target, s.trainMask.ValueGraph(g), s.trainCount.ValueGraph(g)),
		maskedMSE(w, target, held, heldCount),
		maskedR2(w, target, held, heldCount),
	}
	for n := range s.model.Order() {
		out = append(out, sliceNormsSq(s.model, core, n))
	}
	for n, v := range cols {
		if v == nil {
			continue
		}
		out = append(out, rowNormsSq(v), rowNormsSq(s.w[n].ValueGraph(g)))
		for _, a := range s.a[n] {
			out = append(out, rowNormsSq(a.ValueGraph(g)))
		}
	}
	return out
}

// record runs the diagnostics, appends one Record per run, keeps a snapshot of the parameters when every loss
// is finite, and reports whether every run is within the tolerance. A non-finite loss returns ErrDiverged.
func (s *session) record(step int) (converged bool, err error) {
	outs, err := s.diagnostics.Exec()
	if err != nil {
		return false, err
	}
	host := make([][]float64, len(outs))
	for i, t := range outs {
		host[i] = toFloat64s(t)
	}
	m, M := s.model, s.numRuns
	recs := make([]Record, M)
	converged = s.training.Tol > 0
	var bad []int
	for i := range recs {
		rec := Record{Step: step, TrainLoss: host[0][i], HeldOutMSE: host[1][i], HeldOutR2: host[2][i]}
		k := 3
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
		if math.IsNaN(rec.TrainLoss) || math.IsInf(rec.TrainLoss, 0) {
			bad = append(bad, i)
		}
		if !(rec.TrainLoss <= s.training.Tol) {
			converged = false
		}
		recs[i] = rec
		s.records[i] = append(s.records[i], rec)
	}
	if len(bad) > 0 {
		return false, fmt.Errorf("%w: runs %v have a non-finite loss at step %d", ErrDiverged, bad, step)
	}
	if err := s.takeSnapshot(step); err != nil {
		return false, err
	}
	if err := s.freezeConverged(recs); err != nil {
		return false, err
	}
	if s.training.OnRecord != nil {
		s.training.OnRecord(step, recs)
	}
	return converged, nil
}

// freezeConverged stops updating the runs whose train loss reached the tolerance, so each run ends at its own
// convergence, as if trained alone, while the rest of the batch goes on.
func (s *session) freezeConverged(recs []Record) error {
	if s.training.Tol <= 0 {
		return nil
	}
	changed := false
	for i, rec := range recs {
		if rec.TrainLoss <= s.training.Tol && s.runScales[i] != 0 {
			s.runScales[i], changed = 0, true
		}
	}
	if !changed {
		return nil
	}
	return s.runScale.SetValue(toTensor(s.dtype, s.runScales, s.numRuns))
}

func row(flat []float64, i, width int) []float64 { return flat[i*width : (i+1)*width] }

func sqrtAll(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.Sqrt(x)
	}
	return out
}

// takeSnapshot copies the parameters to the host: the last finite state that divergence falls back to.
func (s *session) takeSnapshot(step int) error {
	snap := &snapshot{step: step}
	for _, v := range s.params() {
		t, err := v.Value()
		if err != nil {
			return err
		}
		snap.values = append(snap.values, toFloat64s(t))
	}
	s.snapshot = snap
	return nil
}

func (s *session) restore() error {
	for i, v := range s.params() {
		if err := v.SetValue(toTensor(s.dtype, s.snapshot.values[i], v.Shape().Dimensions...)); err != nil {
			return err
		}
	}
	return nil
}
