package metrics_test

import (
	"fmt"
	"math"

	"github.com/deeptucker/deeptucker/deeptucker/metrics"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// A 2x3 target with one unmeasured entry (NaN), a prediction, and the training mask.
func data() (pred, target *multilinear.Tensor, train *multilinear.Mask) {
	target, _ = multilinear.FromData([]int{2, 3}, []float64{1, 2, math.NaN(), 4, 5, 6})
	pred, _ = multilinear.FromData([]int{2, 3}, []float64{1.1, 2, 0, 3.5, 5, 6.5})
	// Trained on entries 0, 1 and 4; entry 2 was never measured.
	train = multilinear.NewMask(2, 3)
	train.Observed[2], train.Observed[3], train.Observed[5] = false, false, false
	return pred, target, train
}

func ExampleMSE() {
	pred, target, train := data()
	// Held out: the entries not trained on, less the unmeasured one (scoring a NaN target
	// is an error).
	held := train.Complement()
	held.Observed[2] = false
	mse, err := metrics.MSE(pred, target, held)
	if err != nil {
		panic(err)
	}
	fmt.Printf("held-out MSE over %d entries: %.4f\n", held.Count(), mse)
	// Output:
	// held-out MSE over 2 entries: 0.2500
}

func ExampleR2() {
	pred, target, train := data()
	held := train.Complement()
	held.Observed[2] = false
	r2, err := metrics.R2(pred, target, held) // targets 4, 6 (mean 5); predictions 3.5, 6.5
	if err != nil {
		panic(err)
	}
	fmt.Printf("held-out R2: %.4f\n", r2) // 1 - 0.5/2
	// Output:
	// held-out R2: 0.7500
}

func ExampleR2X() {
	pred, target, train := data()
	held := train.Complement()
	held.Observed[2] = false
	r2x, err := metrics.R2X(pred, target, held) // 1 - 0.5/(16+36)
	if err != nil {
		panic(err)
	}
	fmt.Printf("held-out R2X: %.4f\n", r2x)
	// Output:
	// held-out R2X: 0.9904
}
