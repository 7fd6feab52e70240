package study

import (
	"fmt"

	"github.com/deeptucker/deeptucker/datasets"
	dt "github.com/deeptucker/deeptucker/deeptucker"
)

// Regime is a named set of training settings, written with the deeptucker builders: Model and Training
// return fresh builders that a notebook cell may change further (.Steps(2500), .Epsilon(1e-8), .AddTerm(...)),
// and Scale is the data scale the regime trains at.
type Regime struct {
	Name     string
	Model    func(shape []int, depth int) *dt.ModelBuilder
	Training func() *dt.TrainingBuilder
	Scale    datasets.DataScale
}

// String describes the regime in one line from what its builders produce.
func (r Regime) String() string {
	m, err := r.Model([]int{2, 2}, 1).Done()
	if err != nil {
		return r.Name + ": " + err.Error()
	}
	t, err := r.Training().Done()
	if err != nil {
		return r.Name + ": " + err.Error()
	}
	batch := "full batch"
	if t.BatchSize > 0 {
		batch = fmt.Sprintf("batches of %d (%s)", t.BatchSize, t.BatchOrder)
	}
	return fmt.Sprintf("%s: %s init std %g, %s lr %g, %s, %s, %d steps, data %s", r.Name, m.Init.Name, m.InitStd,
		t.Optimizer.Name, t.LearningRate, t.DType, batch, t.Steps, r.Scale)
}

// Shows is the regime under which this project found the implicit regularization (notebooks 01-02): the
// authors' balanced init with std 0.005, Adam (GoMLX's, epsilon 1e-10) at lr 0.01, float64, full batch, 6,000
// steps, data at Frobenius norm 1.
var Shows = Regime{
	Name: "shows",
	Model: func(shape []int, depth int) *dt.ModelBuilder {
		return dt.NewModel(shape...).Depth(depth).Balanced(0.005)
	},
	Training: func() *dt.TrainingBuilder {
		return dt.NewTraining().Adam(0.01).Epsilon(1e-10).Steps(6000).RecordEvery(600)
	},
	Scale: datasets.ScaleNorm1,
}

// Authors is the authors' own set-up as their public code runs it: balanced init (std·D·ln(D+1)), Keras'
// Adam (epsilon 1e-7 on the un-bias-corrected moment), float32, mini-batches of 128 observed entries in
// index order (the last one partial, never reshuffled), raw data scale, 25,000 epochs (EpochSteps). The init
// std 0.01 and lr 0.001 are the values at which every depth trains on the real data.
var Authors = Regime{
	Name: "authors",
	Model: func(shape []int, depth int) *dt.ModelBuilder {
		return dt.NewModel(shape...).Depth(depth).Balanced(0.01)
	},
	Training: func() *dt.TrainingBuilder {
		return dt.NewTraining().KerasAdam(0.001).Float32().
			BatchSize(AuthorsBatch).BatchOrder(dt.IndexOrder).Steps(25000).RecordEvery(2500)
	},
	Scale: datasets.ScaleRaw,
}

// AuthorsBatch is the authors' mini-batch size, in observed entries.
const AuthorsBatch = 128

// EpochSteps is the step budget of the given number of epochs over nTrain observed entries in batches of
// AuthorsBatch, counted as the authors' Keras set-up counts them: int(nTrain / 128) steps per epoch (at least 1).
func EpochSteps(nTrain, epochs int) int { return epochs * max(1, nTrain/AuthorsBatch) }

// GradientFlow is the theory's setting: plain gradient descent (a small constant step approximates the
// gradient flow of section 4), float64, full batch, balanced init.
var GradientFlow = Regime{
	Name: "gradient-flow",
	Model: func(shape []int, depth int) *dt.ModelBuilder {
		return dt.NewModel(shape...).Depth(depth).Balanced(0.05)
	},
	Training: func() *dt.TrainingBuilder { return dt.NewTraining().GradientDescent(1).Steps(2000).RecordEvery(40) },
	Scale:    datasets.ScaleNorm1,
}

// Models returns one model per depth for data of the given shape, with change applied to each builder
// (nil for none): jobs that share a model train in one batch.
func (r Regime) Models(shape []int, depths []int, change func(*dt.ModelBuilder) *dt.ModelBuilder) (map[int]*dt.Model, error) {
	out := map[int]*dt.Model{}
	for _, d := range depths {
		b := r.Model(shape, d)
		if change != nil {
			b = change(b)
		}
		m, err := b.Done()
		if err != nil {
			return nil, fmt.Errorf("study: regime %s, depth %d: %w", r.Name, d, err)
		}
		out[d] = m
	}
	return out, nil
}
