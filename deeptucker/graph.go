package deeptucker

import (
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's graph DSL reads as maths.
)

// Every node here carries a leading "model" axis of size M: M independent models share one graph and one
// compiled step, and each contraction is batched over that axis.

// reconstructWithPrefixes computes W = G ×_1 V(1) ··· ×_N V(N) for every model, shape [M, d_1..d_N], and the
// partial products prefixes[n] = the core after the products of modes 0..n-1 (nil for a diagonal core): the
// backward pass of mode n starts from them. cols[n] holds the columns of V(n) as rows, [M, r_n, d_n], or nil
// for a mode of depth 0 (left as the core's). Each mode product contracts axis 1 of the running tensor with
// the columns' axis 1, batched over models; DotGeneral puts the new axis last, so after N products the axes
// are back in order with no transpose.
func reconstructWithPrefixes(m *Model, core *Node, cols []*Node) (*Node, []*Node) {
	if m.Diagonal {
		return reconstructCP(core, cols), nil
	}
	x := core
	prefixes := make([]*Node, len(cols))
	for n, v := range cols {
		prefixes[n] = x
		if v == nil {
			x = moveAxis1Last(x)
			continue
		}
		x = DotGeneral(x, []int{1}, []int{0}, v, []int{1}, []int{0})
	}
	return x, prefixes
}

// reconstructCP computes W = Σ_r λ_r v_r^1 ⊗ ··· ⊗ v_r^N for a diagonal core λ of shape [M, R]: outer products
// batched over (model, r), then a sum over r.
func reconstructCP(lambda *Node, cols []*Node) *Node {
	x := Mul(ExpandAxes(lambda, -1), cols[0]) // [M, R, d_1]
	for _, v := range cols[1:] {
		x = DotGeneral(x, nil, []int{0, 1}, v, nil, []int{0, 1}) // [M, R, d_1..d_n]
	}
	return ReduceSum(x, 1)
}

// sumPerModel sums over every axis but the leading model axis.
func sumPerModel(x *Node) *Node {
	axes := make([]int, x.Rank()-1)
	for i := range axes {
		axes[i] = i + 1
	}
	return ReduceSum(x, axes...)
}

// maskedMSE is Σ mask·(W − A)² / count per model: the paper's loss (2) with ℓ the squared error.
func maskedMSE(w, target, mask, count *Node) *Node {
	return Div(sumPerModel(Mul(mask, Square(Sub(w, target)))), count)
}

// maskedR2 is scikit-learn's r2_score on the masked entries, per model: 1 − SS_res / SS_tot around the
// masked mean.
func maskedR2(w, target, mask, count *Node) *Node {
	mean := Div(sumPerModel(Mul(mask, target)), count)
	for range target.Rank() - 1 {
		mean = ExpandAxes(mean, -1)
	}
	ssTot := sumPerModel(Mul(mask, Square(Sub(target, mean))))
	ssRes := sumPerModel(Mul(mask, Square(Sub(w, target))))
	r2 := OneMinus(Div(ssRes, ssTot))
	// scikit-learn's r2_score (package metrics): all-equal targets (ssTot = 0) give 1 for an exact prediction and
	// 0 otherwise (force_finite), not ±Inf; fewer than two entries, where it is not defined, give NaN, as none do.
	zero, one := ZerosLike(ssTot), OnesLike(ssTot)
	forced := Where(Equal(ssRes, zero), one, zero)
	forced = Where(IsNaN(ssRes), ssRes, forced)
	r2 = Where(Equal(ssTot, zero), forced, r2)
	return Where(LessThan(count, AddScalar(one, 1)), MulScalar(one, math.NaN()), r2)
}

// sliceNormsSq returns ||G_{..r..}||² along mode n for every model, shape [M, r_n]; for a diagonal core λ it
// is λ_r².
func sliceNormsSq(m *Model, core *Node, n int) *Node {
	if m.Diagonal {
		return Square(core)
	}
	axes := make([]int, 0, core.Rank()-2)
	for k := 1; k < core.Rank(); k++ {
		if k != n+1 {
			axes = append(axes, k)
		}
	}
	return ReduceSum(Square(core), axes...)
}

// rowNormsSq returns the squared norms over every axis after the first two: [M, r, ...] -> [M, r].
func rowNormsSq(x *Node) *Node {
	axes := make([]int, 0, x.Rank()-2)
	for k := 2; k < x.Rank(); k++ {
		axes = append(axes, k)
	}
	return ReduceSum(Square(x), axes...)
}
