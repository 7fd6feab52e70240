package main

import (
	"fmt"
	"math/rand/v2"

	"github.com/deeptucker/deeptucker/deeptucker"
	"github.com/deeptucker/deeptucker/deeptucker/internal/testtensor"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// problem is one row of the table: a model, how many copies train in one batch, and the data.
type problem struct {
	Name     string
	Shape    []int
	Depth    int
	Core     int // core size per mode; 0 for the full core (the data's shape)
	Models   int
	Fraction float64 // observed fraction of the entries (the train mask)
	InitStd  float64 // 0 for initStd
	// Window is the number of steps timed for one measurement of our backends on the slowest (go), before
	// calibration: later rounds aim at about -window seconds.
	Window int
}

// problems are the rows of issue 14's table: the paper's 10x10x10 at depth 1, 3 and 4, single and batched,
// and a 50x50x50 problem with a smaller and the full core.
var problems = []problem{
	{Name: "10^3 depth 1, 1 model", Shape: []int{10, 10, 10}, Depth: 1, Models: 1, Fraction: 0.7, Window: 400},
	{Name: "10^3 depth 3, 1 model", Shape: []int{10, 10, 10}, Depth: 3, Models: 1, Fraction: 0.7, Window: 300},
	{Name: "10^3 depth 3, 64 models", Shape: []int{10, 10, 10}, Depth: 3, Models: 64, Fraction: 0.7, Window: 30},
	{Name: "10^3 depth 4, 64 models", Shape: []int{10, 10, 10}, Depth: 4, Models: 64, Fraction: 0.7, Window: 30},
	{Name: "50^3 depth 3, core 10", Shape: []int{50, 50, 50}, Depth: 3, Core: 10, Models: 1, Fraction: 0.3, Window: 30},
	{Name: "50^3 depth 3, full core", Shape: []int{50, 50, 50}, Depth: 3, Models: 1, Fraction: 0.3, Window: 6},
}

// tiny is a problem small enough for the tests: every mode a different size, a core smaller than two modes,
// two models with their own seeds.
// Its larger init makes W, hence the losses, depend strongly on the parameters (at std 0.05, W ≈ 0).
var tiny = problem{Name: "tiny", Shape: []int{4, 5, 3}, Depth: 2, Core: 3, Models: 2, Fraction: 0.6, InitStd: 0.7, Window: 5}

// Adam's settings for every row: GoMLX's defaults for the moments, the project's epsilon.
const (
	learningRate = 1e-3
	beta1        = 0.9
	beta2        = 0.999
	adamEps      = 1e-8
	initStd      = 0.05
)

// model returns the deep Tucker model of the problem.
func (p problem) model() (*deeptucker.Model, error) {
	std := initStd
	if p.InitStd > 0 {
		std = p.InitStd
	}
	b := deeptucker.NewModel(p.Shape...).Depth(p.Depth).InitStd(std)
	if p.Core > 0 {
		core := make([]int, len(p.Shape))
		for n := range core {
			core[n] = min(p.Core, p.Shape[n])
		}
		b.CoreShape(core...)
	}
	return b.Done()
}

// training returns Adam, full batch, float64, with the given step budget and record interval.
func training(steps, recordEvery, stepsPerCall int, onRecord func(int, []deeptucker.Record)) (*deeptucker.Training, error) {
	b := deeptucker.NewTraining().Adam(learningRate).Betas(beta1, beta2).Epsilon(adamEps).Float64().
		Steps(steps).RecordEvery(recordEvery).StepsPerCall(stepsPerCall)
	if onRecord != nil {
		b.OnRecord(onRecord)
	}
	return b.Done()
}

// runs returns the problem's batch: one low-rank target (multilinear rank 3) and one train mask, shared by
// every model, which differ by their seed (1..M).
func (p problem) runs() []deeptucker.Run {
	rank := make([]int, len(p.Shape))
	for n := range rank {
		rank[n] = min(3, p.Shape[n])
	}
	x := testtensor.LowRank(rand.New(rand.NewPCG(1, 1)), p.Shape, rank)
	train := multilinear.NewMask(p.Shape...)
	perm := rand.New(rand.NewPCG(2, 2)).Perm(len(train.Observed))
	k := int(p.Fraction*float64(len(perm)) + 0.5)
	for i, j := range perm {
		train.Observed[j] = i < k
	}
	held := train.Complement()
	runs := make([]deeptucker.Run, p.Models)
	for i := range runs {
		runs[i] = deeptucker.Run{Target: x, Train: train, HeldOut: held, Seed: uint64(i + 1)}
	}
	return runs
}

func (p problem) String() string {
	return fmt.Sprintf("%s (%v, depth %d, core %d, M=%d)", p.Name, p.Shape, p.Depth, p.Core, p.Models)
}
