package deeptucker

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/distributed"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/deeptucker/deeptucker/deeptucker/internal/sharding"
)

// shardDevices is how many devices a group of numRuns runs is split over: the backend's devices, or the
// largest number of them that divides numRuns (each device then trains numRuns/devices runs); 1 means not
// sharded.
func shardDevices(b backends.Backend, numRuns int) int {
	for d := min(b.NumDevices(), numRuns); d > 1; d-- {
		if numRuns%d == 0 {
			return d
		}
	}
	return 1
}

// shardedHook, when set (by tests), learns every group's number of devices.
var shardedHook func(devices int)

// prepareSharding splits the training over the backend's devices along the model axis: every variable with
// the model axis first (parameters, optimizer moments, data, masks, per-run bookkeeping) is split over the
// devices, everything else (step counters, a shared learning rate) is replicated, so no device talks to
// another during a step. The optimizer creates its variables while building a graph; a throwaway build (no
// compilation) creates them first, so that each gets its spec before any sharded graph reads it.
func (s *session) prepareSharding(opt optimizers.Interface, devices int) error {
	plan, err := sharding.ForModels(devices, s.numRuns)
	if err != nil {
		return err
	}
	g := NewGraph(s.backend, "deeptucker.shardingDryRun")
	var batches *Node
	if s.miniBatch() {
		batches = Parameter(g, "batches", shapes.Make(s.dtype, s.batchDims(1)...))
	}
	s.stepsGraph(s.ctx, g, opt, 1, batches)
	g.Finalize()
	if err := s.ctx.InitializeVariables(s.backend, nil); err != nil {
		return err
	}
	for v := range s.ctx.IterVariables() {
		spec := plan.Replicated
		if dims := v.Shape().Dimensions; len(dims) > 0 && dims[0] == s.numRuns {
			spec = plan.Models
		}
		if err := v.SetShardingSpec(spec); err != nil {
			return err
		}
	}
	s.plan = plan
	if shardedHook != nil {
		shardedHook(devices)
	}
	return nil
}

// shardedStepExec is stepExec split over s.plan's devices.
func (s *session) shardedStepExec(opt optimizers.Interface, k int) (*context.Exec, error) {
	var exec *context.Exec
	// The compiled call returns the variables it updates, in the context's order: each needs its own spec
	// (GoMLX would otherwise take them as replicated), known once the graph is built, before it compiles.
	setOutputSpecs := func(g *Graph) {
		var specs []*distributed.ShardingSpec
		s.ctx.EnumerateVariables(func(v *context.Variable) {
			if v.ChangedInGraph(g) {
				specs = append(specs, v.ShardingSpec())
			}
		})
		exec.WithOutputShardingSpecs(specs...)
	}
	var err error
	if s.miniBatch() {
		exec, err = context.NewExec(s.backend, s.ctx, func(ctx *context.Context, batches *Node) {
			s.stepsGraph(ctx, batches.Graph(), opt, k, batches)
			setOutputSpecs(batches.Graph())
		})
	} else {
		exec, err = context.NewExec(s.backend, s.ctx, func(ctx *context.Context, g *Graph) {
			s.stepsGraph(ctx, g, opt, k, nil)
			setOutputSpecs(g)
		})
	}
	if err != nil {
		return nil, err
	}
	exec.AutoSharding(s.plan.Mesh)
	if err := exec.SetDefaultShardingSpec(s.plan.Models); err != nil {
		return nil, err
	}
	if s.miniBatch() {
		exec.WithInputShardingSpecs(s.plan.Models)
	}
	return exec, nil
}

// runSharded executes a sharded call, splitting the mini-batch weights (nil for full batch) over the devices.
func (s *session) runSharded(exec *context.Exec, batch *tensors.Tensor) error {
	var args []any
	if batch != nil {
		d, err := s.plan.Shard(batch)
		if err != nil {
			return err
		}
		args = append(args, d)
	}
	_, err := exec.DistributedExec(args...)
	return err
}
