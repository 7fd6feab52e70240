package deeptucker

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// Checkpoint is everything needed to continue a run exactly where it stopped: its parameters, its
// optimizer's state and the step count. Pass it as Run.Resume; training in chunks then equals one long run
// (bit for bit on the go backend). It is plain data (JSON-encodable), so it can be stored between cells.
type Checkpoint struct {
	// Step is the number of steps done.
	Step   int
	Params *Params
	// Optimizer and DType are the optimizer's name and the dtype it was saved with; resuming with another
	// is refused, since the saved state would mean something else.
	Optimizer string
	DType     dtypes.DType
	// ConvergedStep is the step at which the run reached the tolerance (-1 if not): it stays frozen.
	ConvergedStep int
	// State holds the optimizer's variables (moments, step counters).
	State []StateVar
}

// StateVar is one optimizer variable: this run's slice of it when it has a leading model axis (PerRun),
// or the whole value (e.g. a step counter) otherwise.
type StateVar struct {
	Scope, Name string
	PerRun      bool
	Shape       []int // without the model axis when PerRun
	DType       dtypes.DType
	Values      []float64
}

func (c *Checkpoint) check(m *Model, t *Training) error {
	if c.Step <= 0 {
		return fmt.Errorf("deeptucker: a checkpoint at step %d has nothing to resume; use Run.Start for parameters", c.Step)
	}
	if c.Optimizer != t.Optimizer.Name || c.DType != t.DType {
		return fmt.Errorf("deeptucker: checkpoint saved by optimizer %q in %s cannot resume with %q in %s; use Run.Start with its Params to restart the optimizer",
			c.Optimizer, c.DType, t.Optimizer.Name, t.DType)
	}
	return c.Params.Check(m)
}

// isOurs reports whether a context variable is one of the session's own (parameters, data, bookkeeping),
// rather than the optimizer's state.
func isOurs(scope string) bool {
	return strings.HasPrefix(scope, "/deeptucker") || strings.HasPrefix(scope, "/data")
}

// restoreOptimizerState creates the optimizer's variables with the resumed runs' values before the
// optimizer builds its graph; it then finds them in place and carries on (stepsGraph checks that it did).
// Checkpoints hold the state per parameter tensor whatever the layout; a packed session packs it first.
func (s *session) restoreOptimizerState() error {
	if s.runs[0].Resume == nil {
		return nil
	}
	states := make([][]StateVar, s.numRuns)
	for i, r := range s.runs {
		states[i] = r.Resume.State
		if s.theta != nil {
			var err error
			if states[i], err = s.packState(states[i]); err != nil {
				return fmt.Errorf("deeptucker: run %d's checkpoint: %w", i, err)
			}
		}
	}
	for _, sv := range states[0] {
		var values []float64
		dims := sv.Shape
		if sv.PerRun {
			dims = append([]int{s.numRuns}, sv.Shape...)
			for i := range s.runs {
				v, ok := findState(states[i], sv.Scope, sv.Name)
				if !ok || len(v.Values) != len(sv.Values) {
					return fmt.Errorf("deeptucker: run %d's checkpoint lacks optimizer state %s/%s that run 0's has; resume them in separate Fit calls", i, sv.Scope, sv.Name)
				}
				values = append(values, v.Values...)
			}
		} else {
			values = sv.Values
			for i := range s.runs {
				v, ok := findState(states[i], sv.Scope, sv.Name)
				if !ok || !slices.Equal(v.Values, sv.Values) {
					return fmt.Errorf("deeptucker: runs 0 and %d resume with different shared optimizer state %s/%s; resume them in separate Fit calls", i, sv.Scope, sv.Name)
				}
			}
		}
		t, err := typedTensor(sv.DType, values, dims)
		if err != nil {
			return err
		}
		v := s.ctx.InAbsPath(sv.Scope).Checked(false).VariableWithValue(sv.Name, t).SetTrainable(false)
		s.restored = append(s.restored, v)
	}
	return nil
}

// checkRestoredState panics (an error at Fit) when a resumed step and the checkpoints disagree on the
// optimizer's state: a restored variable the step does not read, or a state variable it reads that no
// checkpoint held. Either way the optimizer would start that state afresh, and the resumed run would silently
// differ from the run it continues.
func (s *session) checkRestoredState(g *Graph) {
	if s.runs[0].Resume == nil {
		return
	}
	restored := make(map[*context.Variable]bool, len(s.restored))
	for _, v := range s.restored {
		restored[v] = true
		if !v.InUseByGraph(g) {
			panic(fmt.Sprintf("deeptucker: the checkpoint's optimizer state %s is not read by optimizer %s, which would "+
				"restart it; resume with the optimizer that saved the checkpoint, or restart it with Run.Start", v.ScopeAndName(), s.training.Optimizer.Name))
		}
	}
	for v := range s.ctx.IterVariables() {
		if isOptimizerState(v) && v.InUseByGraph(g) && !restored[v] {
			panic(fmt.Sprintf("deeptucker: optimizer %s reads state %s that the checkpoint does not hold, and would start it "+
				"afresh; resume from a checkpoint this optimizer saved, or restart it with Run.Start", s.training.Optimizer.Name, v.ScopeAndName()))
		}
	}
}

// isOptimizerState reports whether a context variable is the optimizer's state, saved in checkpoints: not one
// of the session's own (parameters, data, bookkeeping) nor the learning rate, which is the resuming Fit's.
func isOptimizerState(v *context.Variable) bool {
	return !isOurs(v.Scope()) && !v.Trainable && v.Name() != optimizers.ParamLearningRate
}

// packState turns per-tensor optimizer state (as checkpoints hold it) into the packed layout's: for every
// per-run variable named after the core (core<suffix>, e.g. Adam's core_1st_moment), the variables
// <piece><suffix> of every piece are concatenated into theta<suffix>. Other state (step counters) is kept.
func (s *session) packState(states []StateVar) ([]StateVar, error) {
	core, P := s.pieces[0], s.packedSize()
	used := make([]bool, len(states))
	var out []StateVar
	for _, sv := range states {
		if !sv.PerRun || !strings.HasPrefix(sv.Name, core.name) || !slices.Equal(sv.Shape, core.dims) {
			continue
		}
		suffix := sv.Name[len(core.name):]
		packed := StateVar{Scope: sv.Scope, Name: thetaName + suffix, PerRun: true, Shape: []int{P}, DType: sv.DType, Values: make([]float64, P)}
		for _, p := range s.pieces {
			j := slices.IndexFunc(states, func(x StateVar) bool {
				return x.PerRun && x.Scope == sv.Scope && x.Name == p.name+suffix && slices.Equal(x.Shape, p.dims)
			})
			if j < 0 {
				return nil, fmt.Errorf("its optimizer state has %s/%s but no %s/%s of shape %v: it was not saved for this model's parameters",
					sv.Scope, sv.Name, sv.Scope, p.name+suffix, p.dims)
			}
			copy(packed.Values[p.offset:p.offset+p.size], states[j].Values)
			used[j] = true
		}
		out = append(out, packed)
	}
	for j, sv := range states {
		if !used[j] {
			out = append(out, sv)
		}
	}
	return out, nil
}

// splitState is packState's inverse for one run's state read from a packed session.
func (s *session) splitState(sv StateVar) []StateVar {
	if s.theta == nil || !sv.PerRun || !strings.HasPrefix(sv.Name, thetaName) || !slices.Equal(sv.Shape, []int{s.packedSize()}) {
		return []StateVar{sv}
	}
	suffix := sv.Name[len(thetaName):]
	out := make([]StateVar, len(s.pieces))
	for k, p := range s.pieces {
		out[k] = StateVar{Scope: sv.Scope, Name: p.name + suffix, PerRun: true, Shape: slices.Clone(p.dims), DType: sv.DType,
			Values: slices.Clone(sv.Values[p.offset : p.offset+p.size])}
	}
	return out
}

func findState(states []StateVar, scope, name string) (StateVar, bool) {
	for _, v := range states {
		if v.Scope == scope && v.Name == name {
			return v, true
		}
	}
	return StateVar{}, false
}

// optimizerState reads the optimizer's variables, per run.
func (s *session) optimizerState() ([][]StateVar, error) {
	out := make([][]StateVar, s.numRuns)
	for v := range s.ctx.IterVariables() {
		if !isOptimizerState(v) {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return nil, err
		}
		values, err := anyToFloat64s(t)
		if err != nil {
			return nil, fmt.Errorf("deeptucker: optimizer variable %s: %w", v.ScopeAndName(), err)
		}
		dims := t.Shape().Dimensions
		perRun := len(dims) > 0 && dims[0] == s.numRuns
		for i := range s.numRuns {
			sv := StateVar{Scope: v.Scope(), Name: v.Name(), PerRun: perRun, DType: t.DType(), Shape: append([]int(nil), dims...), Values: values}
			if perRun {
				width := len(values) / s.numRuns
				sv.Shape = append([]int(nil), dims[1:]...)
				sv.Values = append([]float64(nil), values[i*width:(i+1)*width]...)
			}
			out[i] = append(out[i], s.splitState(sv)...)
		}
	}
	return out, nil
}

func typedTensor(dtype dtypes.DType, values []float64, dims []int) (*tensors.Tensor, error) {
	if len(dims) == 0 {
		switch dtype {
		case dtypes.Float64:
			return tensors.FromValue(values[0]), nil
		case dtypes.Float32:
			return tensors.FromValue(float32(values[0])), nil
		case dtypes.Int64:
			return tensors.FromValue(int64(values[0])), nil
		case dtypes.Int32:
			return tensors.FromValue(int32(values[0])), nil
		}
	} else {
		switch dtype {
		case dtypes.Float64:
			return tensors.FromFlatDataAndDimensions(append([]float64(nil), values...), dims...), nil
		case dtypes.Float32:
			return tensors.FromFlatDataAndDimensions(convertSlice[float32](values), dims...), nil
		case dtypes.Int64:
			return tensors.FromFlatDataAndDimensions(convertSlice[int64](values), dims...), nil
		case dtypes.Int32:
			return tensors.FromFlatDataAndDimensions(convertSlice[int32](values), dims...), nil
		}
	}
	return nil, fmt.Errorf("deeptucker: optimizer state of dtype %s cannot be restored", dtype)
}

func convertSlice[T float32 | int64 | int32](xs []float64) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[i] = T(x)
	}
	return out
}

// anyToFloat64s copies a float or integer tensor's values to float64 (exact for float32, float64 and
// integers below 2^53).
func anyToFloat64s(t *tensors.Tensor) ([]float64, error) {
	var out []float64
	var err error
	t.MustConstFlatData(func(flat any) {
		switch f := flat.(type) {
		case []float64:
			out = append([]float64(nil), f...)
		case []float32:
			out = convert64(f)
		case []int64:
			out = convert64(f)
		case []int32:
			out = convert64(f)
		default:
			err = fmt.Errorf("unsupported dtype %s", t.DType())
		}
	})
	return out, err
}

func convert64[T float32 | int64 | int32](xs []T) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}
