package kerasadam_test

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/deeptucker/deeptucker/deeptucker/backend"
	"github.com/deeptucker/deeptucker/deeptucker/kerasadam"
)

// Two models stacked on the leading axis, each with its own learning rate: the learning-rate
// variable holds one rate per model, shape [M, 1].
func Example() {
	ctx := context.New()
	theta := ctx.VariableWithValue("theta", [][]float64{{1}, {1}}) // [M=2, 1]
	ctx.In(optimizers.Scope).VariableWithValue(optimizers.ParamLearningRate,
		tensors.FromValue([][]float64{{0.1}, {0.01}}))
	opt := kerasadam.New().Done() // Keras' defaults: betas 0.9, 0.999, epsilon 1e-7
	exec := context.MustNewExec(backend.MustNew(), ctx, func(ctx *context.Context, g *Graph) {
		opt.UpdateGraph(ctx, g, ReduceAllSum(Square(theta.ValueGraph(g))))
	})
	exec.MustExec()
	// Adam's first step is about the learning rate, whatever the gradient's size.
	fmt.Printf("%.5f\n", tensors.MustCopyFlatData[float64](theta.MustValue()))
	// Output:
	// [0.90000 0.99000]
}
