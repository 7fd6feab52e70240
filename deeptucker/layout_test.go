package deeptucker

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/deeptucker/deeptucker/deeptucker/backend"
)

// fitLayout runs Fit with the parameters packed or not.
func fitLayout(t *testing.T, packed bool, m *Model, tr *Training, runs ...Run) *Result {
	t.Helper()
	packOverride = &packed
	defer func() { packOverride = nil }()
	res, err := Fit(m, tr, runs...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestPackedLayoutEqualsPieces: training with all parameters packed into one variable equals training with a
// variable per tensor, for every element-wise optimizer Fit offers, with per-run learning rates, an extra term
// (autodiff beside the closed form), full autodiff, mini-batches and a mode of depth 0: bit for bit on the go
// backend; on XLA, whose fusions may contract a multiply-add differently in the two graphs (measured for
// keras-adam: a few entries 1 ulp apart after 2 steps), to 1e-12.
func TestPackedLayoutEqualsPieces(t *testing.T) {
	b, err := envBackend()
	if err != nil {
		t.Fatal(err)
	}
	same := sameBits
	if backend.Name(b) != backend.Go {
		same = func(t *testing.T, what string, a, b []float64) {
			t.Helper()
			for k := range a {
				if math.Abs(a[k]-b[k]) > 1e-12*math.Max(1, math.Abs(a[k])) {
					t.Fatalf("%s: entry %d differs: %.17g vs %.17g", what, k, a[k], b[k])
				}
			}
		}
	}
	shape := []int{5, 4, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 9)
	t1, h1 := splitMask(shape, 0.7, 1)
	runs := []Run{
		{Target: x, Train: t1, HeldOut: h1, Seed: 1},
		{Target: x, Train: t1, HeldOut: h1, Seed: 2, LearningRate: 3e-2},
	}
	m := mustModel(t, NewModel(shape...).Depths(2, 0, 3).InitStd(0.3))
	for name, b := range map[string]*TrainingBuilder{
		"adam+l1":    NewTraining().Adam(1e-2).AddTerm(L1Core(1e-3)),
		"keras-adam": NewTraining().Optimizer(KerasAdam(0.9, 0.999, 1e-7), 1e-2),
		"gd":         NewTraining().GradientDescent(0.5),
		"autodiff":   NewTraining().Adam(1e-2).Autodiff(),
		"minibatch":  NewTraining().Adam(1e-2).BatchSize(16),
	} {
		tr := mustTraining(t, b.Steps(120).RecordEvery(40))
		pieces := fitLayout(t, false, m, tr, runs...)
		packed := fitLayout(t, true, m, tr, runs...)
		for i := range runs {
			what := fmt.Sprintf("%s run %d", name, i)
			same(t, what+" W", pieces.Runs[i].W.Data, packed.Runs[i].W.Data)
			for k, p := range pieces.Runs[i].Params.flat() {
				same(t, fmt.Sprintf("%s parameter tensor %d", what, k), p, packed.Runs[i].Params.flat()[k])
			}
			same(t, what+" final loss", []float64{pieces.Runs[i].Final().TrainLoss}, []float64{packed.Runs[i].Final().TrainLoss})
		}
		// Negative control: the comparison sees a change in training.
		if pieces.Runs[0].W.Data[0] == pieces.Runs[1].W.Data[0] {
			t.Errorf("%s: runs with different seeds and rates ended identical", name)
		}
	}
}

// TestLayoutChoice: Fit packs small models for its own element-wise optimizers, and keeps a variable per tensor
// for an optimizer that does not declare itself element-wise and for a model above packMaxEntries.
func TestLayoutChoice(t *testing.T) {
	b, err := envBackend()
	if err != nil {
		t.Fatal(err)
	}
	rmsprop := NewOptimizer("rmsprop", func(lr float64) optimizers.Interface { return optimizers.RMSProp().LearningRate(lr).Done() })
	declared := rmsprop
	declared.Elementwise = true
	small, large := []int{4, 3, 3}, []int{33, 32, 32} // 33·32·32 = 33,792 core entries > packMaxEntries
	for _, c := range []struct {
		shape  []int
		opt    Optimizer
		packed bool
	}{
		{small, Adam(0.9, 0.999, 1e-8), true},
		{small, KerasAdam(0.9, 0.999, 1e-7), true},
		{small, GradientDescent(), true},
		{small, rmsprop, false},
		{small, declared, true},
		{large, Adam(0.9, 0.999, 1e-8), false},
	} {
		x := lowRankTarget(t, c.shape, []int{2, 2, 2}, 3)
		train, _ := splitMask(c.shape, 0.7, 1)
		m := mustModel(t, NewModel(c.shape...).Depth(1))
		tr := mustTraining(t, NewTraining().Optimizer(c.opt, 1e-3))
		s, err := newSession(b, m, tr, []Run{{Target: x, Train: train, Seed: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.theta != nil; got != c.packed {
			t.Errorf("%v %s: packed = %v, want %v", c.shape, c.opt.Name, got, c.packed)
		}
	}
}

// TestCheckpointAcrossLayouts: checkpoints hold the optimizer's state per tensor in either layout, so a run
// saved in one layout resumes in the other and equals one long run bit for bit; a checkpoint whose state does
// not match what the optimizer reads is refused instead of silently restarting that state.
func TestCheckpointAcrossLayouts(t *testing.T) {
	shape := []int{5, 4, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 9)
	train, held := splitMask(shape, 0.7, 1)
	m := mustModel(t, NewModel(shape...).Depth(2).InitStd(0.1))
	run := Run{Target: x, Train: train, HeldOut: held, Seed: 1}
	tr := func(steps int) *Training {
		return mustTraining(t, NewTraining().Adam(1e-2).Steps(steps).RecordEvery(50))
	}
	for _, saveIn := range []bool{false, true} {
		resumeIn := !saveIn
		long := fitLayout(t, resumeIn, m, tr(300), run)
		first := fitLayout(t, saveIn, m, tr(150), run)
		cp := first.Runs[0].Checkpoint
		for _, sv := range cp.State {
			if strings.HasPrefix(sv.Name, thetaName) {
				t.Fatalf("packed=%v: the checkpoint holds the packed variable %s/%s, not per-tensor state", saveIn, sv.Scope, sv.Name)
			}
		}
		r := run
		r.Resume = cp
		second := fitLayout(t, resumeIn, m, tr(150), r)
		sameBits(t, fmt.Sprintf("saved packed=%v, resumed packed=%v: W", saveIn, resumeIn), long.Runs[0].W.Data, second.Runs[0].W.Data)

		// A checkpoint without the second moments: refused, in both layouts.
		for _, packed := range []bool{false, true} {
			broken := *cp
			broken.State = slices.DeleteFunc(slices.Clone(cp.State), func(sv StateVar) bool { return strings.HasSuffix(sv.Name, "_2nd_moment") })
			if len(broken.State) == len(cp.State) {
				t.Fatal("the checkpoint holds no second moments to remove")
			}
			r.Resume = &broken
			packOverride = &packed
			_, err := Fit(m, tr(10), r)
			packOverride = nil
			if err == nil || !strings.Contains(err.Error(), "does not hold") && !strings.Contains(err.Error(), "no ") {
				t.Errorf("packed=%v: resuming without the second moments: want an error naming the missing state, got %v", packed, err)
			}
		}
	}
}
