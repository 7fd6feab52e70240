package study

import (
	"fmt"

	"github.com/deeptucker/deeptucker/datasets"
	dt "github.com/deeptucker/deeptucker/deeptucker"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// Problem is a completion problem with its protocol: the data (at the training scale), the observed entries
// (Train, the paper's Ω: a seeded fraction of the present entries) and the entries scored (HeldOut: present
// but not observed).
type Problem struct {
	Name string
	// Data is the tensor at the training scale: the source divided by Divisor (1 for raw data).
	Data           *datasets.Tensor
	Train, HeldOut *multilinear.Mask
	Divisor        float64
	Observed       float64
	Scale          datasets.DataScale
	SplitSeed      uint64
}

// NewProblem observes the given fraction of the present entries of data (seeded), holds out the rest and
// scales the data as asked (the norm-1 scale is estimated from the observed entries only).
func NewProblem(name string, data *datasets.Tensor, observed float64, scale datasets.DataScale, seed uint64) (*Problem, error) {
	train, heldOut, err := data.Split(observed, seed)
	if err != nil {
		return nil, fmt.Errorf("study: problem %s: %w", name, err)
	}
	scaled, div, err := datasets.Scale(data, train, scale)
	if err != nil {
		return nil, fmt.Errorf("study: problem %s: %w", name, err)
	}
	return &Problem{Name: name, Data: scaled, Train: train, HeldOut: heldOut, Divisor: div, Observed: observed,
		Scale: scale, SplitSeed: seed}, nil
}

// MustProblem is NewProblem for notebook cells.
func MustProblem(name string, data *datasets.Tensor, observed float64, scale datasets.DataScale, seed uint64) *Problem {
	p, err := NewProblem(name, data, observed, scale, seed)
	if err != nil {
		panic(err)
	}
	return p
}

// Shape is the data's shape.
func (p *Problem) Shape() []int { return p.Data.Shape }

// Run is the deeptucker.Run of this problem with a seed, init std and learning rate (0 = the model's and
// the training's).
func (p *Problem) Run(seed uint64, std, lr float64) dt.Run {
	return dt.Run{Target: p.Data.Tensor, Train: p.Train, HeldOut: p.HeldOut, Seed: seed, InitStd: std, LearningRate: lr}
}

// String describes the problem in one line.
func (p *Problem) String() string {
	return fmt.Sprintf("%s: shape %v, %d observed (%.0f%% of present), %d held out, scale %s (÷%.3g)",
		p.Name, p.Data.Shape, p.Train.Count(), 100*p.Observed, p.HeldOut.Count(), p.Scale, p.Divisor)
}
