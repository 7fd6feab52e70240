// Package sharding splits the leading model axis of deep Tucker's batched computations over the devices of
// one backend, with GoMLX's own distributed support (a device mesh and sharding specs; XLA's SPMD
// partitioner, Shardy, splits the compiled computation).
//
// A sweep's models are independent, so every tensor that carries the model axis first (parameters, Adam's
// moments, data, masks, per-model losses) is split along it and nothing else is: no device talks to another
// during a step. See the package tests for the GoMLX calls that run a graph.Exec and a context.Exec sharded.
package sharding

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/distributed"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Axis names the mesh axis the models are split along.
const Axis = "models"

// Plan is a one-axis device mesh and the sharding specs of a computation batched over models.
type Plan struct {
	// Mesh has one axis, Axis, over Devices devices (0..Devices-1).
	Mesh    *distributed.DeviceMesh
	Devices int
	// Models splits a tensor's leading axis over the mesh and replicates the others: for every tensor whose
	// first axis is the model axis, whatever its rank.
	Models *distributed.ShardingSpec
	// Replicated keeps a whole copy on every device: for scalars and anything without the model axis.
	Replicated *distributed.ShardingSpec
}

// ForModels returns the plan that splits models over devices. models must be a multiple of devices (each
// device then trains models/devices of them); a clear error says otherwise.
func ForModels(devices, models int) (*Plan, error) {
	if devices < 1 {
		return nil, fmt.Errorf("sharding: need at least 1 device, got %d", devices)
	}
	if models < 1 || models%devices != 0 {
		return nil, fmt.Errorf("sharding: %d models cannot be split evenly over %d devices; use a multiple of %d models (pad the sweep) or fewer devices",
			models, devices, devices)
	}
	mesh, err := distributed.NewDeviceMesh([]int{devices}, []string{Axis})
	if err != nil {
		return nil, err
	}
	spec, err := distributed.BuildSpec(mesh).S(Axis).Done()
	if err != nil {
		return nil, err
	}
	return &Plan{Mesh: mesh, Devices: devices, Models: spec, Replicated: distributed.NewReplicatedShardingSpec(mesh)}, nil
}

// Shard splits a host tensor with a leading model axis into one shard per device.
func (p *Plan) Shard(t *tensors.Tensor) (*distributed.Tensor, error) {
	return distributed.ShardTensor(p.Models, t)
}

// Specs returns n copies of the model spec, one per input or output of a computation: GoMLX v0.26.0 needs
// them spelled out.
//
//   - Inputs: graph.Exec.WithInputShardingSpecs repeats its last spec only for a graph function taking a
//     []*Node; a function with fixed arguments needs one spec each (else the arguments after the first are
//     taken as whole shards: "DotGeneral batch dimensions don't match").
//   - Outputs: WithOutputShardingSpecs repeats the last spec when compiling, but Exec.AggregateShards wraps
//     the outputs past the specs given as replicated, so a split output comes back as device 0's shard alone
//     (shape [M/devices] instead of [M], no error). One spec per output of the graph function avoids it.
//     A context.Exec compiles the variables it updates first (with the context's default spec) and then the
//     function's outputs, but aggregates the function's outputs against the first specs: with every tensor
//     carrying the model axis, n copies of the model spec (n = the function's outputs) are right for both.
func (p *Plan) Specs(n int) []*distributed.ShardingSpec {
	specs := make([]*distributed.ShardingSpec, n)
	for i := range specs {
		specs[i] = p.Models
	}
	return specs
}
