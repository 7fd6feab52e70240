package hooi

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// decomposition checks WithInitTucker's decomposition against the input's shape and rank and
// returns fresh copies of its core and factors (nil factors made identities), the core computed
// as x0 x_0 U_0^T ... x_{N-1} U_{N-1}^T when none was given: TensorLy's init=[factors].
func (s *start) decomposition(x0 *multilinear.Tensor, rank []int) (*multilinear.Tensor, []*mat.Dense, error) {
	shape := x0.Shape
	if len(s.factors) != len(shape) {
		return nil, nil, fmt.Errorf("hooi: WithInitTucker: %d factors for a tensor of order %d (shape %v): give one d_n x rank[n] factor per mode, %s",
			len(s.factors), len(shape), shape, wantFactors(shape, rank))
	}
	factors := make([]*mat.Dense, len(shape))
	for n, f := range s.factors {
		d, r := shape[n], rank[n]
		if f == nil {
			if r != d {
				return nil, nil, fmt.Errorf("hooi: WithInitTucker: factor %d is nil, which stands for the %dx%d identity (a mode kept whole, as a mode of depth 0 in a deep Tucker run), but rank[%d]=%d: give a %dx%d factor, or ask for rank %d on mode %d",
					n, d, d, n, r, d, r, d, n)
			}
			factors[n] = eye(d)
			continue
		}
		if f.IsEmpty() {
			return nil, nil, fmt.Errorf("hooi: WithInitTucker: factor %d is an empty matrix; it must be %dx%d (d_n x rank[n])", n, d, r)
		}
		rows, cols := f.Dims()
		if rows != d {
			return nil, nil, fmt.Errorf("hooi: WithInitTucker: factor %d is %dx%d but mode %d of the %v tensor has size %d: factors must be d_n x rank[n], %s (transposed or out of order?)",
				n, rows, cols, n, shape, d, wantFactors(shape, rank))
		}
		if cols != r {
			return nil, nil, fmt.Errorf("hooi: WithInitTucker: factor %d is %dx%d: %d columns but rank[%d]=%d; the init's rank must equal the rank asked for: ask for rank %v, the init's, or give factors %s",
				n, rows, cols, cols, n, r, initRank(s, shape, rank), wantFactors(shape, rank))
		}
		if i, j, bad := firstNonFinite(f); bad {
			return nil, nil, fmt.Errorf("hooi: WithInitTucker: factor %d entry (%d, %d) is %v: the init must be finite", n, i, j, f.At(i, j))
		}
		factors[n] = mat.DenseCopyOf(f)
	}
	if s.core == nil {
		return multilinear.MultiModeDot(x0, asMatrices(factors), true), factors, nil
	}
	if err := s.core.Validate(); err != nil {
		return nil, nil, fmt.Errorf("hooi: WithInitTucker: core: %w", err)
	}
	if s.core.Order() != len(shape) {
		hint := ""
		if s.core.Order() == 1 {
			hint = " (a deep CP run's diagonal core is a vector: put it on the diagonal of a full core first)"
		}
		return nil, nil, fmt.Errorf("hooi: WithInitTucker: the core has order %d (shape %v) but the tensor has order %d%s; the core must have shape rank = %v, or pass nil to compute it from the input",
			s.core.Order(), s.core.Shape, len(shape), hint, rank)
	}
	if !multilinear.SameShape(s.core.Shape, rank) {
		return nil, nil, fmt.Errorf("hooi: WithInitTucker: core shape %v does not match rank %v; the init's rank must equal the rank asked for: ask for rank %v, the init's, or give a core of shape %v (nil computes it from the input)",
			s.core.Shape, rank, s.core.Shape, rank)
	}
	for off, v := range s.core.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, fmt.Errorf("hooi: WithInitTucker: core entry %v is %v: the init must be finite", multilinear.Unravel(s.core.Shape, off), v)
		}
	}
	return s.core.Clone(), factors, nil
}

// initRank is the multilinear rank of the init, from its factors' column counts (d_n for a nil
// factor, rank[n] for an empty one). It is called once the factor count is checked.
func initRank(s *start, shape, rank []int) []int {
	out := make([]int, len(rank))
	for n, f := range s.factors {
		switch {
		case f == nil:
			out[n] = shape[n]
		case f.IsEmpty():
			out[n] = rank[n]
		default:
			_, out[n] = f.Dims()
		}
	}
	return out
}

// wantFactors spells the factor shapes a tensor of shape `shape` and rank `rank` needs (rank
// has one entry per mode: Tucker checks it first).
func wantFactors(shape, rank []int) string {
	s := ""
	for n := range shape {
		if n > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%dx%d", shape[n], rank[n])
	}
	return s
}

// firstNonFinite returns the first NaN or infinite entry of m, row by row.
func firstNonFinite(m *mat.Dense) (int, int, bool) {
	r, c := m.Dims()
	for i := range r {
		for j := range c {
			if v := m.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}

// eye is the n x n identity.
func eye(n int) *mat.Dense {
	m := mat.NewDense(n, n, nil)
	for i := range n {
		m.Set(i, i, 1)
	}
	return m
}
