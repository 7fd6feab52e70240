package deeptucker

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// The gradients of the loss are themselves contractions: mode products with the factors, and batched
// matrix-vector products down each column's chain of A matrices. Written that way they run as DotGenerals,
// where GoMLX's generic DotGeneral gradient materialises an outer product and then reduces it, which on the
// pure-Go backend costs most of a training step. TestClosedFormGradients checks them against autodiff.

// factorChain returns the partial products of a column chain, u_0 = v, u_1, ..., u_k = w, with
// u_i = A_{i+1} u_{i+1}, each [M, r, d]; as[i] is A_{i+1} of shape [M, r, d, d].
func factorChain(w *Node, as []*Node) []*Node {
	chain := make([]*Node, len(as)+1)
	chain[len(as)] = w
	for i := len(as) - 1; i >= 0; i-- {
		chain[i] = DotGeneral(as[i], []int{3}, []int{0, 1}, chain[i+1], []int{2}, []int{0, 1})
	}
	return chain
}

// moveAxis1Last rotates axis 1 of x to the end, the layout a mode product leaves behind.
func moveAxis1Last(x *Node) *Node {
	perm := make([]int, x.Rank())
	for i := 1; i < x.Rank()-1; i++ {
		perm[i] = i + 1
	}
	perm[x.Rank()-1] = 1
	return TransposeAllAxes(x, perm...)
}

// multiModeProduct applies, mode by mode from mode `from` on, x ×_n M_n where mats[n] holds M_n's rows as
// [M, r, d] (the columns of V(n) as rows): contractAxis 1 computes x ×_n V(n) (r -> d), contractAxis 2 computes
// x ×_n V(n)^T (d -> r). A nil entry, or skip == n, leaves mode n as it is.
func multiModeProduct(x *Node, mats []*Node, contractAxis, skip, from int) *Node {
	for n := from; n < len(mats); n++ {
		v := mats[n]
		if v == nil || n == skip {
			x = moveAxis1Last(x)
			continue
		}
		x = DotGeneral(x, []int{1}, []int{0}, v, []int{contractAxis}, []int{0})
	}
	return x
}

// backwardGraph returns the gradient of the data term for every parameter variable, given the forward pass
// and the gradient of the loss with respect to W (fwd.residual, [M, d_1..d_N]), for a (non-diagonal) Tucker
// core:
//
//	∂L/∂G     = R ×_1 V(1)^T ··· ×_N V(N)^T
//	∂L/∂V(n)  = R_(n) · (G ×_{k≠n} V(k))_(n)^T          (one contraction over every axis but n)
//	∂L/∂A_i   = g_{i-1} ⊗ u_i,  g_i = A_i^T g_{i-1},  g_0 = ∂L/∂v,  ∂L/∂w = g_k   (per column, batched)
//
// G ×_{k≠n} V(k) starts from the forward pass's product of modes 0..n-1 (fwd.prefixes[n]), so only the modes
// after n are multiplied again.
func (s *session) backwardGraph(fwd *forwardPass) map[*context.Variable]*Node {
	grads := make(map[*context.Variable]*Node)
	cols := columnsOf(fwd.chains)
	residual := fwd.residual
	grads[s.core] = multiModeProduct(residual, cols, 2, -1, 0)
	for n, chain := range fwd.chains {
		if chain == nil {
			continue
		}
		partial := multiModeProduct(fwd.prefixes[n], cols, 1, n, n) // [M, d_1.., r_n (at n), ..d_N]
		axes := make([]int, 0, residual.Rank()-2)
		for k := 1; k < residual.Rank(); k++ {
			if k != n+1 {
				axes = append(axes, k)
			}
		}
		g := DotGeneral(partial, axes, []int{0}, residual, axes, []int{0}) // [M, r_n, d_n]
		for i, a := range s.a[n] {
			aNode := a.ValueGraph(residual.Graph())
			grads[a] = DotGeneral(g, nil, []int{0, 1}, chain[i+1], nil, []int{0, 1})
			g = DotGeneral(aNode, []int{2}, []int{0, 1}, g, []int{2}, []int{0, 1})
		}
		grads[s.w[n]] = g
	}
	return grads
}

// closedFormStep feeds the closed-form gradients of the data term, plus GoMLX's autodiff gradients of the
// extra terms, to the optimizer, in the order the optimizer walks the context's trainable variables.
type closedFormStep struct {
	s     *session
	inner gradientOptimizer
}

var _ optimizers.Interface = (*closedFormStep)(nil)

func (o *closedFormStep) UpdateGraph(ctx *context.Context, g *Graph, loss *Node) {
	obj := o.s.lastObjective
	if obj == nil || obj.forward == nil || obj.total.Graph() != g {
		panic("deeptucker: closed-form gradients requested for a graph whose objective was not built by Fit")
	}
	grads := o.s.backwardGraph(obj.forward)
	var vars []*context.Variable
	for v := range ctx.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			if _, ok := grads[v]; !ok {
				panic(fmt.Sprintf("deeptucker: no closed-form gradient for variable %s", v.ScopeAndName()))
			}
			vars = append(vars, v)
		}
	}
	ordered := make([]*Node, len(vars))
	for i, v := range vars {
		ordered[i] = grads[v]
	}
	if obj.extra != nil {
		nodes := make([]*Node, len(vars))
		for i, v := range vars {
			nodes[i] = v.ValueGraph(g)
		}
		for i, extra := range Gradient(obj.extra, nodes...) {
			ordered[i] = Add(ordered[i], extra)
		}
	}
	o.inner.UpdateGraphWithGradients(ctx, ordered, loss.DType())
}

func (o *closedFormStep) Clear(ctx *context.Context) error { return o.inner.Clear(ctx) }
