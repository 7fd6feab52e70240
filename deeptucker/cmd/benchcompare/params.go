package main

import (
	"fmt"

	"github.com/deeptucker/deeptucker/deeptucker"
)

// params holds one model's parameters on the host, row-major, in deeptucker's layout:
// core (CoreShape), w[n] as [r_n, d_n] (row r is w_r^n), a[n][i] as [r_n, d_n, d_n] (A_{i+1}^{n,r} for each
// r, so that v_r = A_1 ··· A_k w_r). Modes of depth 0 have no w and no a.
type params struct {
	core []float64
	w    [][]float64
	a    [][][]float64
}

// initialParams returns the parameters Fit starts each run from: the model's init scheme drawn with the
// run's seed and std, exactly as Fit draws them (deeptucker.InitScheme.Draw).
func initialParams(m *deeptucker.Model, runs []deeptucker.Run) ([]*params, error) {
	if m.Diagonal {
		return nil, fmt.Errorf("benchcompare: only Tucker (non-diagonal) cores are exported, got a diagonal one")
	}
	out := make([]*params, len(runs))
	for i, r := range runs {
		std := m.InitStd
		if r.InitStd > 0 {
			std = r.InitStd
		}
		dp, err := m.Init.Draw(m, r.Seed, std)
		if err != nil {
			return nil, err
		}
		p := &params{core: dp.Core.Data, w: make([][]float64, len(m.Shape)), a: make([][][]float64, len(m.Shape))}
		for n, w := range dp.Vectors {
			if w == nil {
				continue
			}
			p.w[n] = w.Data
			for _, a := range dp.Matrices[n] {
				p.a[n] = append(p.a[n], a.Data)
			}
		}
		out[i] = p
	}
	return out, nil
}

// columns returns the columns of V(n) as rows, [r, d]: v_r = A_1 ··· A_k w_r.
func (p *params) columns(m *deeptucker.Model, n int) []float64 {
	r, d := m.CoreShape[n], m.Shape[n]
	v := append([]float64(nil), p.w[n]...)
	for i := len(p.a[n]) - 1; i >= 0; i-- {
		a := p.a[n][i]
		next := make([]float64, r*d)
		for c := range r {
			for row := range d {
				s := 0.0
				for q := range d {
					s += a[(c*d+row)*d+q] * v[c*d+q]
				}
				next[c*d+row] = s
			}
		}
		v = next
	}
	return v
}

// reconstruct returns W = G ×_1 V(1) ··· ×_N V(N) on the host (row-major, the data's shape).
func (p *params) reconstruct(m *deeptucker.Model) []float64 {
	x, dims := p.core, append([]int(nil), m.CoreShape...)
	for n := range m.Shape {
		if m.Depths[n] == 0 {
			continue
		}
		v := p.columns(m, n)
		r, d := dims[n], m.Shape[n]
		outer, inner := prod(dims[:n]), prod(dims[n+1:])
		y := make([]float64, outer*d*inner)
		for o := range outer {
			for c := range r {
				for i := range d {
					vi := v[c*d+i]
					for k := range inner {
						y[(o*d+i)*inner+k] += x[(o*r+c)*inner+k] * vi
					}
				}
			}
		}
		x, dims[n] = y, d
	}
	return x
}

// trainLoss is the loss (2): the mean squared error over the run's train mask.
func (p *params) trainLoss(m *deeptucker.Model, run deeptucker.Run) float64 {
	w := p.reconstruct(m)
	sum, count := 0.0, 0
	for k, obs := range run.Train.Observed {
		if obs {
			e := w[k] - run.Target.Data[k]
			sum += e * e
			count++
		}
	}
	return sum / float64(count)
}

func prod(xs []int) int {
	p := 1
	for _, x := range xs {
		p *= x
	}
	return p
}
