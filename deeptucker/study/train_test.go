package study

import (
	"encoding/json"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/deeptucker/deeptucker/datasets"
	dt "github.com/deeptucker/deeptucker/deeptucker"
	"github.com/deeptucker/deeptucker/deeptucker/results"
)

// setup is a tiny notebook: two problems that differ only in their data, two seeds each.
type setup struct {
	data     *datasets.Tensor
	model    func(shape []int, depth int) *dt.ModelBuilder
	training func() *dt.TrainingBuilder
	observed float64
	seeds    []uint64
	lr       float64
}

func baseSetup(t *testing.T) setup {
	syn, err := datasets.Synthetic(datasets.SyntheticOptions{Shape: []int{4, 3, 2}, Rank: []int{2, 2, 2}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return setup{
		data:     syn,
		model:    func(shape []int, depth int) *dt.ModelBuilder { return dt.NewModel(shape...).Depth(depth).InitStd(0.1) },
		training: func() *dt.TrainingBuilder { return dt.NewTraining().Adam(0.01).Steps(6).RecordEvery(3) },
		observed: 0.7, seeds: []uint64{1, 2},
	}
}

// smallProblem is a 5x4x3 synthetic tensor of multilinear rank 2, 70% observed, its mask drawn from maskSeed.
func smallProblem(t *testing.T, maskSeed uint64) *Problem {
	t.Helper()
	syn, err := datasets.Synthetic(datasets.SyntheticOptions{Shape: []int{5, 4, 3}, Rank: []int{2, 2, 2}, Seed: 0})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewProblem("p", syn, 0.7, datasets.ScaleRaw, maskSeed)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (s setup) problem(t *testing.T) *Problem {
	t.Helper()
	p, err := NewProblem("p", s.data, s.observed, datasets.ScaleNorm1, 3)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// train runs the setup's jobs (two depths x seeds) and returns how many runs it trained.
func (s setup) train(t *testing.T, nb *Notebook) int {
	t.Helper()
	p, err := NewProblem("p", s.data, s.observed, datasets.ScaleNorm1, 3)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := Grid{Depths: []int{1, 2}, Seeds: s.seeds, LRs: []float64{s.lr}}.Jobs([]*Problem{p}, s.model, false)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := s.training().Done()
	if err != nil {
		t.Fatal(err)
	}
	outs, plan, err := nb.Train(tr, jobs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outs {
		if o.Spec.Seed != jobs[i].Run.Seed || o.Depth != jobs[i].Model.MaxDepth() {
			t.Fatalf("outcome %d is not its job's: seed %d depth %d", i, o.Spec.Seed, o.Depth)
		}
	}
	return plan.ToTrain
}

// TestChangedSettingsRetrainExactlyWhatTheyTouch: an unchanged re-run trains nothing; changing one setting of
// each group (model, init, training, optimizer, run, data, mask, objective) trains exactly the runs it
// touches, and changing it back trains nothing.
func TestChangedSettingsRetrainExactlyWhatTheyTouch(t *testing.T) {
	t.Setenv(results.ResultsEnv, t.TempDir())
	t.Setenv(results.ProfileEnv, "ci")
	nb, err := Open("test")
	if err != nil {
		t.Fatal(err)
	}
	base := baseSetup(t)
	if n := base.train(t, nb); n != 4 {
		t.Fatalf("first run trained %d runs, want 4", n)
	}
	if n := base.train(t, nb); n != 0 {
		t.Fatalf("unchanged re-run trained %d runs, want 0", n)
	}
	cases := []struct {
		name   string
		change func(s *setup)
		want   int
	}{
		{"depth-2 model: core shape", func(s *setup) {
			s.model = func(shape []int, depth int) *dt.ModelBuilder {
				b := dt.NewModel(shape...).Depth(depth).InitStd(0.1)
				if depth == 2 {
					b = b.CoreShape(2, 2, 2)
				}
				return b
			}
		}, 2},
		{"init std", func(s *setup) {
			s.model = func(shape []int, depth int) *dt.ModelBuilder { return dt.NewModel(shape...).Depth(depth).InitStd(0.2) }
		}, 4},
		{"init scheme", func(s *setup) {
			s.model = func(shape []int, depth int) *dt.ModelBuilder { return dt.NewModel(shape...).Depth(depth).Balanced(0.1) }
		}, 4},
		{"init function under the same name", func(s *setup) {
			edited := dt.InitScheme{Name: dt.GaussianInit.Name, Draw: func(m *dt.Model, seed uint64, std float64) (*dt.Params, error) {
				return dt.GaussianInit.Draw(m, seed+100, std)
			}}
			s.model = func(shape []int, depth int) *dt.ModelBuilder {
				return dt.NewModel(shape...).Depth(depth).Init(edited, 0.1)
			}
		}, 4},
		{"steps", func(s *setup) {
			s.training = func() *dt.TrainingBuilder { return dt.NewTraining().Adam(0.01).Steps(7).RecordEvery(3) }
		}, 4},
		{"record interval", func(s *setup) {
			s.training = func() *dt.TrainingBuilder { return dt.NewTraining().Adam(0.01).Steps(6).RecordEvery(2) }
		}, 4},
		{"adam epsilon", func(s *setup) {
			s.training = func() *dt.TrainingBuilder { return dt.NewTraining().Adam(0.01).Epsilon(1e-7).Steps(6).RecordEvery(3) }
		}, 4},
		{"optimizer", func(s *setup) {
			s.training = func() *dt.TrainingBuilder { return dt.NewTraining().GradientDescent(0.01).Steps(6).RecordEvery(3) }
		}, 4},
		{"batch size", func(s *setup) {
			s.training = func() *dt.TrainingBuilder { return dt.NewTraining().Adam(0.01).BatchSize(5).Steps(6).RecordEvery(3) }
		}, 4},
		{"tolerance", func(s *setup) {
			s.training = func() *dt.TrainingBuilder { return dt.NewTraining().Adam(0.01).Tol(1e-9).Steps(6).RecordEvery(3) }
		}, 4},
		{"dtype", func(s *setup) {
			s.training = func() *dt.TrainingBuilder { return dt.NewTraining().Adam(0.01).Float32().Steps(6).RecordEvery(3) }
		}, 4},
		{"objective term", func(s *setup) {
			s.training = func() *dt.TrainingBuilder {
				return dt.NewTraining().Adam(0.01).AddTerm(dt.L1Core(1e-3)).Steps(6).RecordEvery(3)
			}
		}, 4},
		{"objective term's weight under the same name", func(s *setup) {
			term := dt.L1Core(1e-3)
			term.Fn = dt.L1Core(5e-3).Fn
			s.training = func() *dt.TrainingBuilder { return dt.NewTraining().Adam(0.01).AddTerm(term).Steps(6).RecordEvery(3) }
		}, 4},
		// An optimizer and a term edited under their names: the first change of each pair brings the name in,
		// the second edits a setting the name does not say (beta2, which Adam's first steps barely show; a
		// hinge's threshold, above the norm at the start).
		{"rmsprop", func(s *setup) { s.training = func() *dt.TrainingBuilder { return rmsprop(0.999) } }, 4},
		{"rmsprop's beta2 under the same name", func(s *setup) {
			s.training = func() *dt.TrainingBuilder { return rmsprop(0.9999) }
		}, 4},
		{"hinge term", func(s *setup) { s.training = func() *dt.TrainingBuilder { return withHinge(5) } }, 4},
		{"hinge term's threshold under the same name", func(s *setup) {
			s.training = func() *dt.TrainingBuilder { return withHinge(50) }
		}, 4},
		{"one seed", func(s *setup) { s.seeds = []uint64{1, 3} }, 2},
		{"learning rate", func(s *setup) { s.lr = 0.02 }, 4},
		{"one data entry", func(s *setup) {
			d := s.data.Clone()
			d.Data[5] += 1e-9
			s.data = d
		}, 4},
		{"mask (observed fraction)", func(s *setup) { s.observed = 0.6 }, 4},
	}
	for _, c := range cases {
		s := baseSetup(t)
		c.change(&s)
		if got := s.train(t, nb); got != c.want {
			t.Errorf("%s: trained %d runs, want %d", c.name, got, c.want)
		}
		if got := s.train(t, nb); got != 0 {
			t.Errorf("%s: the same change again trained %d runs, want 0", c.name, got)
		}
	}
	if n := base.train(t, nb); n != 0 {
		t.Errorf("back to the base settings trained %d runs, want 0", n)
	}
}

// rmsprop is the base training with GoMLX's RMSProp under a name that does not say its beta2.
func rmsprop(beta2 float64) *dt.TrainingBuilder {
	opt := dt.NewOptimizer("rmsprop", func(lr float64) optimizers.Interface {
		return optimizers.RMSProp().LearningRate(lr).Betas(0.9, beta2).Done()
	})
	return dt.NewTraining().Optimizer(opt, 0.01).Steps(6).RecordEvery(3)
}

// withHinge is the base training with the term max(0, ||G||^2 - c) under a name that does not say c.
func withHinge(c float64) *dt.TrainingBuilder {
	term := dt.Term{Name: "core-norm-hinge", Fn: func(v *dt.Vars) *Node {
		sq := dt.PerRun(Square(v.Core))
		return Max(AddScalar(sq, -c), ZerosLike(sq))
	}}
	return dt.NewTraining().Adam(0.01).AddTerm(term).Steps(6).RecordEvery(3)
}

func decode(t *testing.T, raw []byte) Outcome {
	t.Helper()
	var o Outcome
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

// TestRunsKeptRicherAreReadBack: a run stored with its history and parameters serves a request for less (the
// same run: keeping them changes nothing computed), trimmed to what was asked; a run stored without them
// cannot serve a request for them (negative control), so that request trains.
func TestRunsKeptRicherAreReadBack(t *testing.T) {
	t.Setenv(results.ResultsEnv, t.TempDir())
	t.Setenv(results.ProfileEnv, "ci")
	nb, err := Open("test")
	if err != nil {
		t.Fatal(err)
	}
	s := baseSetup(t)
	tr, err := s.training().Done()
	if err != nil {
		t.Fatal(err)
	}
	jobs := func(history, params bool, seeds ...uint64) []Job {
		js, err := Grid{Depths: []int{1, 2}, Seeds: seeds}.Jobs([]*Problem{s.problem(t)}, s.model, history)
		if err != nil {
			t.Fatal(err)
		}
		for i := range js {
			js[i].Params = params
		}
		return js
	}
	train := func(js []Job) ([]Outcome, int) {
		t.Helper()
		outs, plan, err := nb.Train(tr, js, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return outs, plan.ToTrain
	}
	rich, n := train(jobs(true, true, 1, 2))
	if n != 4 {
		t.Fatalf("first run trained %d, want 4", n)
	}
	for _, want := range []struct{ history, params bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		outs, n := train(jobs(want.history, want.params, 1, 2))
		if n != 0 {
			t.Fatalf("history %v params %v: trained %d runs stored with both, want 0", want.history, want.params, n)
		}
		for i, o := range outs {
			if (o.History != nil) != want.history || (o.Params != nil) != want.params {
				t.Fatalf("history %v params %v: outcome %d keeps history %v params %v", want.history, want.params, i,
					o.History != nil, o.Params != nil)
			}
			if o.TrainLoss != rich[i].TrainLoss || o.HeldOutR2 != rich[i].HeldOutR2 || o.Spec.Seed != rich[i].Spec.Seed {
				t.Fatalf("outcome %d read back differs from the stored run: %+v against %+v", i, o, rich[i])
			}
		}
	}
	// Negative control: seed 3 stored without history cannot answer a request for it.
	if _, n := train(jobs(false, false, 3)); n != 2 {
		t.Fatalf("seed 3 without history trained %d, want 2", n)
	}
	outs, n := train(jobs(true, false, 3))
	if n != 2 {
		t.Fatalf("seed 3 with history, stored only without: trained %d, want 2", n)
	}
	if outs[0].History == nil || len(outs[0].History.Steps) == 0 {
		t.Fatal("seed 3 trained with history has none")
	}
}

// TestAuthorsRegimeKeysUnchanged: the authors' regime, written with the builder's KerasAdam, keys its runs as
// when it named dt.KerasAdam(0.9, 0.999, 1e-7) itself, so the committed runs of notebook 02 stay stored.
// Negative control: another epsilon keys them otherwise.
func TestAuthorsRegimeKeysUnchanged(t *testing.T) {
	p := baseSetup(t).problem(t)
	m, err := Authors.Model(p.Shape(), 2).Done()
	if err != nil {
		t.Fatal(err)
	}
	key := func(b *dt.TrainingBuilder) string {
		t.Helper()
		tr, err := b.Done()
		if err != nil {
			t.Fatal(err)
		}
		beh, err := dt.Behaviour(m, tr)
		if err != nil {
			t.Fatal(err)
		}
		specs, err := dt.SpecOf(m, tr, beh, p.Run(1, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		b2, _ := json.Marshal(specs[0])
		return string(b2)
	}
	written := func(eps float64) *dt.TrainingBuilder {
		return dt.NewTraining().Optimizer(dt.KerasAdam(0.9, 0.999, eps), 0.001).Float32().
			BatchSize(AuthorsBatch).BatchOrder(dt.IndexOrder).Steps(25000).RecordEvery(2500)
	}
	if got, want := key(Authors.Training()), key(written(1e-7)); got != want {
		t.Fatalf("authors' regime keys changed:\n%s\nwas\n%s", got, want)
	}
	if key(Authors.Training()) == key(written(1e-8)) {
		t.Fatal("another epsilon keys the same: the comparison sees nothing")
	}
}
