package deeptucker

import (
	"fmt"
	"testing"
)

// BenchmarkTrainStep measures training steps per second on the paper's 10x10x10 problem at depths 1-4, for one
// model and for 64 models batched in one step. ns/op is the time of one step (compilation amortised over b.N);
// steps/s is taken from the median step, and model-steps/s multiplies it by the number of models.
//
//	go test -run XXX -bench TrainStep ./deeptucker/
func BenchmarkTrainStep(b *testing.B) {
	shape := []int{10, 10, 10}
	x := lowRankTarget(b, shape, []int{3, 3, 3}, 1)
	train, held := splitMask(shape, 0.7, 2)
	for _, models := range []int{1, 64} {
		for _, depth := range []int{1, 2, 3, 4} {
			b.Run(fmt.Sprintf("10x10x10/depth=%d/models=%d", depth, models), func(b *testing.B) {
				benchmarkFit(b, shape, depth, models, Run{Target: x, Train: train, HeldOut: held})
			})
		}
	}
}

// BenchmarkTrainStepLarge is the 50x50x50 depth-3 problem, with a smaller core (10 per mode) as the
// CoreShape option intends for larger modes, and the full core.
func BenchmarkTrainStepLarge(b *testing.B) {
	shape := []int{50, 50, 50}
	x := lowRankTarget(b, shape, []int{3, 3, 3}, 1)
	train, held := splitMask(shape, 0.3, 2)
	for _, core := range []int{10, 50} {
		b.Run(fmt.Sprintf("50x50x50/depth=3/core=%d/models=1", core), func(b *testing.B) {
			benchmarkFit(b, shape, 3, 1, Run{Target: x, Train: train, HeldOut: held}, core)
		})
	}
}

func benchmarkFit(b *testing.B, shape []int, depth, models int, run Run, core ...int) {
	mb := NewModel(shape...).Depth(depth).InitStd(0.05)
	if len(core) > 0 {
		mb = mb.CoreShape(core[0], core[0], core[0])
	}
	m := mustModel(b, mb)
	runs := make([]Run, models)
	for i := range runs {
		runs[i] = run
		runs[i].Seed = uint64(i + 1)
	}
	steps := max(b.N, 2)
	tr := mustTraining(b, NewTraining().Adam(1e-3).Steps(steps).RecordEvery(steps))
	b.ResetTimer()
	res, err := Fit(m, tr, runs...)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.StepsPerSecond, "steps/s")
	b.ReportMetric(res.StepsPerSecond*float64(models), "model-steps/s")
}
