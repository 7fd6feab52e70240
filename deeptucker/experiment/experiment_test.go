package experiment

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/deeptucker/deeptucker/datasets"
	dt "github.com/deeptucker/deeptucker/deeptucker"
)

type row struct {
	K string
	V Num
}

func TestStoreAppendReopenAndTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rows.jsonl")
	s, err := OpenStore(path, func(r row) string { return r.K })
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(row{"a", 1}, row{"b", Num(math.NaN())}); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(row{"a", 3}); err != nil { // replaces a
		t.Fatal(err)
	}
	// A write cut short leaves a torn last line: it must be ignored.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644)
	f.WriteString(`{"K":"c","V":`)
	f.Close()

	s2, err := OpenStore(path, func(r row) string { return r.K })
	if err != nil {
		t.Fatal(err)
	}
	if s2.Len() != 2 || !s2.Has("a") || !s2.Has("b") || s2.Has("c") {
		t.Fatalf("reopened store holds %+v, want keys a, b", s2.Rows())
	}
	if a, _ := s2.Get("a"); a.V != 3 {
		t.Errorf("a = %v, want the later value 3", a.V)
	}
	if b, _ := s2.Get("b"); !math.IsNaN(float64(b.V)) {
		t.Errorf("b = %v, want NaN back from null", b.V)
	}
}

func TestStoreRejectsCorruptMiddleLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rows.jsonl")
	os.WriteFile(path, []byte("{\"K\":\"a\"}\nnot json\n{\"K\":\"b\"}\n"), 0o644)
	if _, err := OpenStore(path, func(r row) string { return r.K }); err == nil {
		t.Fatal("a corrupt line in the middle must be an error")
	}
}

func TestResultsDirUsesEnvAndProfile(t *testing.T) {
	base := t.TempDir()
	t.Setenv(ResultsEnv, base)
	t.Setenv(ProfileEnv, "ci")
	dir, err := ResultsDir("02-synthetic-depth-sweep")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(base, "ci", "02-synthetic-depth-sweep"); dir != want {
		t.Errorf("ResultsDir = %s, want %s", dir, want)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Errorf("ResultsDir did not create %s: %v", dir, err)
	}
	if _, err := ResultsDir("../x"); err == nil {
		t.Error("a notebook name with a path separator must be rejected")
	}
	t.Setenv(ProfileEnv, "")
	if Profile() != "full" {
		t.Errorf("Profile() with the variable unset = %q, want full", Profile())
	}
}

func TestRepoRootFindsThisModule(t *testing.T) {
	root, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "deeptucker", "experiment", "doc.go")); err != nil {
		t.Errorf("RepoRoot = %s, which does not hold this package", root)
	}
	if _, err := RepoRoot(t.TempDir()); err == nil {
		t.Error("RepoRoot outside the module must fail")
	}
}

func TestBatchesGroupByDepthAndCap(t *testing.T) {
	var jobs []Job
	for i, d := range []int{2, 1, 2, 2, 1, 2} {
		jobs = append(jobs, Job{Key: string(rune('a' + i)), Depth: d})
	}
	got := Batches(jobs, 2)
	want := [][]string{{"a", "c"}, {"d", "f"}, {"b", "e"}}
	if len(got) != len(want) {
		t.Fatalf("%d batches, want %d", len(got), len(want))
	}
	for i, b := range got {
		for k, j := range b {
			if j.Key != want[i][k] {
				t.Errorf("batch %d job %d = %s, want %s", i, k, j.Key, want[i][k])
			}
			if j.Depth != b[0].Depth {
				t.Errorf("batch %d mixes depths", i)
			}
		}
	}
}

func TestDescribe(t *testing.T) {
	s := Describe([]float64{3, 1, math.NaN(), 2, 10})
	if s.N != 4 || s.NaNs != 1 || s.Min != 1 || s.Max != 10 || s.Median != 2.5 || s.Mean != 4 {
		t.Errorf("Describe = %+v", s)
	}
	if want := math.Sqrt((1 + 9 + 4 + 36) / 3.0); math.Abs(s.Std-want) > 1e-12 {
		t.Errorf("Std = %g, want %g", s.Std, want)
	}
}

func TestLearnedMultirankAndHOOI(t *testing.T) {
	syn, err := datasets.Synthetic(datasets.SyntheticOptions{Shape: []int{6, 5, 4}, Rank: []int{3, 2, 2}, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	rank, err := LearnedMultirank(syn.Tensor, 1e-6)
	if err != nil {
		t.Fatal(err)
	}
	if FormatRank(rank) != "(3,2,2)" {
		t.Errorf("multirank of a (3,2,2) tensor = %s", FormatRank(rank))
	}
	train, held, err := syn.Split(0.7, 1)
	if err != nil {
		t.Fatal(err)
	}
	// The exact tensor as "learned" W: R2 1, and HOOI at its rank recovers the hidden entries well.
	c, err := CompareWithHOOI(syn.Tensor, syn.Tensor, train, held, 1e-6)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(c.DeepR2-1) > 1e-12 {
		t.Errorf("R2 of the truth = %g, want 1", c.DeepR2)
	}
	if c.HOOIR2 < 0.9 || c.HOOIR2 > 1 {
		t.Errorf("HOOI at the true rank: held-out R2 = %g, want in [0.9, 1]", c.HOOIR2)
	}
	if _, _, err := HOOIScore(syn.Tensor, train, held, []int{7, 2, 2}); err == nil {
		t.Error("a rank above the mode size must be an error")
	}
	if _, err := LearnedMultirank(syn.Tensor, 0); err == nil {
		t.Error("a zero tolerance must be an error")
	}
}

func TestSweepStoresAndSkips(t *testing.T) {
	syn, err := datasets.Synthetic(datasets.SyntheticOptions{Shape: []int{4, 4, 4}, Rank: []int{2, 2, 2}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	train, held, err := syn.Split(0.7, 1)
	if err != nil {
		t.Fatal(err)
	}
	training, err := dt.NewTraining().Adam(1e-2).Steps(20).RecordEvery(10).Done()
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	sw := Sweep{
		Model: func(depth int) (*dt.Model, error) {
			calls++
			return dt.NewModel(4, 4, 4).Depth(depth).InitStd(0.1).Done()
		},
		Training: training,
		MaxBatch: 2,
		Summarize: func(j Job, run *dt.RunResult, s *Summary) error {
			s.Extra = map[string]Num{"seed2": Num(2 * run.Seed)}
			return nil
		},
	}
	var jobs []Job
	for _, d := range []int{1, 2} {
		for seed := uint64(1); seed <= 3; seed++ {
			jobs = append(jobs, Job{Key: JobKey("syn", d, 0.1, 1e-2, seed), Dataset: "syn", Depth: d,
				Run: dt.Run{Target: syn.Tensor, Train: train, HeldOut: held, Seed: seed}})
		}
	}
	path := filepath.Join(t.TempDir(), "runs.jsonl")
	store, _ := OpenStore(path, SummaryKey)
	if err := sw.Execute(store, jobs[:4]); err != nil {
		t.Fatal(err)
	}
	if calls != 3 { // depth 1: 2+1 runs, depth 2: 1 run
		t.Errorf("%d Fit calls for 4 jobs in batches of 2, want 3", calls)
	}
	store, _ = OpenStore(path, SummaryKey)
	calls = 0
	if err := sw.Execute(store, jobs); err != nil {
		t.Fatal(err)
	}
	if calls != 1 || store.Len() != 6 {
		t.Errorf("re-run: %d Fit calls and %d rows, want 1 call (the 2 missing depth-2 runs) and 6 rows", calls, store.Len())
	}
	for _, r := range store.Rows() {
		if r.Steps != 20 || len(r.Multirank) != 3 || len(r.ActiveColumns) != 3 || r.Extra["seed2"] != Num(2*r.Seed) {
			t.Errorf("row %s incomplete: %+v", r.Key, r)
		}
		if !(r.HeldOutMSE >= 0) {
			t.Errorf("row %s: held-out MSE %v", r.Key, r.HeldOutMSE)
		}
	}
	dup := []Job{jobs[0], jobs[0]}
	if err := sw.Execute(store, dup); err == nil {
		t.Error("duplicate keys must be an error")
	}
}

func TestTimings(t *testing.T) {
	dir := t.TempDir()
	if err := RecordTiming(dir, "sweep", 3e9, 5); err != nil {
		t.Fatal(err)
	}
	if err := RecordTiming(dir, "plots", 1e9, 0); err != nil {
		t.Fatal(err)
	}
	if err := RecordTiming(dir, "sweep", 2e9, 0); err != nil { // a re-run that only read results back
		t.Fatal(err)
	}
	ts, total, err := Timings(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || total != 4 {
		t.Errorf("timings %+v total %g, want 2 stages totalling 4 s (the computing sweep kept)", ts, total)
	}
	if err := RecordTiming(dir, "sweep", 5e9, 2); err != nil { // recomputed: replaces
		t.Fatal(err)
	}
	if _, total, _ = Timings(dir); total != 6 {
		t.Errorf("total %g after a recomputing stage, want 6", total)
	}
}

func TestCompletionScalesAndSplits(t *testing.T) {
	syn, err := datasets.Synthetic(datasets.SyntheticOptions{Shape: []int{9, 8, 7}, Rank: []int{2, 2, 2}, Seed: 2, Scale: 7})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCompletion("syn", syn, 0.3, 4)
	if err != nil {
		t.Fatal(err)
	}
	if c.Train.Count() != 151 || c.HeldOut.Count() != 353 {
		t.Errorf("30%% of 504 entries: %d observed, %d held out; want 151, 353", c.Train.Count(), c.HeldOut.Count())
	}
	// The scale estimates the full norm (7) from the observed entries: within a factor 2 here.
	if c.Scale < 3.5 || c.Scale > 14 {
		t.Errorf("scale %g is far from the tensor's norm 7", c.Scale)
	}
	for i := range c.Target.Data {
		if math.Abs(c.Target.Data[i]*c.Scale-syn.Data[i]) > 1e-12 {
			t.Fatalf("entry %d: scaled target %g x %g != data %g", i, c.Target.Data[i], c.Scale, syn.Data[i])
		}
	}
	hook := HOOISummarizer(1e-6, map[string]Completion{"syn": c})
	run := &dt.RunResult{W: c.Target}
	var s Summary
	if err := hook(Job{Dataset: "syn"}, run, &s); err != nil {
		t.Fatal(err)
	}
	if FormatRank(s.Multirank) != "(2,2,2)" || !(s.Extra["hooi_r2"] > 0.5) {
		t.Errorf("hook on the truth: multirank %v, HOOI R2 %v", s.Multirank, s.Extra["hooi_r2"])
	}
	if err := hook(Job{Dataset: "other"}, run, &s); err == nil {
		t.Error("an unknown dataset must be an error")
	}
}

func TestRegimeBuildsModelAndTraining(t *testing.T) {
	r := Regime{Name: "x", Balanced: true, InitStd: 0.01, LearningRate: 0.02, AdamEpsilon: 1e-10, Steps: 300, CoreCap: 5}
	m, err := r.Model([]int{40, 3, 7}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if m.Init.Name != dt.BalancedInit.Name || m.InitStd != 0.01 || FormatRank(m.CoreShape) != "(5,3,5)" || m.MaxDepth() != 3 {
		t.Errorf("model %s: want balanced init std 0.01, core (5,3,5), depth 3", m)
	}
	tr, err := r.WithSteps(100).Training(10)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Optimizer.Name != dt.Adam(0.9, 0.999, 1e-10).Name || tr.LearningRate != 0.02 || tr.Steps != 100 || tr.RecordEvery != 10 {
		t.Errorf("training %+v does not match the regime", tr)
	}
	gd, _ := Regime{GradientDescent: true, LearningRate: 5, Steps: 10, Float32: true}.Training(5)
	if gd.Optimizer.Name != dt.GradientDescent().Name || gd.LearningRate != 5 || gd.DType.String() != "Float32" {
		t.Errorf("gradient-descent regime gave %+v", gd)
	}
}

func TestSlope(t *testing.T) {
	if s := Slope([]float64{0, 1, 2, 3}, []float64{1, 3, 5, 7}); math.Abs(s-2) > 1e-12 {
		t.Errorf("slope of y = 2x+1 is %g, want 2", s)
	}
	if s := Slope([]float64{1, 1}, []float64{0, 2}); !math.IsNaN(s) {
		t.Errorf("slope with one distinct x = %g, want NaN", s)
	}
}
