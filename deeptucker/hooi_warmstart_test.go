package deeptucker

import (
	"testing"

	"github.com/deeptucker/deeptucker/deeptucker/hooi"
)

// TestHOOIWarmStartFromRun: a trained run's Core and Factors (nil for a mode of depth 0, whose core
// keeps its full size d_n) start HOOI as hooi.WithInitTucker documents: with no iteration HOOI
// returns the run's completion W, and HOOI then runs from there on the run's training mask.
func TestHOOIWarmStartFromRun(t *testing.T) {
	shape := []int{6, 5, 4}
	x := lowRankTarget(t, shape, []int{3, 2, 2}, 31)
	train, held := splitMask(shape, 0.7, 32)
	for _, c := range []struct {
		depths, core []int
	}{{[]int{1, 1, 1}, []int{3, 2, 2}}, {[]int{0, 1, 2}, []int{6, 2, 2}}} {
		m := mustModel(t, NewModel(shape...).Depths(c.depths...).CoreShape(c.core...))
		res, err := Fit(m, mustTraining(t, NewTraining().Adam(1e-2).Steps(200).RecordEvery(100)),
			Run{Target: x, Train: train, HeldOut: held, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		run := res.Runs[0]
		start := hooi.WithInitTucker(run.Core, run.Factors...)
		h0, err := hooi.Tucker(x, c.core, hooi.WithMask(train), start, hooi.WithMaxIter(0))
		if err != nil {
			t.Fatal(err)
		}
		if d := maxAbsDiff(h0.Reconstruct().Data, run.W.Data); d > 1e-12*run.W.Norm() {
			t.Errorf("depths %v: HOOI's start differs from the run's W by %.3g", c.depths, d)
		}
		h, err := hooi.Tucker(x, c.core, hooi.WithMask(train), start)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("depths %v, core %v: HOOI from the run, %d iterations, last rec_error %.3g",
			c.depths, c.core, h.Iterations, h.RecErrors[len(h.RecErrors)-1])
	}
}
