package deeptucker

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// Optimizer names the update rule.
type Optimizer int

const (
	// Adam is GoMLX's Adam (optimizers.Adam), the paper's optimizer.
	Adam Optimizer = iota
	// GradientDescent is plain full-batch gradient descent with a constant step, the theory's setting
	// (GoMLX's optimizers.StochasticGradientDescent without decay).
	GradientDescent
)

func (o Optimizer) String() string {
	switch o {
	case Adam:
		return "adam"
	case GradientDescent:
		return "gd"
	}
	return fmt.Sprintf("Optimizer(%d)", int(o))
}

// Training holds how models are trained. Build it with NewTraining()...Done().
type Training struct {
	Optimizer    Optimizer
	LearningRate float64 // per run, Run.LearningRate overrides it
	Beta1, Beta2 float64 // Adam's moment decays
	Epsilon      float64 // Adam's epsilon: with tiny gradients (deep models, small init) it decides whether training moves
	Steps        int     // the step budget
	// Tol is the train-loss tolerance: a run whose loss is <= Tol at a record step stops moving (the others go
	// on), and training stops once every run has; 0 never stops.
	Tol float64
	// RecordEvery is K: diagnostics are recorded at step 0, every K steps and at the last step.
	RecordEvery int
	// BatchSize is the number of observed entries per step and run; 0 means full batch.
	BatchSize int
	// DType is Float64 (default, needed for the theory checks) or Float32.
	DType dtypes.DType
	// ColumnThreshold counts a factor column as active when its squared norm exceeds it (Fig. 4 uses 0.01).
	ColumnThreshold float64
	// Autodiff computes gradients with GoMLX's automatic differentiation instead of the closed-form
	// contractions (gradients.go); slower on the pure-Go backend, kept to check one against the other.
	Autodiff bool
	// OnRecord, if set, is called after each record with the step and one record per run, for progress displays.
	OnRecord func(step int, records []Record)
}

// TrainingBuilder configures Training; finish with Done.
type TrainingBuilder struct {
	t   Training
	err error
}

// NewTraining starts a configuration with Adam (lr 1e-3, betas 0.9/0.999, epsilon 1e-8), 5,000 full-batch steps
// in float64, a record every 100 steps and the 0.01 column threshold of Fig. 4.
func NewTraining() *TrainingBuilder {
	return &TrainingBuilder{t: Training{
		Optimizer: Adam, LearningRate: 1e-3, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8,
		Steps: 5000, RecordEvery: 100, DType: dtypes.Float64, ColumnThreshold: 0.01,
	}}
}

// Adam selects Adam with the given learning rate.
func (b *TrainingBuilder) Adam(learningRate float64) *TrainingBuilder {
	b.t.Optimizer, b.t.LearningRate = Adam, learningRate
	return b
}

// GradientDescent selects plain gradient descent with the given constant step.
func (b *TrainingBuilder) GradientDescent(learningRate float64) *TrainingBuilder {
	b.t.Optimizer, b.t.LearningRate = GradientDescent, learningRate
	return b
}

// Betas sets Adam's moment decays.
func (b *TrainingBuilder) Betas(beta1, beta2 float64) *TrainingBuilder {
	b.t.Beta1, b.t.Beta2 = beta1, beta2
	return b
}

// Epsilon sets Adam's epsilon.
func (b *TrainingBuilder) Epsilon(eps float64) *TrainingBuilder { b.t.Epsilon = eps; return b }

// Steps sets the step budget.
func (b *TrainingBuilder) Steps(n int) *TrainingBuilder { b.t.Steps = n; return b }

// Tol sets the train-loss tolerance at which training stops early.
func (b *TrainingBuilder) Tol(tol float64) *TrainingBuilder { b.t.Tol = tol; return b }

// RecordEvery sets K, the number of steps between diagnostics records.
func (b *TrainingBuilder) RecordEvery(k int) *TrainingBuilder { b.t.RecordEvery = k; return b }

// BatchSize sets mini-batch training with n observed entries per step (0 = full batch).
func (b *TrainingBuilder) BatchSize(n int) *TrainingBuilder { b.t.BatchSize = n; return b }

// Float32 trains in single precision.
func (b *TrainingBuilder) Float32() *TrainingBuilder { b.t.DType = dtypes.Float32; return b }

// Float64 trains in double precision (the default).
func (b *TrainingBuilder) Float64() *TrainingBuilder { b.t.DType = dtypes.Float64; return b }

// ColumnThreshold sets the squared-norm threshold for counting active columns.
func (b *TrainingBuilder) ColumnThreshold(x float64) *TrainingBuilder {
	b.t.ColumnThreshold = x
	return b
}

// Autodiff selects GoMLX's automatic differentiation for the gradients.
func (b *TrainingBuilder) Autodiff() *TrainingBuilder { b.t.Autodiff = true; return b }

// OnRecord sets a callback run after each diagnostics record (progress displays, live plots).
func (b *TrainingBuilder) OnRecord(fn func(step int, records []Record)) *TrainingBuilder {
	b.t.OnRecord = fn
	return b
}

// Done validates the configuration.
func (b *TrainingBuilder) Done() (*Training, error) {
	if b.err != nil {
		return nil, b.err
	}
	t := b.t
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

// Validate returns an error naming the first thing wrong with the configuration.
func (t *Training) Validate() error {
	if t.Optimizer != Adam && t.Optimizer != GradientDescent {
		return fmt.Errorf("deeptucker: unknown optimizer %v", t.Optimizer)
	}
	if err := checkLearningRate(t.LearningRate); err != nil {
		return err
	}
	if t.Optimizer == Adam {
		if !(t.Beta1 >= 0 && t.Beta1 < 1) || !(t.Beta2 >= 0 && t.Beta2 < 1) {
			return fmt.Errorf("deeptucker: Adam betas must be in [0, 1), got %g and %g", t.Beta1, t.Beta2)
		}
		if !(t.Epsilon > 0) || math.IsInf(t.Epsilon, 0) {
			return fmt.Errorf("deeptucker: Adam epsilon must be positive and finite, got %g", t.Epsilon)
		}
	}
	if t.Steps <= 0 {
		return fmt.Errorf("deeptucker: the step budget must be positive, got %d", t.Steps)
	}
	if t.RecordEvery <= 0 {
		return fmt.Errorf("deeptucker: RecordEvery must be positive, got %d", t.RecordEvery)
	}
	if t.BatchSize < 0 {
		return fmt.Errorf("deeptucker: BatchSize must be >= 0 (0 = full batch), got %d", t.BatchSize)
	}
	if t.Tol < 0 || math.IsNaN(t.Tol) {
		return fmt.Errorf("deeptucker: Tol must be >= 0, got %g", t.Tol)
	}
	if t.DType != dtypes.Float64 && t.DType != dtypes.Float32 {
		return fmt.Errorf("deeptucker: dtype must be Float32 or Float64, got %s", t.DType)
	}
	if !(t.ColumnThreshold >= 0) {
		return fmt.Errorf("deeptucker: ColumnThreshold must be >= 0, got %g", t.ColumnThreshold)
	}
	return nil
}

func checkLearningRate(lr float64) error {
	if !(lr > 0) || math.IsInf(lr, 0) {
		return fmt.Errorf("deeptucker: learning rate must be positive and finite, got %g", lr)
	}
	return nil
}
