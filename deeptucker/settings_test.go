package deeptucker

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
	"gonum.org/v1/gonum/mat"

	"github.com/deeptucker/deeptucker/deeptucker/kerasadam"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// TestOptimizerSettingsRefused: settings an optimizer cannot train with are errors of Training's Done, naming
// them, not a panic inside Fit or a run that trains on to nonsense; the defaults and edge values pass.
func TestOptimizerSettingsRefused(t *testing.T) {
	refused := []struct {
		want string
		b    *TrainingBuilder
	}{
		{"betas", NewTraining().Adam(1e-3).Betas(1.5, 0.999)},
		{"betas", NewTraining().Adam(1e-3).Betas(0.9, 1)},
		{"betas", NewTraining().Adam(1e-3).Betas(math.NaN(), 0.999)},
		{"epsilon", NewTraining().Adam(1e-3).Epsilon(-1e-3)},
		{"epsilon", NewTraining().Adam(1e-3).Epsilon(math.NaN())},
		{"epsilon", NewTraining().Adam(1e-3).Epsilon(math.Inf(1))},
		{"betas", NewTraining().Optimizer(KerasAdam(math.NaN(), 2, -1), 0.01)},
		{"panicked: boom", NewTraining().Optimizer(NewOptimizer("x", func(float64) optimizers.Interface { panic("boom") }), 0.01)},
		{"returned nil", NewTraining().Optimizer(NewOptimizer("y", func(float64) optimizers.Interface { return nil }), 0.01)},
		{"returned nil", NewTraining().Optimizer(NewOptimizer("z", func(float64) optimizers.Interface { return (*kerasadam.Optimizer)(nil) }), 0.01)},
		{"Tol", NewTraining().Tol(math.Inf(1))},
	}
	for _, c := range refused {
		if _, err := c.b.Done(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want an error about %q, got %v", c.want, err)
		}
	}
	for name, b := range map[string]*TrainingBuilder{
		"defaults":  NewTraining(),
		"edges":     NewTraining().Adam(1e-3).Betas(0, 0.999999).Epsilon(0),
		"keras":     NewTraining().Optimizer(KerasAdam(0.9, 0.999, 1e-7), 0.01),
		"tol":       NewTraining().Tol(1e-9),
		"no tol":    NewTraining().Tol(0),
		"gd":        NewTraining().GradientDescent(0.1),
		"user's nn": NewTraining().Optimizer(NewOptimizer("rmsprop", func(lr float64) optimizers.Interface { return optimizers.RMSProp().LearningRate(lr).Done() }), 0.01),
	} {
		if _, err := b.Done(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestBuilderAdamFlavours: Betas and Epsilon set the builder's Adam or KerasAdam, each with its own default
// epsilon, and the optimizer built is the one the package function of those values builds (same name, so the
// same results key: the authors' regime keeps its stored runs); after Optimizer(...) they are refused.
func TestBuilderAdamFlavours(t *testing.T) {
	name := func(b *TrainingBuilder) string {
		t.Helper()
		tr, err := b.Done()
		if err != nil {
			t.Fatal(err)
		}
		return tr.Optimizer.Name
	}
	for _, c := range []struct {
		b    *TrainingBuilder
		want Optimizer
	}{
		{NewTraining(), Adam(0.9, 0.999, 1e-8)},
		{NewTraining().KerasAdam(1e-3), KerasAdam(0.9, 0.999, 1e-7)},
		{NewTraining().KerasAdam(1e-3).Epsilon(1e-8).Betas(0.8, 0.99), KerasAdam(0.8, 0.99, 1e-8)},
		{NewTraining().Epsilon(1e-6).KerasAdam(1e-3), KerasAdam(0.9, 0.999, 1e-6)},
		{NewTraining().KerasAdam(1e-3).Adam(1e-3), Adam(0.9, 0.999, 1e-8)},
		{NewTraining().GradientDescent(0.1).Adam(1e-3).Epsilon(1e-7), Adam(0.9, 0.999, 1e-7)},
	} {
		if got := name(c.b); got != c.want.Name {
			t.Errorf("built %s, want %s", got, c.want.Name)
		}
	}
	for _, b := range []*TrainingBuilder{
		NewTraining().Optimizer(KerasAdam(0.9, 0.999, 1e-7), 1e-3).Epsilon(1e-8),
		NewTraining().GradientDescent(0.1).Betas(0.9, 0.99),
	} {
		if _, err := b.Done(); err == nil || !strings.Contains(err.Error(), ".KerasAdam(lr)") {
			t.Errorf("want an error naming the remedy, got %v", err)
		}
	}
}

// halfLoss is a researcher's change to Keras' Adam made by embedding it and overriding UpdateGraph (here:
// half the loss); it inherits UpdateGraphWithGradients, which would skip the override.
type halfLoss struct{ *kerasadam.Optimizer }

func (o halfLoss) UpdateGraph(ctx *context.Context, g *Graph, loss *Node) {
	o.Optimizer.UpdateGraph(ctx, g, MulScalar(loss, 0.5))
}

// TestEmbeddedOptimizerOverrideRuns: such a wrapper trains through its own UpdateGraph (autodiff), so its
// change shows, while the plain optimizer keeps the closed-form gradients. Negative control: the wrapper
// without an effective change (a factor of 1) ends where the plain optimizer does.
func TestEmbeddedOptimizerOverrideRuns(t *testing.T) {
	shape := []int{5, 4, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 9)
	train, held := splitMask(shape, 0.7, 1)
	m := mustModel(t, NewModel(shape...).Depth(2).InitStd(0.3))
	run := Run{Target: x, Train: train, HeldOut: held, Seed: 1}
	fit := func(name string, wrap func(*kerasadam.Optimizer) optimizers.Interface) *Result {
		opt := NewOptimizer(name, func(lr float64) optimizers.Interface {
			return wrap(kerasadam.New().LearningRate(lr).Epsilon(1e-1).Done())
		})
		res, err := Fit(m, mustTraining(t, NewTraining().Optimizer(opt, 1e-2).Steps(50).RecordEvery(10)), run)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	plain := fit("keras", func(o *kerasadam.Optimizer) optimizers.Interface { return o })
	half := fit("keras-half", func(o *kerasadam.Optimizer) optimizers.Interface { return halfLoss{o} })
	if plain.Gradients != "closed-form" || half.Gradients != "autodiff" {
		t.Errorf("gradients: plain %s, wrapper %s; want closed-form and autodiff", plain.Gradients, half.Gradients)
	}
	if d := maxAbsDiff(plain.Runs[0].W.Data, half.Runs[0].W.Data); d < 1e-6 {
		t.Errorf("the wrapper's half loss changed W by %g: its UpdateGraph did not run", d)
	}
	same := fit("keras-wrapped", func(o *kerasadam.Optimizer) optimizers.Interface { return struct{ *kerasadam.Optimizer }{o} })
	if d := maxAbsDiff(plain.Runs[0].W.Data, same.Runs[0].W.Data); d > 1e-9 {
		t.Errorf("a wrapper that changes nothing moved W by %g", d)
	}
}

func maxAbsDiff(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// TestTermOfAnotherDTypeRefused: a term computed in another dtype than the training's is an error naming the
// term and the remedy, not GoMLX's message about an addition's operands; the same term in the training's
// dtype trains.
func TestTermOfAnotherDTypeRefused(t *testing.T) {
	shape := []int{4, 3, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 9)
	train, _ := splitMask(shape, 0.7, 1)
	m := mustModel(t, NewModel(shape...).Depth(1).InitStd(0.3))
	term := func(dtype dtypes.DType) Term {
		return Term{Name: "l1", Fn: func(v *Vars) *Node { return ConvertDType(MulScalar(PerRun(Abs(v.Core)), 1e-3), dtype) }}
	}
	tr := mustTraining(t, NewTraining().Steps(4).RecordEvery(2).AddTerm(term(dtypes.Float32)))
	_, err := Fit(m, tr, Run{Target: x, Train: train, Seed: 1})
	if err == nil || !strings.Contains(err.Error(), `term "l1" returns Float32 values`) {
		t.Fatalf("want an error naming the term's dtype, got %v", err)
	}
	tr = mustTraining(t, NewTraining().Steps(4).RecordEvery(2).AddTerm(term(dtypes.Float64)))
	if _, err := Fit(m, tr, Run{Target: x, Train: train, Seed: 1}); err != nil {
		t.Fatal(err)
	}
}

// TestFromTuckerFoldsDepth0Factor: a Tucker decomposition given to a model with a mode of depth 0 starts at
// the decomposition's reconstruction (the mode's factor multiplied into the core), not at a core without it.
func TestFromTuckerFoldsDepth0Factor(t *testing.T) {
	shape := []int{6, 5, 4}
	x := lowRankTarget(t, shape, []int{3, 2, 2}, 9)
	dec, err := multilinear.HOSVD(x, []int{6, 2, 2})
	if err != nil {
		t.Fatal(err)
	}
	m := mustModel(t, NewModel(shape...).Depths(0, 1, 1).CoreShape(6, 2, 2))
	p, err := FromTucker(m, dec.Core, dec.Factors)
	if err != nil {
		t.Fatal(err)
	}
	var fs []mat.Matrix // nil for the depth-0 mode: MultiModeDot skips it
	for _, f := range p.Factors() {
		if f == nil {
			fs = append(fs, nil)
		} else {
			fs = append(fs, f)
		}
	}
	got := multilinear.MultiModeDot(p.Core, fs, false)
	want := dec.Reconstruct()
	if d := maxAbsDiff(got.Data, want.Data); d > 1e-12 {
		t.Errorf("the start's W differs from the decomposition's by %g", d)
	}
	if _, err := FromTucker(m, dec.Core, []*mat.Dense{mat.NewDense(6, 2, nil), dec.Factors[1], dec.Factors[2]}); err == nil ||
		!strings.Contains(err.Error(), "depth 0") {
		t.Errorf("a depth-0 factor of the wrong size: want an error, got %v", err)
	}
}

// TestHandBuiltModelCounts: a Model written as a literal without its core shape or depths (NewModel fills
// them) counts -1 parameters and has no default init std, rather than panicking.
func TestHandBuiltModelCounts(t *testing.T) {
	m := &Model{Shape: []int{3, 4, 5}}
	if n := m.NumParams(); n != -1 {
		t.Errorf("NumParams = %d, want -1", n)
	}
	if s := DefaultInitStd(m); !math.IsNaN(s) {
		t.Errorf("DefaultInitStd = %g, want NaN", s)
	}
	built := mustModel(t, NewModel(3, 4, 5).Depth(2))
	if built.NumParams() <= 0 || !(DefaultInitStd(built) > 0) {
		t.Errorf("a built model: %d parameters, default std %g", built.NumParams(), DefaultInitStd(built))
	}
}

// TestOptimizerIgnoringItsLearningRateRefused: a researcher's optimizer whose New forgets to pass the learning
// rate on (optimizers.RMSProp().Done()) trains at GoMLX's default rate whatever the training says, so a learning
// rate changed in a cell would change the results key and nothing else. It is refused by Done and by Fit,
// naming the remedy; the same optimizer passing lr on trains, and two rates give two results.
func TestOptimizerIgnoringItsLearningRateRefused(t *testing.T) {
	shape := []int{4, 3, 2}
	x := lowRankTarget(t, shape, []int{1, 1, 1}, 1)
	train, _ := splitMask(shape, 0.6, 1)
	m := mustModel(t, NewModel(shape...).Depth(1).InitStd(0.3))
	deaf := NewOptimizer("rmsprop", func(float64) optimizers.Interface { return optimizers.RMSProp().Done() })
	for _, lr := range []float64{1e-2, 3e-2} {
		_, err := NewTraining().Optimizer(deaf, lr).Done()
		if err == nil || !strings.Contains(err.Error(), "ignores the learning rate") || !strings.Contains(err.Error(), "LearningRate(lr)") {
			t.Errorf("lr %g: want an error naming the ignored learning rate and the remedy, got %v", lr, err)
		}
	}
	// A Training assembled by hand reaches Fit without Done: Fit refuses it too.
	tr := Training{Optimizer: deaf, LearningRate: 1e-2, Steps: 5, RecordEvery: 5, DType: dtypes.Float64}
	if _, err := Fit(m, &tr, Run{Target: x, Train: train}); err == nil || !strings.Contains(err.Error(), "ignores the learning rate") {
		t.Errorf("Fit: want the refusal, got %v", err)
	}
	// Negative control: passing lr on, the optimizer is accepted and the rate changes the result.
	heard := NewOptimizer("rmsprop", func(lr float64) optimizers.Interface { return optimizers.RMSProp().LearningRate(lr).Done() })
	var ws [][]float64
	for _, lr := range []float64{1e-2, 3e-2} {
		res, err := Fit(m, mustTraining(t, NewTraining().Optimizer(heard, lr).Steps(5).RecordEvery(5)), Run{Target: x, Train: train, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, res.Runs[0].W.Data)
	}
	if d := maxAbsDiff(ws[0], ws[1]); d == 0 {
		t.Error("learning rates 1e-2 and 3e-2 gave the same W")
	}
}
