package deeptucker

import (
	"fmt"
	"slices"

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

// backwardGraph returns the gradient of the data term for every parameter tensor (layoutPieces order), given
// the forward pass and the gradient of the loss with respect to W (fwd.residual, [M, d_1..d_N]), for a
// (non-diagonal) Tucker core. With T_0 = G, T_{n+1} = T_n ×_n V(n) the forward pass's partial products
// (fwd.prefixes) and S_{n+1} = ∂L/∂T_{n+1} (S_N = R), it walks the modes back, as reverse-mode
// differentiation would:
//
//	∂L/∂V(n)  = S_{n+1} · T_n contracted over every mode but n      (modes < n sized d, modes > n sized r)
//	S_n       = S_{n+1} ×_n V(n)^T,                    ∂L/∂G = S_0
//	∂L/∂A_i   = g_{i-1} ⊗ u_i,  g_i = A_i^T g_{i-1},  g_0 = ∂L/∂v,  ∂L/∂w = g_k   (per column, batched)
//
// 2N contractions in all, each as large as a forward mode product: nothing the forward pass built is computed
// again.
func (s *session) backwardGraph(fwd *forwardPass) []*Node {
	modeGrads := make([][]*Node, len(fwd.chains)) // per mode: ∂w, ∂A_1, ..., ∂A_k (the pieces' order)
	cols := columnsOf(fwd.chains)
	order := len(cols)
	// sens is S_{n+1}; modes[i] is the mode on its axis i+1 (DotGeneral puts free axes after the batch axis,
	// in operand order, so the layout moves as the modes are taken).
	sens, modes := fwd.residual, make([]int, order)
	for n := range modes {
		modes[n] = n
	}
	for n := order - 1; n >= 0; n-- {
		chain := fwd.chains[n]
		if chain == nil {
			continue // depth 0: T_{n+1} is T_n, S_n is S_{n+1}
		}
		// T_n = fwd.prefixes[n] holds modes n..N-1 (still r) then 0..n-1 (already d), see reconstructWithPrefixes.
		var prefixAxes, sensAxes []int
		for k := range order {
			if k != n {
				prefixAxes = append(prefixAxes, 1+(k-n+order)%order)
				sensAxes = append(sensAxes, 1+slices.Index(modes, k))
			}
		}
		g := DotGeneral(fwd.prefixes[n], prefixAxes, []int{0}, sens, sensAxes, []int{0}) // [M, r_n, d_n]
		as := fwd.matrices[n]
		modeGrads[n] = make([]*Node, len(as)+1)
		for i, a := range as {
			modeGrads[n][i+1] = DotGeneral(g, nil, []int{0, 1}, chain[i+1], nil, []int{0, 1})
			g = DotGeneral(a, []int{2}, []int{0, 1}, g, []int{2}, []int{0, 1})
		}
		modeGrads[n][0] = g
		// S_n: the columns first, so mode n (now r_n) leads and, after all modes, the core's order is back.
		sens = DotGeneral(cols[n], []int{2}, []int{0}, sens, []int{1 + slices.Index(modes, n)}, []int{0})
		modes = append([]int{n}, slices.Delete(modes, slices.Index(modes, n), slices.Index(modes, n)+1)...)
	}
	if !slices.IsSorted(modes) { // only when a mode of depth 0 was skipped
		perm := make([]int, order+1)
		for k := range order {
			perm[k+1] = 1 + slices.Index(modes, k)
		}
		sens = TransposeAllAxes(sens, perm...)
	}
	grads := []*Node{sens}
	for _, mg := range modeGrads {
		grads = append(grads, mg...)
	}
	return grads
}

// gradientStep feeds the optimizer gradients taken with respect to the parameter tensors (Vars' nodes), not
// to the variables: the closed-form gradients of the data term plus GoMLX's autodiff gradients of the extra
// terms, or autodiff of the whole objective. A packed layout's θ gets their concatenation, so autodiff never
// runs back through θ's slicing (which the go backend cannot: it lacks Pad).
type gradientStep struct {
	s          *session
	inner      gradientOptimizer
	closedForm bool
}

var _ optimizers.Interface = (*gradientStep)(nil)

func (o *gradientStep) UpdateGraph(ctx *context.Context, g *Graph, loss *Node) {
	obj := o.s.lastObjective
	if obj == nil || obj.total.Graph() != g || (o.closedForm && obj.forward == nil) {
		panic("deeptucker: parameter gradients requested for a graph whose objective was not built by Fit")
	}
	pieces := obj.vars.pieces
	var grads []*Node
	if !o.closedForm {
		grads = Gradient(loss, pieces...)
	} else if grads = o.s.backwardGraph(obj.forward); obj.extra != nil {
		for k, extra := range Gradient(obj.extra, pieces...) {
			grads[k] = Add(grads[k], extra)
		}
	}
	byVar := o.s.gradientsByVariable(grads)
	var ordered []*Node // in the order the optimizer walks the context's trainable variables
	for v := range ctx.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			grad, ok := byVar[v]
			if !ok {
				panic(fmt.Sprintf("deeptucker: no gradient for variable %s", v.ScopeAndName()))
			}
			ordered = append(ordered, grad)
		}
	}
	o.inner.UpdateGraphWithGradients(ctx, ordered, loss.DType())
}

func (o *gradientStep) Clear(ctx *context.Context) error { return o.inner.Clear(ctx) }
