package deeptucker

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

func mustModel(t testing.TB, b *ModelBuilder) *Model {
	t.Helper()
	m, err := b.Done()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustTraining(t testing.TB, b *TrainingBuilder) *Training {
	t.Helper()
	tr, err := b.Done()
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestRecoversLowRankTensor is the paper's synthetic setting: a 10x10x10 tensor of multilinear rank (3,3,3)
// with 70% of entries observed is completed to held-out MSE < 1e-6 at depths 2 and 3.
// Setting (the first probe of the regime): target scaled to Frobenius norm 1, Gaussian init std 0.05, Adam lr 3e-3,
// epsilon 1e-8, float64, full batch, 3,000 steps.
func TestRecoversLowRankTensor(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: trains several models; run without -short")
	}
	shape := []int{10, 10, 10}
	x := lowRankTarget(t, shape, []int{3, 3, 3}, 1)
	train, held := splitMask(shape, 0.7, 2)
	for _, depth := range []int{2, 3} {
		m := mustModel(t, NewModel(shape...).Depth(depth).InitStd(0.05))
		tr := mustTraining(t, NewTraining().Adam(3e-3).Epsilon(1e-8).Steps(3000).RecordEvery(1000))
		res, err := Fit(m, tr, Run{Target: x, Train: train, HeldOut: held, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		f := res.Runs[0].Final()
		t.Logf("depth %d: train %.3g, held-out MSE %.3g, R2 %.8f, active columns %v", depth, f.TrainLoss, f.HeldOutMSE, f.HeldOutR2, f.ActiveColumns)
		if !(f.HeldOutMSE < 1e-6) {
			t.Errorf("depth %d: held-out MSE %.3g, want < 1e-6", depth, f.HeldOutMSE)
		}
		// The held-out MSE the result reports must agree with the returned W.
		var sum float64
		var count int
		for k, h := range held.Observed {
			if h {
				d := res.Runs[0].W.Data[k] - x.Data[k]
				sum += d * d
				count++
			}
		}
		if got := sum / float64(count); math.Abs(got-f.HeldOutMSE) > 1e-9*math.Max(f.HeldOutMSE, 1e-12)+1e-15 {
			t.Errorf("depth %d: MSE from W = %.6g, record says %.6g", depth, got, f.HeldOutMSE)
		}
	}
}

// TestLemma41Conservation: under plain gradient descent with a small step, each ||w_r||² − ||G_{..r..}||² and
// ||w_r||² − ||A_i||² is conserved (Lemma 4.1), so ε(t) keeps its initial value, while the loss falls by 5x.
// Adam, which rescales coordinates, does not conserve it: the contrast shows the check can fail.
func TestLemma41Conservation(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: trains several models; run without -short")
	}
	shape := []int{6, 5, 4}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 3)
	for i := range x.Data {
		x.Data[i] *= 5
	}
	train, held := splitMask(shape, 0.7, 4)
	run := Run{Target: x, Train: train, HeldOut: held, Seed: 1}
	m := mustModel(t, NewModel(shape...).Depth(2).InitStd(0.2))

	gd, err := Fit(m, mustTraining(t, NewTraining().GradientDescent(0.1).Steps(2000).RecordEvery(500)), run)
	if err != nil {
		t.Fatal(err)
	}
	first, last := gd.Runs[0].Records[0], gd.Runs[0].Final()
	t.Logf("GD: loss %.4g -> %.4g, eps %.10g -> %.10g", first.TrainLoss, last.TrainLoss, first.Epsilon, last.Epsilon)
	if !(last.TrainLoss < first.TrainLoss/5) {
		t.Fatalf("GD barely trained (loss %.4g -> %.4g): the conservation check would be vacuous", first.TrainLoss, last.TrainLoss)
	}
	if rel := math.Abs(last.Epsilon-first.Epsilon) / first.Epsilon; rel > 1e-4 {
		t.Errorf("GD: eps(t) moved by %.3g relative, want < 1e-4", rel)
	}

	adam, err := Fit(m, mustTraining(t, NewTraining().Adam(1e-2).Steps(2000).RecordEvery(500)), run)
	if err != nil {
		t.Fatal(err)
	}
	a0, a1 := adam.Runs[0].Records[0].Epsilon, adam.Runs[0].Final().Epsilon
	if rel := math.Abs(a1-a0) / a0; rel < 1e-2 {
		t.Errorf("Adam kept eps(t) within %.3g relative: expected it to break the balance", rel)
	}
}

// TestBalancedInitStaysBalanced: the authors' init starts at ε(0) = 0 (up to rounding), and gradient descent
// keeps it near 0: the drift is the discretisation's, so at equal training time (step × steps) halving the
// step halves it, and it vanishes in the gradient-flow limit of Lemma 4.1.
func TestBalancedInitStaysBalanced(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: trains several models; run without -short")
	}
	shape := []int{6, 5, 4}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 3)
	for i := range x.Data {
		x.Data[i] *= 5
	}
	train, held := splitMask(shape, 0.7, 4)
	m := mustModel(t, NewModel(shape...).Depths(3, 2, 1).Balanced(0.05))
	run := Run{Target: x, Train: train, HeldOut: held, Seed: 5}
	drift := func(lr float64, steps int) float64 {
		res, err := Fit(m, mustTraining(t, NewTraining().GradientDescent(lr).Steps(steps).RecordEvery(steps/4)), run)
		if err != nil {
			t.Fatal(err)
		}
		recs := res.Runs[0].Records
		scale := 0.0
		for _, v := range recs[0].SliceNorms[0] {
			scale = math.Max(scale, v*v)
		}
		if recs[0].Epsilon > 1e-12*scale {
			t.Errorf("balanced init: eps(0) = %.3g, want ~0 (squared slice norms ~%.3g)", recs[0].Epsilon, scale)
		}
		last := recs[len(recs)-1]
		if !(last.TrainLoss < recs[0].TrainLoss/5) {
			t.Errorf("lr %g: GD barely trained (loss %.4g -> %.4g)", lr, recs[0].TrainLoss, last.TrainLoss)
		}
		t.Logf("lr %g x %d steps: loss %.4g -> %.4g, eps %.3g -> %.3g (relative to %.3g)", lr, steps,
			recs[0].TrainLoss, last.TrainLoss, recs[0].Epsilon, last.Epsilon, scale)
		return last.Epsilon / scale
	}
	coarse, fine := drift(0.04, 2000), drift(0.02, 4000)
	// The balance is per column and layer: ||w_r|| = ||G_{..r..}|| = ||A_i^{n,r}||_F at the start.
	res, err := Fit(m, mustTraining(t, NewTraining().GradientDescent(0.02).Steps(1).RecordEvery(1)), run)
	if err != nil {
		t.Fatal(err)
	}
	r0 := res.Runs[0].Records[0]
	for n, ws := range r0.WNorms {
		for r, w := range ws {
			if math.Abs(w-r0.SliceNorms[n][r]) > 1e-12 {
				t.Errorf("mode %d column %d: ||w|| = %.15g, slice norm %.15g", n, r, w, r0.SliceNorms[n][r])
			}
			for i, layer := range r0.LayerNorms[n] {
				if math.Abs(layer[r]-w) > 1e-12 {
					t.Errorf("mode %d column %d layer %d: ||A|| = %.15g, ||w|| = %.15g", n, r, i+1, layer[r], w)
				}
			}
		}
	}
	if len(r0.LayerNorms[0]) != 2 || len(r0.LayerNorms[2]) != 0 {
		t.Errorf("layers per mode: %d, %d; want 2 (depth 3) and 0 (depth 1)", len(r0.LayerNorms[0]), len(r0.LayerNorms[2]))
	}
	if coarse > 2e-3 {
		t.Errorf("eps drifted to %.3g of the squared slice norms, want < 2e-3", coarse)
	}
	if ratio := coarse / fine; ratio < 1.6 || ratio > 2.5 {
		t.Errorf("halving the step changed the drift by %.3g, want ~2 (first-order discretisation error)", ratio)
	}
}

// divergingProblem is a depth-3 model and a target ten times too large for it, on which gradient descent at
// step 50 diverges within 500 steps.
func divergingProblem(t *testing.T) (m *Model, x *multilinear.Tensor, train, held *multilinear.Mask) {
	t.Helper()
	shape := []int{5, 4, 3}
	x = lowRankTarget(t, shape, []int{2, 2, 2}, 9)
	for i := range x.Data {
		x.Data[i] *= 10
	}
	train, held = splitMask(shape, 0.7, 1)
	return mustModel(t, NewModel(shape...).Depth(3).InitStd(0.5)), x, train, held
}

// TestDivergenceKeepsLastFiniteState: a far too large step makes the loss blow up; Fit says so with
// ErrDiverged and returns the parameters of the last finite record.
func TestDivergenceKeepsLastFiniteState(t *testing.T) {
	m, x, train, held := divergingProblem(t)
	res, err := Fit(m, mustTraining(t, NewTraining().GradientDescent(50).Steps(500).RecordEvery(1)),
		Run{Target: x, Train: train, HeldOut: held, Seed: 1})
	if !errors.Is(err, ErrDiverged) {
		t.Fatalf("want ErrDiverged, got %v", err)
	}
	if !strings.Contains(err.Error(), "last recorded finite state") {
		t.Errorf("error should say the run kept its last finite state: %v", err)
	}
	if res == nil {
		t.Fatal("no result returned with the divergence error")
	}
	if res.Steps >= 500 {
		t.Errorf("Steps = %d, want fewer than the budget", res.Steps)
	}
	for _, v := range res.Runs[0].W.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("restored W holds %g", v)
		}
	}
	last, run := res.Runs[0].Final(), res.Runs[0]
	if run.DivergedStep < 0 || last.Step > run.DivergedStep || math.IsNaN(last.TrainLoss) || math.IsInf(last.TrainLoss, 0) {
		t.Errorf("diverged at step %d; the last record (step %d, loss %g) should be the last finite state before it", run.DivergedStep, last.Step, last.TrainLoss)
	}
}

// TestToleranceStopsEarly: a run stops moving at the first record where its loss is within Tol, as if trained
// alone, while the rest of its batch goes on; training ends once every run has converged.
func TestToleranceStopsEarly(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: trains several models; run without -short")
	}
	shape := []int{5, 4, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 9)
	train, held := splitMask(shape, 0.8, 1)
	m := mustModel(t, NewModel(shape...).Depth(1).InitStd(0.1))
	tr := mustTraining(t, NewTraining().Adam(1e-2).Steps(20000).RecordEvery(50).Tol(1e-6))
	fast := Run{Target: x, Train: train, HeldOut: held, Seed: 1}
	slow := Run{Target: x, Train: train, HeldOut: held, Seed: 2, LearningRate: 2e-3}
	batch, err := Fit(m, tr, fast, slow)
	if err != nil {
		t.Fatal(err)
	}
	for i, run := range []Run{fast, slow} {
		alone, err := Fit(m, tr, run)
		if err != nil {
			t.Fatal(err)
		}
		a, b := alone.Runs[0], batch.Runs[i]
		if a.ConvergedStep < 0 || alone.Steps != a.ConvergedStep || alone.Steps >= 20000 {
			t.Errorf("run %d alone: converged at %d, stopped at %d of 20000", i, a.ConvergedStep, alone.Steps)
		}
		if b.ConvergedStep != a.ConvergedStep {
			t.Errorf("run %d converged at step %d in the batch, %d alone", i, b.ConvergedStep, a.ConvergedStep)
		}
		if f := b.Final(); f.TrainLoss > 1e-6 {
			t.Errorf("run %d: final loss %.3g above the tolerance", i, f.TrainLoss)
		}
		for k := range a.W.Data {
			if math.Abs(a.W.Data[k]-b.W.Data[k]) > 1e-9*(1+math.Abs(a.W.Data[k])) {
				t.Fatalf("run %d entry %d: alone %.12g, in the batch %.12g (a converged run must stop moving)", i, k, a.W.Data[k], b.W.Data[k])
			}
		}
	}
	if batch.Runs[0].ConvergedStep >= batch.Runs[1].ConvergedStep || batch.Steps != batch.Runs[1].ConvergedStep {
		t.Errorf("converged at %d and %d, batch stopped at %d", batch.Runs[0].ConvergedStep, batch.Runs[1].ConvergedStep, batch.Steps)
	}
}

// TestMiniBatchAndFloat32 trains with mini-batches of 32 entries in float32, and a deep CP model.
func TestMiniBatchAndFloat32(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: trains several models; run without -short")
	}
	shape := []int{6, 5, 4}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 3)
	train, held := splitMask(shape, 0.7, 4)
	run := Run{Target: x, Train: train, HeldOut: held, Seed: 1}
	for name, b := range map[string]*ModelBuilder{
		"tucker": NewModel(shape...).Depth(2).InitStd(0.1),
		"cp":     NewModel(shape...).Depth(2).Diagonal(4).InitStd(0.3),
	} {
		m := mustModel(t, b)
		res, err := Fit(m, mustTraining(t, NewTraining().Adam(1e-2).Float32().BatchSize(32).Steps(1500).RecordEvery(500)), run)
		if err != nil {
			t.Fatal(err)
		}
		first, last := res.Runs[0].Records[0], res.Runs[0].Final()
		t.Logf("%s: loss %.3g -> %.3g, held-out R2 %.4f", name, first.TrainLoss, last.TrainLoss, last.HeldOutR2)
		if !(last.TrainLoss < first.TrainLoss/20) {
			t.Errorf("%s: mini-batch float32 training did not learn: loss %.3g -> %.3g", name, first.TrainLoss, last.TrainLoss)
		}
	}
}

// TestBadInputErrors: each mistake gets an error naming it, never a panic.
func TestBadInputErrors(t *testing.T) {
	shape := []int{4, 3, 2}
	x := lowRankTarget(t, shape, []int{1, 1, 1}, 1)
	train, held := splitMask(shape, 0.5, 1)
	good := mustModel(t, NewModel(shape...).Depth(2))
	tr := mustTraining(t, NewTraining().Steps(10))
	nan := x.Clone()
	for k, o := range train.Observed {
		if o {
			nan.Data[k] = math.NaN()
			break
		}
	}
	nanMissing := x.Clone()
	for k, o := range train.Observed {
		if !o {
			nanMissing.Data[k] = math.NaN()
			break
		}
	}
	empty := multilinear.NewMask(shape...)
	for i := range empty.Observed {
		empty.Observed[i] = false
	}
	cases := []struct {
		name, want string
		err        func() error
	}{
		{"negative depth", "depth must be >= 0", func() error { _, err := NewModel(shape...).Depth(-1).Done(); return err }},
		{"order 1", "order >= 2", func() error { _, err := NewModel(5).Done(); return err }},
		{"zero std", "init std", func() error { _, err := NewModel(shape...).InitStd(0).Done(); return err }},
		{"depth list", "Depths got 2 values", func() error { _, err := NewModel(shape...).Depths(1, 2).Done(); return err }},
		{"depth0 small core", "core size must equal", func() error { _, err := NewModel(shape...).Depth(0).CoreShape(2, 2, 2).Done(); return err }},
		{"zero lr", "learning rate must be positive", func() error { _, err := NewTraining().Adam(0).Done(); return err }},
		{"negative lr", "learning rate must be positive", func() error { _, err := NewTraining().GradientDescent(-1).Done(); return err }},
		{"no steps", "step budget", func() error { _, err := NewTraining().Steps(0).Done(); return err }},
		{"no runs", "at least one run", func() error { _, err := Fit(good, tr); return err }},
		{"shape mismatch", "does not match the model's shape", func() error {
			_, err := Fit(good, tr, Run{Target: multilinear.New(4, 3, 3), Train: multilinear.NewMask(4, 3, 3)})
			return err
		}},
		{"mask mismatch", "train mask shape", func() error {
			_, err := Fit(good, tr, Run{Target: x, Train: multilinear.NewMask(4, 3, 3)})
			return err
		}},
		{"empty mask", "observes no entry", func() error { _, err := Fit(good, tr, Run{Target: x, Train: empty}); return err }},
		{"NaN observed", "is NaN but the train mask selects it", func() error {
			_, err := Fit(good, tr, Run{Target: nan, Train: train, HeldOut: held})
			return err
		}},
		{"NaN held out", "held-out mask selects it", func() error {
			_, err := Fit(good, tr, Run{Target: nanMissing, Train: train, HeldOut: held})
			return err
		}},
		{"run lr", "run 0: deeptucker: learning rate", func() error {
			_, err := Fit(good, tr, Run{Target: x, Train: train, LearningRate: -3})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.err()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("want error containing %q, got %v", c.want, err)
			}
		})
	}
	// A NaN at a missing entry is fine: it is never read.
	if _, err := Fit(good, tr, Run{Target: nanMissing, Train: train}); err != nil {
		t.Errorf("NaN at an unobserved entry should be accepted: %v", err)
	}
}

// TestBackendErrorReachesFit: a wrong GOMLX_BACKEND is an error from Fit that names the setting and the
// remedy, not a panic.
func TestBackendErrorReachesFit(t *testing.T) {
	t.Setenv("GOMLX_BACKEND", "tpu")
	shape := []int{4, 3, 2}
	x := lowRankTarget(t, shape, []int{1, 1, 1}, 1)
	train, _ := splitMask(shape, 0.5, 1)
	_, err := Fit(mustModel(t, NewModel(shape...)), mustTraining(t, NewTraining().Steps(5)), Run{Target: x, Train: train})
	if err == nil || !strings.Contains(err.Error(), "tpu") || !strings.Contains(err.Error(), "GOMLX_BACKEND") {
		t.Errorf("want an error naming GOMLX_BACKEND=tpu, got %v", err)
	}
	t.Log(err)
}
