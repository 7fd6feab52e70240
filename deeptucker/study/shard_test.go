package study

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/deeptucker/deeptucker/datasets"
	dt "github.com/deeptucker/deeptucker/deeptucker"
	"github.com/deeptucker/deeptucker/deeptucker/results"
)

// TestShardsMergeToTheSingleProcessStore: a sweep trained as 3 shards (each training only the runs it owns,
// into its own file, as a Slurm array or a Kubernetes indexed Job would), then merged, holds the same outcomes
// as the sweep trained in one process; and a re-run on the merged store trains nothing.
func TestShardsMergeToTheSingleProcessStore(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: trains several models; run without -short")
	}
	t.Setenv(results.ProfileEnv, "ci")
	syn, err := datasets.Synthetic(datasets.SyntheticOptions{Shape: []int{4, 3, 2}, Rank: []int{2, 2, 2}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewProblem("p", syn, 0.7, datasets.ScaleNorm1, 3)
	if err != nil {
		t.Fatal(err)
	}
	model := func(shape []int, depth int) *dt.ModelBuilder { return dt.NewModel(shape...).Depth(depth).InitStd(0.1) }
	training, _ := dt.NewTraining().Adam(0.01).Steps(6).RecordEvery(3).Done()
	jobs := func() []Job {
		return Grid{Depths: []int{1, 2}, Stds: []float64{0.1, 0.2}, Seeds: Seeds(3)}.MustJobs([]*Problem{p}, model, false)
	}
	train := func(dir, shard string) (*Notebook, Plan) {
		t.Setenv(results.ResultsEnv, dir)
		t.Setenv(results.ShardEnv, shard)
		nb, err := Open("sweep")
		if err != nil {
			t.Fatal(err)
		}
		_, plan, err := nb.Train(training, jobs(), Options{})
		if err != nil && !(shard != "" && errors.Is(err, ErrIncomplete)) { // a shard alone has only its runs
			t.Fatal(err)
		}
		return nb, plan
	}
	single, _ := train(t.TempDir(), "")
	sharded := t.TempDir()
	trained := 0
	for _, s := range []string{"0/3", "1/3", "2/3"} {
		_, plan := train(sharded, s)
		trained += plan.ToTrain
	}
	if trained != 12 {
		t.Fatalf("the 3 shards trained %d runs, want the 12 of the sweep once each", trained)
	}
	t.Setenv(results.ShardEnv, "")
	merged, err := Open("sweep")
	if err != nil {
		t.Fatal(err)
	}
	if err := merged.Merge(3); err != nil {
		t.Fatal(err)
	}
	again, plan := train(sharded, "")
	if plan.ToTrain != 0 {
		t.Errorf("after the merge a re-run trained %d runs, want 0", plan.ToTrain)
	}
	a, b := single.runs.Rows(), again.runs.Rows()
	if len(a) != len(b) || len(a) != 12 {
		t.Fatalf("single store %d rows, merged %d, want 12 each", len(a), len(b))
	}
	for i := range a {
		oa, ob := decode(t, a[i].Result), decode(t, b[i].Result)
		if a[i].Key != b[i].Key || oa.TrainLoss != ob.TrainLoss || oa.HeldOutMSE != ob.HeldOutMSE || oa.Spec.Seed != ob.Spec.Seed {
			t.Errorf("row %d: single %s %+v, merged %s %+v", i, a[i].Key, oa, b[i].Key, ob)
		}
	}
	if filepath.Base(merged.runs.Path()) != "runs.jsonl" {
		t.Errorf("merged into %s, want runs.jsonl", merged.runs.Path())
	}
}
