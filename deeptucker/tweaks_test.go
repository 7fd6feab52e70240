package deeptucker

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
	"gonum.org/v1/gonum/mat"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

func l1(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += math.Abs(x)
	}
	return s
}

func sameBits(t *testing.T, what string, a, b []float64) {
	t.Helper()
	for k := range a {
		if a[k] != b[k] && !(math.IsNaN(a[k]) && math.IsNaN(b[k])) {
			t.Fatalf("%s: entry %d differs: %.17g vs %.17g", what, k, a[k], b[k])
		}
	}
}

// TestL1PenaltyOnBothPaths: an L1 penalty on the core changes the result, identically on the closed-form
// path (closed-form data gradient + autodiff of the term) and on the full autodiff path; the recorded train
// loss is the whole objective and the data term is reported apart.
func TestL1PenaltyOnBothPaths(t *testing.T) {
	shape := []int{5, 4, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 9)
	train, held := splitMask(shape, 0.7, 1)
	m := mustModel(t, NewModel(shape...).Depth(2).InitStd(0.3))
	run := Run{Target: x, Train: train, HeldOut: held, Seed: 1}
	fit := func(b *TrainingBuilder) *RunResult {
		res, err := Fit(m, mustTraining(t, b.GradientDescent(0.5).Steps(500).RecordEvery(250)), run)
		if err != nil {
			t.Fatal(err)
		}
		return &res.Runs[0]
	}
	plain := fit(NewTraining())
	closed := fit(NewTraining().AddTerm(L1Core(1e-3)))
	auto := fit(NewTraining().AddTerm(L1Core(1e-3)).Autodiff())
	gPlain, gClosed, gAuto := l1(plain.Core.Data), l1(closed.Core.Data), l1(auto.Core.Data)
	t.Logf("||G||_1: plain %.10f, penalised closed-form %.10f, autodiff %.10f", gPlain, gClosed, gAuto)
	if math.Abs(gClosed-gAuto) > 1e-10 {
		t.Errorf("closed-form and autodiff paths differ: %.12f vs %.12f", gClosed, gAuto)
	}
	if !(gClosed < gPlain-0.05) {
		t.Errorf("the penalty did not lower ||G||_1 by 0.05: %.6f vs %.6f (ignored?)", gClosed, gPlain)
	}
	f := closed.Final()
	term := f.Terms["l1-core(0.001)"]
	if want := 1e-3 * l1(closed.Core.Data); math.Abs(term-want) > 1e-12 {
		t.Errorf("recorded term %.12g, want 1e-3·||G||_1 = %.12g", term, want)
	}
	if math.Abs(f.TrainLoss-(f.DataLoss+term)) > 1e-14 {
		t.Errorf("train loss %.15g is not data %.15g + term %.15g", f.TrainLoss, f.DataLoss, term)
	}
}

// addLossOptimizer is an optimizer that slips a term into the objective through GoMLX's train.AddLoss.
type addLossOptimizer struct{ optimizers.Interface }

func (o addLossOptimizer) UpdateGraph(ctx *context.Context, g *Graph, loss *Node) {
	var core *Node
	for v := range ctx.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			core = v.ValueGraph(g)
			break
		}
	}
	train.AddLoss(ctx, ReduceAllSum(Abs(core)))
	o.Interface.UpdateGraph(ctx, g, train.GetLosses(ctx, g))
}

// TestTermAddedBehindFitsBackIsRefused: a loss term added with train.AddLoss would be ignored by the
// closed-form gradients and the records; Fit refuses it with an error naming the fix, on both paths.
func TestTermAddedBehindFitsBackIsRefused(t *testing.T) {
	shape := []int{4, 3, 2}
	x := lowRankTarget(t, shape, []int{1, 1, 1}, 1)
	train, _ := splitMask(shape, 0.5, 1)
	m := mustModel(t, NewModel(shape...).Depth(2))
	sneaky := NewOptimizer("sneaky", func(lr float64) optimizers.Interface {
		return addLossOptimizer{optimizers.StochasticGradientDescent().WithDecay(false).WithLearningRate(lr).Done()}
	})
	for _, b := range []*TrainingBuilder{NewTraining(), NewTraining().Autodiff()} {
		_, err := Fit(m, mustTraining(t, b.Optimizer(sneaky, 0.1).Steps(5)), Run{Target: x, Train: train})
		if err == nil || !strings.Contains(err.Error(), "train.AddLoss") || !strings.Contains(err.Error(), "AddTerm") {
			t.Errorf("want an error naming train.AddLoss and AddTerm, got %v", err)
		}
	}
	// Negative control: the same optimizer without the extra term trains.
	plain := NewOptimizer("plain-sgd", func(lr float64) optimizers.Interface {
		return optimizers.StochasticGradientDescent().WithDecay(false).WithLearningRate(lr).Done()
	})
	if _, err := Fit(m, mustTraining(t, NewTraining().Optimizer(plain, 0.1).Steps(5)), Run{Target: x, Train: train}); err != nil {
		t.Errorf("a plain GoMLX optimizer must train: %v", err)
	}
}

// TestOtherOptimizersBatchedEqualAlone: GoMLX optimizers other than Adam and SGD train a batched sweep whose
// runs equal the same runs trained alone bit for bit, also when their learning rates differ (Fit then trains
// each rate's runs in their own graph); gradient descent takes per-run rates in one graph, exactly.
func TestOtherOptimizersBatchedEqualAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: trains several models; run without -short")
	}
	shape := []int{5, 4, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 9)
	t1, h1 := splitMask(shape, 0.7, 1)
	t2, h2 := splitMask(shape, 0.5, 2)
	runs := []Run{
		{Target: x, Train: t1, HeldOut: h1, Seed: 1},
		{Target: x, Train: t2, HeldOut: h2, Seed: 2, InitStd: 0.2, LearningRate: 5e-3},
		{Target: x, Train: t1, HeldOut: h1, Seed: 3},
	}
	m := mustModel(t, NewModel(shape...).Depth(2).InitStd(0.1))
	opts := map[string]*TrainingBuilder{
		"rmsprop": NewTraining().Optimizer(NewOptimizer("rmsprop", func(lr float64) optimizers.Interface {
			return optimizers.RMSProp().LearningRate(lr).Done()
		}), 1e-2),
		"adamw": NewTraining().Optimizer(NewOptimizer("adamw(1e-3)", func(lr float64) optimizers.Interface {
			return optimizers.Adam().LearningRate(lr).WeightDecay(1e-3).Done()
		}), 1e-2),
		"adam":       NewTraining().Adam(1e-2),
		"keras-adam": NewTraining().Optimizer(KerasAdam(0.9, 0.999, 1e-7), 1e-2),
		"gd":         NewTraining().GradientDescent(0.5),
	}
	for name, b := range opts {
		tr := mustTraining(t, b.Steps(200).RecordEvery(100))
		batched, err := Fit(m, tr, runs...)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range runs {
			alone, err := Fit(m, tr, r)
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, fmt.Sprintf("%s run %d W", name, i), alone.Runs[0].W.Data, batched.Runs[i].W.Data)
			if la, lb := alone.Runs[0].Final().TrainLoss, batched.Runs[i].Final().TrainLoss; la != lb {
				t.Errorf("%s run %d: loss alone %.17g, batched %.17g", name, i, la, lb)
			}
		}
		if batched.Runs[0].Final().TrainLoss == batched.Runs[2].Final().TrainLoss {
			t.Errorf("%s: runs with different seeds ended identical: batching mixed them up", name)
		}
	}
}

// TestWarmStartInChunksEqualsOneRun: training 150 steps then resuming for 150 more equals 300 steps in one
// Fit, bit for bit: parameters, optimizer state and step count carry over (full batch and shuffled
// mini-batches). Resuming with another optimizer is refused.
func TestWarmStartInChunksEqualsOneRun(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: trains several models; run without -short")
	}
	shape := []int{5, 4, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 9)
	train, held := splitMask(shape, 0.7, 1)
	m := mustModel(t, NewModel(shape...).Depth(2).InitStd(0.1))
	runs := []Run{{Target: x, Train: train, HeldOut: held, Seed: 1}, {Target: x, Train: train, HeldOut: held, Seed: 2}}
	for name, b := range map[string]func() *TrainingBuilder{
		"adam":      func() *TrainingBuilder { return NewTraining().Adam(1e-2) },
		"minibatch": func() *TrainingBuilder { return NewTraining().Adam(1e-2).BatchSize(16) },
	} {
		long, err := Fit(m, mustTraining(t, b().Steps(300).RecordEvery(50)), runs...)
		if err != nil {
			t.Fatal(err)
		}
		first, err := Fit(m, mustTraining(t, b().Steps(150).RecordEvery(50)), runs...)
		if err != nil {
			t.Fatal(err)
		}
		resumed := make([]Run, len(runs))
		for i, r := range runs {
			r.Resume = first.Runs[i].Checkpoint
			resumed[i] = r
		}
		second, err := Fit(m, mustTraining(t, b().Steps(150).RecordEvery(50)), resumed...)
		if err != nil {
			t.Fatal(err)
		}
		for i := range runs {
			sameBits(t, name+" W", long.Runs[i].W.Data, second.Runs[i].W.Data)
			if got, want := second.Runs[i].Final().Step, 300; got != want {
				t.Errorf("%s: resumed run ends at step %d, want %d", name, got, want)
			}
		}
		// Negative control: starting from the same parameters with a fresh optimizer state differs.
		restarted := runs[0]
		restarted.Start = first.Runs[0].Params
		fresh, err := Fit(m, mustTraining(t, b().Steps(150).RecordEvery(50)), restarted)
		if err != nil {
			t.Fatal(err)
		}
		if fresh.Runs[0].W.Data[0] == long.Runs[0].W.Data[0] {
			t.Errorf("%s: a fresh optimizer state gave the same result as resuming", name)
		}
	}
	first, _ := Fit(m, mustTraining(t, NewTraining().Adam(1e-2).Steps(10)), runs[0])
	r := runs[0]
	r.Resume = first.Runs[0].Checkpoint
	if _, err := Fit(m, mustTraining(t, NewTraining().GradientDescent(0.1).Steps(10)), r); err == nil || !strings.Contains(err.Error(), "cannot resume") {
		t.Errorf("resuming an Adam checkpoint with gradient descent: want an error, got %v", err)
	}
}

// TestUserInitStartAndDiagnostics: a user-written init scheme is used; a start from a full-rank HOSVD
// reproduces the target at step 0; graph and host diagnostics are recorded under their names and agree with
// the returned parameters.
func TestUserInitStartAndDiagnostics(t *testing.T) {
	shape := []int{4, 3, 5}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 3)
	train, held := splitMask(shape, 0.7, 1)
	constant := InitScheme{Name: "constant-core", Draw: func(m *Model, seed uint64, std float64) (*Params, error) {
		p, err := GaussianInit.Draw(m, seed, std)
		for i := range p.Core.Data {
			p.Core.Data[i] = std
		}
		return p, err
	}}
	m := mustModel(t, NewModel(shape...).Depth(2).Init(constant, 0.07))
	nuclear := func(p *Params) []float64 { // nuclear norm of W_(1), on the host
		w := multilinear.MultiModeDot(p.Core, factorsAsMatrices(p.Factors()), false)
		var svd mat.SVD
		svd.Factorize(multilinear.Unfold(w, 0), mat.SVDNone)
		return []float64{floatsSum(svd.Values(nil))}
	}
	tr := mustTraining(t, NewTraining().Adam(1e-2).Steps(40).RecordEvery(20).
		AddDiagnostic(Diagnostic{Name: "l1-core", Graph: func(v *Vars) *Node { return PerRun(Abs(v.Core)) }}).
		AddDiagnostic(Diagnostic{Name: "nuclear-W1", Host: nuclear}))
	res, err := Fit(m, tr, Run{Target: x, Train: train, HeldOut: held, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	start := res.Runs[0].Records[0]
	if got := start.Extra["l1-core"][0]; math.Abs(got-0.07*float64(x.Size())) > 1e-12 {
		t.Errorf("step-0 ||G||_1 = %.12g, want 0.07·%d: the user's init was not used", got, x.Size())
	}
	final := res.Runs[0]
	if got, want := final.Final().Extra["l1-core"][0], l1(final.Params.Core.Data); math.Abs(got-want) > 1e-12 {
		t.Errorf("graph diagnostic %.12g, host ||G||_1 %.12g", got, want)
	}
	if got, want := final.Final().Extra["nuclear-W1"][0], nuclear(final.Params)[0]; math.Abs(got-want) > 1e-10 {
		t.Errorf("host diagnostic %.12g, recomputed %.12g", got, want)
	}

	// Start from a full-rank HOSVD (plain Tucker, identity A): W equals the target at step 0.
	hosvd, err := multilinear.HOSVD(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	start0, err := FromTucker(m, hosvd.Core, hosvd.Factors)
	if err != nil {
		t.Fatal(err)
	}
	res, err = Fit(m, mustTraining(t, NewTraining().Adam(1e-3).Steps(1).RecordEvery(1)), Run{Target: x, Train: train, HeldOut: held, Start: start0})
	if err != nil {
		t.Fatal(err)
	}
	if mse := res.Runs[0].Records[0].HeldOutMSE; mse > 1e-24 {
		t.Errorf("a start from the full HOSVD should complete the tensor exactly, held-out MSE %.3g", mse)
	}
}

func factorsAsMatrices(fs []*mat.Dense) []mat.Matrix {
	out := make([]mat.Matrix, len(fs))
	for i, f := range fs {
		out[i] = f
	}
	return out
}

func floatsSum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

// TestOneDivergingRunLeavesTheOthers: a run with a far too large step diverges; the healthy runs of its
// batch train on and end exactly as if trained alone; the result names the diverged run and its step.
func TestOneDivergingRunLeavesTheOthers(t *testing.T) {
	shape := []int{5, 4, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 9)
	train, held := splitMask(shape, 0.7, 1)
	m := mustModel(t, NewModel(shape...).Depth(2).InitStd(0.3))
	healthy := []Run{{Target: x, Train: train, HeldOut: held, Seed: 1}, {Target: x, Train: train, HeldOut: held, Seed: 3, LearningRate: 0.2}}
	bad := Run{Target: x, Train: train, HeldOut: held, Seed: 2, LearningRate: 1e6}
	tr := mustTraining(t, NewTraining().GradientDescent(0.5).Steps(300).RecordEvery(50))
	res, err := Fit(m, tr, healthy[0], bad, healthy[1])
	if !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "run 1 at step") {
		t.Fatalf("want ErrDiverged naming run 1, got %v", err)
	}
	if d := res.Runs[1].DivergedStep; d < 0 || d > 50 {
		t.Errorf("diverged run: DivergedStep %d, want within the first record interval", d)
	}
	for i, r := range []int{0, 2} {
		alone, err := Fit(m, tr, healthy[i])
		if err != nil {
			t.Fatal(err)
		}
		if res.Runs[r].DivergedStep != -1 || res.Runs[r].Final().Step != 300 {
			t.Errorf("healthy run %d: diverged %d, last step %d", r, res.Runs[r].DivergedStep, res.Runs[r].Final().Step)
		}
		sameBits(t, "healthy run W", alone.Runs[0].W.Data, res.Runs[r].W.Data)
	}
	for _, v := range res.Runs[1].W.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("the diverged run's state is not finite: %g", v)
		}
	}
}

// TestRunNotFiniteAtStart: a run whose objective is already infinite at step 0 (an init std of 1e200) stops
// there with no record, and neither the batch's healthy run nor the result is lost; a batch of such runs
// alone trains nothing.
func TestRunNotFiniteAtStart(t *testing.T) {
	shape := []int{5, 4, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 9)
	train, held := splitMask(shape, 0.7, 1)
	m := mustModel(t, NewModel(shape...).Depth(2).InitStd(0.3))
	healthy := Run{Target: x, Train: train, HeldOut: held, Seed: 1}
	bad := Run{Target: x, Train: train, HeldOut: held, Seed: 2, InitStd: 1e200}
	tr := mustTraining(t, NewTraining().GradientDescent(0.5).Steps(100).RecordEvery(25))
	res, err := Fit(m, tr, healthy, bad)
	if !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "run 1 at step 0") {
		t.Fatalf("want ErrDiverged naming run 1 at step 0, got %v", err)
	}
	if r := res.Runs[1]; r.DivergedStep != 0 || len(r.Records) != 0 || !math.IsNaN(r.Final().TrainLoss) {
		t.Errorf("bad run: DivergedStep %d, %d records, final train loss %g; want 0, none, NaN", r.DivergedStep, len(r.Records), r.Final().TrainLoss)
	}
	alone, err := Fit(m, tr, healthy)
	if err != nil {
		t.Fatal(err)
	}
	if res.Runs[0].DivergedStep != -1 || res.Runs[0].Final().Step != 100 {
		t.Errorf("healthy run: diverged %d, last step %d", res.Runs[0].DivergedStep, res.Runs[0].Final().Step)
	}
	sameBits(t, "healthy run W", alone.Runs[0].W.Data, res.Runs[0].W.Data)

	res, err = Fit(m, tr, bad)
	if !errors.Is(err, ErrDiverged) || res == nil || res.Steps != 0 {
		t.Fatalf("a batch of one run not finite at the start: err %v, result %+v; want ErrDiverged after 0 steps", err, res)
	}
}

// TestTooLargeRefusedQuickly: a model of billions of parameters is an error within a second, before any
// allocation; a shape whose element count overflows is rejected.
func TestTooLargeRefusedQuickly(t *testing.T) {
	shape := []int{1300, 1300, 1300}
	m := mustModel(t, NewModel(shape...).Depth(2))
	x := &multilinear.Tensor{Shape: shape} // no data: the guard must trip before the data is read
	start := time.Now()
	_, err := Fit(m, mustTraining(t, NewTraining().Steps(1)), Run{Target: x, Train: &multilinear.Mask{Shape: shape}})
	if err == nil || !strings.Contains(err.Error(), "needs about") {
		t.Fatalf("want a memory error, got %v", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("the refusal took %s", el)
	}
	t.Log(err)
	if _, err := NewModel(1<<20, 1<<20, 1<<20, 1<<20).Done(); err == nil || !strings.Contains(err.Error(), "2^50") {
		t.Errorf("an overflowing shape: want an error, got %v", err)
	}
	// A configurable cap: a small model over a 1 KiB limit.
	small := mustModel(t, NewModel(4, 3, 2))
	xs := lowRankTarget(t, []int{4, 3, 2}, []int{1, 1, 1}, 1)
	tr, _ := splitMask([]int{4, 3, 2}, 0.5, 1)
	if _, err := Fit(small, mustTraining(t, NewTraining().Steps(1).MemoryLimit(1024)), Run{Target: xs, Train: tr}); err == nil ||
		!strings.Contains(err.Error(), "MemoryLimit") {
		t.Errorf("want the MemoryLimit error, got %v", err)
	}
}

// TestInputMistakesNamed: overlapping masks and data beyond float32's range are named, not trained.
func TestInputMistakesNamed(t *testing.T) {
	shape := []int{4, 3, 2}
	x := lowRankTarget(t, shape, []int{1, 1, 1}, 1)
	train, _ := splitMask(shape, 0.5, 1)
	m := mustModel(t, NewModel(shape...).Depth(1))
	tr := mustTraining(t, NewTraining().Steps(5))
	if _, err := Fit(m, tr, Run{Target: x, Train: train, HeldOut: train}); err == nil || !strings.Contains(err.Error(), "both the train and the held-out mask") {
		t.Errorf("overlapping masks: got %v", err)
	}
	big := x.Clone()
	for i := range big.Data {
		big.Data[i] *= 1e20
	}
	if _, err := Fit(m, mustTraining(t, NewTraining().Steps(5).Float32()), Run{Target: big, Train: train}); err == nil || !strings.Contains(err.Error(), "overflows Float32") {
		t.Errorf("data beyond float32: got %v", err)
	}
	if _, err := Fit(m, tr, Run{Target: big, Train: train}); err != nil {
		t.Errorf("the same data in float64 must train: %v", err)
	}
	if _, err := NewTraining().GradientDescent(0.1).Epsilon(1e-7).Done(); err == nil {
		t.Errorf("Epsilon on gradient descent must be refused")
	}
}

// TestIndexOrderBatches: the authors' cycle walks the observed entries in index order, the last batch
// partial, the same every epoch.
func TestIndexOrderBatches(t *testing.T) {
	shape := []int{3, 3}
	x := lowRankTarget(t, shape, []int{1, 1}, 1)
	train := multilinear.NewMask(shape...)
	for k := range train.Observed {
		train.Observed[k] = false
	}
	for _, k := range []int{1, 2, 4, 5, 7} {
		train.Observed[k] = true
	}
	m := mustModel(t, NewModel(shape...))
	tr := mustTraining(t, NewTraining().BatchSize(2).BatchOrder(IndexOrder).Steps(4))
	s, err := newSession(nil, m, tr, []Run{{Target: x, Train: train, Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	mb := newMiniBatches(s)
	want := [][]int{{1, 2}, {4, 5}, {7}, {1, 2}}
	for step, w := range want {
		weights := make([]float64, 9)
		mb.next(weights)
		var got []int
		for k, v := range weights {
			if v == 1 {
				got = append(got, k)
			}
		}
		if len(got) != len(w) || (len(got) > 0 && got[0] != w[0]) || got[len(got)-1] != w[len(w)-1] {
			t.Errorf("batch %d = %v, want %v", step, got, w)
		}
	}
}

// TestValidationEarlyStoppingSignal: validation entries are scored, never trained on (a run with them
// trains exactly as a run whose train mask lacks them), and overlapping masks are refused.
func TestValidationEarlyStoppingSignal(t *testing.T) {
	shape := []int{5, 4, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 9)
	train, held := splitMask(shape, 0.7, 1)
	val := multilinear.NewMask(shape...)
	kept := train.Clone()
	n := 0
	for k := range val.Observed {
		val.Observed[k] = false
		if train.Observed[k] && n < 8 {
			val.Observed[k], kept.Observed[k] = true, false
			n++
		}
	}
	m := mustModel(t, NewModel(shape...).Depth(2).InitStd(0.1))
	tr := mustTraining(t, NewTraining().Adam(1e-2).Steps(100).RecordEvery(50))
	with, err := Fit(m, tr, Run{Target: x, Train: kept, HeldOut: held, Validation: val, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	without, err := Fit(m, tr, Run{Target: x, Train: kept, HeldOut: held, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "W with and without a validation mask", without.Runs[0].W.Data, with.Runs[0].W.Data)
	f := with.Runs[0].Final()
	mse := 0.0
	for k, v := range val.Observed {
		if v {
			d := with.Runs[0].W.Data[k] - x.Data[k]
			mse += d * d / 8
		}
	}
	if math.Abs(f.ValidationMSE-mse) > 1e-15 || math.IsNaN(f.ValidationR2) || !math.IsNaN(without.Runs[0].Final().ValidationMSE) {
		t.Errorf("validation MSE %.6g (want %.6g), R2 %g; without a mask %g (want NaN)", f.ValidationMSE, mse, f.ValidationR2, without.Runs[0].Final().ValidationMSE)
	}
	if _, err := Fit(m, tr, Run{Target: x, Train: train, HeldOut: held, Validation: val}); err == nil || !strings.Contains(err.Error(), "disjoint") {
		t.Errorf("validation overlapping train: want an error, got %v", err)
	}
}

// TestStuckRunsAreFlagged: an order-4 depth-3 model from a small init under Adam with epsilon 1e-8 does not
// leave its initial objective (its gradients are products of many tiny factors, far below epsilon): Stuck
// says so and Result.String shows it; from a larger init the same run moves and is not flagged.
func TestStuckRunsAreFlagged(t *testing.T) {
	shape := []int{6, 5, 4, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2, 2}, 4)
	train, held := splitMask(shape, 0.7, 1)
	tr := mustTraining(t, NewTraining().Adam(3e-3).Epsilon(1e-8).Steps(400).RecordEvery(50))
	for _, c := range []struct {
		std   float64
		stuck bool
	}{{0.05, true}, {0.3, false}} {
		res, err := Fit(mustModel(t, NewModel(shape...).Depth(3).InitStd(c.std)), tr, Run{Target: x, Train: train, HeldOut: held, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		run := res.Runs[0]
		if got := run.Stuck(); got != c.stuck {
			t.Errorf("std %g: Stuck() = %v, want %v (loss %.3g -> %.3g)", c.std, got, c.stuck, run.Records[0].TrainLoss, run.Final().TrainLoss)
		}
		if strings.Contains(res.String(), "STUCK") != c.stuck {
			t.Errorf("std %g: Result.String() = %q", c.std, res.String())
		}
	}

	// Warm starts are not judged: the moving run resumed after it has converged (its loss no longer falls by
	// 1%), and the same run started from its final parameters.
	res, err := Fit(mustModel(t, NewModel(shape...).Depth(3).InitStd(0.3)), tr, Run{Target: x, Train: train, HeldOut: held, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	m := mustModel(t, NewModel(shape...).Depth(3).InitStd(0.3))
	short := mustTraining(t, NewTraining().Adam(1e-9).Epsilon(1e-8).Steps(100).RecordEvery(50))
	for name, run := range map[string]Run{
		"resumed": {Target: x, Train: train, HeldOut: held, Seed: 1, Resume: res.Runs[0].Checkpoint},
		"started": {Target: x, Train: train, HeldOut: held, Seed: 1, Start: res.Runs[0].Params},
	} {
		warm, err := Fit(m, short, run)
		if err != nil {
			t.Fatal(err)
		}
		r := warm.Runs[0]
		if !r.WarmStart || r.Stuck() || r.Final().TrainLoss < StuckRatio*r.Records[0].TrainLoss {
			t.Errorf("%s: WarmStart %v, Stuck %v, loss %.3g -> %.3g; want a warm start that barely moves and is not stuck",
				name, r.WarmStart, r.Stuck(), r.Records[0].TrainLoss, r.Final().TrainLoss)
		}
	}
}

// normalizedGD is a researcher's optimizer that is not element-wise: each variable steps along its gradient
// divided by the gradient's norm over the whole variable, which in a batch holds every run's tensor.
type normalizedGD struct{ lr float64 }

func (o *normalizedGD) UpdateGraph(ctx *context.Context, g *Graph, loss *Node) {
	grads := ctx.BuildTrainableVariablesGradientsGraph(loss)
	i := 0
	for v := range ctx.IterVariables() {
		if !v.Trainable || !v.InUseByGraph(g) {
			continue
		}
		norm := Sqrt(AddScalar(ReduceAllSum(Square(grads[i])), 1e-30))
		v.SetValueGraph(Sub(v.ValueGraph(g), MulScalar(Div(grads[i], norm), o.lr)))
		i++
	}
}

func (o *normalizedGD) Clear(*context.Context) error { return nil }

// TestNonElementwiseOptimizerRunsEqualAlone: an optimizer not declared element-wise may reduce over a whole
// variable, which in a batch stacks every run along the model axis; trained together, the runs would each
// see the others' gradients, and a study store would keep under a run's key a result that depends on what
// happened to train beside it. Fit trains such runs one graph each, so each equals the run alone. Negative
// control: the same optimizer declared (wrongly) element-wise is batched, and the runs do mix.
func TestNonElementwiseOptimizerRunsEqualAlone(t *testing.T) {
	shape := []int{5, 4, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 9)
	t1, h1 := splitMask(shape, 0.7, 1)
	runs := []Run{{Target: x, Train: t1, HeldOut: h1, Seed: 1}, {Target: x, Train: t1, HeldOut: h1, Seed: 2, InitStd: 0.5}}
	m := mustModel(t, NewModel(shape...).Depth(2).InitStd(0.1))
	fit := func(elementwise bool, runs ...Run) *Result {
		opt := NewOptimizer("normalized-gd", func(lr float64) optimizers.Interface { return &normalizedGD{lr: lr} })
		opt.Elementwise = elementwise
		res, err := Fit(m, mustTraining(t, NewTraining().Optimizer(opt, 1e-2).Steps(20).RecordEvery(10)), runs...)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	batched := fit(false, runs...)
	for i, r := range runs {
		sameBits(t, fmt.Sprintf("run %d W", i), fit(false, r).Runs[0].W.Data, batched.Runs[i].W.Data)
	}
	if d := maxAbsDiff(fit(true, runs...).Runs[0].W.Data, fit(true, runs[0]).Runs[0].W.Data); d == 0 {
		t.Error("negative control: the norm over a batched variable did not mix the runs, so this test shows nothing")
	}
}

// TestUserFunctionPanicsNamed: a term or diagnostic that reaches for a part of Vars the model does not have
// (v.Matrices[n][0] at depth 1, v.Vectors[n] of a depth-0 mode) or that panics on its own is an error of Fit
// naming the function and, for Go's runtime errors, which parts of Vars exist; not Go's bare "index out of
// range" from inside graph building. Negative control: the same term written for the model trains.
func TestUserFunctionPanicsNamed(t *testing.T) {
	shape := []int{4, 3, 2}
	x := lowRankTarget(t, shape, []int{1, 1, 1}, 1)
	train, _ := splitMask(shape, 0.6, 1)
	depth1 := mustModel(t, NewModel(shape...).Depth(1).InitStd(0.3))
	depth0 := mustModel(t, NewModel(shape...).Depths(0, 1, 1).InitStd(0.3))
	term := func(fn func(v *Vars) *Node) *TrainingBuilder {
		return NewTraining().AddTerm(Term{Name: "my-term", Fn: fn}).Steps(2).RecordEvery(1)
	}
	cases := []struct {
		name  string
		m     *Model
		b     *TrainingBuilder
		wants []string
	}{
		{"A at depth 1", depth1, term(func(v *Vars) *Node { return PerRun(v.Matrices[0][0]) }),
			[]string{`objective term "my-term" panicked`, "index out of range", "Matrices[n] holds depth-1"}},
		{"w of a depth-0 mode", depth0, term(func(v *Vars) *Node { return PerRun(v.Vectors[0]) }),
			[]string{`objective term "my-term" panicked`, "PerRun got a nil node", "nil for a mode of depth 0"}},
		{"host diagnostic", depth1, NewTraining().AddDiagnostic(Diagnostic{Name: "my-diag", Host: func(p *Params) []float64 {
			return []float64{p.Vectors[0].Data[len(p.Vectors[0].Data)]}
		}}).Steps(2).RecordEvery(1), []string{`diagnostic "my-diag" panicked`, "index out of range"}},
	}
	for _, c := range cases {
		_, err := Fit(c.m, mustTraining(t, c.b), Run{Target: x, Train: train})
		for _, want := range c.wants {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: want an error containing %q, got %v", c.name, want, err)
			}
		}
	}
	if _, err := Fit(depth1, mustTraining(t, term(func(v *Vars) *Node { return PerRun(v.Vectors[0]) })), Run{Target: x, Train: train}); err != nil {
		t.Errorf("negative control: a term using parts the model has must train: %v", err)
	}
	if _, err := Behaviour(depth1, nil); err == nil {
		t.Error("Behaviour without a training: want an error")
	}
}
