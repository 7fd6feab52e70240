package deeptucker

import (
	"math"
	"testing"

	"github.com/deeptucker/deeptucker/deeptucker/metrics"
)

// TestRecordR2IsScikitLearns: Record.HeldOutR2 (and the validation and all-entries R2) is scikit-learn's r2_score,
// as package metrics computes it on the final W: held-out targets that are all equal give 0 for an inexact
// completion (force_finite), not -Inf; a single held-out entry, where r2_score is not defined, gives NaN.
func TestRecordR2IsScikitLearns(t *testing.T) {
	shape := []int{3, 3, 3}
	m := mustModel(t, NewModel(shape...).Depth(1).InitStd(0.3))
	tr := mustTraining(t, NewTraining().Adam(1e-2).Steps(4).RecordEvery(2))
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 4)
	train, held := splitMask(shape, 0.7, 1)
	constant := x.Clone()
	for i, h := range held.Observed {
		if h {
			constant.Data[i] = 0.25
		}
	}
	res := mustFit(t, m, tr, Run{Target: constant, Train: train, HeldOut: held, Validation: nil, Seed: 1})
	f := res.Runs[0].Final()
	want, err := metrics.R2(res.Runs[0].W, constant, held)
	if err != nil {
		t.Fatal(err)
	}
	if f.HeldOutR2 != want {
		t.Errorf("constant held-out targets: Record.HeldOutR2 = %g, metrics.R2 (scikit-learn) = %g", f.HeldOutR2, want)
	}

	one := held.Clone()
	seen := false
	for i, h := range one.Observed {
		one.Observed[i] = h && !seen
		seen = seen || h
	}
	res = mustFit(t, m, tr, Run{Target: x, Train: train, HeldOut: one, Seed: 1})
	if r2 := res.Runs[0].Final().HeldOutR2; !math.IsNaN(r2) {
		t.Errorf("one held-out entry: Record.HeldOutR2 = %g, want NaN (r2_score is not defined for one sample)", r2)
	}
}
