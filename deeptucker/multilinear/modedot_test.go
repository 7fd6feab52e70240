package multilinear

import (
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/deeptucker/deeptucker/deeptucker/internal/tlfixture"
)

// naiveModeDot is Definition 2.2 written entry by entry.
func naiveModeDot(x *Tensor, m mat.Matrix, mode int) *Tensor {
	j, _ := m.Dims()
	shape := append([]int(nil), x.Shape...)
	shape[mode] = j
	out := New(shape...)
	for off := range out.Data {
		idx := Unravel(shape, off)
		src := append([]int(nil), idx...)
		s := 0.0
		for i := 0; i < x.Shape[mode]; i++ {
			src[mode] = i
			s += x.At(src...) * m.At(idx[mode], i)
		}
		out.Data[off] = s
	}
	return out
}

func TestModeDotDefinition(t *testing.T) {
	rng := newRNG(2)
	for _, shape := range [][]int{{5}, {4, 3}, {2, 3, 4}, {3, 2, 4, 2}} {
		x := randTensor(rng, shape...)
		for n, d := range shape {
			for _, j := range []int{1, 3, d + 2} {
				m := randMatrix(rng, j, d)
				want := naiveModeDot(x, m, n)
				got := ModeDot(x, m, n)
				if !SameShape(got.Shape, want.Shape) {
					t.Fatalf("shape %v mode %d: got shape %v, want %v", shape, n, got.Shape, want.Shape)
				}
				assertClose(t, "ModeDot", got.Data, want.Data, 1e-12)
				// The same product through a transposed view and through a non-Dense matrix.
				mt := mat.DenseCopyOf(m.T())
				assertClose(t, "ModeDot(m^T^T)", ModeDot(x, mt.T(), n).Data, want.Data, 1e-12)
				assertClose(t, "ModeDot(generic)", ModeDot(x, m.T().T(), n).Data, want.Data, 1e-12)
			}
		}
	}
}

// TestModeDotComposition checks (T x_n F) x_n G = T x_n (G F), the property after Definition 2.2,
// and that products along different modes commute.
func TestModeDotComposition(t *testing.T) {
	rng := newRNG(3)
	x := randTensor(rng, 3, 4, 5)
	f, g := randMatrix(rng, 6, 4), randMatrix(rng, 2, 6)
	var gf mat.Dense
	gf.Mul(g, f)
	assertClose(t, "composition", ModeDot(ModeDot(x, f, 1), g, 1).Data, ModeDot(x, &gf, 1).Data, 1e-12)
	a, b := randMatrix(rng, 2, 3), randMatrix(rng, 3, 5)
	assertClose(t, "commutation", ModeDot(ModeDot(x, a, 0), b, 2).Data, ModeDot(ModeDot(x, b, 2), a, 0).Data, 1e-12)
}

func TestMultiModeDot(t *testing.T) {
	rng := newRNG(4)
	x := randTensor(rng, 3, 4, 2)
	ms := []mat.Matrix{randMatrix(rng, 2, 3), nil, randMatrix(rng, 5, 2)}
	want := ModeDot(ModeDot(x, ms[0], 0), ms[2], 2)
	assertClose(t, "MultiModeDot with a skipped mode", MultiModeDot(x, ms, false).Data, want.Data, 1e-12)

	// transpose uses M^T: project with orthonormal U and come back.
	u := []*mat.Dense{orthonormal(rng, 3, 3), orthonormal(rng, 4, 4), orthonormal(rng, 2, 2)}
	core := MultiModeDot(x, []mat.Matrix{u[0], u[1], u[2]}, true)
	assertClose(t, "TuckerToTensor(x x U^T, U)", TuckerToTensor(core, u).Data, x.Data, 1e-12)

	// All modes skipped: a copy, not an alias.
	c := MultiModeDot(x, make([]mat.Matrix, 3), false)
	c.Data[0]++
	if c.Data[0] == x.Data[0] {
		t.Error("MultiModeDot with every mode skipped returned its input, want a copy")
	}
}

func TestModeDotParity(t *testing.T) {
	f, err := tlfixture.Load()
	if err != nil {
		t.Fatal(err)
	}
	// Products of O(1) numbers over at most 5 terms: both sides round differently only in the
	// order of the sums, a few ulps.
	const tol = 1e-13
	o := f.Ops
	x := tensorOf(o.Input)
	assertClose(t, "mode_dot", ModeDot(x, o.ModeDotMatrix.Dense(), o.ModeDotMode).Data, o.ModeDot.Data, tol)
	ms := make([]mat.Matrix, len(o.MultiModeDotMatrices))
	for i, m := range o.MultiModeDotMatrices {
		ms[i] = m.Dense()
	}
	assertClose(t, "multi_mode_dot", MultiModeDot(x, ms, false).Data, o.MultiModeDot.Data, tol)
	assertClose(t, "multi_mode_dot transpose", MultiModeDot(tensorOf(o.MultiModeDotTransposeInput), ms, true).Data,
		o.MultiModeDotTranspose.Data, tol)
}

func TestModeDotPanics(t *testing.T) {
	x := New(2, 3, 4)
	mustPanic(t, "matrix is 2x2 but mode 1 of tensor shape [2 3 4] has size 3", func() { ModeDot(x, mat.NewDense(2, 2, nil), 1) })
	mustPanic(t, "mode 3 out of range", func() { ModeDot(x, mat.NewDense(2, 2, nil), 3) })
	mustPanic(t, "2 matrices for a tensor of order 3", func() { MultiModeDot(x, make([]mat.Matrix, 2), false) })
	core := New(2, 2, 2)
	fs := []*mat.Dense{mat.NewDense(2, 2, nil), mat.NewDense(3, 4, nil), mat.NewDense(4, 2, nil)}
	mustPanic(t, "factors[1] has 4 columns but core.Shape[1]=2", func() { TuckerToTensor(core, fs) })
	mustPanic(t, "2 factors for a core of order 3", func() { TuckerToTensor(core, fs[:2]) })
}
