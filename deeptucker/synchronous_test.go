package deeptucker

import (
	"testing"

	"github.com/deeptucker/deeptucker/deeptucker/backend"
	"github.com/deeptucker/deeptucker/deeptucker/internal/xlatest"
)

// Fit runs XLA CPU calls synchronously for steps of at most SyncStepFLOPs over all runs, unless
// DEEPTUCKER_XLA_CPU_EXECUTION says otherwise.
func TestSynchronousChoice(t *testing.T) {
	small := mustModel(t, NewModel(10, 10, 10).Depth(1)) // 205,000 FLOPs a step
	large := mustModel(t, NewModel(10, 10, 10).Depth(3)) // 319,200 FLOPs a step
	// By hand: W 3·2·10·1000, loss 7·1000, backward 2·60,000, Adam 14·(1000 + 3·100).
	if got := small.StepFLOPs().Total(); got != 205_200 {
		t.Fatalf("small model: %d FLOPs a step, want 205,200", got)
	}
	most := int(SyncStepFLOPs / 205_200) // 1 run: 205,200 FLOPs; 2 runs: 410,400
	for _, tc := range []struct {
		env   string
		model *Model
		runs  int
		want  bool
	}{
		{"", small, 1, true},
		{"", small, most, true},
		{"", small, most + 1, false},
		{"auto", small, 1, true},
		{"", large, 1, false},
		{"sync", large, 64, true},
		{"async", small, 1, false},
		{"fast", small, 1, false}, // opening an XLA CPU backend reports the bad value
		{"", nil, 1, false},       // Fit reports the missing model
	} {
		t.Setenv(backend.CPUExecutionEnvVar, tc.env)
		if got := synchronous(tc.model, tc.runs); got != tc.want {
			t.Errorf("%s=%q, %v × %d runs: synchronous = %v, want %v", backend.CPUExecutionEnvVar, tc.env, tc.model, tc.runs, got, tc.want)
		}
	}
}

// Fit on XLA's CPU plugin: a small step runs synchronously, a forced asynchronous one does not, and the two
// give the same numbers (the same compiled program; only the thread that runs it differs). On go nothing is
// synchronous.
func TestFitSynchronousSameResults(t *testing.T) {
	shape := []int{4, 3, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 3)
	m := mustModel(t, NewModel(shape...).Depth(2).InitStd(0.1))
	tr := mustTraining(t, NewTraining().Adam(0.01).Steps(40).RecordEvery(20))
	var runs []Run
	for i := range 3 {
		train, held := splitMask(shape, 0.7, uint64(i))
		runs = append(runs, Run{Target: x, Train: train, HeldOut: held, Seed: uint64(i + 1)})
	}
	cpu := xlatest.CPUConfig() // before GOMLX_BACKEND=go below
	t.Setenv(backend.EnvVar, "go")
	t.Setenv(backend.CPUExecutionEnvVar, "sync")
	if res, err := Fit(m, tr, runs...); err != nil || res.Synchronous {
		t.Fatalf("go: Synchronous = %v, err = %v", res != nil && res.Synchronous, err)
	}

	t.Setenv(backend.EnvVar, cpu) // blank: Fit opens the installed CPU plugin
	xlatest.CPUDevices(t, 1)      // skips where no XLA CPU plugin is installed
	var first *Result
	for _, env := range []string{"", "async", "sync", ""} {
		t.Setenv(backend.CPUExecutionEnvVar, env)
		res, err := Fit(m, tr, runs...)
		if err != nil {
			t.Fatalf("%s=%q: %v", backend.CPUExecutionEnvVar, env, err)
		}
		if want := env != "async"; res.Synchronous != want {
			t.Errorf("%s=%q: Synchronous = %v, want %v", backend.CPUExecutionEnvVar, env, res.Synchronous, want)
		}
		if first == nil {
			first = res
			continue
		}
		for i := range runs {
			closeTo(t, "W with "+backend.CPUExecutionEnvVar+"="+env, res.Runs[i].W.Data, first.Runs[i].W.Data, 0)
		}
	}
}
