package study

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

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
	p := smallProblem(t, 3)
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
		t.Fatalf("premise: the probe now sees the backoff (%s vs %s), so keys differ anyway and this test guards "+
			"nothing: pick a setting the probe still misses", b1, b2)
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

// TestOptimizerRecordsReadBackVersionsAndMerge: runs stored before any record (a store older than the
// registry) record their settings when read back, so a later unseen edit is refused; a record of another Go or
// GoMLX build is not compared but replaced; shards' records merge, and two shards that trained one name and
// fingerprint with different settings are refused. The settings text holds no process state.
func TestOptimizerRecordsReadBackVersionsAndMerge(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(results.ResultsEnv, dir)
	t.Setenv(results.ProfileEnv, "ci")
	s := baseSetup(t)
	p := s.problem(t)
	model, err := s.model(p.Shape(), 1).Done()
	if err != nil {
		t.Fatal(err)
	}
	backoff := func(steps int) *dt.Training {
		opt := dt.NewOptimizer("adam-backoff", func(lr float64) optimizers.Interface {
			return optimizers.Adam().LearningRate(lr).WithBackoffSteps(steps).Done()
		})
		tr, err := dt.NewTraining().Optimizer(opt, 1e-2).Steps(4).RecordEvery(2).Done()
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	train := func(tr *dt.Training) (Plan, error) {
		nb, err := Open("records")
		if err != nil {
			t.Fatal(err)
		}
		_, plan, err := nb.Train(tr, []Job{{Label: "run", Model: model, Run: p.Run(1, 0, 0)}}, Options{})
		return plan, err
	}
	records := filepath.Join(dir, "ci", "records", "optimizers.jsonl")
	if plan, err := train(backoff(20)); err != nil || plan.ToTrain != 1 {
		t.Fatalf("first run: %+v, %v", plan, err)
	}
	if err := os.Remove(records); err != nil { // as stored before the registry existed
		t.Fatal(err)
	}
	if plan, err := train(backoff(20)); err != nil || plan.Stored != 1 {
		t.Fatalf("read back: %+v, %v", plan, err)
	}
	if _, err := os.Stat(records); err != nil {
		t.Fatalf("reading back recorded nothing: %v", err)
	}
	if _, err := train(backoff(40)); err == nil || !strings.Contains(err.Error(), "rename the optimizer") {
		t.Fatalf("an unseen edit after a read-back: %v, want a refusal", err)
	}
	// Another build's record is replaced, not compared.
	b, err := os.ReadFile(records)
	if err != nil {
		t.Fatal(err)
	}
	other := strings.ReplaceAll(string(b), buildVersions(), "go1.0 gomlx@v0.0.1")
	if err := os.WriteFile(records, []byte(strings.ReplaceAll(other, "backoffSteps:20", "backoffSteps:40")), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := train(backoff(20)); err != nil {
		t.Fatalf("a record of another build refused the run: %v", err)
	}
	if _, err := train(backoff(40)); err == nil {
		t.Fatal("after the record was replaced, the edit was not refused")
	}
	// Shards: one with the old settings merges; one with other settings under the same key is refused.
	nb, err := Open("records")
	if err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile(records)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	last := lines[len(lines)-1] + "\n"
	shard := func(i int, text string) {
		if err := os.WriteFile(filepath.Join(nb.Dir, results.Shard{Index: i, Count: 2}.File("optimizers.jsonl")), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		if err := os.WriteFile(filepath.Join(nb.Dir, results.Shard{Index: i, Count: 2}.File("runs.jsonl")), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shard(0, last)
	shard(1, strings.ReplaceAll(last, "backoffSteps:20", "backoffSteps:40"))
	if err := nb.Merge(2); err == nil || !strings.Contains(err.Error(), "other settings") {
		t.Errorf("shards with different settings merged: %v", err)
	}
	shard(1, last)
	if err := nb.Merge(2); err != nil {
		t.Errorf("shards with the same settings: %v", err)
	}
	// Process state is named, not written: a descriptor or a lock would differ in the next process.
	text := optimizerSettings(dt.NewOptimizer("logging", func(lr float64) optimizers.Interface {
		return loggingOptimizer{Interface: optimizers.Adam().LearningRate(lr).Done(), file: os.Stderr}
	}))
	if text == "" || strings.Contains(text, "Sysfd") || strings.Contains(text, "pfd") {
		t.Errorf("settings text %q holds an open file's state", text)
	}
}

// loggingOptimizer is an optimizer of one's own holding an open file.
type loggingOptimizer struct {
	optimizers.Interface
	file *os.File
}
