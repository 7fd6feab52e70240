package hooi_test

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/deeptucker/deeptucker/deeptucker/hooi"
	"github.com/deeptucker/deeptucker/deeptucker/metrics"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// rank2 returns a 4x3x3 tensor of multilinear rank (2, 2, 2).
func rank2() *multilinear.Tensor {
	core := multilinear.New(2, 2, 2)
	core.Set(2, 0, 0, 0)
	core.Set(1, 1, 1, 1)
	core.Set(0.5, 0, 1, 1)
	factors := []*mat.Dense{
		mat.NewDense(4, 2, []float64{1, 0, 1, 1, 0, 1, 2, -1}),
		mat.NewDense(3, 2, []float64{1, 2, 0, 1, 1, 0}),
		mat.NewDense(3, 2, []float64{1, 1, 2, 0, 0, 1}),
	}
	return multilinear.TuckerToTensor(core, factors)
}

func ExampleTucker() {
	x := rank2()
	res, err := hooi.Tucker(x, []int{2, 2, 2})
	if err != nil {
		panic(err)
	}
	fmt.Println("core shape:", res.Core.Shape, "converged:", res.Converged, "after", res.Iterations, "iterations")
	// TensorLy's error formula, sqrt(| ||X||^2 - ||G||^2 |) / ||X||, bottoms out near sqrt(eps) ~ 1e-8.
	fmt.Println("rec_error below 1e-7:", res.RecErrors[len(res.RecErrors)-1] < 1e-7)
	mse, err := metrics.MSE(res.Reconstruct(), x, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("MSE below 1e-20:", mse < 1e-20)
	// Output:
	// core shape: [2 2 2] converged: true after 3 iterations
	// rec_error below 1e-7: true
	// MSE below 1e-20: true
}

// Complete a tensor with missing entries (NaN) and score the completion on them with R2,
// as the paper's Table 1 does.
func ExampleTucker_mask() {
	x := rank2()
	observed := multilinear.NewMask(x.Shape...)
	in := x.Clone()
	for _, off := range []int{1, 7, 12, 20, 26, 30} {
		observed.Observed[off] = false
		in.Data[off] = math.NaN() // never read: missing
	}
	res, err := hooi.Tucker(in, []int{2, 2, 2}, hooi.WithMask(observed), hooi.WithTol(0), hooi.WithMaxIter(300))
	if err != nil {
		panic(err)
	}
	r2, err := metrics.R2(res.Reconstruct(), x, observed.Complement())
	if err != nil {
		panic(err)
	}
	fmt.Printf("held-out R2: %.4f\n", r2)
	// Output:
	// held-out R2: 1.0000
}

func ExampleWithInit() {
	x := rank2()
	res, err := hooi.Tucker(x, []int{2, 2, 2}, hooi.WithInit(hooi.InitRandom), hooi.WithSeed(42))
	if err != nil {
		panic(err)
	}
	fmt.Printf("iterations <= %d: %v, reconstructs x: %v\n", hooi.DefaultMaxIter, res.Iterations <= hooi.DefaultMaxIter,
		mat.EqualApprox(multilinear.Unfold(res.Reconstruct(), 0), multilinear.Unfold(x, 0), 1e-8))
	// Output:
	// iterations <= 100: true, reconstructs x: true
}

// Warm-start HOOI from an earlier result (or from a deep Tucker run's Core and Factors): here a
// masked run of 5 iterations continued for 20 more is the 25-iteration run, bit for bit.
func ExampleWithInitTucker() {
	x := rank2()
	observed := multilinear.NewMask(x.Shape...)
	for _, off := range []int{1, 7, 12, 20, 26, 30} {
		observed.Observed[off] = false
	}
	rank := []int{2, 2, 2}
	first, err := hooi.Tucker(x, rank, hooi.WithMask(observed), hooi.WithTol(0), hooi.WithMaxIter(5))
	if err != nil {
		panic(err)
	}
	more, err := hooi.Tucker(x, rank, hooi.WithMask(observed), hooi.WithTol(0), hooi.WithMaxIter(20),
		hooi.WithInitTucker(first.Core, first.Factors...))
	if err != nil {
		panic(err)
	}
	whole, err := hooi.Tucker(x, rank, hooi.WithMask(observed), hooi.WithTol(0), hooi.WithMaxIter(25))
	if err != nil {
		panic(err)
	}
	fmt.Println("5 + 20 iterations = 25:", slices.Equal(more.Core.Data, whole.Core.Data) &&
		slices.Equal(more.RecErrors, whole.RecErrors[5:]))
	// Output:
	// 5 + 20 iterations = 25: true
}

// The leaky call (TensorLy's tucker with the complete tensor and a mask) against the honest one,
// on a noisy rank-2 tensor with half its entries hidden. Only the honest score is a baseline.
func ExampleReadHiddenEntries() {
	x := rank2()
	for i := range x.Data {
		x.Data[i] += 0.5 * math.Sin(float64(7*i)) // deterministic "noise"
	}
	observed := multilinear.NewMask(x.Shape...)
	for i := range observed.Observed {
		observed.Observed[i] = i%2 == 0
	}
	for _, leaky := range []bool{false, true} {
		opts := []hooi.Option{hooi.WithMask(observed)}
		if leaky {
			opts = append(opts, hooi.ReadHiddenEntries())
		}
		res, err := hooi.Tucker(x, []int{2, 2, 2}, opts...)
		if err != nil {
			panic(err)
		}
		r2, err := metrics.R2(res.Reconstruct(), x, observed.Complement())
		if err != nil {
			panic(err)
		}
		fmt.Printf("leaky %v: held-out R2 %.2f\n", leaky, r2)
	}
	// Output:
	// leaky false: held-out R2 -0.80
	// leaky true: held-out R2 0.91
}
