package deeptucker_test

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/deeptucker/deeptucker/datasets"
	"github.com/deeptucker/deeptucker/deeptucker"
)

// problem is a small synthetic completion problem for the examples.
func problem() deeptucker.Run {
	x, _ := datasets.Synthetic(datasets.SyntheticOptions{Shape: []int{6, 5, 4}, Rank: []int{2, 2, 2}, Seed: 1})
	train, heldOut, _ := x.Split(0.7, 2)
	return deeptucker.Run{Target: x.Tensor, Train: train, HeldOut: heldOut, Seed: 1}
}

// A penalty is a Term: a graph function of the parameters with one value per run. Its gradient is taken by
// autodiff and added to the closed-form gradient of the squared error.
func ExampleTerm() {
	model, _ := deeptucker.NewModel(6, 5, 4).Depth(2).InitStd(0.3).Done()
	l1 := deeptucker.Term{Name: "l1-core(1e-3)", Fn: func(v *deeptucker.Vars) *Node {
		return MulScalar(deeptucker.PerRun(Abs(v.Core)), 1e-3)
	}}
	for _, b := range []*deeptucker.TrainingBuilder{deeptucker.NewTraining(), deeptucker.NewTraining().AddTerm(l1)} {
		training, _ := b.GradientDescent(0.5).Steps(300).Done()
		res, _ := deeptucker.Fit(model, training, problem())
		f := res.Runs[0].Final()
		sum := 0.0
		for _, g := range res.Runs[0].Params.Core.Data {
			sum += math.Abs(g)
		}
		fmt.Printf("terms %v: ||G||_1 = %.1f, objective = data term + terms: %v\n",
			len(training.Terms), sum, math.Abs(f.TrainLoss-f.DataLoss-f.Terms["l1-core(1e-3)"]) < 1e-15)
	}
	// Output:
	// terms 0: ||G||_1 = 30.2, objective = data term + terms: true
	// terms 1: ||G||_1 = 14.9, objective = data term + terms: true
}

// Any GoMLX optimizer trains, under a name that identifies it in results keys.
func ExampleNewOptimizer() {
	model, _ := deeptucker.NewModel(6, 5, 4).Depth(2).InitStd(0.1).Done()
	rmsprop := deeptucker.NewOptimizer("rmsprop", func(lr float64) optimizers.Interface {
		return optimizers.RMSProp().LearningRate(lr).Done()
	})
	training, _ := deeptucker.NewTraining().Optimizer(rmsprop, 3e-3).Steps(500).Done()
	res, _ := deeptucker.Fit(model, training, problem())
	first, last := res.Runs[0].Records[0], res.Runs[0].Final()
	fmt.Println(training.Optimizer, "lowered the loss 100-fold:", last.TrainLoss < first.TrainLoss/100)
	// Output: rmsprop lowered the loss 100-fold: true
}

// An init scheme is a named function of the model, the run's seed and std.
func ExampleInitScheme() {
	halfGaussian := deeptucker.InitScheme{Name: "gaussian/2", Draw: func(m *deeptucker.Model, seed uint64, std float64) (*deeptucker.Params, error) {
		return deeptucker.GaussianInit.Draw(m, seed, std/2)
	}}
	model, _ := deeptucker.NewModel(6, 5, 4).Depth(1).Init(halfGaussian, 0.2).Done()
	training, _ := deeptucker.NewTraining().Steps(1).RecordEvery(1).Done()
	res, _ := deeptucker.Fit(model, training, problem())
	fmt.Printf("%s: core slice norm of mode 1 at step 0 is about %.2f\n", model.Init, res.Runs[0].Records[0].SliceNorms[0][0])
	// Output: gaussian/2: core slice norm of mode 1 at step 0 is about 0.48
}

// A run resumed from a checkpoint continues exactly where it stopped: two chunks equal one long run.
func ExampleCheckpoint() {
	model, _ := deeptucker.NewModel(6, 5, 4).Depth(2).InitStd(0.1).Done()
	chunk, _ := deeptucker.NewTraining().Adam(1e-2).Steps(100).Done()
	long, _ := deeptucker.NewTraining().Adam(1e-2).Steps(200).Done()
	first, _ := deeptucker.Fit(model, chunk, problem())
	resumed := problem()
	resumed.Resume = first.Runs[0].Checkpoint
	second, _ := deeptucker.Fit(model, chunk, resumed)
	whole, _ := deeptucker.Fit(model, long, problem())
	same := true
	for k, v := range whole.Runs[0].W.Data {
		same = same && v == second.Runs[0].W.Data[k]
	}
	fmt.Println("ends at step", second.Runs[0].Final().Step, "identical to one run:", same)
	// Output: ends at step 200 identical to one run: true
}

// A diagnostic is recorded every RecordEvery steps under its name: a graph function (one value per run)
// or a host function of the parameters.
func ExampleDiagnostic() {
	model, _ := deeptucker.NewModel(6, 5, 4).Depth(2).InitStd(0.1).Done()
	training, _ := deeptucker.NewTraining().Adam(1e-2).Steps(200).RecordEvery(100).
		AddDiagnostic(deeptucker.Diagnostic{Name: "max |G|", Graph: func(v *deeptucker.Vars) *Node {
			return ReduceMax(Abs(Reshape(v.Core, v.Core.Shape().Dimensions[0], -1)), 1)
		}}).
		AddDiagnostic(deeptucker.Diagnostic{Name: "w norms, mode 1", Host: func(p *deeptucker.Params) []float64 {
			return []float64{p.Vectors[0].Norm()}
		}}).Done()
	res, _ := deeptucker.Fit(model, training, problem())
	for _, rec := range res.Runs[0].Records {
		fmt.Printf("step %d: %d and %d values\n", rec.Step, len(rec.Extra["max |G|"]), len(rec.Extra["w norms, mode 1"]))
	}
	// Output:
	// step 0: 1 and 1 values
	// step 100: 1 and 1 values
	// step 200: 1 and 1 values
}
