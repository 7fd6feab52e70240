package deeptucker

import (
	"math"
	"math/rand/v2"
)

// hostParams holds one model's parameters on the host, row-major:
// core (coreDims), w[n] as [r_n, d_n] (row r is w_r^n), a[n][i] as [r_n, d_n, d_n] (A_{i+1}^{n,r} for each r).
// Modes of depth 0 have no w and no a.
type hostParams struct {
	core []float64
	w    [][]float64
	a    [][][]float64
}

// initParams draws one model's starting parameters from a seeded generator, so a run's start depends only on
// its seed and std, whatever else trains beside it in the batch.
func initParams(m *Model, std float64, seed uint64) *hostParams {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	if m.Init == BalancedInit {
		d := float64(max(1, m.MaxDepth()))
		std *= d * math.Log(d+1)
	}
	gauss := func(n int) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = std * rng.NormFloat64()
		}
		return x
	}
	p := &hostParams{core: gauss(m.coreSize())}
	p.w = make([][]float64, m.Order())
	p.a = make([][][]float64, m.Order())
	for n, depth := range m.Depths {
		if depth == 0 {
			continue
		}
		r, dn := m.CoreShape[n], m.Shape[n]
		p.w[n] = gauss(r * dn)
		for i := 0; i < depth-1; i++ {
			p.a[n] = append(p.a[n], gauss(r*dn*dn))
		}
	}
	if m.Init == BalancedInit {
		p.balance(m)
	}
	return p
}

// balance rescales each w_r^n and each A_i^{n,r} to the Frobenius norm of the core slice G_{..r..}, the start
// that Lemma 4.1 and Corollary 4.4 assume (ε(0) = 0).
func (p *hostParams) balance(m *Model) {
	for n, depth := range m.Depths {
		if depth == 0 {
			continue
		}
		norms := coreSliceNorms(m, p.core, n)
		dn := m.Shape[n]
		for r, target := range norms {
			rescale(p.w[n][r*dn:(r+1)*dn], target)
			for _, a := range p.a[n] {
				rescale(a[r*dn*dn:(r+1)*dn*dn], target)
			}
		}
	}
}

func rescale(x []float64, target float64) {
	norm := 0.0
	for _, v := range x {
		norm += v * v
	}
	norm = math.Sqrt(norm)
	if norm == 0 {
		return
	}
	for i := range x {
		x[i] *= target / norm
	}
}

// coreSliceNorms returns ||G_{..r..}|| along mode n for every r (|λ_r| for a diagonal core).
func coreSliceNorms(m *Model, core []float64, n int) []float64 {
	if m.Diagonal {
		out := make([]float64, len(core))
		for r, v := range core {
			out[r] = math.Abs(v)
		}
		return out
	}
	dims := m.CoreShape
	inner := 1
	for k := n + 1; k < len(dims); k++ {
		inner *= dims[k]
	}
	sq := make([]float64, dims[n])
	for i, v := range core {
		sq[(i/inner)%dims[n]] += v * v
	}
	for r := range sq {
		sq[r] = math.Sqrt(sq[r])
	}
	return sq
}
