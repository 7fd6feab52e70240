package study

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	dt "github.com/deeptucker/deeptucker/deeptucker"
	"github.com/deeptucker/deeptucker/deeptucker/results"
)

// eightJobs is a small sweep: 2 depths x 4 seeds on the base setup's problem.
func eightJobs(t *testing.T) (*dt.Training, []Job) {
	t.Helper()
	s := baseSetup(t)
	s.seeds = Seeds(4)
	p := s.problem(t)
	jobs, err := Grid{Depths: []int{1, 2}, Seeds: s.seeds}.Jobs([]*Problem{p}, s.model, false)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := s.training().Done()
	if err != nil {
		t.Fatal(err)
	}
	return tr, jobs
}

func openAs(t *testing.T, shard string) *Notebook {
	t.Helper()
	t.Setenv(results.ShardEnv, shard)
	nb, err := Open("nb")
	if err != nil {
		t.Fatal(err)
	}
	return nb
}

// realOutcomes fails unless every outcome is its job's (label, depth, seed), none a placeholder.
func realOutcomes(t *testing.T, what string, outs []Outcome, jobs []Job) {
	t.Helper()
	bySeedDepth := map[[2]int]Job{}
	for _, j := range jobs {
		bySeedDepth[[2]int{int(j.Run.Seed), j.Model.MaxDepth()}] = j
	}
	for i, o := range outs {
		j, ok := bySeedDepth[[2]int{int(o.Spec.Seed), o.Depth}]
		if !ok || o.Label != j.Label || o.Depth == 0 || o.Steps == 0 || o.Backend == "" || o.Spec.Training.Steps == 0 {
			t.Errorf("%s: outcome %d is no job's result: label %q depth %d seed %d steps %d backend %q", what, i, o.Label, o.Depth, o.Spec.Seed, o.Steps, o.Backend)
		}
	}
}

// TestShardReadsTheStoreAndHandsBackNoPlaceholders: a shard reads the notebook's runs file, so runs stored
// there are neither trained again nor missing; a shard whose runs of other shards are not stored yet returns
// only real outcomes, with ErrIncomplete naming the remedy, and MustTrain shows none; after the shards ran and
// merged, one process trains nothing and every outcome is real.
func TestShardReadsTheStoreAndHandsBackNoPlaceholders(t *testing.T) {
	t.Setenv(results.ProfileEnv, "ci")
	tr, jobs := eightJobs(t)

	// The whole store exists (committed, say): a shard trains nothing and returns all 8 real outcomes.
	t.Setenv(results.ResultsEnv, t.TempDir())
	_, first, err := openAs(t, "").Train(tr, jobs, Options{})
	if err != nil || first.ToTrain != 8 || first.Seconds <= 0 {
		t.Fatalf("unsharded: %+v %v, want 8 trained", first, err)
	}
	outs, plan, err := openAs(t, "0/2").Train(tr, jobs, Options{})
	if err != nil || plan.ToTrain != 0 || plan.Stored != 8 || len(outs) != 8 || plan.Seconds != first.Seconds || plan.Workload != first.Workload {
		t.Fatalf("shard 0/2 over the whole store: %d outcomes, %+v, %v; want the 8 stored, none trained", len(outs), plan, err)
	}
	realOutcomes(t, "shard over the whole store", outs, jobs)
	// The other shard also has nothing to train; both ran, so they merge (into the same store).
	if _, plan, err := openAs(t, "1/2").Train(tr, jobs, Options{}); err != nil || plan.ToTrain != 0 {
		t.Fatalf("shard 1/2 over the whole store: %+v %v", plan, err)
	}
	if err := openAs(t, "").Merge(2); err != nil {
		t.Errorf("merging shards that trained nothing: %v", err)
	}

	// A fresh folder: shard 0/2 has only its own runs.
	t.Setenv(results.ResultsEnv, t.TempDir())
	nb0 := openAs(t, "0/2")
	outs, plan, err = nb0.Train(tr, jobs, Options{})
	if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "Merge(2)") {
		t.Fatalf("shard 0/2 alone: error %v, want ErrIncomplete naming the merge", err)
	}
	if plan.ToTrain == 0 || plan.ToTrain == 8 || len(outs) != plan.ToTrain || plan.Elsewhere != 8-plan.ToTrain {
		t.Fatalf("shard 0/2 alone: %d outcomes, %+v; want its own runs only", len(outs), plan)
	}
	realOutcomes(t, "shard alone", outs, jobs)
	if got := nb0.MustTrain("stage", tr, jobs); got != nil {
		t.Errorf("MustTrain of an incomplete shard returned %d outcomes, want none (its figures need the merged store)", len(got))
	}
	if _, plan, err := openAs(t, "1/2").Train(tr, jobs, Options{}); !errors.Is(err, ErrIncomplete) || plan.ToTrain != 8-len(outs) {
		t.Fatalf("shard 1/2: %+v %v, want the other %d runs trained", plan, err, 8-len(outs))
	}
	nb := openAs(t, "")
	if err := nb.Merge(2); err != nil {
		t.Fatal(err)
	}
	nb = openAs(t, "")
	outs, plan, err = nb.Train(tr, jobs, Options{})
	if err != nil || plan.ToTrain != 0 || len(outs) != 8 {
		t.Fatalf("after the merge: %d outcomes, %+v, %v; want 8 stored", len(outs), plan, err)
	}
	realOutcomes(t, "merged", outs, jobs)
	// A shard run again after the merge reads everything back (negative control for ErrIncomplete).
	if outs, _, err := openAs(t, "1/2").Train(tr, jobs, Options{}); err != nil || len(outs) != 8 {
		t.Errorf("shard 1/2 after the merge: %d outcomes, %v; want all 8", len(outs), err)
	}
}

// TestMergeOfNoShardsIsAnError: Merge(-1) and Merge(0) are refused with an error, not a panic.
func TestMergeOfNoShardsIsAnError(t *testing.T) {
	t.Setenv(results.ProfileEnv, "ci")
	t.Setenv(results.ResultsEnv, t.TempDir())
	nb := openAs(t, "")
	for _, n := range []int{-1, 0} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("Merge(%d) panicked: %v", n, r)
				}
			}()
			if err := nb.Merge(n); err == nil || !strings.Contains(err.Error(), "at least 1") {
				t.Errorf("Merge(%d): %v, want an error asking for the number of shards", n, err)
			}
		}()
	}
}

// TestMergeConflictNamesTheBackends: a run stored by two shards from different backends is refused with an
// error naming both backends and the remedy; the runs file is left as it was.
func TestMergeConflictNamesTheBackends(t *testing.T) {
	t.Setenv(results.ProfileEnv, "ci")
	t.Setenv(results.ResultsEnv, t.TempDir())
	nb := openAs(t, "")
	key := RunKey{History: true}
	for i, backend := range []string{"go", "xla:cpu"} {
		m, err := results.OpenMemo[RunKey, Outcome](filepath.Join(nb.Dir, results.Shard{Index: i, Count: 2}.File("runs.jsonl")), outcomeSchema)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Put(key, Outcome{Backend: backend, TrainLoss: results.Num(1 + float64(i)*1e-15)}, 1); err != nil {
			t.Fatal(err)
		}
	}
	err := nb.Merge(2)
	if err == nil || !strings.Contains(err.Error(), `"go"`) || !strings.Contains(err.Error(), `"xla:cpu"`) || !strings.Contains(err.Error(), "GOMLX_BACKEND") {
		t.Errorf("merging one run from two backends: %v, want an error naming both backends and the remedy", err)
	}
	if _, err := os.Stat(filepath.Join(nb.Dir, "runs.jsonl")); err == nil {
		t.Error("a refused merge wrote the runs file")
	}
}

// TestTrainReturnsWhatItCouldNotStore: when a batch cannot be stored, Train returns the outcomes it trained
// with ErrNotStored (the store itself keeps nothing of the batch); MustTrain returns a complete set with a
// warning instead of throwing it away.
func TestTrainReturnsWhatItCouldNotStore(t *testing.T) {
	t.Setenv(results.ProfileEnv, "ci")
	tr, jobs := eightJobs(t)
	unwritable := func() *Notebook {
		t.Setenv(results.ResultsEnv, t.TempDir())
		nb := openAs(t, "")
		// The runs file cannot be opened for appending (it is a folder): every PutBatch fails.
		if err := os.Mkdir(nb.runs.Path(), 0o755); err != nil {
			t.Fatal(err)
		}
		return nb
	}
	outs, plan, err := unwritable().Train(tr, jobs, Options{MaxBatch: 4})
	if !errors.Is(err, ErrNotStored) || !strings.Contains(err.Error(), "could not be stored") {
		t.Fatalf("an unwritable store: %v, want ErrNotStored", err)
	}
	if len(outs) != 4 || plan.ToTrain != 8 {
		t.Fatalf("an unwritable store: %d outcomes (%+v), want the first batch's 4", len(outs), plan)
	}
	realOutcomes(t, "not stored", outs, jobs)
	one := jobs[:4] // one model, one batch
	if got := unwritable().MustTrain("stage", tr, one); len(got) != 4 {
		t.Errorf("MustTrain on an unwritable store returned %d outcomes, want the 4 trained", len(got))
	}
}

// TestNonFiniteSettingIsNamedForTheUser: a tolerance of +Inf is refused naming the setting and asking for a
// finite value, not with the results package's advice to its programmers.
func TestNonFiniteSettingIsNamedForTheUser(t *testing.T) {
	// Training's Done refuses a non-finite Tol before anything reaches Train.
	if _, err := baseSetup(t).training().Tol(math.Inf(1)).Done(); err == nil || !strings.Contains(err.Error(), "Tol must be finite") {
		t.Errorf("Tol(+Inf): %v, want Done to refuse it", err)
	}
	// Should a non-finite setting still reach the key (a field no Validate checks), the error names the
	// setting for the user rather than the results package's remedy for a developer.
	err := settingError(fmt.Errorf("key: %w", &results.NonFiniteError{Path: "settings.Spec.Training.Tol", Value: math.Inf(1)}))
	if err == nil || !strings.Contains(err.Error(), "Training.Tol") || !strings.Contains(err.Error(), "finite value") || strings.Contains(err.Error(), "results.Num") {
		t.Errorf("got %v, want an error naming Training.Tol and asking for a finite value", err)
	}
	// Negative control: an error of another kind passes through unchanged.
	plain := errors.New("x")
	if settingError(plain) != plain {
		t.Error("settingError changed an unrelated error")
	}
}
