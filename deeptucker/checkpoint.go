package deeptucker

import (
	"cmp"
	"fmt"
	"math"
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
	// ConvergedStep is the step at which the run reached the tolerance (-1 if not): resumed with the same
	// Tol it stays frozen.
	ConvergedStep int
	// Tol is the Training.Tol the run was trained with (> 0: every record before ConvergedStep, or up to
	// Step if it did not converge, had a train loss above it). Resuming with the same Tol continues the run;
	// with a lower one (0 included) it continues the one long run at that Tol, and a converged run unfreezes
	// (only if saved at ConvergedStep: while frozen, its optimizer state moves on); a higher one is refused,
	// since that long run may have stopped at an earlier record. A checkpoint saved before this field existed
	// reads as 0: true of a run that did not converge (it resumes with Tol 0 only), while a converged one
	// froze at some unknown Tol > 0 (it resumes with Tol 0 only, or set Tol to the one it was trained with).
	Tol float64
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
	// Step 0 is a run that stopped at its first record, within the tolerance: it trained nothing and has no
	// optimizer state yet, and resumes as such (frozen at the same Tol, from a fresh state at a lower one).
	if c.Step < 0 || c.Step == 0 && (c.ConvergedStep != 0 || len(c.State) > 0) {
		return fmt.Errorf("deeptucker: a checkpoint at step %d has nothing to resume; use Run.Start for parameters", c.Step)
	}
	if c.Step > maxSteps || t.Steps > maxSteps-c.Step {
		return fmt.Errorf("deeptucker: a checkpoint at step %d cannot train %d more steps: the step count would pass 2^53, "+
			"beyond which step counters are not exact (the checkpoint is likely corrupt); resume from an intact checkpoint "+
			"or start from its Params with Run.Start", c.Step, t.Steps)
	}
	if c.ConvergedStep < -1 || c.ConvergedStep > c.Step {
		return fmt.Errorf("deeptucker: the checkpoint at step %d says it converged at step %d, which is neither -1 (not converged) "+
			"nor a step in 0..%d: it is corrupt; resume from an intact checkpoint or start from its Params with Run.Start",
			c.Step, c.ConvergedStep, c.Step)
	}
	if !(c.Tol >= 0) || math.IsInf(c.Tol, 0) {
		return fmt.Errorf("deeptucker: the checkpoint's Tol is %g, not a tolerance (>= 0): it is corrupt; resume from an intact "+
			"checkpoint or start from its Params with Run.Start", c.Tol)
	}
	if c.Optimizer != t.Optimizer.Name || c.DType != t.DType {
		return fmt.Errorf("deeptucker: checkpoint saved by optimizer %q in %s cannot resume with %q in %s; use Run.Start with its Params to restart the optimizer",
			c.Optimizer, c.DType, t.Optimizer.Name, t.DType)
	}
	if err := c.checkTol(t.Tol); err != nil {
		return err
	}
	if err := c.Params.Check(m); err != nil {
		return fmt.Errorf("%w; the checkpoint is corrupt or was saved for another model: resume from an intact checkpoint of this model", err)
	}
	return c.checkState(m, t)
}

// maxSteps bounds a resumed run's step count: step counters are restored through float64, exact up to 2^53.
const maxSteps = 1 << 53

// checkTol refuses a resume whose tolerance tol would not continue the long run at tol. Before a run freezes,
// training does not depend on Tol; the freeze is the first record with train loss <= Tol. So:
//   - tol equal to the checkpoint's: the same run, frozen or not;
//   - a run not converged, any tol below the checkpoint's: no record so far was <= the checkpoint's Tol, so
//     none was <= tol either (the resumed Fit checks its first record, at Step, against tol);
//   - a run converged, tol below the checkpoint's (0 included): it unfreezes, exactly the long run at tol,
//     provided the checkpoint was saved at the freeze (Step == ConvergedStep): once frozen, the parameters
//     stay but the optimizer's state (step counters, moments) moves on;
//   - tol above the checkpoint's: the long run at tol may have frozen at an earlier record, which the
//     checkpoint cannot tell: refused.
//
// A converged checkpoint with Tol 0 (saved before Checkpoint.Tol existed) froze at an unknown Tol > 0: it
// unfreezes with tol 0 only.
func (c *Checkpoint) checkTol(tol float64) error {
	converged := c.ConvergedStep >= 0
	known := !converged || c.Tol > 0
	switch {
	case known && tol == c.Tol:
		return nil
	case !converged && tol < c.Tol:
		return nil
	case converged && (tol == 0 || known && tol < c.Tol):
		if c.Step != c.ConvergedStep {
			return fmt.Errorf("deeptucker: the checkpoint converged at step %d (Tol %g) and was saved at step %d; resuming with Tol %g "+
				"would unfreeze it, but while frozen its optimizer state moved on, so it would not continue one long run at Tol %g; "+
				"resume with the checkpoint's Tol, resume a checkpoint saved at step %d (a Fit of this run alone stops there), "+
				"or start from its Params with Run.Start", c.ConvergedStep, c.Tol, c.Step, tol, tol, c.ConvergedStep)
		}
		return nil
	case !known:
		return fmt.Errorf("deeptucker: the checkpoint converged at step %d under a Tol it does not record (saved before "+
			"Checkpoint.Tol existed), so whether a run at Tol %g would have stopped earlier is unknown; resume with Tol 0, set "+
			"the checkpoint's Tol to the one it was trained with, or start from its Params with Run.Start", c.ConvergedStep, tol)
	default: // tol > c.Tol
		lower := fmt.Sprintf("Tol %g or lower (0 included)", c.Tol)
		if c.Tol == 0 {
			lower = "Tol 0 (a checkpoint saved before Checkpoint.Tol existed reads as Tol 0: set its Tol to the one it was trained with)"
		}
		return fmt.Errorf("deeptucker: the checkpoint was trained with Tol %g; resuming with the higher Tol %g is refused, since "+
			"one run at Tol %g may have stopped at an earlier record, which the checkpoint cannot tell; resume with %s, "+
			"or start from its Params with Run.Start", c.Tol, tol, tol, lower)
	}
}

// resumedConvergedStep is the step at which the resumed run stays frozen, or -1 when it moves: a run
// resumed with a lower Tol than the one it converged under unfreezes (checkTol allowed it).
func (c *Checkpoint) resumedConvergedStep(tol float64) int {
	if c.ConvergedStep >= 0 && c.Tol > 0 && tol == c.Tol {
		return c.ConvergedStep
	}
	return -1
}

// checkState validates the optimizer's state as plain data, so that a corrupt checkpoint is refused by name
// rather than restored wrongly (a short Values would be zero-filled in the packed layout) or failing deep in
// GoMLX: every tensor's Values fit its Shape, its dtype can be restored, floats are finite and integers
// exact; state named after a parameter (core_1st_moment, w_0_2nd_moment) has that parameter's shape and the
// checkpoint's dtype when the optimizer is element-wise.
func (c *Checkpoint) checkState(m *Model, t *Training) error {
	pieces := layoutPieces(m)
	const remedy = "the checkpoint is corrupt or was saved for another model; resume from an intact checkpoint or start from its Params with Run.Start"
	for _, sv := range c.State {
		name := sv.Scope + "/" + sv.Name
		n, ok := shapeSize(sv.Shape)
		if !ok {
			return fmt.Errorf("deeptucker: optimizer state %s has shape %v, not a tensor shape; %s", name, sv.Shape, remedy)
		}
		if len(sv.Values) != n {
			return fmt.Errorf("deeptucker: optimizer state %s has shape %v (%d values) but holds %d values; %s", name, sv.Shape, n, len(sv.Values), remedy)
		}
		switch sv.DType {
		case dtypes.Float64, dtypes.Float32:
			for k, v := range sv.Values {
				if math.IsNaN(v) || math.IsInf(v, 0) || (sv.DType == dtypes.Float32 && math.Abs(v) > math.MaxFloat32) {
					return fmt.Errorf("deeptucker: optimizer state %s holds %g at flat index %d; it must be finite in %s; %s", name, v, k, sv.DType, remedy)
				}
			}
		case dtypes.Int64, dtypes.Int32:
			for k, v := range sv.Values {
				if v != math.Trunc(v) || math.Abs(v) > maxSteps || (sv.DType == dtypes.Int32 && math.Abs(v) > math.MaxInt32) {
					return fmt.Errorf("deeptucker: optimizer state %s of dtype %s holds %g at flat index %d, not an exact integer of its dtype; %s",
						name, sv.DType, v, k, remedy)
				}
			}
		default:
			return fmt.Errorf("deeptucker: optimizer state %s has dtype %s, which cannot be restored (float32/64, int32/64); %s", name, sv.DType, remedy)
		}
		if !t.Optimizer.Elementwise {
			continue
		}
		if p, ok := pieceOf(pieces, sv.Name); ok {
			if !sv.PerRun {
				return fmt.Errorf("deeptucker: optimizer state %s, named after parameter %s, is marked shared rather than per run; %s", name, p.name, remedy)
			}
			if !slices.Equal(sv.Shape, p.dims) {
				return fmt.Errorf("deeptucker: optimizer state %s has shape %v, but parameter %s of the model %s has shape %v; %s",
					name, sv.Shape, p.name, m, p.dims, remedy)
			}
			if sv.DType != c.DType {
				return fmt.Errorf("deeptucker: optimizer state %s has dtype %s, but the checkpoint's parameters are %s; %s", name, sv.DType, c.DType, remedy)
			}
		}
	}
	return nil
}

// pieceOf finds the parameter a per-run state variable is named after (<piece>_<suffix>, the longest match).
func pieceOf(pieces []paramPiece, name string) (paramPiece, bool) {
	var best paramPiece
	found := false
	for _, p := range pieces {
		if strings.HasPrefix(name, p.name+"_") && (!found || len(p.name) > len(best.name)) {
			best, found = p, true
		}
	}
	return best, found
}

// shapeSize is the number of values of a tensor of the given dimensions; false for a negative dimension or
// a size past maxSteps (no checkpoint holds that many values).
func shapeSize(dims []int) (int, bool) {
	n := 1
	for _, d := range dims {
		if d < 0 {
			return 0, false
		}
		if d > 0 && n > maxSteps/d {
			return 0, false
		}
		n *= d
	}
	return n, true
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
				if !ok || !v.PerRun || !slices.Equal(v.Shape, sv.Shape) || v.DType != sv.DType {
					return fmt.Errorf("deeptucker: run %d's checkpoint lacks optimizer state %s/%s that run 0's has; resume them in separate Fit calls", i, sv.Scope, sv.Name)
				}
				values = append(values, v.Values...)
			}
		} else {
			values = sv.Values
			for i := range s.runs {
				v, ok := findState(states[i], sv.Scope, sv.Name)
				if !ok || v.PerRun || !slices.Equal(v.Shape, sv.Shape) || v.DType != sv.DType || !slices.Equal(v.Values, sv.Values) {
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
	if s.startStep == 0 {
		return // checkpoints of runs that trained nothing: a fresh state is theirs
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
	for _, states := range out { // the context's variables come in no fixed order: a checkpoint's list has one
		sortStates(states)
	}
	return out, nil
}

// sortStates orders optimizer state by scope and name.
func sortStates(states []StateVar) {
	slices.SortFunc(states, func(a, b StateVar) int {
		return cmp.Or(strings.Compare(a.Scope, b.Scope), strings.Compare(a.Name, b.Name))
	})
}

func typedTensor(dtype dtypes.DType, values []float64, dims []int) (*tensors.Tensor, error) {
	if n, ok := shapeSize(dims); !ok || n != len(values) {
		return nil, fmt.Errorf("deeptucker: optimizer state of shape %v cannot hold %d values", dims, len(values))
	}
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
