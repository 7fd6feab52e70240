package deeptucker

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"testing"
)

// checkpointProblem is a small model (packed layout) that converges at Tol 1e-3 within a few records.
func checkpointProblem(t *testing.T) (*Model, Run) {
	t.Helper()
	shape := []int{3, 3, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 9)
	train, held := splitMask(shape, 0.7, 1)
	m := mustModel(t, NewModel(shape...).Depth(2).InitStd(0.1))
	return m, Run{Target: x, Train: train, HeldOut: held, Seed: 1}
}

func tolTraining(t *testing.T, tol float64, steps int) *Training {
	t.Helper()
	return mustTraining(t, NewTraining().Adam(1e-2).Steps(steps).RecordEvery(20).Tol(tol))
}

func mustFit(t *testing.T, m *Model, tr *Training, runs ...Run) *Result {
	t.Helper()
	res, err := Fit(m, tr, runs...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func wantErr(t *testing.T, what string, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want one naming %q", what, parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("%s: error %q does not name %q", what, err, p)
		}
	}
}

// cloneCheckpoint copies a checkpoint deeply enough to corrupt its optimizer state.
func cloneCheckpoint(c *Checkpoint) *Checkpoint {
	out := *c
	out.State = make([]StateVar, len(c.State))
	for k, sv := range c.State {
		sv.Shape = slices.Clone(sv.Shape)
		sv.Values = slices.Clone(sv.Values)
		out.State[k] = sv
	}
	return &out
}

// TestResumeConvergedWithLowerTol: a run that froze at Tol 1e-3 and is resumed with Tol 0 (or a lower Tol)
// continues exactly as one long run at that Tol, instead of staying frozen; resumed with its own Tol it stays
// frozen (the long run at that Tol); a higher Tol, an unknown one (a checkpoint saved before Checkpoint.Tol)
// and unfreezing a checkpoint saved after its freeze (its optimizer state moved on) are refused.
func TestResumeConvergedWithLowerTol(t *testing.T) {
	m, run := checkpointProblem(t)
	const total = 400
	first := mustFit(t, m, tolTraining(t, 1e-3, total), run)
	cp := first.Runs[0].Checkpoint
	if cp.ConvergedStep < 0 || cp.Step != cp.ConvergedStep {
		t.Fatalf("the first Fit should stop at its convergence: step %d, converged at %d", cp.Step, cp.ConvergedStep)
	}
	if cp.Tol != 1e-3 {
		t.Fatalf("checkpoint Tol = %g, want 1e-3", cp.Tol)
	}
	for _, tol := range []float64{0, 1e-5} {
		long := mustFit(t, m, tolTraining(t, tol, total), run)
		r := run
		r.Resume = cp
		resumed := mustFit(t, m, tolTraining(t, tol, total-cp.Step), r)
		got, want := resumed.Runs[0], long.Runs[0]
		if got.Final().Step != want.Final().Step || got.ConvergedStep != want.ConvergedStep {
			t.Fatalf("Tol %g: resumed run ends at step %d converged at %d; the long run at %d converged at %d",
				tol, got.Final().Step, got.ConvergedStep, want.Final().Step, want.ConvergedStep)
		}
		if got.Final().TrainLoss >= first.Runs[0].Final().TrainLoss {
			t.Errorf("Tol %g: resumed train loss %g did not move below the frozen %g", tol, got.Final().TrainLoss, first.Runs[0].Final().TrainLoss)
		}
		sameBits(t, "Tol resumed W", want.W.Data, got.W.Data)
	}

	// Its own Tol: stays frozen, as the long run at Tol 1e-3 does.
	r := run
	r.Resume = cp
	same := mustFit(t, m, tolTraining(t, 1e-3, 20), r)
	if same.Runs[0].ConvergedStep != cp.ConvergedStep {
		t.Fatalf("resumed with its own Tol: converged at %d, want %d", same.Runs[0].ConvergedStep, cp.ConvergedStep)
	}
	sameBits(t, "frozen W", first.Runs[0].W.Data, same.Runs[0].W.Data)

	// A higher Tol: the long run at it may have frozen earlier.
	_, err := Fit(m, tolTraining(t, 1e-2, 20), r)
	wantErr(t, "higher Tol", err, "higher Tol", "Run.Start")

	// A Fit whose every run is frozen from the start trains nothing: the checkpoint stays at its freeze.
	if c := same.Runs[0].Checkpoint; c.Step != cp.Step {
		t.Errorf("resumed frozen with its own Tol: checkpoint at step %d, want %d", c.Step, cp.Step)
	}
	// Saved after the freeze, by a batch whose other run (a small init, slow to start) trains on past it:
	// unfreezing would not be the long run.
	slow := run
	slow.Seed, slow.InitStd = 2, 1e-3
	later := mustFit(t, m, tolTraining(t, 1e-3, total), run, slow).Runs[0].Checkpoint
	if later.Step == later.ConvergedStep {
		t.Fatalf("the batch's checkpoint should be past its freeze: step %d", later.Step)
	}
	r.Resume = later
	_, err = Fit(m, tolTraining(t, 0, 20), r)
	wantErr(t, "unfreezing past the freeze", err, "optimizer state moved on", "Run.Start")
	// ... while its own Tol resumes.
	mustFit(t, m, tolTraining(t, 1e-3, 20), r)

	// A converged checkpoint saved before Checkpoint.Tol (reads as 0): its Tol is unknown.
	old := *cp
	old.Tol = 0
	r.Resume = &old
	_, err = Fit(m, tolTraining(t, 1e-3, 20), r)
	wantErr(t, "old converged checkpoint, Tol > 0", err, "does not record", "Tol 0")
	long := mustFit(t, m, tolTraining(t, 0, total), run)
	resumed := mustFit(t, m, tolTraining(t, 0, total-cp.Step), r)
	sameBits(t, "old checkpoint resumed at Tol 0: W", long.Runs[0].W.Data, resumed.Runs[0].W.Data)
}

// TestResumeNotConvergedWithHigherTol: the symmetric case. A run not converged at Tol 0 (or below a Tol)
// resumed with a higher Tol is refused, since the long run at that Tol might have frozen at an earlier record;
// a lower Tol, and the same, resume and equal the long run.
func TestResumeNotConvergedWithHigherTol(t *testing.T) {
	m, run := checkpointProblem(t)
	first := mustFit(t, m, tolTraining(t, 0, 60), run)
	r := run
	r.Resume = first.Runs[0].Checkpoint
	_, err := Fit(m, tolTraining(t, 1e-3, 100), r)
	wantErr(t, "Tol 0 checkpoint resumed with Tol 1e-3", err, "higher Tol", "Run.Start")

	first = mustFit(t, m, tolTraining(t, 1e-7, 60), run)
	if first.Runs[0].ConvergedStep >= 0 {
		t.Fatal("the run should not converge at Tol 1e-7 within 60 steps")
	}
	r.Resume = first.Runs[0].Checkpoint
	for _, tol := range []float64{1e-7, 1e-8, 0} {
		long := mustFit(t, m, tolTraining(t, tol, 160), run)
		resumed := mustFit(t, m, tolTraining(t, tol, 100), r)
		sameBits(t, "lower Tol resumed W", long.Runs[0].W.Data, resumed.Runs[0].W.Data)
	}
	_, err = Fit(m, tolTraining(t, 1e-6, 100), r)
	wantErr(t, "Tol 1e-7 checkpoint resumed with Tol 1e-6", err, "higher Tol")
}

// TestResumeCorruptState: a checkpoint's optimizer state that does not fit its shape, the model or its
// dtype is refused with an error naming the tensor, never restored (a short Values was zero-filled in the
// packed layout) nor failing with a raw index or GoMLX error; in both layouts.
func TestResumeCorruptState(t *testing.T) {
	m, run := checkpointProblem(t)
	tr := tolTraining(t, 0, 20)
	cp := mustFit(t, m, tr, run).Runs[0].Checkpoint
	find := func(c *Checkpoint, name string) *StateVar {
		for k := range c.State {
			if c.State[k].Name == name {
				return &c.State[k]
			}
		}
		t.Fatalf("the checkpoint holds no %s", name)
		return nil
	}
	cases := []struct {
		name    string
		corrupt func(c *Checkpoint)
		want    []string
	}{
		{"short moment", func(c *Checkpoint) { sv := find(c, "core_1st_moment"); sv.Values = sv.Values[:1] }, []string{"core_1st_moment", "holds 1 values"}},
		{"empty scalar", func(c *Checkpoint) { find(c, "global_step").Values = nil }, []string{"global_step", "holds 0 values"}},
		{"wrong shape", func(c *Checkpoint) { find(c, "core_1st_moment").Shape = []int{1, 2, 2} }, []string{"core_1st_moment", "[1 2 2]"}},
		{"reshaped", func(c *Checkpoint) { find(c, "core_2nd_moment").Shape = []int{9, 3} }, []string{"core_2nd_moment", "parameter core"}},
		{"negative dim", func(c *Checkpoint) { find(c, "w_0_1st_moment").Shape = []int{-3, -3} }, []string{"w_0_1st_moment", "not a tensor shape"}},
		{"NaN moment", func(c *Checkpoint) { find(c, "w_1_2nd_moment").Values[4] = math.NaN() }, []string{"w_1_2nd_moment", "finite"}},
		{"fractional counter", func(c *Checkpoint) { find(c, "global_step").Values[0] = 1.5 }, []string{"global_step", "integer"}},
		{"dtype", func(c *Checkpoint) { find(c, "A_0_1_1st_moment").DType = 0 }, []string{"A_0_1_1st_moment", "cannot be restored"}},
		{"shared moment", func(c *Checkpoint) { find(c, "w_2_1st_moment").PerRun = false }, []string{"w_2_1st_moment", "per run"}},
		{"converged step", func(c *Checkpoint) { c.ConvergedStep = c.Step + 5 }, []string{"converged at step", "corrupt"}},
		{"Tol", func(c *Checkpoint) { c.Tol = math.NaN() }, []string{"Tol", "corrupt"}},
	}
	for _, packed := range []bool{true, false} {
		for _, c := range cases {
			broken := cloneCheckpoint(cp)
			c.corrupt(broken)
			r := run
			r.Resume = broken
			packOverride = &packed
			_, err := Fit(m, tr, r)
			packOverride = nil
			wantErr(t, c.name, err, c.want...)
			if !strings.Contains(err.Error(), "Run.Start") {
				t.Errorf("%s: error %q gives no remedy", c.name, err)
			}
		}
	}
	// Corrupt parameters: refused naming the tensor.
	broken := *cp
	params := *cp.Params
	core := *params.Core
	core.Data = core.Data[:5]
	params.Core, broken.Params = &core, &params
	r := run
	r.Resume = &broken
	_, err := Fit(m, tr, r)
	wantErr(t, "short core", err, "parameter core", "intact checkpoint")

	// Negative control: the intact checkpoint resumes in both layouts.
	for _, packed := range []bool{true, false} {
		r := run
		r.Resume = cloneCheckpoint(cp)
		fitLayout(t, packed, m, tr, r)
	}
}

// TestResumeStepOverflow: a checkpoint whose step count would overflow (or pass float64's exact integers)
// is refused before any step is added, rather than training no step with a wrapped count.
func TestResumeStepOverflow(t *testing.T) {
	m, run := checkpointProblem(t)
	tr := tolTraining(t, 0, 20)
	cp := mustFit(t, m, tr, run).Runs[0].Checkpoint
	for _, step := range []int{math.MaxInt - 1, math.MaxInt, 1<<53 - 10} {
		broken := *cp
		broken.Step = step
		r := run
		r.Resume = &broken
		_, err := Fit(m, tr, r)
		wantErr(t, "huge step", err, "2^53", "Run.Start")
	}
}

// TestChunkOffTheRecordGridEqualsOneRun: with a Tol, a run trained in chunks that end off the RecordEvery grid
// (150 + 150 steps, records every 20) stops where the one long run of 300 steps does, though its train loss
// at the chunks' seam (step 150, recorded there only) is already below the Tol: only grid records stop a run.
// Negative control: the same Tol does stop the long run on the grid.
func TestChunkOffTheRecordGridEqualsOneRun(t *testing.T) {
	m, run := checkpointProblem(t)
	probe := mustFit(t, m, tolTraining(t, 0, 150), run)
	tol := probe.Runs[0].Final().TrainLoss * 1.0000001 // the loss at step 150, where only the chunk records
	long := mustFit(t, m, tolTraining(t, tol, 300), run).Runs[0]
	if long.ConvergedStep < 0 || long.ConvergedStep%20 != 0 {
		t.Fatalf("the long run: converged at %d, want a step on the grid (the negative control)", long.ConvergedStep)
	}
	first := mustFit(t, m, tolTraining(t, tol, 150), run).Runs[0]
	resumed := run
	resumed.Resume = first.Checkpoint
	second := mustFit(t, m, tolTraining(t, tol, 150), resumed).Runs[0]
	if first.ConvergedStep >= 0 || second.ConvergedStep != long.ConvergedStep {
		t.Errorf("chunks converged at %d then %d, the long run at %d", first.ConvergedStep, second.ConvergedStep, long.ConvergedStep)
	}
	sameBits(t, "W after the chunks", long.W.Data, second.W.Data)
}

// TestCheckpointStateOrderDoesNotChangeTheKey: a checkpoint lists its optimizer state by scope and name, and a
// list in another order (a hand-edited checkpoint) keys the resumed run the same. Negative control: changing
// one state value changes the key.
func TestCheckpointStateOrderDoesNotChangeTheKey(t *testing.T) {
	m, run := checkpointProblem(t)
	tr := tolTraining(t, 0, 20)
	cp := mustFit(t, m, tr, run).Runs[0].Checkpoint
	if !slices.IsSortedFunc(cp.State, func(a, b StateVar) int {
		return cmp.Or(strings.Compare(a.Scope, b.Scope), strings.Compare(a.Name, b.Name))
	}) {
		t.Errorf("the checkpoint's state is not in scope/name order")
	}
	key := func(c *Checkpoint) string {
		r := run
		r.Resume = c
		specs, err := SpecOf(m, tr, "b", r)
		if err != nil {
			t.Fatal(err)
		}
		return specs[0].Start
	}
	reversed := cloneCheckpoint(cp)
	slices.Reverse(reversed.State)
	if key(reversed) != key(cp) {
		t.Error("the same state in another order gives another key")
	}
	changed := cloneCheckpoint(cp)
	changed.State[0].Values[0] += 1
	if key(changed) == key(cp) {
		t.Error("another state value gives the same key")
	}
}

// TestResumeRunConvergedAtStart: a run already within the tolerance at step 0 trains nothing; its checkpoint
// (step 0, no optimizer state) resumes frozen at the same Tol, and at Tol 0 continues exactly as the one run
// at Tol 0 from the same start.
func TestResumeRunConvergedAtStart(t *testing.T) {
	m, run := checkpointProblem(t)
	first := mustFit(t, m, tolTraining(t, 1e9, 100), run).Runs[0]
	cp := first.Checkpoint
	if first.ConvergedStep != 0 || cp == nil || cp.Step != 0 {
		t.Fatalf("converged at %d, checkpoint %+v; want a step-0 checkpoint", first.ConvergedStep, cp)
	}
	r := run
	r.Resume = cp
	same := mustFit(t, m, tolTraining(t, 1e9, 100), r).Runs[0]
	sameBits(t, "frozen W", first.W.Data, same.W.Data)
	long := mustFit(t, m, tolTraining(t, 0, 100), run).Runs[0]
	resumed := mustFit(t, m, tolTraining(t, 0, 100), r).Runs[0]
	sameBits(t, "resumed at Tol 0: W", long.W.Data, resumed.W.Data)
}
