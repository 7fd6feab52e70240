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

// BenchmarkTrainStepAutodiff is BenchmarkTrainStep's depth-3 case with GoMLX's autodiff gradients instead of
// the closed-form contractions, to measure what the latter save.
func BenchmarkTrainStepAutodiff(b *testing.B) {
	shape := []int{10, 10, 10}
	x := lowRankTarget(b, shape, []int{3, 3, 3}, 1)
	train, held := splitMask(shape, 0.7, 2)
	for _, models := range []int{1, 64} {
		b.Run(fmt.Sprintf("10x10x10/depth=3/models=%d", models), func(b *testing.B) {
			benchmarkFit(b, shape, 3, models, Run{Target: x, Train: train, HeldOut: held}, autodiff)
		})
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
			benchmarkFit(b, shape, 3, 1, Run{Target: x, Train: train, HeldOut: held}, coreSize(core))
		})
	}
}

type benchOption func(*ModelBuilder, *TrainingBuilder)

func autodiff(_ *ModelBuilder, t *TrainingBuilder) { t.Autodiff() }

func coreSize(r int) benchOption {
	return func(m *ModelBuilder, _ *TrainingBuilder) { m.CoreShape(r, r, r) }
}

func benchmarkFit(b *testing.B, shape []int, depth, models int, run Run, opts ...benchOption) {
	mb := NewModel(shape...).Depth(depth).InitStd(0.05)
	runs := make([]Run, models)
	for i := range runs {
		runs[i] = run
		runs[i].Seed = uint64(i + 1)
	}
	steps := max(b.N, 2)
	tb := NewTraining().Adam(1e-3).Steps(steps).RecordEvery(steps)
	for _, opt := range opts {
		opt(mb, tb)
	}
	m, tr := mustModel(b, mb), mustTraining(b, tb)
	b.ResetTimer()
	res, err := Fit(m, tr, runs...)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.StepsPerSecond, "steps/s")
	b.ReportMetric(res.StepsPerSecond*float64(models), "model-steps/s")
}
