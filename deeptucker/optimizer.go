package deeptucker

import (
	"fmt"
	"math"
	"reflect"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/deeptucker/deeptucker/deeptucker/kerasadam"
)

// Optimizer is an update rule by name: New returns a GoMLX optimizer for a learning rate. Any GoMLX optimizer
// fits (optimizers.RMSProp(), optimizers.Adam().WeightDecay(...) = AdamW, Adamax, AMSGrad, package kerasadam,
// one of your own). Name identifies it in results keys and tables: include every hyper-parameter. The key also
// holds a behavioural fingerprint (Behaviour) that catches most edits made under an unchanged name (betas,
// epsilon, weight decay, anything acting within the probe's first 16 steps) but not all: a change that acts only
// later, such as a learning-rate schedule, keeps the old key and returns the stored results. Rename the optimizer
// whenever you change what it does.
//
// Runs of one Fit that share a learning rate train in one compiled graph. Runs with different learning
// rates train in one graph only when the optimizer takes per-run rates (GradientDescent does: its step is
// linear in the rate, applied per run exactly); otherwise Fit trains each learning rate's runs in a graph of
// their own, so every run's result equals the run trained alone.
type Optimizer struct {
	Name string
	New  func(learningRate float64) optimizers.Interface
	// Elementwise declares that the update of every parameter entry depends only on that entry's value,
	// gradient and state, and on scalars (step count, learning rate): Adam, RMSProp, SGD with momentum are;
	// anything that takes a norm or a statistic over a tensor (LAMB, clipping by norm, per-tensor trust ratios)
	// is not. Fit then trains all of a model's parameters as one flat vector, which is faster for small models
	// and changes nothing such an update computes. False, the safe default, keeps one variable per tensor and,
	// unless New returns one of GoMLX's Adam family or SGD (element-wise), trains each run in a graph of its
	// own: a reduction over a variable would otherwise mix the runs stacked in it.
	Elementwise bool
	// builtin is the code address of New as this package's constructors (Adam, KerasAdam, GradientDescent) set
	// it, and builtinNew that New: their names hold every hyper-parameter, so Behaviour need not probe them. A
	// copy whose New was replaced no longer matches, and is probed as any optimizer of yours; so is one given
	// the New of another built-in (the same code with other settings captured), which builds another
	// optimizer than builtinNew does.
	builtin    uintptr
	builtinNew func(learningRate float64) optimizers.Interface
}

// isBuiltin reports whether o is one of this package's optimizers as its constructor made it.
func (o Optimizer) isBuiltin() bool {
	if o.builtin == 0 || o.New == nil || o.builtinNew == nil || reflect.ValueOf(o.New).Pointer() != o.builtin {
		return false
	}
	return sameOptimizer(o.New, o.builtinNew)
}

// IsBuiltin reports whether o is one of this package's optimizers (Adam, KerasAdam, GradientDescent) as its
// constructor made it: its name then holds every setting.
func (o Optimizer) IsBuiltin() bool { return o.isBuiltin() }

// sameOptimizer reports whether two constructors build equal optimizers (their settings compared by value).
func sameOptimizer(a, b func(float64) optimizers.Interface) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return reflect.DeepEqual(a(1), b(1))
}

// markBuiltin records o.New and its code address (see Optimizer.builtin).
func markBuiltin(o Optimizer) Optimizer {
	o.builtin, o.builtinNew = reflect.ValueOf(o.New).Pointer(), o.New
	return o
}

func (o Optimizer) String() string { return o.Name }

// NewOptimizer names a GoMLX optimizer constructor. The name keys stored results, so give it every setting
// ("rmsprop(beta2=0.999)"): Behaviour's probe sees most edits made inside fn under an unchanged name, not all (not
// one acting only after the probe's 16 steps, such as a decay schedule), and a change it misses returns the old
// results. Rename the optimizer whenever you change fn. fn must pass its learning rate on (a constructor that
// builds the same optimizer whatever the rate is refused: the training's rate would change nothing).
func NewOptimizer(name string, fn func(learningRate float64) optimizers.Interface) Optimizer {
	return Optimizer{Name: name, New: fn}
}

// validate checks the name and builds the optimizer once, so that a New that panics (on a setting it
// refuses) or returns nil is an error here, not a failure inside Fit.
func (o Optimizer) validate(learningRate float64) (err error) {
	if o.Name == "" || o.New == nil {
		return fmt.Errorf("deeptucker: an optimizer needs a name (results are keyed by it) and a New function, got name %q", o.Name)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("deeptucker: optimizer %s: its New function panicked: %v", o.Name, r)
		}
	}()
	opt := o.New(learningRate)
	if opt == nil || reflect.ValueOf(opt).Kind() == reflect.Pointer && reflect.ValueOf(opt).IsNil() {
		return fmt.Errorf("deeptucker: optimizer %s: its New function returned nil; it must return a GoMLX optimizers.Interface", o.Name)
	}
	if ignoresLearningRate(o.New, opt, learningRate) {
		return fmt.Errorf("deeptucker: optimizer %s ignores the learning rate it is given: its New built the same optimizer for "+
			"learning rates %g and %g, so the training's learning rate (and each run's) would change nothing and a GoMLX "+
			"optimizer would train at its own default; pass it on, e.g. optimizers.RMSProp().LearningRate(lr).Done()",
			o.Name, learningRate, learningRate/2)
	}
	return nil
}

// ignoresLearningRate reports whether New builds an optimizer equal, setting by setting, to built (New(lr))
// for another learning rate: a constructor that forgets to pass lr on (optimizers.RMSProp().Done() in place of
// optimizers.RMSProp().LearningRate(lr).Done()) trains every run at GoMLX's default rate, so a learning rate
// changed in a notebook would silently change only the results key. An optimizer holding functions (a
// schedule) never compares equal, so it is never refused; a New that panics at the other rate proves nothing.
func ignoresLearningRate(newFn func(float64) optimizers.Interface, built optimizers.Interface, lr float64) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	other := newFn(lr / 2)
	return other != nil && reflect.DeepEqual(built, other)
}

// checkAdam refuses moment decays outside [0, 1) and an epsilon that is negative or not finite: Adam would
// train on with them, to nonsense or NaN.
func checkAdam(name string, beta1, beta2, epsilon float64) {
	if !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) {
		panic(fmt.Sprintf("%s: the betas (moment decays) must be in [0, 1), got %g and %g", name, beta1, beta2))
	}
	if !(epsilon >= 0) || math.IsInf(epsilon, 0) {
		panic(fmt.Sprintf("%s: epsilon must be finite and >= 0, got %g", name, epsilon))
	}
}

// Adam is GoMLX's Adam (optimizers.Adam: epsilon added to the square root of the bias-corrected second
// moment, as in PyTorch), the paper's optimizer.
func Adam(beta1, beta2, epsilon float64) Optimizer {
	return markBuiltin(Optimizer{
		Name: fmt.Sprintf("adam(beta1=%g,beta2=%g,eps=%g)", beta1, beta2, epsilon),
		New: func(lr float64) optimizers.Interface {
			checkAdam("Adam", beta1, beta2, epsilon)
			return optimizers.Adam().LearningRate(lr).Betas(beta1, beta2).Epsilon(epsilon).Done()
		},
		Elementwise: true,
	})
}

// KerasAdam is TensorFlow/Keras' Adam (package kerasadam: epsilon added to the square root of the
// un-bias-corrected second moment), the optimizer of the authors' code. It takes per-run learning rates in one
// graph.
func KerasAdam(beta1, beta2, epsilon float64) Optimizer {
	return markBuiltin(Optimizer{
		Name: fmt.Sprintf("keras-adam(beta1=%g,beta2=%g,eps=%g)", beta1, beta2, epsilon),
		New: func(lr float64) optimizers.Interface {
			checkAdam("KerasAdam", beta1, beta2, epsilon)
			return kerasadam.New().LearningRate(lr).Betas(beta1, beta2).Epsilon(epsilon).Done()
		},
		Elementwise: true,
	})
}

// takesPerRunRates reports whether the optimizer applies one learning rate per run in one graph exactly as
// each run alone would.
func takesPerRunRates(o Optimizer) (ok bool) {
	defer func() {
		if recover() != nil { // a New that refuses this rate: Fit reports it where it builds the optimizer
			ok = false
		}
	}()
	switch o.New(1).(type) {
	case *gradientDescent, *kerasadam.Optimizer:
		return true
	}
	return false
}

// GradientDescent is plain gradient descent with a constant step, θ ← θ − lr·∇L, the theory's setting. It
// takes per-run learning rates in one graph.
func GradientDescent() Optimizer {
	return markBuiltin(Optimizer{Name: "gd", New: func(lr float64) optimizers.Interface { return &gradientDescent{rate: lr} }, Elementwise: true})
}

// gradientDescent is θ ← θ − lr·g, with lr a constant or, when rates is set, each run's own rate ([M],
// broadcast over the run's parameters): the same product per element as a run alone, so batched equals alone
// bit for bit. GoMLX's SGD insists on a scalar rate, hence this small one.
type gradientDescent struct {
	rate  float64
	rates *context.Variable
}

var _ gradientOptimizer = (*gradientDescent)(nil)

func (o *gradientDescent) UpdateGraph(ctx *context.Context, g *Graph, loss *Node) {
	o.UpdateGraphWithGradients(ctx, ctx.BuildTrainableVariablesGradientsGraph(loss), loss.DType())
}

func (o *gradientDescent) UpdateGraphWithGradients(ctx *context.Context, grads []*Node, dtype dtypes.DType) {
	if len(grads) == 0 {
		return
	}
	g := grads[0].Graph()
	optimizers.IncrementGlobalStepGraph(ctx, g, dtype)
	i := 0
	for v := range ctx.IterVariables() {
		if !v.Trainable || !v.InUseByGraph(g) {
			continue
		}
		value := v.ValueGraph(g)
		var rate *Node
		if o.rates != nil {
			rate = perRunBroadcast(o.rates.ValueGraph(g), value)
		} else {
			rate = Scalar(g, value.DType(), o.rate)
		}
		v.SetValueGraph(Sub(value, Mul(rate, grads[i])))
		i++
	}
}

func (o *gradientDescent) Clear(*context.Context) error { return nil }

// perRunBroadcast reshapes a per-run vector [M] to [M, 1, ..., 1] of like's rank, which broadcasts over each
// run's entries.
func perRunBroadcast(x, like *Node) *Node {
	for x.Rank() < like.Rank() {
		x = ExpandAxes(x, -1)
	}
	return x
}

// gradientOptimizer is what GoMLX's optimizers offer besides optimizers.Interface: an update from given
// gradients, which the closed-form step needs.
type gradientOptimizer interface {
	optimizers.Interface
	UpdateGraphWithGradients(ctx *context.Context, grads []*Node, lossDType dtypes.DType)
}

// withGradients are the optimizer types whose update is all in UpdateGraphWithGradients (their UpdateGraph
// only takes the gradients first): GoMLX's Adam (AdamW included) and SGD, KerasAdam, GradientDescent.
// Only they get the closed-form gradients. Any other type, one that embeds one of these to change its
// UpdateGraph included (it would inherit UpdateGraphWithGradients, and the change would be skipped), trains
// through its own UpdateGraph, on autodiff gradients.
var withGradients = map[reflect.Type]bool{
	reflect.TypeFor[*gradientDescent]():                           true,
	reflect.TypeFor[*kerasadam.Optimizer]():                       true,
	reflect.TypeOf(optimizers.Adam().Done()):                      true,
	reflect.TypeOf(optimizers.StochasticGradientDescent().Done()): true,
}

// takesGradients returns opt as a gradientOptimizer when it is one of withGradients.
func takesGradients(opt optimizers.Interface) (gradientOptimizer, bool) {
	if !withGradients[reflect.TypeOf(opt)] {
		return nil, false
	}
	g, ok := opt.(gradientOptimizer)
	return g, ok
}

// perRunStep wraps the step so each run moves only while it is active and its objective finite: after the
// inner update, every trainable variable takes Where(ok_m, new, old) per run m. A run that converged (Tol)
// or diverged thus stays exactly where it was while the rest of its batch trains on, and the step records
// the first step at which each run's objective was not finite.
type perRunStep struct {
	inner optimizers.Interface
	s     *session
}

var _ optimizers.Interface = (*perRunStep)(nil)

func (o *perRunStep) UpdateGraph(ctx *context.Context, g *Graph, loss *Node) {
	s := o.s
	s.checkLoss(ctx, g, loss)
	type start struct {
		v   *context.Variable
		old *Node
	}
	if s.perRunRates != nil {
		ctx.In(optimizers.Scope).Checked(false).VariableWithValue(optimizers.ParamLearningRate, s.perRunRates).SetTrainable(false)
	}
	var starts []start
	for v := range ctx.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			starts = append(starts, start{v, v.ValueGraph(g)})
		}
	}
	o.inner.UpdateGraph(ctx, g, loss)
	s.checkLoss(ctx, g, loss)

	perRun := s.lastObjective.perRun // [M]
	finite := IsFinite(perRun)
	ok := And(GreaterThan(s.active.ValueGraph(g), ZerosLike(perRun)), finite)
	for _, st := range starts {
		now := st.v.ValueGraph(g)
		cond := BroadcastToDims(perRunBroadcast(ok, now), now.Shape().Dimensions...)
		st.v.SetValueGraph(Where(cond, now, st.old))
	}
	// The step number (steps done before this one) and the first step with a non-finite objective per run.
	step := s.stepCounter.ValueGraph(g)
	s.stepCounter.SetValueGraph(AddScalar(step, 1))
	diverged := s.divergedAt.ValueGraph(g)
	first := And(LessThan(diverged, ZerosLike(diverged)), LogicalNot(finite))
	s.divergedAt.SetValueGraph(Where(first, BroadcastToDims(ConvertDType(step, diverged.DType()), s.numRuns), diverged))
}

func (o *perRunStep) Clear(ctx *context.Context) error { return o.inner.Clear(ctx) }

// checkLoss panics (an error at Fit) when the loss being optimised is not the objective Fit built: something
// added a term with GoMLX's train.AddLoss, which the closed-form gradients and the records would both ignore.
func (s *session) checkLoss(ctx *context.Context, g *Graph, loss *Node) {
	if s.lastObjective == nil || loss != s.lastObjective.total || train.GetLosses(ctx, g) != s.lastObjective.total {
		panic("deeptucker: the loss to optimise is not the objective Fit built: a term was added with GoMLX's " +
			"train.AddLoss, which Fit's gradients and records would ignore; pass it as a Term (TrainingBuilder.AddTerm) instead")
	}
}
