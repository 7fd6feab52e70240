package sharding_test

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/deeptucker/deeptucker/deeptucker/internal/sharding"
)

// Eight models over four devices: every tensor with the model axis first is split in quarters of two models.
func ExampleForModels() {
	plan, err := sharding.ForModels(4, 8)
	if err != nil {
		fmt.Println(err)
		return
	}
	w := tensors.FromFlatDataAndDimensions(make([]float64, 8*3*3), 8, 3, 3)
	dw, err := plan.Shard(w)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plan.Mesh.NumDevices(), dw.NumShards(), dw.ShardShape().Dimensions)

	_, err = sharding.ForModels(4, 6)
	fmt.Println(err)
	// Output:
	// 4 4 [2 3 3]
	// sharding: 6 models cannot be split evenly over 4 devices; use a multiple of 4 models (pad the sweep) or fewer devices
}
