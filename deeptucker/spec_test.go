package deeptucker

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/deeptucker/deeptucker/deeptucker/internal/xlatest"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// behaviourOf is Behaviour, failing the test on error.
func behaviourOf(t *testing.T, m *Model, b *TrainingBuilder) string {
	t.Helper()
	start := time.Now()
	fp, err := Behaviour(m, mustTraining(t, b))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fingerprint %s in %v", fp, time.Since(start).Round(time.Millisecond))
	return fp
}

// sameNamed returns an optimizer under one fixed name whatever its settings: what a notebook does when a
// hyper-parameter is edited in its constructor and not in its name.
func sameNamed(fn func(lr float64) optimizers.Interface) Optimizer {
	return NewOptimizer("my-optimizer", fn)
}

// TestBehaviourSeesOptimizerEditsUnderTheSameName: editing a hyper-parameter of an optimizer whose name stays the
// same changes the fingerprint, beta2 included (with bias correction Adam's first step does not depend on it, and
// its second barely), for Adam and RMSProp; so does a change that starts acting a few steps in.
func TestBehaviourSeesOptimizerEditsUnderTheSameName(t *testing.T) {
	m := mustModel(t, NewModel(10, 10, 10).Depth(2).InitStd(0.05)) // notebook 06's
	fp := func(fn func(lr float64) optimizers.Interface) string {
		return behaviourOf(t, m, NewTraining().Optimizer(sameNamed(fn), 1e-3).Steps(100))
	}
	adam := func(beta1, beta2, eps, wd float64) func(lr float64) optimizers.Interface {
		return func(lr float64) optimizers.Interface {
			return optimizers.Adam().LearningRate(lr).Betas(beta1, beta2).Epsilon(eps).WeightDecay(wd).Done()
		}
	}
	backoff := func(steps int) func(lr float64) optimizers.Interface {
		return func(lr float64) optimizers.Interface {
			return optimizers.Adam().LearningRate(lr).WithBackoffSteps(steps).Done()
		}
	}
	rmsprop := func(beta2 float64) func(lr float64) optimizers.Interface {
		return func(lr float64) optimizers.Interface {
			return optimizers.RMSProp().LearningRate(lr).Betas(0.9, beta2).Done()
		}
	}
	base := fp(adam(0.9, 0.999, 1e-8, 0))
	if again := fp(adam(0.9, 0.999, 1e-8, 0)); again != base {
		t.Fatalf("the same optimizer built twice: fingerprints %s and %s", base, again)
	}
	for _, c := range []struct {
		name string
		fn   func(lr float64) optimizers.Interface
	}{
		{"adam beta2 0.9999", adam(0.9, 0.9999, 1e-8, 0)},
		{"adam beta2 0.99", adam(0.9, 0.99, 1e-8, 0)},
		{"adam beta1 0.8", adam(0.8, 0.999, 1e-8, 0)},
		{"adam epsilon 1e-7", adam(0.9, 0.999, 1e-7, 0)},
		{"adam epsilon 1e-9", adam(0.9, 0.999, 1e-9, 0)},
		{"adamw 1e-4", adam(0.9, 0.999, 1e-8, 1e-4)},
		{"adam backoff 4", backoff(4)},
	} {
		if got := fp(c.fn); got == base {
			t.Errorf("%s under the same name: the fingerprint did not change (%s)", c.name, got)
		}
	}
	// A change that acts only after the second step: no step for 2, then for 4 steps.
	if a, b := fp(backoff(2)), fp(backoff(4)); a == b {
		t.Errorf("Adam's back-off 2 -> 4 steps under the same name: the fingerprint did not change (%s)", a)
	}
	// GoMLX's defaults but beta2, as notebook 06 builds it.
	def := func(beta2 float64) func(lr float64) optimizers.Interface {
		return func(lr float64) optimizers.Interface {
			return optimizers.Adam().LearningRate(lr).Betas(0.9, beta2).Done()
		}
	}
	if a, b := fp(def(0.999)), fp(def(0.9999)); a == b {
		t.Errorf("GoMLX Adam beta2 0.999 -> 0.9999 under the same name: the fingerprint did not change (%s)", a)
	}
	rms := fp(rmsprop(0.999))
	if again := fp(rmsprop(0.999)); again != rms {
		t.Fatalf("the same RMSProp built twice: fingerprints %s and %s", rms, again)
	}
	if got := fp(rmsprop(0.9999)); got == rms {
		t.Errorf("RMSProp beta2 0.999 -> 0.9999 under the same name: the fingerprint did not change (%s)", got)
	}
}

// TestBehaviourLimit pins what Behaviour's documentation says it cannot see: a change that acts only after the
// optimizer probe's steps leaves the fingerprint as it was (rename the optimizer when you make one).
func TestBehaviourLimit(t *testing.T) {
	m := mustModel(t, NewModel(6, 5, 4).Depth(2).InitStd(0.1))
	fp := func(steps int) string {
		return behaviourOf(t, m, NewTraining().Optimizer(sameNamed(func(lr float64) optimizers.Interface {
			return optimizers.Adam().LearningRate(lr).WithBackoffSteps(steps).Done()
		}), 1e-3).Steps(100))
	}
	if a, b := fp(optimizerProbeSteps+4), fp(optimizerProbeSteps+40); a != b {
		t.Errorf("back-off beyond the probe's %d steps changed the fingerprint (%s, %s): update Behaviour's documentation",
			optimizerProbeSteps, a, b)
	}
}

// TestBehaviourOfADivergingProbe: settings whose probe diverges (a step size far too large for the probe
// problem) still get a fingerprint, as Fit would train them on the user's data, which may not diverge; it
// differs from that of a probe that does not diverge.
func TestBehaviourOfADivergingProbe(t *testing.T) {
	m := mustModel(t, NewModel(5, 4, 3).Depth(2).Balanced(0.3))
	// The premise: the probe's two steps diverge at this step size.
	probe := mustTraining(t, NewTraining().GradientDescent(0.5).Steps(2).RecordEvery(1))
	if _, err := Fit(m, probe, Run{Target: probeTarget(m), Train: multilinear.NewMask(m.Shape...), Seed: 1}); !errors.Is(err, ErrDiverged) {
		t.Fatalf("the probe did not diverge (%v): pick a larger step size", err)
	}
	diverging := behaviourOf(t, m, NewTraining().GradientDescent(0.5).Steps(100))
	calm := behaviourOf(t, m, NewTraining().GradientDescent(1e-3).Steps(100))
	if diverging == calm {
		t.Errorf("a diverging probe and a calm one share the fingerprint %s", calm)
	}
}

// hinge is the term max(0, ||G||^2 - c) under a name that does not say c.
func hinge(c float64) Term {
	return Term{Name: "core-norm-hinge", Fn: func(v *Vars) *Node {
		sq := PerRun(Square(v.Core))
		return Max(AddScalar(sq, -c), ZerosLike(sq))
	}}
}

// TestBehaviourSeesTermEditsUnderTheSameName: a term edited under its old name changes the fingerprint even where
// it is zero at the probe's starting point (a hinge whose threshold moved); the same term built twice does not.
func TestBehaviourSeesTermEditsUnderTheSameName(t *testing.T) {
	m := mustModel(t, NewModel(6, 5, 4).Depth(2).InitStd(0.1))
	fp := func(term Term) string { return behaviourOf(t, m, NewTraining().Adam(1e-3).AddTerm(term).Steps(100)) }
	five := fp(hinge(5))
	if again := fp(hinge(5)); again != five {
		t.Fatalf("the same term built twice: fingerprints %s and %s", five, again)
	}
	if fifty := fp(hinge(50)); fifty == five {
		t.Errorf("hinge threshold 5 -> 50 under the same name: the fingerprint did not change (%s)", fifty)
	}
	if l1 := fp(Term{Name: "core-norm-hinge", Fn: L1Core(1e-3).Fn}); l1 == five {
		t.Errorf("another function under the same name: the fingerprint did not change (%s)", l1)
	}
}

// TestBehaviourStableAcrossArithmetic: the fingerprint is of what the functions compute, not of the last bits of
// how: two computations of the same training that agree to rounding (closed-form against autodiff gradients,
// which sum in other orders) give the same fingerprint, so a key computed on another machine (another CPU's
// fused multiply-adds, another backend) finds the stored run. The probes run in the training's dtype, so a term
// written for float32 (a float32 constant) is fingerprinted as Fit runs it.
func TestBehaviourStableAcrossArithmetic(t *testing.T) {
	m := mustModel(t, NewModel(6, 5, 4).Depth(2).InitStd(0.1))
	for name, base := range map[string]func() *TrainingBuilder{
		"adam":       func() *TrainingBuilder { return NewTraining().Adam(1e-3).Steps(100) },
		"gd+l1":      func() *TrainingBuilder { return NewTraining().GradientDescent(0.05).AddTerm(L1Core(1e-3)).Steps(100) },
		"keras-adam": func() *TrainingBuilder { return NewTraining().Optimizer(KerasAdam(0.9, 0.999, 1e-7), 1e-3).Steps(100) },
	} {
		closed := behaviourOf(t, m, base())
		if auto := behaviourOf(t, m, base().Autodiff()); auto != closed {
			t.Errorf("%s: closed-form gradients give %s, autodiff %s", name, closed, auto)
		}
	}
	f32Term := Term{Name: "l1-f32", Fn: func(v *Vars) *Node {
		return Mul(PerRun(Abs(v.Core)), Scalar(v.Core.Graph(), dtypes.Float32, 1e-3))
	}}
	behaviourOf(t, m, NewTraining().Adam(1e-3).AddTerm(f32Term).Float32().Steps(100))
}

// TestBehaviourWithLittleMemory: a model whose probe starts do not fit in memory together is probed one start at a
// time, with the same fingerprint.
func TestBehaviourWithLittleMemory(t *testing.T) {
	m := mustModel(t, NewModel(6, 5, 4).Depth(2).InitStd(0.1))
	together := behaviourOf(t, m, NewTraining().Adam(1e-3).AddTerm(L1Core(1e-3)).Steps(100))
	device, host := memoryNeed(m, mustTraining(t, NewTraining()), 2)
	if alone := behaviourOf(t, m, NewTraining().Adam(1e-3).AddTerm(L1Core(1e-3)).Steps(100).MemoryLimit(int64(device+host))); alone != together {
		t.Errorf("probed one start at a time: %s, all together: %s", alone, together)
	}
}

// TestBehaviourSameOnXLA: the probes give the fingerprint on XLA's CPU plugin that they give on the pure-Go
// backend (Behaviour always runs them on the latter; this is what the rounding buys). Skipped without the plugin.
func TestBehaviourSameOnXLA(t *testing.T) {
	xla := xlatest.CPUDevices(t, 1)
	goBackend, err := backendFor("go", false, 0)
	if err != nil {
		t.Fatal(err)
	}
	m := mustModel(t, NewModel(6, 5, 4).Depth(2).InitStd(0.1))
	for name, b := range map[string]*TrainingBuilder{
		"adam":          NewTraining().Adam(1e-3),
		"gd+hinge":      NewTraining().GradientDescent(0.05).AddTerm(hinge(5)),
		"keras-adam+l1": NewTraining().Optimizer(KerasAdam(0.9, 0.999, 1e-7), 1e-3).AddTerm(L1Core(1e-3)),
	} {
		tr := mustTraining(t, b.Steps(100))
		onGo, err := behaviourOn(goBackend, m, tr)
		if err != nil {
			t.Fatal(err)
		}
		onXLA, err := behaviourOn(xla, m, tr)
		if err != nil {
			t.Fatal(err)
		}
		if onGo != onXLA {
			t.Errorf("%s: fingerprint %s on the pure-Go backend, %s on XLA CPU", name, onGo, onXLA)
		}
	}
}

// TestSpecOfInitPanicIsAnError: an init scheme whose Draw panics makes SpecOf return an error naming the scheme,
// as Fit does, not a panic.
func TestSpecOfInitPanicIsAnError(t *testing.T) {
	boom := InitScheme{Name: "exploding-init", Draw: func(*Model, uint64, float64) (*Params, error) {
		panic(errors.New("boom"))
	}}
	m := mustModel(t, NewModel(4, 3, 2).Init(boom, 0.1))
	tr := mustTraining(t, NewTraining().Steps(2))
	x := multilinear.New(4, 3, 2)
	run := Run{Target: x, Train: multilinear.NewMask(4, 3, 2), Seed: 1}
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("SpecOf panicked: %v", r)
			}
		}()
		_, err = SpecOf(m, tr, "behaviour", run)
	}()
	t.Logf("SpecOf: %v", err)
	if err == nil || !strings.Contains(err.Error(), "exploding-init") || !strings.Contains(err.Error(), "boom") {
		t.Errorf("SpecOf: got error %v, want one naming the init scheme and its panic", err)
	}
	if _, err := Fit(m, tr, run); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Fit: got error %v, want one naming the panic", err)
	}
}

// TestSpecMarksWarmStartsAndTolStopping: a warm start keys apart from a drawn start of the same parameters, and a
// training with a Tol has its own fingerprint, so results stored under the earlier rules for Stuck and for
// Tol are not reused; a drawn run without a Tol is keyed as before (TestCommittedBehaviourUnchanged).
func TestSpecMarksWarmStartsAndTolStopping(t *testing.T) {
	shape := []int{4, 3, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 9)
	train, _ := splitMask(shape, 0.7, 1)
	m := mustModel(t, NewModel(shape...).Depth(1).InitStd(0.3))
	drawn := Run{Target: x, Train: train, Seed: 1}
	p, err := drawn.startParams(0, m)
	if err != nil {
		t.Fatal(err)
	}
	warm := drawn
	warm.Start = p // the very parameters the drawn run starts from
	specs, err := SpecOf(m, mustTraining(t, NewTraining().Steps(10)), "b", drawn, warm)
	if err != nil {
		t.Fatal(err)
	}
	if specs[0].Start == specs[1].Start {
		t.Error("a warm start of the drawn parameters has the drawn run's Start fingerprint")
	}
	if noTol, withTol := behaviourOf(t, m, NewTraining().Steps(10)), behaviourOf(t, m, NewTraining().Steps(10).Tol(1e-6)); noTol == withTol {
		t.Error("a training with a Tol has the fingerprint of one without")
	}
}

// TestEditedBuiltinOptimizerIsProbed: a copy of Adam(...) whose New was replaced is not fingerprinted by its
// (unchanged) name alone: it gets the probes, so its fingerprint differs from Adam's own.
func TestEditedBuiltinOptimizerIsProbed(t *testing.T) {
	m := mustModel(t, NewModel(6, 5, 4).Depth(2).InitStd(0.1))
	adam := Adam(0.9, 0.999, 1e-8)
	edited := adam
	edited.New = func(lr float64) optimizers.Interface {
		return optimizers.Adam().LearningRate(lr).Betas(0.9, 0.9999).Epsilon(1e-8).Done()
	}
	if !adam.isBuiltin() || edited.isBuiltin() {
		t.Fatalf("isBuiltin: Adam %v, edited copy %v", adam.isBuiltin(), edited.isBuiltin())
	}
	own := behaviourOf(t, m, NewTraining().Optimizer(adam, 1e-3).Steps(10))
	if got := behaviourOf(t, m, NewTraining().Optimizer(edited, 1e-3).Steps(10)); got == own {
		t.Errorf("an edited copy of Adam has Adam's fingerprint %s", own)
	}
}

// TestBuiltinOptimizerWithAnotherBuiltinsNewIsProbed: New taken from another Adam (Adam(0.9, 0.999, 1e-3).New,
// the same function literal with other settings captured) under the first Adam's name is an edit, not the
// built-in the name describes: it is probed, and its fingerprint is not the named Adam's.
func TestBuiltinOptimizerWithAnotherBuiltinsNewIsProbed(t *testing.T) {
	m := mustModel(t, NewModel(6, 5, 4).Depth(1).InitStd(1)) // gradients far above the epsilons
	for _, c := range []struct {
		name      string
		own, from Optimizer
	}{
		{"adam", Adam(0.9, 0.999, 1e-8), Adam(0.9, 0.999, 1e-10)},
		{"adam beta2", Adam(0.9, 0.999, 1e-8), Adam(0.9, 0.9999, 1e-8)},
		{"keras-adam", KerasAdam(0.9, 0.999, 1e-7), KerasAdam(0.9, 0.999, 1e-9)},
	} {
		edited := c.own
		edited.New = c.from.New
		if !c.own.isBuiltin() || edited.isBuiltin() {
			t.Errorf("%s: isBuiltin: own %v, with another's New %v", c.name, c.own.isBuiltin(), edited.isBuiltin())
		}
		own := behaviourOf(t, m, NewTraining().Optimizer(c.own, 1e-3).Steps(10))
		if got := behaviourOf(t, m, NewTraining().Optimizer(edited, 1e-3).Steps(10)); got == own {
			t.Errorf("%s with another's New has the fingerprint %s of the optimizer its name describes", c.name, own)
		}
	}
	if a, b := Adam(0.9, 0.999, 1e-8), Adam(0.9, 0.999, 1e-8); !b.isBuiltin() || !a.isBuiltin() {
		t.Error("an unedited Adam is not recognised as built-in")
	}
	if gd := GradientDescent(); !gd.isBuiltin() {
		t.Error("GradientDescent is not recognised as built-in")
	}
}

// TestInitSchemeNotOfItsSeedAloneRefused: an init scheme drawing from a source other than its seed (here a
// counter standing for math/rand's global generator or the clock) hashed one start into the run's key while Fit
// trained from another, and every re-run got a new key: the stored result was never found again and nothing
// said why. SpecOf refuses it, naming the scheme and the remedy. Negative control: a scheme of its own that
// depends only on the seed (notebook 06's diagonal-core init) is keyed as before, the same key twice.
func TestInitSchemeNotOfItsSeedAloneRefused(t *testing.T) {
	calls := 0
	drifting := InitScheme{Name: "drifting-init", Draw: func(m *Model, seed uint64, std float64) (*Params, error) {
		calls++
		return GaussianInit.Draw(m, seed+uint64(calls), std)
	}}
	diagonal := InitScheme{Name: "gaussian+diagonal-core", Draw: func(m *Model, seed uint64, std float64) (*Params, error) {
		p, err := GaussianInit.Draw(m, seed, std)
		for i := range 2 {
			p.Core.Set(1, i, i, i)
		}
		return p, err
	}}
	tr := mustTraining(t, NewTraining().Steps(2))
	run := Run{Target: multilinear.New(4, 3, 2), Train: multilinear.NewMask(4, 3, 2), Seed: 1}
	_, err := SpecOf(mustModel(t, NewModel(4, 3, 2).Init(drifting, 0.1)), tr, "behaviour", run)
	if err == nil || !strings.Contains(err.Error(), "drifting-init") || !strings.Contains(err.Error(), "depend only on") {
		t.Errorf("SpecOf with a drifting init: %v, want an error naming the scheme and the remedy", err)
	}
	m := mustModel(t, NewModel(4, 3, 2).Init(diagonal, 0.1))
	a, err := SpecOf(m, tr, "behaviour", run)
	if err != nil {
		t.Fatal(err)
	}
	b, err := SpecOf(m, tr, "behaviour", run)
	if err != nil || a[0].Start != b[0].Start {
		t.Errorf("a seeded scheme of one's own: %v, starts %s and %s", err, a[0].Start, b[0].Start)
	}
}
