package deeptucker

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// BatchOrder says how mini-batches walk through a run's observed entries.
type BatchOrder int

const (
	// Shuffled draws a fresh seeded permutation of the observed entries every epoch.
	Shuffled BatchOrder = iota
	// IndexOrder is the authors' cycle: the observed entries in lexicographic index order, cut into batches
	// of BatchSize (the last one of an epoch partial), the same every epoch, never reshuffled.
	IndexOrder
)

func (o BatchOrder) String() string {
	if o == IndexOrder {
		return "index-order"
	}
	return "shuffled"
}

// Training holds how models are trained. Build it with NewTraining()...Done().
type Training struct {
	// Optimizer is the update rule: Adam and GradientDescent are the named defaults, any GoMLX optimizer fits.
	Optimizer Optimizer
	// LearningRate is the step size handed to the optimizer; Run.LearningRate overrides it per run.
	LearningRate float64
	// Steps is the step budget.
	Steps int
	// Tol is the train-loss tolerance: a run whose objective is <= Tol at a record step on the RecordEvery
	// grid (a multiple of RecordEvery) stops moving (the others go on), and training stops once every run has;
	// 0 never stops.
	Tol float64
	// RecordEvery is K: diagnostics are recorded at step 0, every K steps and at the last step.
	RecordEvery int
	// BatchSize is the number of observed entries per step and run; 0 means full batch.
	BatchSize int
	// BatchOrder is how mini-batches walk through the observed entries.
	BatchOrder BatchOrder
	// DType is Float64 (default, needed for the theory checks) or Float32.
	DType dtypes.DType
	// ColumnThreshold counts a factor column as active when its squared norm exceeds it (Fig. 4 uses 0.01).
	ColumnThreshold float64
	// Autodiff computes every gradient with GoMLX's automatic differentiation instead of the closed-form
	// contractions for the squared-error data term; slower on the pure-Go backend, kept to check one
	// against the other.
	Autodiff bool
	// DataTerm, if set, replaces the paper's squared error (2) as the data term of the objective; its
	// gradient is then taken by autodiff (the closed form covers the squared error only).
	DataTerm *Term
	// Terms are added to the objective (penalties, reweightings, another data term); their gradients are
	// taken by autodiff and added to the closed-form gradient of the data term.
	Terms []Term
	// Diagnostics are recorded with the built-in ones every RecordEvery steps, in Record.Extra.
	Diagnostics []Diagnostic
	// MemoryLimit caps the memory a Fit may need, in bytes; 0 means the memory the system reports available.
	MemoryLimit int64
	// StepsPerCall is how many training steps one compiled call runs (unrolled in one graph); it must divide
	// RecordEvery and be at most 64. 0 chooses: one step per call for short Fits, up to 16 for long ones. It
	// changes speed and compile time, not what is computed: the steps are the same operations in the same
	// order (bit for bit on the go backend; XLA may fuse an unrolled graph with other rounding, as another
	// backend would), so, like the backend, it is not part of a run's results key.
	StepsPerCall int
	// OnRecord, if set, is called after each record with the step and one record per run (progress displays): a
	// copy, which it may change without changing the runs' history.
	OnRecord func(step int, records []Record)
}

// TrainingBuilder configures Training; finish with Done.
type TrainingBuilder struct {
	t                     Training
	adam                  adamFlavour // a built-in Adam, rebuilt at Done from the three values below
	beta1, beta2, epsilon float64
	epsilonSet            bool // Epsilon was called: the flavour's default no longer applies
	err                   error
}

// NewTraining starts a configuration with Adam (lr 1e-3, betas 0.9/0.999, epsilon 1e-8), 5,000 full-batch steps
// in float64, a record every 100 steps and the 0.01 column threshold of Fig. 4.
func NewTraining() *TrainingBuilder {
	return &TrainingBuilder{
		t:    Training{LearningRate: 1e-3, Steps: 5000, RecordEvery: 100, DType: dtypes.Float64, ColumnThreshold: 0.01},
		adam: gomlxAdam, beta1: 0.9, beta2: 0.999, epsilon: 1e-8,
	}
}

// adamFlavour is which built-in Adam a TrainingBuilder trains with, if any.
type adamFlavour int

const (
	notAdam   adamFlavour = iota
	gomlxAdam             // Adam: GoMLX's, epsilon added to the bias-corrected root (PyTorch's too)
	kerasAdam             // KerasAdam: epsilon added to the uncorrected root (the authors' code)
)

func (b *TrainingBuilder) fail(format string, args ...any) *TrainingBuilder {
	if b.err == nil {
		b.err = fmt.Errorf("deeptucker: "+format, args...)
	}
	return b
}

// Adam selects GoMLX's Adam with the given learning rate (betas and epsilon from Betas and Epsilon; epsilon
// 1e-8 unless set).
func (b *TrainingBuilder) Adam(learningRate float64) *TrainingBuilder {
	b.adam, b.t.LearningRate = gomlxAdam, learningRate
	if !b.epsilonSet {
		b.epsilon = 1e-8
	}
	return b
}

// KerasAdam selects TensorFlow/Keras' Adam, the authors' optimizer (see the function KerasAdam), with the given
// learning rate (betas and epsilon from Betas and Epsilon; epsilon Keras' 1e-7 unless set).
func (b *TrainingBuilder) KerasAdam(learningRate float64) *TrainingBuilder {
	b.adam, b.t.LearningRate = kerasAdam, learningRate
	if !b.epsilonSet {
		b.epsilon = 1e-7
	}
	return b
}

// GradientDescent selects plain gradient descent with the given constant step, the theory's setting.
func (b *TrainingBuilder) GradientDescent(learningRate float64) *TrainingBuilder {
	b.adam, b.t.Optimizer, b.t.LearningRate = notAdam, GradientDescent(), learningRate
	return b
}

// Optimizer selects any optimizer, trained at the given learning rate: this package's Adam(...), KerasAdam(...),
// GradientDescent(), or one of GoMLX's or your own, named, e.g. NewOptimizer("rmsprop", func(lr float64)
// optimizers.Interface { return optimizers.RMSProp().LearningRate(lr).Done() }). Betas and Epsilon then no longer
// apply: the optimizer given carries its own.
func (b *TrainingBuilder) Optimizer(opt Optimizer, learningRate float64) *TrainingBuilder {
	b.adam, b.t.Optimizer, b.t.LearningRate = notAdam, opt, learningRate
	return b
}

// Betas sets Adam's moment decays.
func (b *TrainingBuilder) Betas(beta1, beta2 float64) *TrainingBuilder {
	if b.adam == notAdam {
		return b.fail("Betas applies to the builder's Adam or KerasAdam; set them in the optimizer given to Optimizer (%s), "+
			"or select .Adam(lr) or .KerasAdam(lr) before .Betas", b.t.Optimizer.Name)
	}
	b.beta1, b.beta2 = beta1, beta2
	return b
}

// Epsilon sets Adam's epsilon: with tiny gradients (deep models, small init) it decides whether training moves.
func (b *TrainingBuilder) Epsilon(eps float64) *TrainingBuilder {
	if b.adam == notAdam {
		return b.fail("Epsilon applies to the builder's Adam or KerasAdam; set it in the optimizer given to Optimizer (%s), "+
			"or select .Adam(lr) or .KerasAdam(lr) before .Epsilon", b.t.Optimizer.Name)
	}
	b.epsilon, b.epsilonSet = eps, true
	return b
}

// LearningRate sets the learning rate of whichever optimizer is selected.
func (b *TrainingBuilder) LearningRate(lr float64) *TrainingBuilder { b.t.LearningRate = lr; return b }

// Steps sets the step budget.
func (b *TrainingBuilder) Steps(n int) *TrainingBuilder { b.t.Steps = n; return b }

// Tol sets the train-loss tolerance at which a run stops.
func (b *TrainingBuilder) Tol(tol float64) *TrainingBuilder { b.t.Tol = tol; return b }

// RecordEvery sets K, the number of steps between diagnostics records.
func (b *TrainingBuilder) RecordEvery(k int) *TrainingBuilder { b.t.RecordEvery = k; return b }

// BatchSize sets mini-batch training with n observed entries per step (0 = full batch).
func (b *TrainingBuilder) BatchSize(n int) *TrainingBuilder { b.t.BatchSize = n; return b }

// BatchOrder sets how mini-batches walk through the observed entries.
func (b *TrainingBuilder) BatchOrder(o BatchOrder) *TrainingBuilder { b.t.BatchOrder = o; return b }

// Float32 trains in single precision.
func (b *TrainingBuilder) Float32() *TrainingBuilder { b.t.DType = dtypes.Float32; return b }

// Float64 trains in double precision (the default).
func (b *TrainingBuilder) Float64() *TrainingBuilder { b.t.DType = dtypes.Float64; return b }

// ColumnThreshold sets the squared-norm threshold for counting active columns.
func (b *TrainingBuilder) ColumnThreshold(x float64) *TrainingBuilder {
	b.t.ColumnThreshold = x
	return b
}

// Autodiff selects GoMLX's automatic differentiation for every gradient.
func (b *TrainingBuilder) Autodiff() *TrainingBuilder { b.t.Autodiff = true; return b }

// DataTerm replaces the squared-error data term of the objective (autodiff gradients).
func (b *TrainingBuilder) DataTerm(term Term) *TrainingBuilder { b.t.DataTerm = &term; return b }

// AddTerm adds a term to the objective, e.g. an L1 penalty on the core (see Term).
func (b *TrainingBuilder) AddTerm(term Term) *TrainingBuilder {
	b.t.Terms = append(b.t.Terms, term)
	return b
}

// AddDiagnostic adds a named diagnostic recorded every RecordEvery steps.
func (b *TrainingBuilder) AddDiagnostic(d Diagnostic) *TrainingBuilder {
	b.t.Diagnostics = append(b.t.Diagnostics, d)
	return b
}

// MemoryLimit caps the memory a Fit may need, in bytes (0 = what the system reports available).
func (b *TrainingBuilder) MemoryLimit(bytes int64) *TrainingBuilder {
	b.t.MemoryLimit = bytes
	return b
}

// StepsPerCall runs k training steps per compiled call (k divides RecordEvery, k <= 64; 0 = automatic, see
// AutoStepsPerCall: up to 16 in long Fits, 8 for steps of more than 64 MFLOP over the runs). A call has a fixed cost
// (launch, buffers) that dominates small models, so unrolling speeds them up, while XLA's compile time grows
// with k (about 0.3 s per unrolled step of a depth-3 10x10x10 model on 2 cores): worth it for long Fits and
// benchmarks of steady-state speed.
func (b *TrainingBuilder) StepsPerCall(k int) *TrainingBuilder {
	b.t.StepsPerCall = k
	return b
}

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
	switch b.adam {
	case gomlxAdam:
		t.Optimizer = Adam(b.beta1, b.beta2, b.epsilon)
	case kerasAdam:
		t.Optimizer = KerasAdam(b.beta1, b.beta2, b.epsilon)
	}
	t.Terms = append([]Term(nil), t.Terms...)
	t.Diagnostics = append([]Diagnostic(nil), t.Diagnostics...)
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}

// Validate returns an error naming the first thing wrong with the configuration.
func (t *Training) Validate() error {
	if err := checkLearningRate(t.LearningRate); err != nil {
		return err
	}
	if err := t.Optimizer.validate(t.LearningRate); err != nil {
		return err
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
	if t.BatchOrder != Shuffled && t.BatchOrder != IndexOrder {
		return fmt.Errorf("deeptucker: unknown batch order %d", t.BatchOrder)
	}
	if !(t.Tol >= 0) || math.IsInf(t.Tol, 0) {
		return fmt.Errorf("deeptucker: Tol must be finite and >= 0 (0: no tolerance), got %g", t.Tol)
	}
	if t.DType != dtypes.Float64 && t.DType != dtypes.Float32 {
		return fmt.Errorf("deeptucker: dtype must be Float32 or Float64, got %s", t.DType)
	}
	if !(t.ColumnThreshold >= 0) {
		return fmt.Errorf("deeptucker: ColumnThreshold must be >= 0, got %g", t.ColumnThreshold)
	}
	if t.StepsPerCall < 0 || t.StepsPerCall > maxExplicitStepsPerCall || (t.StepsPerCall > 0 && t.RecordEvery%t.StepsPerCall != 0) {
		return fmt.Errorf("deeptucker: StepsPerCall %d must be 0 (automatic) or a divisor of RecordEvery (%d) no larger than %d",
			t.StepsPerCall, t.RecordEvery, maxExplicitStepsPerCall)
	}
	if t.MemoryLimit < 0 {
		return fmt.Errorf("deeptucker: MemoryLimit must be >= 0 bytes (0 = available memory), got %d", t.MemoryLimit)
	}
	names := map[string]bool{}
	if t.DataTerm != nil {
		if err := t.DataTerm.validate("data term"); err != nil {
			return err
		}
		names[t.DataTerm.Name] = true
	}
	for _, term := range t.Terms {
		if err := term.validate("term"); err != nil {
			return err
		}
		if names[term.Name] {
			return fmt.Errorf("deeptucker: two objective terms are named %q; names identify them in records and results keys", term.Name)
		}
		names[term.Name] = true
	}
	diag := map[string]bool{}
	for _, d := range t.Diagnostics {
		if err := d.validate(); err != nil {
			return err
		}
		if diag[d.Name] {
			return fmt.Errorf("deeptucker: two diagnostics are named %q", d.Name)
		}
		diag[d.Name] = true
	}
	return nil
}

// closedForm reports whether the data term's gradient uses the closed-form contractions: the squared error
// on a Tucker (non-diagonal) core, unless Autodiff is asked for.
func (t *Training) closedForm(m *Model) bool {
	return !m.Diagonal && !t.Autodiff && t.DataTerm == nil
}

func checkLearningRate(lr float64) error {
	if !(lr > 0) || math.IsInf(lr, 0) {
		return fmt.Errorf("deeptucker: learning rate must be positive and finite, got %g", lr)
	}
	return nil
}
