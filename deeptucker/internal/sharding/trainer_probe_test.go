package sharding

import (
	"strings"
	"testing"

	"github.com/deeptucker/deeptucker/deeptucker/internal/xlatest"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/distributed"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// shardedPlaceholder is a DistributedDataset yielding one model-split placeholder input per step: the
// trainer takes the mesh from its inputs.
type shardedPlaceholder struct {
	plan *Plan
	x    *distributed.Tensor
}

func (d *shardedPlaceholder) Name() string                           { return "placeholder" }
func (d *shardedPlaceholder) Reset()                                 {}
func (d *shardedPlaceholder) IsOwnershipTransferred() bool           { return false }
func (d *shardedPlaceholder) Strategy() distributed.Strategy         { return distributed.AutoSharding }
func (d *shardedPlaceholder) DeviceAssignment() []backends.DeviceNum { return nil }
func (d *shardedPlaceholder) Yield() (any, []*tensors.Tensor, []*tensors.Tensor, error) {
	panic("distributed only")
}
func (d *shardedPlaceholder) DistributedYield() (any, []*distributed.Tensor, []*distributed.Tensor, error) {
	return nil, []*distributed.Tensor{d.x}, nil, nil
}

func trainerRun(t *testing.T, b backends.Backend, plan *Plan, steps int) ([]float64, error) {
	ctx := context.New()
	w := ctx.VariableWithValue("w", randomTensor(4, models, 3, 3))
	x := ctx.VariableWithValue("x", randomTensor(5, models, 3, 2)).SetTrainable(false)
	if plan != nil {
		w.SetShardingSpec(plan.Models)
		x.SetShardingSpec(plan.Models)
	}
	modelFn := func(ctx *context.Context, _ any, inputs []*Node) []*Node {
		g := inputs[0].Graph()
		y := DotGeneral(w.ValueGraph(g), []int{2}, []int{0}, x.ValueGraph(g), []int{1}, []int{0})
		train.AddLoss(ctx, ReduceAllSum(Square(AddScalar(y, -1))))
		return nil
	}
	trainer := train.NewTrainer(b, ctx, modelFn, nil, optimizers.StochasticGradientDescent().WithDecay(false).WithLearningRate(0.01).Done(), nil, nil)
	loop := train.NewLoop(trainer)
	var err error
	if plan != nil {
		dx, derr := plan.Shard(tensors.FromFlatDataAndDimensions(make([]float64, models), models))
		if derr != nil {
			t.Fatal(derr)
		}
		_, err = loop.RunSteps(&shardedPlaceholder{plan: plan, x: dx}, steps)
	} else {
		_, err = loop.RunSteps(&fixedInput{x: tensors.FromFlatDataAndDimensions(make([]float64, models), models)}, steps)
	}
	if err != nil {
		return nil, err
	}
	var v *tensors.Tensor
	if plan != nil {
		dv, err := w.DistributedValue()
		if err != nil {
			return nil, err
		}
		if v, err = dv.Merge(); err != nil {
			return nil, err
		}
	} else if v, err = w.Value(); err != nil {
		return nil, err
	}
	return flat(t, v), nil
}

type fixedInput struct{ x *tensors.Tensor }

func (d *fixedInput) Name() string                 { return "fixed" }
func (d *fixedInput) Reset()                       {}
func (d *fixedInput) IsOwnershipTransferred() bool { return false }
func (d *fixedInput) Yield() (any, []*tensors.Tensor, []*tensors.Tensor, error) {
	return nil, []*tensors.Tensor{d.x}, nil, nil
}

// GoMLX v0.26.0's train.Trainer cannot keep model-split variables: its distributed step compiles every output,
// the updated variables included, as replicated (WithOutputShardingSpecs(replicated)), then wraps each
// variable's full copies with the variable's own split spec. Step 1 runs (w then reads as [32, 3, 3]: 4
// full copies taken for 4 quarters), and step 2 is refused by XLA: parameter f64[2,3,3] expected, f64[8,3,3]
// given. So a sharded Fit drives its step with context.Exec (TestShardedContextVariablesEqualUnsharded), not
// train.Loop. Should a GoMLX upgrade make the trainer run, this test insists it then equals the unsharded run.
func TestTrainerWithSplitVariables(t *testing.T) {
	b := xlatest.CPUDevices(t, devices)
	plan, err := ForModels(devices, models)
	if err != nil {
		t.Fatal(err)
	}
	want, err := trainerRun(t, b, nil, 3)
	if err != nil {
		t.Fatal(err)
	}
	got, err := trainerRun(t, b, plan, 3)
	if err != nil {
		if !strings.Contains(err.Error(), "LoopStep=1") || !strings.Contains(err.Error(), "f64[2,3,3]") {
			t.Fatalf("sharded train.Trainer failed otherwise than GoMLX v0.26.0 is known to: %v", err)
		}
		t.Logf("known GoMLX v0.26.0 limitation, step 2 refused: %v", firstLine(err.Error()))
		return
	}
	if d := maxRelDiff(got, want); d > 1e-13 {
		t.Errorf("sharded train.Trainer ran but differs from unsharded by %.3g", d)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
