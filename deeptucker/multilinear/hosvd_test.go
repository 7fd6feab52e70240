package multilinear

import (
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/deeptucker/deeptucker/deeptucker/internal/tlfixture"
)

// parityTol bounds |Go - TensorLy| for HOSVD outputs of the O(1) Gaussian fixtures. Both sides
// are backward-stable float64 SVDs (NumPy: LAPACK gesdd; gonum: its Go port of gesvd), so
// singular values agree to a few eps*||A|| and singular vectors to about eps*||A||/gap, the
// gap between neighbouring singular values (at least ~1e-2 in these fixtures). Measured: at
// most 4.4e-15. 1e-12 leaves two orders of margin for other platforms' rounding, yet any real
// difference (column order, sign, a transposed factor) is of order 1.
const parityTol = 1e-12

// alignSigns flips the columns of got (and the matching core slices) whose sign disagrees with
// want, over the first cols columns: singular vectors are unique only up to sign. It returns
// how many columns it flipped.
func alignSigns(got *mat.Dense, core *Tensor, mode int, want *mat.Dense, cols int) int {
	flipped := 0
	rows, _ := got.Dims()
	l, d, r := splitAt(core.Shape, mode)
	for k := 0; k < cols; k++ {
		if mat.Dot(got.ColView(k), want.ColView(k)) >= 0 {
			continue
		}
		flipped++
		for i := 0; i < rows; i++ {
			got.Set(i, k, -got.At(i, k))
		}
		for li := 0; li < l; li++ {
			s := core.Data[(li*d+k)*r : (li*d+k+1)*r]
			for j := range s {
				s[j] = -s[j]
			}
		}
	}
	return flipped
}

func checkTuckerParity(t *testing.T, name string, got *HOSVDResult, want tlfixture.Tucker) {
	t.Helper()
	core := got.Core.Clone()
	if !SameShape(core.Shape, want.Core.Shape) {
		t.Fatalf("%s: core shape %v, TensorLy's %v", name, core.Shape, want.Core.Shape)
	}
	for n, wf := range want.Factors {
		f := mat.DenseCopyOf(got.Factors[n])
		w := wf.Dense()
		if !slices.Equal([]int{f.RawMatrix().Rows, f.RawMatrix().Cols}, wf.Shape) {
			t.Fatalf("%s: factor %d is %dx%d, TensorLy's %v", name, n, f.RawMatrix().Rows, f.RawMatrix().Cols, wf.Shape)
		}
		cols := want.ComparableColumns[n]
		if k := alignSigns(f, core, n, w, cols); k > 0 {
			t.Errorf("%s: factor %d: %d columns have the opposite sign to TensorLy's (svd_flip convention broken)", name, n, k)
		}
		rows, _ := f.Dims()
		assertClose(t, name+": factor", mat.DenseCopyOf(f.Slice(0, rows, 0, cols)).RawMatrix().Data,
			mat.DenseCopyOf(w.Slice(0, rows, 0, cols)).RawMatrix().Data, parityTol)
	}
	assertClose(t, name+": core", core.Data, want.Core.Data, parityTol)
	assertClose(t, name+": reconstruction", got.Reconstruct().Data, want.Reconstruction.Data, parityTol)
}

func TestHOSVDParity(t *testing.T) {
	f, err := tlfixture.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range f.HOSVD {
		x := tensorOf(c.Input)
		sv, err := NModeSingularValues(x)
		if err != nil {
			t.Fatal(err)
		}
		for n := range sv {
			assertClose(t, c.Name+": singular values", sv[n], c.SingularValues[n], parityTol)
		}
		full, err := HOSVD(x, nil)
		if err != nil {
			t.Fatal(err)
		}
		for n := range sv {
			assertClose(t, c.Name+": HOSVD singular values", full.SingularValues[n], c.SingularValues[n], parityTol)
		}
		checkTuckerParity(t, c.Name+" full", full, c.Full)
		tr, err := HOSVD(x, c.Truncated.Rank)
		if err != nil {
			t.Fatal(err)
		}
		checkTuckerParity(t, c.Name+" truncated", tr, c.Truncated)
	}
}

// TestHOSVDFullProperties checks Theorem 2.3 on Gaussian tensors, including shapes where a mode
// is larger than the product of the others (its factor is completed to a square orthogonal U).
func TestHOSVDFullProperties(t *testing.T) {
	rng := newRNG(5)
	for _, shape := range [][]int{{4, 5, 6}, {3, 4, 2, 3}, {9, 2, 3}, {6}, {3, 7}} {
		x := randTensor(rng, shape...)
		h, err := HOSVD(x, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !SameShape(h.Core.Shape, shape) {
			t.Fatalf("%v: core shape %v", shape, h.Core.Shape)
		}
		assertClose(t, "full HOSVD reconstruction", h.Reconstruct().Data, x.Data, 1e-12)
		if math.Abs(h.Core.Norm()-x.Norm()) > 1e-12 {
			t.Errorf("%v: ||core|| = %v, ||x|| = %v", shape, h.Core.Norm(), x.Norm())
		}
		for n, u := range h.Factors {
			if r, c := u.Dims(); r != shape[n] || c != shape[n] {
				t.Fatalf("%v: factor %d is %dx%d, want square", shape, n, r, c)
			}
			if e := orthonormalityError(u); e > 1e-12 {
				t.Errorf("%v: factor %d: max |U^T U - I| = %.3g", shape, n, e)
			}
			s := h.SingularValues[n]
			if !slices.IsSortedFunc(s, func(a, b float64) int { return -cmpFloat(a, b) }) {
				t.Errorf("%v: mode %d singular values not decreasing: %v", shape, n, s)
			}
			// Theorem 2.3: slice norms are the n-mode singular values, slices mutually orthogonal.
			assertClose(t, "slice norms = singular values", SliceNorms(h.Core, n), s, 1e-12)
			g := Unfold(h.Core, n)
			var gram mat.Dense
			gram.Mul(g, g.T())
			for i := range s {
				for j := range s {
					if i != j && math.Abs(gram.At(i, j)) > 1e-12 {
						t.Errorf("%v: mode %d: <C_{i=%d}, C_{i=%d}> = %.3g, want 0", shape, n, i, j, gram.At(i, j))
					}
				}
			}
			// The sign convention: each column's largest-|.| entry is positive.
			for k := 0; k < shape[n]; k++ {
				col := mat.Col(nil, k, u)
				best := slices.MaxFunc(col, func(a, b float64) int { return cmpFloat(math.Abs(a), math.Abs(b)) })
				if best < 0 {
					t.Errorf("%v: factor %d column %d: largest entry %v is negative", shape, n, k, best)
				}
			}
		}
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestHOSVDRecoversKnownRank: a tensor built with multilinear rank r is reproduced exactly by
// its rank-r truncated HOSVD, and MultilinearRank reads r back; truncating below r loses the
// energy of the dropped singular values (Eckart-Young per mode bounds it).
func TestHOSVDRecoversKnownRank(t *testing.T) {
	rng := newRNG(6)
	cases := []struct{ shape, rank []int }{
		{[]int{10, 10, 10}, []int{3, 3, 3}},
		{[]int{6, 5, 7}, []int{2, 4, 3}},
		{[]int{4, 3, 5, 3}, []int{2, 2, 3, 2}},
		{[]int{40, 6, 11}, []int{9, 6, 9}},
	}
	for _, c := range cases {
		x := lowRank(rng, c.shape, c.rank)
		got, err := MultilinearRank(x, 1e-8*x.Norm())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.rank) {
			t.Errorf("MultilinearRank of a rank-%v tensor = %v", c.rank, got)
		}
		h, err := HOSVD(x, c.rank)
		if err != nil {
			t.Fatal(err)
		}
		if !SameShape(h.Core.Shape, c.rank) {
			t.Fatalf("truncated core shape %v, want %v", h.Core.Shape, c.rank)
		}
		assertClose(t, "truncated HOSVD of an exactly low-rank tensor", h.Reconstruct().Data, x.Data, 1e-12*x.Norm())
		for n, u := range h.Factors {
			if e := orthonormalityError(u); e > 1e-12 {
				t.Errorf("rank %v: factor %d: max |U^T U - I| = %.3g", c.rank, n, e)
			}
		}

		// One rank lower in mode 0: the error is at least the dropped mode-0 singular value.
		lower := slices.Clone(c.rank)
		lower[0]--
		hl, err := HOSVD(x, lower)
		if err != nil {
			t.Fatal(err)
		}
		diff := hl.Reconstruct()
		for i := range diff.Data {
			diff.Data[i] -= x.Data[i]
		}
		if sigma := h.SingularValues[0][c.rank[0]-1]; diff.Norm() < sigma*(1-1e-9) {
			t.Errorf("rank %v: truncation error %v below the dropped singular value %v", lower, diff.Norm(), sigma)
		}
	}
}

func TestMultilinearRankThreshold(t *testing.T) {
	// A diagonal 3x3x3 core with slice norms 1, 1e-3, 1e-6: the count depends on tol.
	x := New(3, 3, 3)
	x.Set(1, 0, 0, 0)
	x.Set(1e-3, 1, 1, 1)
	x.Set(1e-6, 2, 2, 2)
	for _, c := range []struct {
		tol  float64
		want int
	}{{0.5, 1}, {1e-4, 2}, {1e-7, 3}, {2, 0}} {
		got, err := MultilinearRank(x, c.tol)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, []int{c.want, c.want, c.want}) {
			t.Errorf("tol %v: rank %v, want %d per mode", c.tol, got, c.want)
		}
	}
}

func TestHOSVDErrors(t *testing.T) {
	x := New(3, 4, 5)
	x.Data[0] = 1
	for _, c := range []struct {
		name  string
		ranks []int
		want  string
	}{
		{"rank above mode size", []int{3, 5, 2}, "rank[1]=5 must be in 1..4"},
		{"zero rank", []int{0, 1, 1}, "rank[0]=0 must be in 1..3"},
		{"wrong length", []int{2, 2}, "has 2 entries but the tensor has order 3"},
	} {
		if _, err := HOSVD(x, c.ranks); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	nan := x.Clone()
	nan.Set(math.NaN(), 1, 2, 3)
	if _, err := HOSVD(nan, nil); err == nil || !strings.Contains(err.Error(), "entry [1 2 3] is NaN") {
		t.Errorf("NaN input: error %v", err)
	}
	if _, err := MultilinearRank(nan, 1e-4); err == nil || !strings.Contains(err.Error(), "entry [1 2 3] is NaN") {
		t.Errorf("NaN input to MultilinearRank: error %v", err)
	}
	if _, err := MultilinearRank(x, -1); err == nil || !strings.Contains(err.Error(), "tol=-1") {
		t.Errorf("negative tol: error %v", err)
	}
	if _, err := HOSVD(&Tensor{Shape: []int{2, 3}, Data: make([]float64, 5)}, nil); err == nil ||
		!strings.Contains(err.Error(), "holds 6 entries but data has 5") {
		t.Errorf("bad tensor: error %v", err)
	}
	if _, err := HOSVD(nil, nil); err == nil {
		t.Error("nil tensor: no error")
	}
}
