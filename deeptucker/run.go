package deeptucker

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"

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
	// Validation, if set, marks observed entries kept out of training to choose a stopping point (early
	// stopping): Record.ValidationMSE and ValidationR2 are computed on them. It must not overlap Train or
	// HeldOut; carve it from the observed entries, never from the held-out ones.
	Validation *multilinear.Mask
	// Seed makes the run's init (and mini-batch order) reproducible, whatever else trains in the batch.
	Seed uint64
	// InitStd overrides Model.InitStd when > 0.
	InitStd float64
	// LearningRate overrides Training.LearningRate when > 0.
	LearningRate float64
	// Start, if set, replaces the drawn start: training begins from these parameters (a previous
	// RunResult.Params, or FromTucker of HOSVD/HOOI factors) with a fresh optimizer state.
	Start *Params
	// Resume, if set, continues a previous run: its parameters, optimizer state and step count (from
	// RunResult.Checkpoint), so training in chunks equals one long run. It excludes Start. The Training's
	// Tol may be the checkpoint's or lower (a converged run then unfreezes), never higher: see Checkpoint.Tol.
	Resume *Checkpoint
}

// startStep is the number of steps done before this Fit.
func (r *Run) startStep() int {
	if r.Resume != nil {
		return r.Resume.Step
	}
	return 0
}

func (r *Run) learningRate(t *Training) float64 {
	if r.LearningRate > 0 {
		return r.LearningRate
	}
	return t.LearningRate
}

// startParams returns the run's starting parameters: resumed, given, or drawn by the model's init scheme.
func (r *Run) startParams(i int, m *Model) (*Params, error) {
	switch {
	case r.Resume != nil:
		return r.Resume.Params, nil
	case r.Start != nil:
		return r.Start, nil
	}
	std := m.InitStd
	if r.InitStd > 0 {
		std = r.InitStd
	}
	p, err := drawStart(m, r.Seed, std)
	if err != nil {
		return nil, fmt.Errorf("deeptucker: run %d: init scheme %q: %w", i, m.Init.Name, err)
	}
	if err := p.Check(m); err != nil {
		return nil, fmt.Errorf("deeptucker: run %d: init scheme %q drew unusable parameters: %w", i, m.Init.Name, err)
	}
	return p, nil
}

// drawStart calls the model's init scheme, turning a panic in it (a user's Draw function) into an error, so that
// SpecOf and Behaviour, which draw outside Fit's recovery, report it as Fit does.
func drawStart(m *Model, seed uint64, std float64) (p *Params, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("panicked: %v", r)
		}
	}()
	if p, err = m.Init.Draw(m, seed, std); err == nil && p == nil {
		err = errors.New("returned no parameters and no error")
	}
	return p, err
}

// validate checks a run against the model and names what is wrong.
func (r *Run) validate(i int, m *Model, t *Training) error {
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
		for k, h := range r.HeldOut.Observed {
			if h && r.Train.Observed[k] {
				return fmt.Errorf("deeptucker: run %d: entry %v is in both the train and the held-out mask; held-out entries must be unobserved (use Mask.Complement)",
					i, unravel(k, r.Target.Shape))
			}
		}
	}
	if r.Validation != nil {
		if err := checkMask(i, "validation", r.Validation, r.Target); err != nil {
			return err
		}
		for k, v := range r.Validation.Observed {
			if v && (r.Train.Observed[k] || (r.HeldOut != nil && r.HeldOut.Observed[k])) {
				return fmt.Errorf("deeptucker: run %d: entry %v is in the validation mask and in the train or held-out mask; the three must be disjoint",
					i, unravel(k, r.Target.Shape))
			}
		}
	}
	if err := checkRange(i, r, t); err != nil {
		return err
	}
	if r.Start != nil && r.Resume != nil {
		return fmt.Errorf("deeptucker: run %d sets both Start and Resume; Resume already holds the parameters", i)
	}
	if r.Start != nil {
		if err := r.Start.Check(m); err != nil {
			return fmt.Errorf("run %d: Start: %w", i, err)
		}
	}
	if c := r.Resume; c != nil {
		if err := c.check(m, t); err != nil {
			return fmt.Errorf("run %d: Resume: %w", i, err)
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

// checkRange refuses data whose loss would overflow the training dtype: in float32 a sum of squares above
// ~3.4e38 is infinite, which would otherwise look like a divergence at step 0.
func checkRange(i int, r *Run, t *Training) error {
	limit := math.MaxFloat64
	if t.DType == dtypes.Float32 {
		limit = math.MaxFloat32
	}
	ss := 0.0
	for k, v := range r.Target.Data {
		if r.reads(k) {
			ss += v * v
		}
	}
	if !(ss < limit/4) {
		return fmt.Errorf("deeptucker: run %d: the data's sum of squares (%.3g) overflows %s (max %.3g); rescale the data (e.g. divide by its norm) or train in float64",
			i, ss, t.DType, limit)
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

// reads reports whether the run reads entry k of its target (train, held-out or validation).
func (r *Run) reads(k int) bool {
	return r.Train.Observed[k] || (r.HeldOut != nil && r.HeldOut.Observed[k]) || (r.Validation != nil && r.Validation.Observed[k])
}
