package theory

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// CoreGradient returns Y = −∇_G L, the negative gradient of the loss (2)
// with respect to the core: with ∇L(W) = (2/|Ω|)·P_Ω(W − A),
// Y = (−∇L(W)) ×_1 V(1)ᵀ ··· ×_N V(N)ᵀ. Theorem 4.3's δ_r is built from it:
// Σ over the other indices of G·Π_{n≠m}||v_n||·Δ equals ⟨G_{..r..}, Y_{..r..}⟩/||v_{m,r}||.
// It returns an error if the shapes, the mask or the factors' rows (d_n) do not fit W.
func CoreGradient(w, target *multilinear.Tensor, train *multilinear.Mask, factors []*mat.Dense) (*multilinear.Tensor, error) {
	if !multilinear.SameShape(w.Shape, target.Shape) {
		return nil, fmt.Errorf("theory: W shape %v != target shape %v", w.Shape, target.Shape)
	}
	if err := train.CheckFits(w); err != nil {
		return nil, err
	}
	if len(factors) != len(w.Shape) {
		return nil, fmt.Errorf("theory: %d factors for an order-%d tensor", len(factors), len(w.Shape))
	}
	n := float64(train.Count())
	g := multilinear.New(w.Shape...)
	for i, obs := range train.Observed {
		if obs {
			g.Data[i] = -2 * (w.Data[i] - target.Data[i]) / n
		}
	}
	ms := make([]mat.Matrix, len(factors))
	for i, f := range factors {
		if f == nil {
			return nil, fmt.Errorf("theory: mode %d has no factor (depth 0)", i)
		}
		if d, _ := f.Dims(); d != w.Shape[i] {
			return nil, fmt.Errorf("theory: the factor of mode %d has %d rows, W's mode %d has size %d (want V(%d) of d x r)", i, d, i, w.Shape[i], i)
		}
		ms[i] = f
	}
	return multilinear.MultiModeDot(g, ms, true), nil
}

// SliceInner returns ⟨A_{..r..}, B_{..r..}⟩ for every index r along mode.
func SliceInner(a, b *multilinear.Tensor, mode int) []float64 {
	if !multilinear.SameShape(a.Shape, b.Shape) {
		panic(fmt.Sprintf("theory: SliceInner of shapes %v and %v", a.Shape, b.Shape))
	}
	if mode < 0 || mode >= len(a.Shape) {
		panic(fmt.Sprintf("theory: SliceInner along mode %d of a tensor of order %d (modes are 0-based)", mode, len(a.Shape)))
	}
	strides := multilinear.Strides(a.Shape)
	out := make([]float64, a.Shape[mode])
	for i := range a.Data {
		r := (i / strides[mode]) % a.Shape[mode]
		out[r] += a.Data[i] * b.Data[i]
	}
	return out
}

// RateLaw evaluates the right-hand side of Theorem 4.3 for every mode-m core slice:
// (||v_r||/||w_r||)·δ_r = ⟨G_r, Y_r⟩/||w_r||, Y the core gradient (CoreGradient) and wNorms[r] = ||w_r^m||
// (Record.WNorms[m], or RunResult.Params). With wNorms nil it uses ||G_r|| instead, which Lemma 4.1 makes
// equal under a balanced start.
func RateLaw(core, coreGrad *multilinear.Tensor, wNorms []float64, mode int) []float64 {
	inner := SliceInner(core, coreGrad, mode)
	if wNorms == nil {
		wNorms = multilinear.SliceNorms(core, mode)
	}
	if len(wNorms) != len(inner) {
		panic(fmt.Sprintf("theory: RateLaw along mode %d has %d core slices and %d norms ||w_r||", mode, len(inner), len(wNorms)))
	}
	out := make([]float64, len(inner))
	for r := range inner {
		out[r] = inner[r] / wNorms[r]
	}
	return out
}

// SpectralNorm is the largest singular value ||M||_2.
func SpectralNorm(m *mat.Dense) float64 {
	var svd mat.SVD
	if !svd.Factorize(m, mat.SVDNone) {
		return math.NaN()
	}
	return svd.Values(nil)[0]
}

// Prop46 evaluates Proposition 4.6 on a learned factorization: per mode n,
// R_n counts the core slices with ||G_{..r..}|| > eps/(sqrt(d_n·N)·Π_k ||V(k)||_2);
// it then zeroes every other slice (all modes at once) and returns the
// distance ||W − W_R|| of that multirank-≤(R_1..R_N) tensor from W, which the
// proposition bounds by eps. It returns an error if eps is not > 0 (NaN included), a mode
// has no factor, or a factor's columns do not match the core.
func Prop46(core *multilinear.Tensor, factors []*mat.Dense, eps float64) (ranks []int, dist float64, err error) {
	if !(eps > 0) { // NaN too: every threshold would be NaN and no slice counted
		return nil, 0, fmt.Errorf("theory: Prop46 needs eps > 0, got %g", eps)
	}
	order := len(core.Shape)
	if len(factors) != order {
		return nil, 0, fmt.Errorf("theory: %d factors for an order-%d core", len(factors), order)
	}
	prod := 1.0
	ms := make([]mat.Matrix, order)
	for n, f := range factors {
		if f == nil {
			return nil, 0, fmt.Errorf("theory: mode %d has no factor (depth 0)", n)
		}
		if _, r := f.Dims(); r != core.Shape[n] {
			return nil, 0, fmt.Errorf("theory: the factor of mode %d has %d columns, the core's mode %d has size %d", n, r, n, core.Shape[n])
		}
		prod *= SpectralNorm(f)
		ms[n] = f
	}
	keep := make([][]bool, order)
	ranks = make([]int, order)
	for n := range order {
		d, _ := factors[n].Dims()
		th := eps / (math.Sqrt(float64(d*order)) * prod)
		keep[n] = make([]bool, core.Shape[n])
		for r, s := range multilinear.SliceNorms(core, n) {
			if s > th {
				keep[n][r] = true
				ranks[n]++
			}
		}
	}
	trunc := core.Clone()
	strides := multilinear.Strides(core.Shape)
	for i := range trunc.Data {
		for n := range order {
			if !keep[n][(i/strides[n])%core.Shape[n]] {
				trunc.Data[i] = 0
				break
			}
		}
	}
	w := multilinear.MultiModeDot(core, ms, false)
	wr := multilinear.MultiModeDot(trunc, ms, false)
	ss := 0.0
	for i := range w.Data {
		d := w.Data[i] - wr.Data[i]
		ss += d * d
	}
	return ranks, math.Sqrt(ss), nil
}
