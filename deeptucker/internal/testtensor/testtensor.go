// Package testtensor makes the random low-rank tensors that the tests of several packages complete.
package testtensor

import (
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// LowRank returns G ×_1 U_1 ··· ×_N U_N with a standard normal core of shape rank and standard normal factors,
// scaled to Frobenius norm 1: multilinear rank exactly rank with probability 1, dense, not axis-aligned.
// It draws the core, then each factor row by row, from rng.
func LowRank(rng *rand.Rand, shape, rank []int) *multilinear.Tensor {
	core := multilinear.New(rank...)
	for i := range core.Data {
		core.Data[i] = rng.NormFloat64()
	}
	factors := make([]*mat.Dense, len(shape))
	for n := range shape {
		f := mat.NewDense(shape[n], rank[n], nil)
		for i := range shape[n] {
			for j := range rank[n] {
				f.Set(i, j, rng.NormFloat64())
			}
		}
		factors[n] = f
	}
	x := multilinear.TuckerToTensor(core, factors)
	norm := x.Norm()
	for i := range x.Data {
		x.Data[i] /= norm
	}
	return x
}
