package deeptucker

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/deeptucker/deeptucker/deeptucker/internal/sharding"
	"github.com/deeptucker/deeptucker/deeptucker/kerasadam"
)

// ErrDiverged is wrapped by the error Fit returns when some run's objective became NaN or infinite.
var ErrDiverged = errors.New("deeptucker: training diverged")

// Fit trains one model per run and returns their diagnostics histories and final parameters.
//
// Runs share the model's structure and the training's objective, optimizer, step budget and dtype; they may
// differ in data, masks, seed, init std, starting parameters and learning rate. Runs that can share a compiled
// step train together (a leading "model" axis): all of them, unless the optimizer needs one learning rate per
// graph (see Optimizer), may mix runs stacked in one variable (not Optimizer.Elementwise: each run then trains
// in a graph of its own) or runs resume from different steps. Every run's result equals that of the run
// trained alone.
//
// A run whose objective becomes NaN or infinite stops at its last recorded finite state while the others
// train on; Fit then returns the full result together with an error wrapping ErrDiverged that names those
// runs (RunResult.DivergedStep). Not converging within the budget is not an error: see
// RunResult.ConvergedStep.
func Fit(model *Model, training *Training, runs ...Run) (res *Result, err error) {
	return fitWith(func(groupRuns int) (backends.Backend, error) { return newBackend(model, groupRuns) }, model, training, runs...)
}

// fitOn is Fit on a given backend.
func fitOn(b backends.Backend, model *Model, training *Training, runs ...Run) (res *Result, err error) {
	return fitWith(func(int) (backends.Backend, error) { return b, nil }, model, training, runs...)
}

// fitWith is Fit with each group of runs on the backend open returns for its size.
func fitWith(open func(groupRuns int) (backends.Backend, error), model *Model, training *Training, runs ...Run) (res *Result, err error) {
	if model == nil || training == nil {
		return nil, errors.New("deeptucker: Fit needs a model and a training configuration")
	}
	if err := model.Validate(); err != nil {
		return nil, err
	}
	if err := training.Validate(); err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, errors.New("deeptucker: Fit needs at least one run")
	}
	if err := checkMemory(model, training, len(runs)); err != nil {
		return nil, err
	}
	for i := range runs {
		if err := runs[i].validate(i, model, training); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	res = &Result{Model: model, Training: training, Runs: make([]RunResult, len(runs))}
	var diverged []string
	for _, group := range groupRuns(training, runs) {
		sub := make([]Run, len(group))
		for k, i := range group {
			sub[k] = runs[i]
		}
		b, err := open(len(sub))
		if err != nil {
			return nil, err
		}
		gres, gerr := fitGroup(b, model, training, sub)
		if gres == nil {
			return nil, gerr
		}
		if gerr != nil && !errors.Is(gerr, ErrDiverged) {
			return nil, gerr
		}
		for k, i := range group {
			res.Runs[i] = gres.Runs[k]
			if d := gres.Runs[k].DivergedStep; d >= 0 {
				diverged = append(diverged, fmt.Sprintf("run %d at step %d", i, d))
			}
		}
		res.Steps = max(res.Steps, gres.Steps)
		res.StepsPerSecond, res.StepsPerCall = gres.StepsPerSecond, gres.StepsPerCall
		res.Backend, res.Gradients, res.Synchronous = gres.Backend, gres.Gradients, gres.Synchronous
	}
	res.Elapsed = time.Since(start)
	if len(diverged) > 0 {
		return res, fmt.Errorf("%w: %s (objective NaN or infinite; check the learning rate and init std); "+
			"each kept its last recorded finite state, the other runs trained on", ErrDiverged, strings.Join(diverged, ", "))
	}
	return res, nil
}

// groupRuns splits runs into those that can share one graph: the same starting step and, unless the
// optimizer takes per-run rates, the same learning rate; with an optimizer that may mix stacked runs
// (batchesRuns false), one run per graph. Groups keep the runs' order of first appearance.
func groupRuns(training *Training, runs []Run) [][]int {
	perRunRates := takesPerRunRates(training.Optimizer)
	alone := !batchesRuns(training.Optimizer)
	type key struct {
		lr   float64
		step int
		run  int
	}
	var order []key
	groups := map[key][]int{}
	for i, r := range runs {
		k := key{step: r.startStep()}
		if !perRunRates {
			k.lr = r.learningRate(training)
		}
		if alone {
			k.run = i
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	out := make([][]int, len(order))
	for i, k := range order {
		out[i] = groups[k]
	}
	return out
}

// batchesRuns reports whether the optimizer can train runs stacked along the model axis in one graph, each
// run's result that of the run alone: an update declared element-wise (Optimizer.Elementwise), or one of the
// types withGradients lists (GoMLX's Adam family and SGD, KerasAdam, GradientDescent), which are. Any other
// update may reduce over a whole variable (a norm, a trust ratio), which in a batch holds every run's tensor:
// the runs would see each other's gradients, and a results store would keep under one run's key a result
// that depends on what trained beside it.
func batchesRuns(o Optimizer) (ok bool) {
	if o.Elementwise {
		return true
	}
	defer func() {
		if recover() != nil { // a New that refuses this rate: Fit reports it where it builds the optimizer
			ok = false
		}
	}()
	_, ok = takesGradients(o.New(1))
	return ok
}

// fitGroup trains runs that share one graph.
func fitGroup(b backends.Backend, model *Model, training *Training, runs []Run) (res *Result, err error) {
	// Graph-building code panics on misuse (and on a user's term of the wrong shape); at this boundary it
	// becomes an error.
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("deeptucker: while training %s: %v", model, r)
		}
	}()
	s, err := newSession(b, model, training, runs)
	if err != nil {
		return nil, err
	}
	return s.fit()
}

// session is the state of one group's training: the context with its variables, the compiled step and the
// diagnostics.
type session struct {
	backend   backends.Backend
	model     *Model
	training  *Training
	runs      []Run
	numRuns   int
	dtype     dtypes.DType
	startStep int

	ctx *context.Context
	// pieces are the model's parameter tensors (layout.go); theta, when set, packs all of them into one
	// variable, [M, P], and each piece has no variable of its own.
	pieces []paramPiece
	theta  *context.Variable
	// restored are the optimizer's variables created from checkpoints (checkRestoredState).
	restored                        []*context.Variable
	target, trainMask, heldOutMask  *context.Variable
	trainCount, heldOutCount        *context.Variable
	validationMask, validationCount *context.Variable
	// active [M] is 1 while a run moves and 0 once it converged or diverged; activeHost is its host copy.
	active     *context.Variable
	activeHost []float64
	// stepCounter counts steps in the graph; divergedAt [M] holds the first step at which a run's objective
	// was not finite (-1 while finite).
	stepCounter, divergedAt *context.Variable
	gradients               string // "closed-form" or "autodiff"
	// perRunRates, if set, becomes GoMLX's learning-rate variable ([M], one rate per run) for optimizers that
	// read it per run (kerasadam).
	perRunRates *tensors.Tensor
	// plan, when set, splits the runs over the backend's devices (see prepareSharding).
	plan *sharding.Plan

	lastObjective *objective

	diagnostics  *context.Exec
	records      [][]Record // per run
	snapshots    []*snapshot
	divergedStep []int
	convergedAt  []int
}

// snapshot is one run's parameters at its last record with a finite objective, on the host.
type snapshot struct {
	step   int
	params *Params
}

func newSession(b backends.Backend, model *Model, training *Training, runs []Run) (*session, error) {
	s := &session{backend: b, model: model, training: training, runs: runs, numRuns: len(runs),
		dtype: training.DType, startStep: runs[0].startStep(), gradients: "autodiff"}
	s.ctx = context.New()
	s.records = make([][]Record, s.numRuns)
	s.snapshots = make([]*snapshot, s.numRuns)
	s.divergedStep = make([]int, s.numRuns)
	s.convergedAt = make([]int, s.numRuns)
	for i := range runs {
		s.divergedStep[i], s.convergedAt[i] = -1, -1
		if c := runs[i].Resume; c != nil {
			s.convergedAt[i] = c.resumedConvergedStep(training.Tol)
		}
	}
	if err := s.createVariables(); err != nil {
		return nil, err
	}
	return s, nil
}

// createVariables draws (or takes) each run's starting parameters on the host and stacks them along the
// model axis; data and masks become non-trainable variables, so they cross to the device once, not every step.
func (s *session) createVariables() error {
	m, M := s.model, s.numRuns
	params := make([]*Params, M)
	for i, r := range s.runs {
		p, err := r.startParams(i, m)
		if err != nil {
			return err
		}
		params[i] = p
	}
	s.pieces = layoutPieces(m)
	values := make([][]float64, len(s.pieces))
	for _, p := range params {
		for k, x := range p.flat() {
			values[k] = append(values[k], x...)
		}
	}
	s.createParamVariables(values)

	size := prod(m.Shape)
	target := make([]float64, 0, M*size)
	trainMask := make([]float64, 0, M*size)
	heldOutMask := make([]float64, 0, M*size)
	trainCount := make([]float64, M)
	heldOutCount := make([]float64, M)
	validationMask := make([]float64, 0, M*size)
	validationCount := make([]float64, M)
	for i, r := range s.runs {
		for k, v := range r.Target.Data {
			train := r.Train.Observed[k]
			held := r.HeldOut != nil && r.HeldOut.Observed[k]
			val := r.Validation != nil && r.Validation.Observed[k]
			if !r.reads(k) {
				v = 0 // never read, and NaN·0 would still be NaN
			}
			target = append(target, v)
			trainMask = append(trainMask, b2f(train))
			heldOutMask = append(heldOutMask, b2f(held))
			validationMask = append(validationMask, b2f(val))
			trainCount[i] += b2f(train)
			heldOutCount[i] += b2f(held)
			validationCount[i] += b2f(val)
		}
	}
	data := s.ctx.In("data")
	dims := append([]int{M}, m.Shape...)
	s.target = data.VariableWithValue("target", toTensor(s.dtype, target, dims...)).SetTrainable(false)
	s.trainMask = data.VariableWithValue("train_mask", toTensor(s.dtype, trainMask, dims...)).SetTrainable(false)
	s.heldOutMask = data.VariableWithValue("held_out_mask", toTensor(s.dtype, heldOutMask, dims...)).SetTrainable(false)
	s.trainCount = data.VariableWithValue("train_count", toTensor(s.dtype, trainCount, M)).SetTrainable(false)
	s.heldOutCount = data.VariableWithValue("held_out_count", toTensor(s.dtype, heldOutCount, M)).SetTrainable(false)
	s.validationMask = data.VariableWithValue("validation_mask", toTensor(s.dtype, validationMask, dims...)).SetTrainable(false)
	s.validationCount = data.VariableWithValue("validation_count", toTensor(s.dtype, validationCount, M)).SetTrainable(false)

	s.activeHost = make([]float64, M)
	for i := range s.activeHost {
		if s.convergedAt[i] < 0 {
			s.activeHost[i] = 1
		}
	}
	s.active = data.VariableWithValue("active", toTensor(s.dtype, s.activeHost, M)).SetTrainable(false)
	minusOne := make([]int64, M)
	for i := range minusOne {
		minusOne[i] = -1
	}
	s.divergedAt = data.VariableWithValue("diverged_at", tensors.FromValue(minusOne)).SetTrainable(false)
	s.stepCounter = data.VariableWithValue("step", int64(s.startStep)).SetTrainable(false)
	return s.restoreOptimizerState()
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (s *session) learningRates() []float64 {
	lrs := make([]float64, s.numRuns)
	for i, r := range s.runs {
		lrs[i] = r.learningRate(s.training)
	}
	return lrs
}

// forwardPass keeps the nodes of a step's reconstruction that the closed-form backward pass reuses.
type forwardPass struct {
	core     *Node
	matrices [][]*Node // per mode, A_1..A_k (see Vars.Matrices)
	chains   [][]*Node
	// prefixes[n] is the core after the mode products of modes 0..n-1 (prefixes[0] = the core): the backward
	// pass of mode n starts from it rather than recomputing it.
	prefixes []*Node
	residual *Node // ∂L/∂W of the data term
}

// varsGraph builds the graph view of the parameters and data, with the forward pass kept for the closed form.
func (s *session) varsGraph(g *Graph, weights, count *Node) (*Vars, *forwardPass) {
	m := s.model
	nodes := s.pieceNodes(g)
	v := &Vars{Model: m, Core: nodes[0], Vectors: make([]*Node, m.Order()), Matrices: make([][]*Node, m.Order()),
		Target: s.target.ValueGraph(g), Weights: weights, Count: count, pieces: nodes}
	chains := make([][]*Node, m.Order())
	k := 1 // nodes are in layoutPieces order: the core, then per mode w_n and its A matrices
	for n, depth := range m.Depths {
		if depth == 0 {
			continue
		}
		v.Vectors[n] = nodes[k]
		v.Matrices[n] = nodes[k+1 : k+depth : k+depth] // capped: a Term appending to it cannot overwrite nodes
		k += depth
		chains[n] = factorChain(v.Vectors[n], v.Matrices[n])
	}
	v.Columns = columnsOf(chains)
	fwd := &forwardPass{core: v.Core, matrices: v.Matrices, chains: chains}
	v.W, fwd.prefixes = reconstructWithPrefixes(m, v.Core, v.Columns)
	return v, fwd
}

// columnsOf picks each chain's first element, the columns of V(n) as rows (nil for depth 0).
func columnsOf(chains [][]*Node) []*Node {
	cols := make([]*Node, len(chains))
	for n, chain := range chains {
		if chain != nil {
			cols[n] = chain[0]
		}
	}
	return cols
}

// optimizer returns the training step: the optimizer on the closed-form gradients when they apply (or on
// GoMLX's autodiff otherwise), inside perRunStep, which freezes converged and diverged runs.
func (s *session) optimizer() optimizers.Interface {
	lrs := s.learningRates()
	inner := s.training.Optimizer.New(lrs[0])
	if !allEqual(lrs) { // groupRuns let only optimizers that take per-run rates get here
		rates := toTensor(s.dtype, lrs, s.numRuns)
		switch opt := inner.(type) {
		case *gradientDescent:
			opt.rates = s.ctx.In("data").VariableWithValue("learning_rates", rates).SetTrainable(false)
		case *kerasadam.Optimizer:
			s.perRunRates = rates // GoMLX's learning-rate variable, set when the step is built (NewTrainer deletes it)
		default:
			panic(fmt.Sprintf("deeptucker: optimizer %s got per-run learning rates it cannot apply", s.training.Optimizer.Name))
		}
	}
	step := inner
	if gopt, ok := takesGradients(inner); ok {
		closed := s.training.closedForm(s.model)
		step = &gradientStep{s: s, inner: gopt, closedForm: closed}
		if closed {
			s.gradients = "closed-form"
		}
	} else if s.theta != nil {
		panic(fmt.Sprintf("deeptucker: optimizer %s packs its parameters but takes no gradients (UpdateGraphWithGradients)", s.training.Optimizer.Name))
	}
	return &perRunStep{inner: step, s: s}
}

func allEqual(xs []float64) bool {
	for _, x := range xs {
		if x != xs[0] {
			return false
		}
	}
	return true
}

func (s *session) miniBatch() bool {
	if s.training.BatchSize == 0 {
		return false
	}
	for _, r := range s.runs {
		if s.training.BatchSize < r.Train.Count() {
			return true
		}
	}
	return false
}

func (s *session) truncateRecords(i, step int) {
	s.records[i] = slices.DeleteFunc(s.records[i], func(r Record) bool { return r.Step > step })
}
