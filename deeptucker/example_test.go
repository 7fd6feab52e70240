package deeptucker_test

import (
	"fmt"

	"github.com/deeptucker/deeptucker/datasets"
	"github.com/deeptucker/deeptucker/deeptucker"
)

// Example is the README's snippet: two runs of a depth-3 model on the paper's synthetic tensor, trained
// together in one batch.
func Example() {
	x, err := datasets.Synthetic(datasets.SyntheticOptions{Shape: []int{10, 10, 10}, Rank: []int{3, 3, 3}, Seed: 1})
	if err != nil {
		panic(err)
	}
	train, heldOut, err := x.Split(0.7, 2) // observe 70%
	if err != nil {
		panic(err)
	}
	model, err := deeptucker.NewModel(10, 10, 10).Depth(3).InitStd(0.05).Done()
	if err != nil {
		panic(err)
	}
	training, err := deeptucker.NewTraining().Adam(3e-3).Epsilon(1e-8).Steps(3000).RecordEvery(50).Done()
	if err != nil {
		panic(err)
	}
	res, err := deeptucker.Fit(model, training,
		deeptucker.Run{Target: x.Tensor, Train: train, HeldOut: heldOut, Seed: 1},
		deeptucker.Run{Target: x.Tensor, Train: train, HeldOut: heldOut, Seed: 2, LearningRate: 2e-3})
	if err != nil {
		panic(err)
	}
	for i, run := range res.Runs {
		f := run.Final()
		fmt.Printf("run %d: held-out MSE below 1e-6: %v, R2 above 0.999: %v\n", i, f.HeldOutMSE < 1e-6, f.HeldOutR2 > 0.999)
	}
	// Output:
	// run 0: held-out MSE below 1e-6: true, R2 above 0.999: true
	// run 1: held-out MSE below 1e-6: true, R2 above 0.999: true
}
