package deeptucker

import (
	"fmt"
	"math"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// Run is one model to train: its data, observation masks, seed and the hyper-parameters that may differ
// between models trained together in one batch.
type Run struct {
	// Target is the tensor to complete; entries outside Train and HeldOut are never read, so they may be NaN.
	Target *multilinear.Tensor
	// Train marks the observed entries Ω the loss is computed on; it must observe at least one entry.
	Train *multilinear.Mask
	// HeldOut marks the entries the test error is computed on (usually the complement of Train among the
	// entries that exist); nil for none.
	HeldOut *multilinear.Mask
	// Seed makes the run's init (and mini-batch order) reproducible, whatever else trains in the batch.
	Seed uint64
	// InitStd overrides Model.InitStd when > 0.
	InitStd float64
	// LearningRate overrides Training.LearningRate when > 0.
	LearningRate float64
}

// validate checks a run against the model and names what is wrong.
func (r *Run) validate(i int, m *Model) error {
	if r.Target == nil {
		return fmt.Errorf("deeptucker: run %d has no Target tensor", i)
	}
	if !multilinear.SameShape(r.Target.Shape, m.Shape) || len(r.Target.Data) != prod(m.Shape) {
		return fmt.Errorf("deeptucker: run %d: target shape %v does not match the model's shape %v", i, r.Target.Shape, m.Shape)
	}
	if r.Train == nil {
		return fmt.Errorf("deeptucker: run %d has no Train mask", i)
	}
	if err := checkMask(i, "train", r.Train, r.Target); err != nil {
		return err
	}
	if r.Train.Count() == 0 {
		return fmt.Errorf("deeptucker: run %d: the train mask observes no entry; at least one is needed", i)
	}
	if r.HeldOut != nil {
		if err := checkMask(i, "held-out", r.HeldOut, r.Target); err != nil {
			return err
		}
	}
	if r.InitStd < 0 || math.IsNaN(r.InitStd) {
		return fmt.Errorf("deeptucker: run %d: init std must be positive (or 0 for the model's), got %g", i, r.InitStd)
	}
	if r.InitStd > 0 {
		if err := checkStd(r.InitStd); err != nil {
			return fmt.Errorf("run %d: %w", i, err)
		}
	}
	if r.LearningRate != 0 {
		if err := checkLearningRate(r.LearningRate); err != nil {
			return fmt.Errorf("run %d: %w", i, err)
		}
	}
	return nil
}

func checkMask(i int, name string, mask *multilinear.Mask, target *multilinear.Tensor) error {
	if err := mask.CheckFits(target); err != nil {
		return fmt.Errorf("deeptucker: run %d: %s mask shape %v does not match target shape %v", i, name, mask.Shape, target.Shape)
	}
	for k, observed := range mask.Observed {
		if observed && (math.IsNaN(target.Data[k]) || math.IsInf(target.Data[k], 0)) {
			idx := unravel(k, target.Shape)
			return fmt.Errorf("deeptucker: run %d: target entry %v is %g but the %s mask selects it; mark missing entries as unobserved",
				i, idx, target.Data[k], name)
		}
	}
	return nil
}

func prod(xs []int) int {
	p := 1
	for _, x := range xs {
		p *= x
	}
	return p
}

func unravel(flat int, shape []int) []int {
	idx := make([]int, len(shape))
	for n := len(shape) - 1; n >= 0; n-- {
		idx[n] = flat % shape[n]
		flat /= shape[n]
	}
	return idx
}
