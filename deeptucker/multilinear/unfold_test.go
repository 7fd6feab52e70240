package multilinear

import (
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/deeptucker/deeptucker/deeptucker/internal/tlfixture"
)

// TestUnfoldHandChecked checks the column order on T[a,b,c] = 6a + 2b + c, shape 2x3x2: the
// rows below were written by hand from NumPy's moveaxis(T, n, 0).reshape(d_n, -1).
func TestUnfoldHandChecked(t *testing.T) {
	x := New(2, 3, 2)
	for i := range x.Data {
		x.Data[i] = float64(i)
	}
	want := [][]float64{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, // mode 0: rows a, columns (b, c)
		{0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11}, // mode 1: rows b, columns (a, c)
		{0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11}, // mode 2: rows c, columns (a, b)
	}
	for n, w := range want {
		u := Unfold(x, n)
		if r, c := u.Dims(); r != x.Shape[n] || c != 12/x.Shape[n] {
			t.Fatalf("mode %d: unfolding is %dx%d", n, r, c)
		}
		assertClose(t, "unfold", u.RawMatrix().Data, w, 0)
	}
}

func TestUnfoldFoldRoundTrip(t *testing.T) {
	rng := newRNG(1)
	for _, shape := range [][]int{{7}, {3, 4}, {2, 3, 4}, {3, 1, 4, 2}, {2, 2, 3, 2, 2}} {
		x := randTensor(rng, shape...)
		for n := range shape {
			u := Unfold(x, n)
			back := Fold(u, n, shape)
			assertClose(t, "fold(unfold)", back.Data, x.Data, 0)
			// A non-Dense matrix takes the generic path of Fold.
			back = Fold(u.T().T(), n, shape)
			assertClose(t, "fold(generic matrix)", back.Data, x.Data, 0)
		}
	}
}

func TestUnfoldParity(t *testing.T) {
	f, err := tlfixture.Load()
	if err != nil {
		t.Fatal(err)
	}
	x := tensorOf(f.Ops.Input)
	for n, want := range f.Ops.Unfold {
		u := Unfold(x, n)
		r, c := u.Dims()
		if r != want.Shape[0] || c != want.Shape[1] {
			t.Fatalf("mode %d: unfolding is %dx%d, TensorLy's %v", n, r, c, want.Shape)
		}
		assertClose(t, "unfold vs TensorLy", u.RawMatrix().Data, want.Data, 0) // a pure copy: exact
	}
}

func TestUnfoldFoldPanics(t *testing.T) {
	x := New(2, 3)
	mustPanic(t, "mode 2 out of range", func() { Unfold(x, 2) })
	mustPanic(t, "mode -1 out of range", func() { Unfold(x, -1) })
	mustPanic(t, "matrix is 3x3 but mode 0 of shape [2 3] needs 2x3", func() { Fold(mat.NewDense(3, 3, nil), 0, []int{2, 3}) })
}

// TestNorms: hand-checked Frobenius and L1 norms of a tensor with negative entries.
func TestNorms(t *testing.T) {
	x := &Tensor{Shape: []int{2, 2}, Data: []float64{3, -4, 0, 0}}
	if x.Norm() != 5 || x.L1Norm() != 7 {
		t.Errorf("norms %v and %v, want 5 and 7", x.Norm(), x.L1Norm())
	}
}

// TestCheckFitsNamesTheEntryCount: a mask of the right shape but the wrong number of entries (built by hand) is
// refused with both counts, not as a shape mismatch between two equal shapes.
func TestCheckFitsNamesTheEntryCount(t *testing.T) {
	x := New(2, 2)
	if err := (&Mask{Shape: []int{2, 2}, Observed: make([]bool, 3)}).CheckFits(x); err == nil ||
		!strings.Contains(err.Error(), "3 entries and the tensor 4") {
		t.Errorf("got %v, want an error naming 3 entries against 4", err)
	}
	if err := NewMask(2, 2).CheckFits(x); err != nil {
		t.Errorf("a mask from NewMask: %v", err)
	}
}
