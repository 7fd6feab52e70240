package study

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/deeptucker/deeptucker/datasets"
	dt "github.com/deeptucker/deeptucker/deeptucker"
	"github.com/deeptucker/deeptucker/deeptucker/results"
)

// TestOptimizerSettingsTheFingerprintCannotSeeAreRefused: an optimizer of one's own edited under its old name
// in a setting that acts only after the behavioural probe's 16 steps (GoMLX's Adam WithBackoffSteps 20 -> 40)
// keeps its results key, and a re-run in a new process read back the old settings' results. Train now keeps
// the settings each optimizer name trained with and refuses the edited one, naming the remedy. Negative
// controls: the unchanged optimizer reads back, and the edited one under a new name trains, to another result.
func TestOptimizerSettingsTheFingerprintCannotSeeAreRefused(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(results.ResultsEnv, dir)
	t.Setenv(results.ProfileEnv, "ci")
	syn, err := datasets.Synthetic(datasets.SyntheticOptions{Shape: []int{5, 4, 3}, Rank: []int{2, 2, 2}, Seed: 0})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewProblem("p", syn, 0.7, datasets.ScaleRaw, 3)
	if err != nil {
		t.Fatal(err)
	}
	model, err := dt.NewModel(5, 4, 3).Depth(2).InitStd(0.3).Done()
	if err != nil {
		t.Fatal(err)
	}
	backoff := func(name string, steps int) *dt.Training {
		opt := dt.NewOptimizer(name, func(lr float64) optimizers.Interface {
			return optimizers.Adam().LearningRate(lr).WithBackoffSteps(steps).Done()
		})
		tr, err := dt.NewTraining().Optimizer(opt, 1e-2).Steps(60).RecordEvery(20).Done()
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	// Each call opens the notebook afresh, as a new notebook cell (a new process) does.
	train := func(tr *dt.Training) (Outcome, Plan, error) {
		nb, err := Open("optimizers")
		if err != nil {
			t.Fatal(err)
		}
		outs, plan, err := nb.Train(tr, []Job{{Label: "run", Model: model, Run: p.Run(1, 0, 0)}}, Options{})
		if err != nil {
			return Outcome{}, plan, err
		}
		return outs[0], plan, nil
	}
	old, edited := backoff("adam-backoff", 20), backoff("adam-backoff", 40)
	b1, err := dt.Behaviour(model, old)
	if err != nil {
		t.Fatal(err)
	}
	if b2, _ := dt.Behaviour(model, edited); b1 != b2 {
		t.Skipf("premise: the probe now sees the backoff (%s vs %s), so keys differ anyway", b1, b2)
	}
	first, plan, err := train(old)
	if err != nil || plan.ToTrain != 1 {
		t.Fatalf("first run: trained %d, %v", plan.ToTrain, err)
	}
	if again, plan, err := train(old); err != nil || plan.Stored != 1 || again.TrainLoss != first.TrainLoss {
		t.Fatalf("negative control: the unchanged optimizer must read back: stored %d, %v", plan.Stored, err)
	}
	if _, _, err := train(edited); err == nil || !strings.Contains(err.Error(), "rename the optimizer") || !strings.Contains(err.Error(), "backoffSteps:20") {
		t.Errorf("the edited optimizer under its old name: %v, want a refusal naming the old settings and the remedy", err)
	}
	renamed, plan, err := train(backoff("adam-backoff(40)", 40))
	if err != nil || plan.ToTrain != 1 {
		t.Fatalf("renamed: trained %d, %v", plan.ToTrain, err)
	}
	if renamed.TrainLoss == first.TrainLoss {
		t.Errorf("premise: backoff 40 trained to the same loss as backoff 20 (%v), so nothing was stale", first.TrainLoss)
	}
	if _, err := os.Stat(filepath.Join(dir, "ci", "optimizers", "optimizers.jsonl")); err != nil {
		t.Errorf("the settings file: %v", err)
	}
}
