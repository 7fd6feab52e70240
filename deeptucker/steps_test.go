package deeptucker

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
)

// TestStepsPerCall: records fall on call boundaries, so a call runs a divisor of RecordEvery steps, at most
// the cap and the budget.
func TestStepsPerCall(t *testing.T) {
	for _, c := range []struct{ every, steps, want int }{
		{1, 1 << 20, 1}, {20, 1 << 20, 10}, {16, 1 << 20, 16}, {100, 1 << 20, 10}, {7, 1 << 20, 7}, {37, 1 << 20, 1}, {64, 1 << 20, 16},
		// Short budgets unroll less: compile time grows with the steps unrolled.
		{100, 4095, 1}, {100, 5 * 4096, 5}, {100, 3 * 4096, 2}, {64, 8 * 4096, 8},
	} {
		got := stepsPerCall(c.every, c.steps, 1e6)
		if got != c.want {
			t.Errorf("stepsPerCall(%d, %d) = %d, want %d", c.every, c.steps, got, c.want)
		}
		if c.every%got != 0 || got > maxStepsPerCall || got > max(1, c.steps/unrollAfter) {
			t.Errorf("stepsPerCall(%d, %d) = %d is not a divisor of RecordEvery within the cap and budget", c.every, c.steps, got)
		}
	}
}

// TestAutoStepsPerCallLargeSteps: a long Fit of a step above 64 MFLOP (over its runs) unrolls at most 8 steps
// a call. Hand-counted: a 50^3 model of depth 3 with the full core is 129.5 MFLOP a step (the benchmark's
// count), with a 10^3 core 13.1 MFLOP, a 10^3 model of depth 3 0.32 MFLOP.
func TestAutoStepsPerCallLargeSteps(t *testing.T) {
	full := mustModel(t, NewModel(50, 50, 50).Depth(3))
	core10 := mustModel(t, NewModel(50, 50, 50).Depth(3).CoreShape(10, 10, 10))
	small := mustModel(t, NewModel(10, 10, 10).Depth(3))
	long := 1 << 20
	for _, c := range []struct {
		name                     string
		m                        *Model
		runs, every, steps, want int
	}{
		{"full core", full, 1, 64, long, 8},
		{"full core, RecordEvery 100", full, 1, 100, long, 5},
		{"full core, short budget", full, 1, 64, 4 * 4096, 4},
		{"10^3 core", core10, 1, 64, long, 16},
		{"10^3 core, 5 runs (65 MFLOP)", core10, 5, 64, long, 8},
		{"small", small, 1, 64, long, 16},
		{"small, 64 runs", small, 64, 64, long, 16},
		{"small, 256 runs (82 MFLOP)", small, 256, 64, long, 8},
	} {
		if got := AutoStepsPerCall(c.m, c.runs, c.every, c.steps); got != c.want {
			t.Errorf("%s: AutoStepsPerCall = %d, want %d (%d FLOPs a step)", c.name, got, c.want, c.m.StepFLOPs().Total()*int64(c.runs))
		}
	}
}

// TestStepsPerCallEqualSingleSteps: on the go backend, a Fit whose calls unroll several steps (RecordEvery 20:
// calls of 10 steps; RecordEvery 16 over 40 steps: calls of 16, then 8 single steps) ends bit for bit where
// one step per call (RecordEvery 1) ends: parameters, optimizer state, and the records at shared steps.
// Covered: Adam, Keras' Adam, shuffled mini-batches, per-run rates with an autodiff term and a run that
// diverges inside a call (and is then frozen). Negative control: one step fewer differs. (Tol and a diverged
// run's restored state depend on RecordEvery by definition: they act at records.)
func TestStepsPerCallEqualSingleSteps(t *testing.T) {
	defer func(n int) { unrollAfter = n }(unrollAfter)
	unrollAfter = 1 // unroll short Fits too
	b, m, runs := stepsFixture(t)
	runs = append(runs, Run{Target: runs[0].Target, Train: runs[0].Train, HeldOut: runs[0].HeldOut, Seed: 2, InitStd: 0.3})
	x, train, held := runs[0].Target, runs[0].Train, runs[0].HeldOut
	diverging := append(runs, Run{Target: x, Train: train, HeldOut: held, Seed: 3, LearningRate: 1e6})
	cases := []struct {
		name string
		b    func() *TrainingBuilder
		runs []Run
	}{
		{"adam", func() *TrainingBuilder { return NewTraining().Adam(1e-2) }, runs},
		{"minibatch", func() *TrainingBuilder { return NewTraining().Adam(1e-2).BatchSize(16) }, runs},
		{"gd per-run rates, l1, divergence", func() *TrainingBuilder {
			return NewTraining().GradientDescent(0.05).AddTerm(L1Core(1e-3))
		}, diverging},
		{"keras-adam", func() *TrainingBuilder { return NewTraining().Optimizer(KerasAdam(0.9, 0.999, 1e-7), 1e-2) }, runs},
	}
	fit := func(tb *TrainingBuilder, runs []Run) *Result {
		t.Helper()
		res, err := fitOn(b, m, mustTraining(t, tb), runs...)
		if err != nil && res == nil {
			t.Fatal(err)
		}
		return res
	}
	for _, c := range cases {
		single := fit(c.b().Steps(40).RecordEvery(1), c.runs)
		if c.runs[len(c.runs)-1].LearningRate > 1 && single.Runs[len(c.runs)-1].DivergedStep < 0 {
			t.Fatalf("%s: the run meant to diverge did not", c.name)
		}
		for _, every := range []int{20, 16} {
			name := fmt.Sprintf("%s, RecordEvery %d", c.name, every)
			unrolled := fit(c.b().Steps(40).RecordEvery(every), c.runs)
			if single.Steps != unrolled.Steps {
				t.Errorf("%s: %d steps, want %d", name, unrolled.Steps, single.Steps)
			}
			for i := range c.runs {
				s, u := single.Runs[i], unrolled.Runs[i]
				if s.DivergedStep < 0 { // a diverged run goes back to its last record, which RecordEvery moves
					sameBits(t, name+" W", s.W.Data, u.W.Data)
				}
				if s.DivergedStep != u.DivergedStep || s.ConvergedStep != u.ConvergedStep {
					t.Errorf("%s run %d: diverged %d/%d, converged %d/%d", name, i, u.DivergedStep, s.DivergedStep, u.ConvergedStep, s.ConvergedStep)
				}
				if (s.Checkpoint == nil) != (u.Checkpoint == nil) {
					t.Fatalf("%s run %d: checkpoint presence differs", name, i)
				}
				if s.Checkpoint != nil {
					if len(s.Checkpoint.State) != len(u.Checkpoint.State) {
						t.Fatalf("%s run %d: %d optimizer variables, want %d", name, i, len(u.Checkpoint.State), len(s.Checkpoint.State))
					}
					for k, sv := range s.Checkpoint.State {
						sameBits(t, name+" optimizer state "+sv.Name, sv.Values, u.Checkpoint.State[k].Values)
					}
				}
				byStep := map[int]Record{}
				for _, r := range s.Records {
					byStep[r.Step] = r
				}
				for _, r := range u.Records {
					want, ok := byStep[r.Step]
					if !ok {
						if s.DivergedStep < 0 {
							t.Errorf("%s run %d: record at step %d missing from the single-step run", name, i, r.Step)
						}
						continue
					}
					sameBits(t, name+" record", []float64{r.TrainLoss, r.HeldOutMSE, r.Epsilon}, []float64{want.TrainLoss, want.HeldOutMSE, want.Epsilon})
				}
			}
		}
		// Negative control: the comparison sees a single step's difference.
		fewer := fit(c.b().Steps(39).RecordEvery(1), c.runs)
		if fewer.Runs[0].W.Data[0] == single.Runs[0].W.Data[0] {
			t.Errorf("%s: 39 steps end where 40 do; the comparison would not see a missing step", c.name)
		}
	}
}

// TestStepsPerCallOption: the public option unrolls where the automatic choice would not (a short Fit: one
// step per call) and ends bit for bit where single steps end; a value that does not
// divide RecordEvery, or a negative one, is refused by name. Negative control: 31 steps end elsewhere.
func TestStepsPerCallOption(t *testing.T) {
	b, m, runs := stepsFixture(t)
	fit := func(steps, k int) *Result {
		t.Helper()
		res, err := fitOn(b, m, mustTraining(t, NewTraining().Adam(1e-2).Steps(steps).RecordEvery(16).StepsPerCall(k)), runs...)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	single, unrolled := fit(32, 1), fit(32, 8)
	if auto := fit(32, 0); auto.StepsPerCall != 1 || unrolled.StepsPerCall != 8 {
		t.Fatalf("steps per call: automatic %d (want 1 for a short Fit), asked 8 got %d", auto.StepsPerCall, unrolled.StepsPerCall)
	}
	sameBits(t, "W with 8 steps per call", single.Runs[0].W.Data, unrolled.Runs[0].W.Data)
	if fit(31, 8).Runs[0].W.Data[0] == single.Runs[0].W.Data[0] {
		t.Error("31 steps end where 32 do; the comparison would not see a missing step")
	}
	for _, k := range []int{-1, 5, 128} {
		_, err := NewTraining().RecordEvery(16).StepsPerCall(k).Done()
		if err == nil || !strings.Contains(err.Error(), "StepsPerCall") {
			t.Errorf("StepsPerCall(%d) with RecordEvery 16: error %v, want one naming StepsPerCall", k, err)
		}
	}
}

// stepsFixture is the go backend, a depth-2 model of a 5x4x3 target and one run observing 70% of it.
func stepsFixture(t *testing.T) (backends.Backend, *Model, []Run) {
	t.Helper()
	b, err := backendFor("go", false, 0)
	if err != nil {
		t.Fatal(err)
	}
	shape := []int{5, 4, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 9)
	train, held := splitMask(shape, 0.7, 1)
	return b, mustModel(t, NewModel(shape...).Depth(2).InitStd(0.1)), []Run{{Target: x, Train: train, HeldOut: held, Seed: 1}}
}
