package study

import (
	"math"
	"strings"
	"testing"

	"github.com/deeptucker/deeptucker/datasets"
	dt "github.com/deeptucker/deeptucker/deeptucker"
	"github.com/deeptucker/deeptucker/deeptucker/results"
)

// TestDriftHandChecked: ε from 0.1 to 0.4; squared slice norms change by 4−1 = 3 (mode 1, slice 0) and
// 0.25−1 (mode 2): Change 3, Relative 0.3/3.
func TestDriftHandChecked(t *testing.T) {
	o := Outcome{Label: "hand", History: &History{
		Steps:   []int{0, 5, 10},
		Epsilon: []results.Num{0.1, 9, 0.4},
		SliceNorms: [][][]results.Num{
			{{1, 7, 2}, {3, 3, 3}},
			{{1, 1, 0.5}},
		},
	}}
	d, err := o.Drift()
	if err != nil {
		t.Fatal(err)
	}
	if d.Eps0 != 0.1 || d.EpsT != 0.4 || d.Change != 3 || math.Abs(d.Relative-0.1) > 1e-15 {
		t.Errorf("drift %+v, want ε 0.1 → 0.4, change 3, relative 0.1", d)
	}
	o.History.SliceNorms = [][][]results.Num{{{1, 1, 1}}}
	if d, err := o.Drift(); err != nil || !math.IsNaN(d.Relative) {
		t.Errorf("no slice norm moved: relative drift %v (err %v), want NaN", d.Relative, err)
	}
	if _, err := (Outcome{Label: "no history"}).Drift(); err == nil {
		t.Error("a run without a history measured a drift")
	}
}

// TestDepthFactorsHandChecked: mode 1 of depth 2 (k = 1; the other modes are deeper), slices 2 and 1, column norms 3 and 0.5, ||w_r|| 1.5 and 1 at
// the last record: g = 2 and 0.5, ratios 1 and 0.5, slope of log g on log s = (log 2 − log 0.5)/log 2 = 2.
func TestDepthFactorsHandChecked(t *testing.T) {
	o := Outcome{Label: "hand", Depth: 4, Spec: dt.RunSpec{Model: dt.ModelSpec{Depths: []int{2, 4, 4}}},
		SliceNorms0: []results.Num{2, 1}, ColumnNorms0: []results.Num{3, 0.5},
		History: &History{Steps: []int{0, 9}, WNorms: [][][]results.Num{{{7, 1.5}, {7, 1}}}}}
	f, err := DepthFactors(o)
	if err != nil {
		t.Fatal(err)
	}
	if f.Min != 0.5 || f.Max != 1 || math.Abs(f.Slope-2) > 1e-12 {
		t.Errorf("depth factor %+v, want min 0.5, max 1, slope 2", f)
	}
	o.Spec.Model.Depths = []int{0, 4, 4}
	if _, err := DepthFactors(o); err == nil {
		t.Error("a model whose mode 1 has depth 0 measured a depth factor")
	}
}

// TestRateLawOnGradientDescent trains a balanced depth-2 model by gradient descent and checks Theorem 4.3's
// right-hand side against the last step's change of every slice norm; the negative control halves the step
// size passed in, which doubles the measured rate and must fail.
func TestRateLawOnGradientDescent(t *testing.T) {
	t.Setenv(results.ResultsEnv, t.TempDir())
	t.Setenv(results.ProfileEnv, "ci")
	nb, err := Open("theory")
	if err != nil {
		t.Fatal(err)
	}
	syn, err := datasets.Synthetic(datasets.SyntheticOptions{Seed: 0}) // notebook 05's tensor: 10^3, rank 3, norm 1
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewProblem("p", syn, 0.7, datasets.ScaleRaw, 3)
	if err != nil {
		t.Fatal(err)
	}
	model, err := dt.NewModel(10, 10, 10).Depth(2).Balanced(0.05).Done()
	if err != nil {
		t.Fatal(err)
	}
	const eta, steps = 1.0, 300
	training, err := dt.NewTraining().GradientDescent(eta).Steps(steps).RecordEvery(steps - 1).Done()
	if err != nil {
		t.Fatal(err)
	}
	outs, _, err := nb.Train(training, []Job{{Label: "gd", Model: model, Run: p.Run(1, 0, 0), History: true, Params: true}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := RateLaw(outs[0], p, eta)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Predicted) != 30 || c.Step != steps {
		t.Fatalf("%d slices at step %d, want 30 at step %d", len(c.Predicted), c.Step, steps)
	}
	if !(c.Relative < 0.05) {
		t.Errorf("rate law off by %.3g (relative), want < 0.05", c.Relative)
	}
	// A step size other than the run's own would measure a rate off by their ratio, which reads as the
	// theorem failing: it is refused, naming both.
	if _, err := RateLaw(outs[0], p, eta/2); err == nil || !strings.Contains(err.Error(), "learning rate 1") || !strings.Contains(err.Error(), "step size 0.5") {
		t.Errorf("with half the step size: %v, want an error naming the run's learning rate and the step size given", err)
	}
	// Negative control of the comparison itself: the same run read as if its step had been half as large
	// (spec and step size agreeing, so nothing refuses it) measures twice the rate, and the check says so.
	halved := outs[0]
	halved.Spec.LearningRate = eta / 2
	if c, err := RateLaw(halved, p, eta/2); err != nil || !(c.Relative > 0.5) {
		t.Errorf("rate law at a wrong step size: relative error %.3g, %v; want it far off", c.Relative, err)
	}
	o := outs[0]
	o.Params = nil
	if _, err := RateLaw(o, p, eta); err == nil {
		t.Error("a run without its parameters checked the rate law")
	}
	o = outs[0]
	o.Spec.Model.Depths = []int{2, 0, 2}
	if _, err := RateLaw(o, p, eta); err == nil || !strings.Contains(err.Error(), "every depth >= 1") {
		t.Errorf("a model with a mode of depth 0: %v, want an error saying to factorise every mode", err)
	}
}

// TestRateLawRefusesAnotherRunsSettings: a notebook cell that changes the training (Adam for gradient descent,
// an L1 term, mini-batches) or the problem (another observed mask under the same name) but still calls
// RateLaw as before got a check of the wrong step or data, which reads as Theorem 4.3 failing. Each is refused,
// naming the setting; the matching call (negative control) measures.
func TestRateLawRefusesAnotherRunsSettings(t *testing.T) {
	t.Setenv(results.ResultsEnv, t.TempDir())
	t.Setenv(results.ProfileEnv, "ci")
	nb, err := Open("theory")
	if err != nil {
		t.Fatal(err)
	}
	p := smallProblem(t, 3)
	resplit := smallProblem(t, 4)
	model, err := dt.NewModel(5, 4, 3).Depth(2).Balanced(0.05).Done()
	if err != nil {
		t.Fatal(err)
	}
	train := func(b *dt.TrainingBuilder) Outcome {
		tr, err := b.Steps(3).RecordEvery(2).Done()
		if err != nil {
			t.Fatal(err)
		}
		outs, _, err := nb.Train(tr, []Job{{Label: "run", Model: model, Run: p.Run(1, 0, 0), History: true, Params: true}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return outs[0]
	}
	gd := train(dt.NewTraining().GradientDescent(0.5))
	if _, err := RateLaw(gd, p, 0.5); err != nil {
		t.Fatalf("negative control: the run's own settings: %v", err)
	}
	cases := []struct {
		name string
		o    Outcome
		p    *Problem
		want string
	}{
		{"Adam", train(dt.NewTraining().Adam(0.5)), p, "GradientDescent"},
		{"L1 term", train(dt.NewTraining().GradientDescent(0.5).AddTerm(dt.L1Core(1e-3))), p, "objective terms"},
		{"mini-batches", train(dt.NewTraining().GradientDescent(0.5).BatchSize(10)), p, "mini-batches"},
		{"another split under the same name", gd, resplit, "not trained on problem p"},
	}
	for _, c := range cases {
		if _, err := RateLaw(c.o, c.p, 0.5); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
}
