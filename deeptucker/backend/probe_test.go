package backend

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// probe is the small computation every backend test runs: Y = X Xᵀ and the gradient
// of L = Σ Y² with respect to X, which is 4·Y·X (Y is symmetric). It exercises a
// contraction, a reduction and reverse-mode differentiation: what a training step needs.
func probe(b backends.Backend, x [][]float64) (y, grad [][]float64, err error) {
	exec, err := graph.NewExec(b, func(x *graph.Node) (*graph.Node, *graph.Node) {
		y := graph.MatMul(x, graph.Transpose(x, 0, 1))
		loss := graph.ReduceAllSum(graph.Square(y))
		return y, graph.Gradient(loss, x)[0]
	})
	if err != nil {
		return nil, nil, err
	}
	defer exec.Finalize()
	out, err := exec.Exec(tensors.FromValue(x))
	if err != nil {
		return nil, nil, err
	}
	y, ok1 := out[0].Value().([][]float64)
	grad, ok2 := out[1].Value().([][]float64)
	if !ok1 || !ok2 {
		return nil, nil, fmt.Errorf("probe: unexpected output types %T, %T", out[0].Value(), out[1].Value())
	}
	return y, grad, nil
}

// probeWant computes probe's results on the host with plain loops.
func probeWant(x [][]float64) (y, grad [][]float64) {
	n, k := len(x), len(x[0])
	y = make([][]float64, n)
	for i := range n {
		y[i] = make([]float64, n)
		for j := range n {
			for l := range k {
				y[i][j] += x[i][l] * x[j][l]
			}
		}
	}
	grad = make([][]float64, n)
	for i := range n {
		grad[i] = make([]float64, k)
		for j := range k {
			for l := range n {
				grad[i][j] += 4 * y[i][l] * x[l][j]
			}
		}
	}
	return y, grad
}

// randomMatrix returns a seeded n×k matrix with entries in [-1, 1).
func randomMatrix(seed uint64, n, k int) [][]float64 {
	r := rand.New(rand.NewPCG(seed, 0))
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, k)
		for j := range m[i] {
			m[i][j] = 2*r.Float64() - 1
		}
	}
	return m
}

// maxRelDiff is max |a-b| / max(1, |b|) over all entries; +Inf on a shape mismatch.
func maxRelDiff(a, b [][]float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d float64
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return math.Inf(1)
		}
		for j := range a[i] {
			d = max(d, math.Abs(a[i][j]-b[i][j])/max(1, math.Abs(b[i][j])))
		}
	}
	return d
}
