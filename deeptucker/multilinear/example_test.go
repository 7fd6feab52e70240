package multilinear_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// arange returns the tensor of the given shape holding 0, 1, 2, ... in row-major order.
func arange(shape ...int) *multilinear.Tensor {
	t := multilinear.New(shape...)
	for i := range t.Data {
		t.Data[i] = float64(i)
	}
	return t
}

func ExampleUnfold() {
	t := arange(2, 3, 2) // t[a,b,c] = 6a + 2b + c
	// Mode 1 (the paper's mode 2): rows are indexed by b, columns by (a, c), c fastest.
	fmt.Println(mat.Formatted(multilinear.Unfold(t, 1)))
	// Output:
	// ⎡ 0   1   6   7⎤
	// ⎢ 2   3   8   9⎥
	// ⎣ 4   5  10  11⎦
}

func ExampleFold() {
	t := arange(2, 3, 2)
	back := multilinear.Fold(multilinear.Unfold(t, 2), 2, t.Shape)
	fmt.Println(back.Shape, back.Data)
	// Output:
	// [2 3 2] [0 1 2 3 4 5 6 7 8 9 10 11]
}

func ExampleModeDot() {
	t := arange(2, 3) // [[0 1 2] [3 4 5]]
	// T x_1 M with M = [1 1 1] (1x3): sums over mode 1.
	sums := multilinear.ModeDot(t, mat.NewDense(1, 3, []float64{1, 1, 1}), 1)
	fmt.Println(sums.Shape, sums.Data)
	// Output:
	// [2 1] [3 12]
}

func ExampleMultiModeDot() {
	t := arange(2, 2)
	swap := mat.NewDense(2, 2, []float64{0, 1, 1, 0})
	// Swap the rows (mode 0), leave mode 1 alone (nil).
	out := multilinear.MultiModeDot(t, []mat.Matrix{swap, nil}, false)
	fmt.Println(out.Data)
	// Output:
	// [2 3 0 1]
}

func ExampleTuckerToTensor() {
	// A 1x1 core and one-column factors give the outer product 2 * u o v.
	core := multilinear.New(1, 1)
	core.Data[0] = 2
	u := mat.NewDense(2, 1, []float64{1, 3})
	v := mat.NewDense(3, 1, []float64{1, 0, -1})
	w := multilinear.TuckerToTensor(core, []*mat.Dense{u, v})
	fmt.Println(w.Shape, w.Data)
	// Output:
	// [2 3] [2 0 -2 6 0 -6]
}

func ExampleHOSVD() {
	// A tensor of multilinear rank (1, 2, 2): mode 0 is constant along its index.
	t := multilinear.New(2, 2, 2)
	for _, i := range []int{0, 1} {
		t.Set(3, i, 0, 0)
		t.Set(4, i, 1, 1)
	}
	h, err := multilinear.HOSVD(t, nil)
	if err != nil {
		panic(err)
	}
	for n, s := range h.SingularValues {
		fmt.Printf("mode %d: %.4f\n", n, s)
	}
	r := h.Reconstruct()
	fmt.Printf("reconstruction error %.1g\n", maxAbs(r.Data, t.Data))
	// Output:
	// mode 0: [7.0711 0.0000]
	// mode 1: [5.6569 4.2426]
	// mode 2: [5.6569 4.2426]
	// reconstruction error 0
}

func maxAbs(a, b []float64) float64 {
	m := 0.0
	for i := range a {
		if d := a[i] - b[i]; d > m {
			m = d
		} else if -d > m {
			m = -d
		}
	}
	if m < 1e-12 {
		return 0
	}
	return m
}

func ExampleMultilinearRank() {
	// A 4x5x6 tensor built from a 2x3x2 core (with independent slices in every mode) and
	// full-column-rank factors has multilinear rank (2, 3, 2).
	core := arange(2, 3, 2)
	core.Data[0] = 7 // arange's mode-1 slices are in arithmetic progression: break it
	factors := []*mat.Dense{
		mat.NewDense(4, 2, []float64{1, 0, 0, 1, 1, 1, 2, -1}),
		mat.NewDense(5, 3, []float64{1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 2, 1}),
		mat.NewDense(6, 2, []float64{1, 0, 0, 1, 1, 1, 1, -1, 2, 0, 0, 2}),
	}
	w := multilinear.TuckerToTensor(core, factors)
	rank, err := multilinear.MultilinearRank(w, 1e-9)
	if err != nil {
		panic(err)
	}
	fmt.Println(rank)
	// Output:
	// [2 3 2]
}

func ExampleSliceNorms() {
	t := arange(2, 3)
	fmt.Printf("%.4f\n", multilinear.SliceNorms(t, 0)) // ||[0 1 2]||, ||[3 4 5]||
	// Output:
	// [2.2361 7.0711]
}

func ExampleTruncatedSVD() {
	a := mat.NewDense(2, 2, []float64{1, 1, -2, -2}) // rank 1: (1, -2)^T (1, 1)
	u, s, vt, err := multilinear.TruncatedSVD(a, 1, true)
	if err != nil {
		panic(err)
	}
	// u is +-(1, -2)/sqrt(5); the sign convention makes its largest-magnitude entry positive.
	fmt.Printf("s=%.4f u=%.4f vt=%.4f\n", s, mat.Col(nil, 0, u), mat.Row(nil, 0, vt))
	// Output:
	// s=[3.1623] u=[-0.4472 0.8944] vt=[-0.7071 -0.7071]
}
