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
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// ErrDiverged is wrapped by the error Fit returns when a loss became NaN or infinite.
var ErrDiverged = errors.New("deeptucker: training diverged")

// errConverged stops the GoMLX loop early once every run is within tolerance.
var errConverged = errors.New("deeptucker: converged")

// Fit trains one model per run, all in one batched graph (a leading "model" axis of size len(runs)), and
// returns their diagnostics histories and final parameters.
//
// Runs share the model's structure and the training's optimizer, step budget and dtype; they may differ in
// data, masks, seed, init std and learning rate. If a loss becomes NaN or infinite, training stops and Fit
// returns the result restored to the last recorded finite state together with an error wrapping ErrDiverged.
// Not converging within the budget is not an error: see RunResult.ConvergedStep.
func Fit(model *Model, training *Training, runs ...Run) (res *Result, err error) {
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
	for i := range runs {
		if err := runs[i].validate(i, model); err != nil {
			return nil, err
		}
	}
	b, err := newBackend()
	if err != nil {
		return nil, err
	}
	// Graph-building code panics on misuse; at this boundary it becomes an error.
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("deeptucker: internal error while training %s: %v", model, r)
		}
	}()
	s := newSession(b, model, training, runs)
	return s.fit()
}

// session is the state of one Fit call: the context with its variables, the compiled step and diagnostics.
type session struct {
	backend  backends.Backend
	model    *Model
	training *Training
	runs     []Run
	numRuns  int
	dtype    dtypes.DType

	ctx                            *context.Context
	core                           *context.Variable
	w                              []*context.Variable   // per mode, nil for depth 0
	a                              [][]*context.Variable // per mode and layer
	target, trainMask, heldOutMask *context.Variable
	trainCount, heldOutCount       *context.Variable
	// runScale [M] multiplies each run's update: its learning rate over baseRate, times 0 once the run has
	// converged (so a converged run stops moving while the others train). nil when every run has the same rate
	// and there is no tolerance.
	runScale  *context.Variable
	runScales []float64 // host copy of runScale
	baseRate  float64   // the optimizer's own learning rate

	lastForward *forwardPass

	diagnostics *context.Exec
	records     [][]Record // per run
	snapshot    *snapshot
}

type snapshot struct {
	step   int
	values [][]float64 // one per parameter variable, in params() order
}

func newSession(b backends.Backend, model *Model, training *Training, runs []Run) *session {
	s := &session{backend: b, model: model, training: training, runs: runs, numRuns: len(runs), dtype: training.DType}
	s.ctx = context.New()
	s.records = make([][]Record, s.numRuns)
	s.createVariables()
	return s
}

// createVariables draws each run's parameters on the host from its own seed and stacks them along the model
// axis; data and masks become non-trainable variables, so they cross to the device once, not every step.
func (s *session) createVariables() {
	m, M := s.model, s.numRuns
	params := make([]*hostParams, M)
	for i, r := range s.runs {
		std := m.InitStd
		if r.InitStd > 0 {
			std = r.InitStd
		}
		params[i] = initParams(m, std, r.Seed)
	}
	ctx := s.ctx.In("deeptucker")
	stack := func(get func(p *hostParams) []float64, dims ...int) *tensors.Tensor {
		var all []float64
		for _, p := range params {
			all = append(all, get(p)...)
		}
		return toTensor(s.dtype, all, append([]int{M}, dims...)...)
	}
	s.core = ctx.VariableWithValue("core", stack(func(p *hostParams) []float64 { return p.core }, m.coreDims()...))
	s.w = make([]*context.Variable, m.Order())
	s.a = make([][]*context.Variable, m.Order())
	for n, depth := range m.Depths {
		if depth == 0 {
			continue
		}
		r, d := m.CoreShape[n], m.Shape[n]
		s.w[n] = ctx.VariableWithValue(fmt.Sprintf("w_%d", n), stack(func(p *hostParams) []float64 { return p.w[n] }, r, d))
		for i := 0; i < depth-1; i++ {
			s.a[n] = append(s.a[n], ctx.VariableWithValue(fmt.Sprintf("A_%d_%d", n, i+1),
				stack(func(p *hostParams) []float64 { return p.a[n][i] }, r, d, d)))
		}
	}

	size := prod(m.Shape)
	target := make([]float64, 0, M*size)
	trainMask := make([]float64, 0, M*size)
	heldOutMask := make([]float64, 0, M*size)
	trainCount := make([]float64, M)
	heldOutCount := make([]float64, M)
	for i, r := range s.runs {
		for k, v := range r.Target.Data {
			train := r.Train.Observed[k]
			held := r.HeldOut != nil && r.HeldOut.Observed[k]
			if !train && !held {
				v = 0 // never read, and NaN·0 would still be NaN
			}
			target = append(target, v)
			trainMask = append(trainMask, b2f(train))
			heldOutMask = append(heldOutMask, b2f(held))
			trainCount[i] += b2f(train)
			heldOutCount[i] += b2f(held)
		}
	}
	data := s.ctx.In("data")
	dims := append([]int{M}, m.Shape...)
	s.target = data.VariableWithValue("target", toTensor(s.dtype, target, dims...)).SetTrainable(false)
	s.trainMask = data.VariableWithValue("train_mask", toTensor(s.dtype, trainMask, dims...)).SetTrainable(false)
	s.heldOutMask = data.VariableWithValue("held_out_mask", toTensor(s.dtype, heldOutMask, dims...)).SetTrainable(false)
	s.trainCount = data.VariableWithValue("train_count", toTensor(s.dtype, trainCount, M)).SetTrainable(false)
	s.heldOutCount = data.VariableWithValue("held_out_count", toTensor(s.dtype, heldOutCount, M)).SetTrainable(false)

	lrs := s.learningRateValues()
	s.baseRate = 1
	if allEqual(lrs) {
		s.baseRate = lrs[0]
	}
	if !allEqual(lrs) || s.training.Tol > 0 {
		s.runScales = make([]float64, M)
		for i, lr := range lrs {
			s.runScales[i] = lr / s.baseRate
		}
		s.runScale = data.VariableWithValue("run_scale", toTensor(s.dtype, s.runScales, M)).SetTrainable(false)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func allEqual(xs []float64) bool {
	for _, x := range xs {
		if x != xs[0] {
			return false
		}
	}
	return true
}

func (s *session) learningRateValues() []float64 {
	lrs := make([]float64, s.numRuns)
	for i, r := range s.runs {
		lrs[i] = s.training.LearningRate
		if r.LearningRate > 0 {
			lrs[i] = r.LearningRate
		}
	}
	return lrs
}

// params lists the trainable variables in a fixed order.
func (s *session) params() []*context.Variable {
	vars := []*context.Variable{s.core}
	for n := range s.w {
		if s.w[n] != nil {
			vars = append(vars, s.w[n])
		}
		vars = append(vars, s.a[n]...)
	}
	return vars
}

// chainsGraph returns factorChain for every mode (nil for depth 0): element 0 of each chain is the columns of
// V(n) as rows, [M, r_n, d_n].
func (s *session) chainsGraph(g *Graph) [][]*Node {
	chains := make([][]*Node, s.model.Order())
	for n := range chains {
		if s.w[n] == nil {
			continue
		}
		as := make([]*Node, len(s.a[n]))
		for i, v := range s.a[n] {
			as[i] = v.ValueGraph(g)
		}
		chains[n] = factorChain(s.w[n].ValueGraph(g), as)
	}
	return chains
}

// columnsGraph returns the columns of every V(n) as rows, [M, r_n, d_n] (nil for depth 0).
func (s *session) columnsGraph(g *Graph) []*Node { return columnsOf(s.chainsGraph(g)) }

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

// forwardPass keeps the nodes of a step's reconstruction that the closed-form backward pass reuses.
type forwardPass struct {
	core     *Node
	chains   [][]*Node
	residual *Node // ∂L/∂W
}

// optimizer returns GoMLX's optimizer for the configuration. With per-run learning rates (or a tolerance), Adam
// runs inside perModelStep, which scales each run's update, and gradient descent scales each run's loss
// instead (exact for GD).
func (s *session) optimizer() optimizers.Interface {
	t := s.training
	lr := s.baseRate
	var opt gradientOptimizer
	if t.Optimizer == GradientDescent {
		opt = optimizers.StochasticGradientDescent().WithDecay(false).WithLearningRate(lr).Done().(gradientOptimizer)
	} else {
		opt = optimizers.Adam().LearningRate(lr).Betas(t.Beta1, t.Beta2).Epsilon(t.Epsilon).Done().(gradientOptimizer)
	}
	var step optimizers.Interface = opt
	if s.closedForm() {
		step = &closedFormStep{s: s, inner: opt}
	}
	if s.runScale != nil && t.Optimizer == Adam {
		step = &perModelStep{inner: step, scale: s.runScale}
	}
	return step
}

// closedForm reports whether training uses the closed-form gradients (Tucker cores) rather than GoMLX's
// autodiff (diagonal cores, or Training.Autodiff).
func (s *session) closedForm() bool { return !s.model.Diagonal && !s.training.Autodiff }

// lossGraph is the training objective: the sum over runs of each run's loss (2), so each run's gradient is its
// own. weights is the train mask, or a mini-batch's 0/1 weights with count entries per run. It keeps the
// forward pass in s.lastForward for closedFormStep.
func (s *session) lossGraph(g *Graph, weights, count *Node) *Node {
	core := s.core.ValueGraph(g)
	chains := s.chainsGraph(g)
	w := reconstruct(s.model, core, columnsOf(chains))
	diff := Sub(w, s.target.ValueGraph(g))
	scale := Reciprocal(count) // per run: 1/|Ω|, times the run's update scale for gradient descent
	if s.runScale != nil && s.training.Optimizer == GradientDescent {
		scale = Mul(scale, s.runScale.ValueGraph(g))
	}
	for range diff.Rank() - 1 {
		scale = ExpandAxes(scale, -1)
	}
	weighted := Mul(weights, diff)
	s.lastForward = &forwardPass{core: core, chains: chains, residual: Mul(MulScalar(weighted, 2), scale)}
	return ReduceAllSum(Mul(Mul(weighted, diff), scale))
}

func (s *session) modelFn(ctx *context.Context, _ any, inputs []*Node) []*Node {
	g := inputs[0].Graph()
	var loss *Node
	if s.miniBatch() {
		loss = s.lossGraph(g, inputs[0], sumPerModel(inputs[0]))
	} else {
		loss = s.lossGraph(g, s.trainMask.ValueGraph(g), s.trainCount.ValueGraph(g))
	}
	train.AddLoss(ctx, loss)
	return nil
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

func (s *session) fit() (*Result, error) {
	start := time.Now()
	var err error
	s.diagnostics, err = context.NewExec(s.backend, s.ctx, s.diagnosticsGraph)
	if err != nil {
		return nil, err
	}
	if _, err := s.record(0); err != nil {
		return nil, err
	}

	trainer := train.NewTrainer(s.backend, s.ctx, s.modelFn, nil, s.optimizer(), nil, nil)
	loop := train.NewLoop(trainer)
	lastRecorded := 0
	loop.OnStep("deeptucker.record", train.Priority(0), func(loop *train.Loop, _ []*tensors.Tensor) error {
		step := loop.LoopStep + 1 // steps done
		if step%s.training.RecordEvery != 0 && step != s.training.Steps {
			return nil
		}
		lastRecorded = step
		converged, err := s.record(step)
		if err != nil {
			return err
		}
		if converged {
			return errConverged
		}
		return nil
	})
	var ds train.Dataset
	if s.miniBatch() {
		ds = newMiniBatches(s)
	} else {
		ds = &fullBatch{step: tensors.FromScalar(int32(0))}
	}
	_, err = loop.RunSteps(ds, s.training.Steps)
	stepsDone := loop.LoopStep
	switch {
	case err == nil || errors.Is(err, errConverged):
		if errors.Is(err, errConverged) {
			stepsDone = lastRecorded
		}
		err = nil
	default:
		failedAt := loop.LoopStep + 1
		if !errors.Is(err, ErrDiverged) && !s.lossIsBad(err) {
			return nil, fmt.Errorf("deeptucker: training failed at step %d: %w", failedAt, err)
		}
		if rerr := s.restore(); rerr != nil {
			return nil, errors.Join(err, rerr)
		}
		stepsDone = s.snapshot.step
		s.truncateRecords(stepsDone)
		err = fmt.Errorf("%w at step %d (loss NaN or infinite; check the learning rate and init std); "+
			"parameters restored to step %d, the last recorded finite state", ErrDiverged, failedAt, stepsDone)
	}
	res, ferr := s.result(stepsDone, time.Since(start), loop)
	if ferr != nil {
		return nil, errors.Join(err, ferr)
	}
	return res, err
}

// lossIsBad reports whether the loop stopped on its own NaN/Inf check of the batch loss, which runs on every
// step, between our records.
func (s *session) lossIsBad(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "loss is NaN") || strings.Contains(msg, "loss is infinity")
}

func (s *session) truncateRecords(step int) {
	for i := range s.records {
		s.records[i] = slices.DeleteFunc(s.records[i], func(r Record) bool { return r.Step > step })
	}
}

// fullBatch yields the same tiny placeholder every step: GoMLX's trainer needs an input, while the data and
// masks already live in variables.
type fullBatch struct{ step *tensors.Tensor }

func (d *fullBatch) Name() string                 { return "deeptucker.fullBatch" }
func (d *fullBatch) Reset()                       {}
func (d *fullBatch) IsOwnershipTransferred() bool { return false }
func (d *fullBatch) Yield() (any, []*tensors.Tensor, []*tensors.Tensor, error) {
	return nil, []*tensors.Tensor{d.step}, nil, nil
}
