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
	// Validation, if set (WithValidation), holds observed entries kept out of training for early stopping.
	Validation *multilinear.Mask
	Divisor    float64
	Observed   float64
	Scale      datasets.DataScale
	SplitSeed  uint64
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
	return dt.Run{Target: p.Data.Tensor, Train: p.Train, HeldOut: p.HeldOut, Validation: p.Validation, Seed: seed, InitStd: std, LearningRate: lr}
}

// WithValidation returns a copy of the problem whose given fraction of observed entries (seeded) is moved out
// of training into a validation mask, the early-stopping signal: carved from the observed entries only, so
// the held-out entries stay unseen. The scale is kept (it was estimated from all observed entries).
func (p *Problem) WithValidation(fraction float64, seed uint64) (*Problem, error) {
	present := p.Train
	train, val, err := datasets.SplitMask(present, 1-fraction, seed)
	if err != nil {
		return nil, fmt.Errorf("study: validation split of %s: %w", p.Name, err)
	}
	q := *p
	q.Name = fmt.Sprintf("%s, %.0f%% of observed for validation", p.Name, 100*fraction)
	q.Train, q.Validation = train, val
	return &q, nil
}

// String describes the problem in one line.
func (p *Problem) String() string {
	val := ""
	if p.Validation != nil {
		val = fmt.Sprintf(" (+%d for validation)", p.Validation.Count())
	}
	return fmt.Sprintf("%s: shape %v, %d observed%s (%.0f%% of present), %d held out, scale %s (÷%.3g)",
		p.Name, p.Data.Shape, p.Train.Count(), val, 100*p.Observed, p.HeldOut.Count(), p.Scale, p.Divisor)
}
