package study

import (
	"errors"
	"testing"

	dt "github.com/deeptucker/deeptucker/deeptucker"
	"github.com/deeptucker/deeptucker/deeptucker/results"
)

// TestTrainSplitsABatchTooLargeForMemory: a stage whose batch of runs would not fit in memory as one Fit is
// trained in smaller Fits (each run's result is the run trained alone, whatever its batch), not refused with
// a remedy (fewer runs per Fit) that MustTrain gives no way to apply.
func TestTrainSplitsABatchTooLargeForMemory(t *testing.T) {
	t.Setenv(results.ResultsEnv, t.TempDir())
	t.Setenv(results.ProfileEnv, "ci")
	s := baseSetup(t)
	s.seeds = []uint64{1, 2, 3, 4, 5}
	p := s.problem(t)
	jobs, err := Grid{Depths: []int{2}, Seeds: s.seeds}.Jobs([]*Problem{p}, s.model, false)
	if err != nil {
		t.Fatal(err)
	}
	m := jobs[0].Model
	// Fit's estimate per run (memoryNeed): 8 bytes x (9 x parameters + 12 x data entries); room for two runs.
	perRun := int64(8 * (9*m.NumParams() + 12*24))
	limited, err := s.training().MemoryLimit(2*perRun + perRun/2).Done()
	if err != nil {
		t.Fatal(err)
	}
	// The negative control: one Fit of the 5 runs is refused at that limit.
	var runs []dt.Run
	for _, j := range jobs {
		runs = append(runs, j.Run)
	}
	var memErr *dt.MemoryError
	if _, err := dt.Fit(m, limited, runs...); !errors.As(err, &memErr) {
		t.Fatalf("one Fit of the 5 runs under the limit: %v, want a *deeptucker.MemoryError", err)
	}
	nb, err := Open("limited")
	if err != nil {
		t.Fatal(err)
	}
	outs, plan, err := nb.Train(limited, jobs, Options{})
	if err != nil {
		t.Fatalf("a batch of %d runs over a memory limit for 2: %v", len(jobs), err)
	}
	if plan.ToTrain != 5 || len(outs) != 5 {
		t.Fatalf("trained %d, %d outcomes; want 5", plan.ToTrain, len(outs))
	}
	free, err := Open("free")
	if err != nil {
		t.Fatal(err)
	}
	unlimited, err := s.training().Done()
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := free.Train(unlimited, jobs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range outs {
		if outs[i].TrainLoss != want[i].TrainLoss || outs[i].HeldOutMSE != want[i].HeldOutMSE || outs[i].Spec.Seed != want[i].Spec.Seed {
			t.Errorf("run %d trained in a smaller batch differs: loss %g against %g", i, outs[i].TrainLoss, want[i].TrainLoss)
		}
	}
}
