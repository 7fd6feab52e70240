package deeptucker

import (
	"fmt"
	"runtime"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
)

// Vars is the graph view of a batch's parameters and data that objective terms and diagnostics are written
// against. Every node has the leading model axis M: one value per run trained in the batch. Each function gets
// a copy of its own: reassigning a field changes what that function reads, not what the others do.
type Vars struct {
	Model *Model
	// Core is G, [M, r_1..r_N] (or [M, r] for a diagonal core).
	Core *Node
	// Vectors[n] is [M, r_n, d_n] (row r is w_r^n) and Matrices[n][i] is [M, r_n, d_n, d_n] (A_{i+1}^{n,r});
	// nil for a mode of depth 0.
	Vectors  []*Node
	Matrices [][]*Node
	// Columns[n] is [M, r_n, d_n]: row r is column r of V(n), A_1···A_k w_r (nil for depth 0).
	Columns []*Node
	// W is the reconstruction G ×_1 V(1) ··· ×_N V(N), [M, d_1..d_N].
	W *Node
	// Target holds the data, [M, d_1..d_N], 0 at entries neither observed nor held out.
	Target *Node
	// Weights is 1 at the entries the data term sees in this step (the train mask, or a mini-batch) and 0
	// elsewhere, [M, d_1..d_N]; Count is their number per run, [M].
	Weights, Count *Node

	pieces []*Node // Core, then per mode Vectors[n] and Matrices[n]: the nodes gradients are taken for
}

// forUser returns a copy of v for a user's function (a Term, DataTerm or graph Diagnostic), with slices of its
// own: a function that reassigns a field (v.W = Mul(v.W, v.Weights)) or an element (v.Matrices[n][0] = ...)
// changes its own view only, not what the records, the other terms and the gradients read.
func (v *Vars) forUser() *Vars {
	c := *v
	c.Vectors, c.Columns = slices.Clone(v.Vectors), slices.Clone(v.Columns)
	c.Matrices = make([][]*Node, len(v.Matrices))
	for n, as := range v.Matrices {
		c.Matrices[n] = slices.Clip(slices.Clone(as))
	}
	c.pieces = nil
	return &c
}

// PerRun sums x over every axis but the leading model axis: [M, ...] -> [M].
func PerRun(x *Node) *Node {
	if x == nil {
		panic("deeptucker: PerRun got a nil node" + varsHint)
	}
	return sumPerModel(x)
}

// varsHint ends the message of a user's graph function that panicked: the usual cause is a part of Vars the
// model does not have.
const varsHint = " (in Vars, Vectors[n], Columns[n] and Matrices[n] are nil for a mode of depth 0, and Matrices[n] " +
	"holds depth-1 matrices: none at depth 1)"

// callUser calls a user's function (an objective term, the data term or a diagnostic) and turns a panic in it
// into one that names the function (and, for Go's runtime errors, adds hint): Go's own (an index past v.Matrices[n]) or GoMLX's would otherwise reach the
// notebook from deep inside graph building, without a word of which function failed or why.
func callUser[T any](what, name, hint string, fn func() T) T {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(runtime.Error); !ok {
				hint = "" // the function's own panic, or GoMLX's, says what went wrong
			}
			panic(fmt.Sprintf("deeptucker: %s %q panicked: %v%s", what, name, r, hint))
		}
	}()
	return fn()
}

// Term is one term of the training objective, a graph function of the parameters: Fn returns one value per
// run, shape [M], added to the objective (use PerRun to reduce). Name identifies it in records (Record.Terms)
// and in results keys: include its weight and anything else that changes it, e.g. "l1-core(1e-3)". The key also
// holds a behavioural fingerprint (Behaviour) that evaluates the term at starting points whose norms span 1e-3 to
// 1e3 times the init's and trains two steps, so most edits made under an unchanged name (a weight, a threshold)
// change it, but not all (one that shows only at points unlike the probe's, or only in the gradient): rename the
// term whenever you change what Fn computes.
//
// Its gradient is taken by GoMLX's autodiff and added to the closed-form gradient of the data term, so a
// term never makes training slower than autodiff would.
type Term struct {
	Name string
	Fn   func(v *Vars) *Node
}

func (t Term) validate(what string) error {
	if t.Name == "" || t.Fn == nil {
		return fmt.Errorf("deeptucker: an objective %s needs a name (records and results keys use it) and a function, got name %q", what, t.Name)
	}
	return nil
}

// L1Core is the penalty weight·||G||_1 per run.
func L1Core(weight float64) Term {
	return Term{Name: fmt.Sprintf("l1-core(%g)", weight), Fn: func(v *Vars) *Node {
		return MulScalar(PerRun(Abs(v.Core)), weight)
	}}
}

// Diagnostic is a named quantity recorded every RecordEvery steps, in Record.Extra[Name]: either a graph
// function of the parameters (Graph, returning [M] or [M, k]: k values per run) or a host function of one
// run's parameters (Host, for what graphs cannot do, such as an SVD; it gets a copy of its own, which it may
// change). Set exactly one. Name keys stored results as a Term's does (Behaviour's probe sees most edits under
// an unchanged name, not all): rename a diagnostic whenever you change it.
type Diagnostic struct {
	Name  string
	Graph func(v *Vars) *Node
	Host  func(p *Params) []float64
}

func (d Diagnostic) validate() error {
	if d.Name == "" || (d.Graph == nil) == (d.Host == nil) {
		return fmt.Errorf("deeptucker: a diagnostic needs a name and exactly one of Graph or Host, got name %q", d.Name)
	}
	return nil
}

// objective is what one graph's objective is built from: its nodes for the closed-form step and records.
type objective struct {
	vars    *Vars
	forward *forwardPass // nil unless the data term's gradient is closed-form
	data    *Node        // [M]: the data term
	terms   []*Node      // [M] each, Training.Terms order
	perRun  *Node        // [M]: data + terms
	total   *Node        // scalar handed to the optimizer: the sum over active runs with a finite objective
	extra   *Node        // scalar: the sum of the terms over runs, whose gradient autodiff takes (nil if none)
}

// objectiveGraph builds the objective of every run given the entries the data term sees (weights, count);
// forTraining also builds ∂L/∂W for the closed-form step.
func (s *session) objectiveGraph(g *Graph, weights, count *Node, forTraining bool) *objective {
	v, fwd := s.varsGraph(g, weights, count)
	o := &objective{vars: v}
	if dt := s.training.DataTerm; dt != nil {
		o.data = checkPerRun(dt.Name, callUser("data term", dt.Name, varsHint, func() *Node { return dt.Fn(v.forUser()) }), s.numRuns, s.dtype)
	} else {
		diff := Sub(v.W, v.Target)
		weighted := Mul(weights, diff)
		scale := perRunBroadcast(Reciprocal(count), diff)
		o.data = sumPerModel(Mul(Mul(weighted, diff), scale))
		if forTraining && s.training.closedForm(s.model) {
			fwd.residual = Mul(MulScalar(weighted, 2), scale) // ∂L/∂W of the sum over runs
			o.forward = fwd
		}
	}
	o.perRun = o.data
	for _, t := range s.training.Terms {
		value := checkPerRun(t.Name, callUser("objective term", t.Name, varsHint, func() *Node { return t.Fn(v.forUser()) }), s.numRuns, s.dtype)
		o.terms = append(o.terms, value)
		o.perRun = Add(o.perRun, value)
		if o.extra == nil {
			o.extra = ReduceAllSum(value)
		} else {
			o.extra = Add(o.extra, ReduceAllSum(value))
		}
	}
	ok := GreaterThan(s.active.ValueGraph(g), ZerosLike(o.perRun))
	ok = And(ok, IsFinite(o.perRun))
	o.total = ReduceAllSum(Where(ok, o.perRun, ZerosLike(o.perRun)))
	return o
}

// checkPerRun insists that a user's term returns one value per run, in the training's dtype.
func checkPerRun(name string, x *Node, numRuns int, dtype dtypes.DType) *Node {
	if x == nil || x.Rank() != 1 || x.Shape().Dimensions[0] != numRuns {
		var shape any = "nil"
		if x != nil {
			shape = x.Shape()
		}
		panic(fmt.Sprintf("deeptucker: objective term %q must return one value per run, shape [%d], got %v (reduce with deeptucker.PerRun)",
			name, numRuns, shape))
	}
	if x.DType() != dtype {
		panic(fmt.Sprintf("deeptucker: objective term %q returns %s values, the training's are %s (build it from the parameters it is given, or convert with ConvertDType)",
			name, x.DType(), dtype))
	}
	return x
}
