package multilinear

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestTruncatedSVD(t *testing.T) {
	rng := newRNG(7)
	for _, dims := range [][2]int{{6, 4}, {4, 6}, {5, 5}} {
		a := randMatrix(rng, dims[0], dims[1])
		k := min(dims[0], dims[1])
		var full mat.SVD
		full.Factorize(a, mat.SVDNone)
		want := full.Values(nil)
		for rank := 1; rank <= k; rank++ {
			u, s, vt, err := TruncatedSVD(a, rank, true)
			if err != nil {
				t.Fatal(err)
			}
			assertClose(t, "singular values", s, want[:rank], 1e-12)
			if e := orthonormalityError(u); e > 1e-12 {
				t.Errorf("%v rank %d: U not orthonormal (%.3g)", dims, rank, e)
			}
			if e := orthonormalityError(vt.T()); e > 1e-12 {
				t.Errorf("%v rank %d: V not orthonormal (%.3g)", dims, rank, e)
			}
			// Eckart-Young: ||A - A_r||_F^2 = sum of the dropped sigma^2.
			var us, rec mat.Dense
			us.Mul(u, mat.NewDiagDense(rank, s))
			rec.Mul(&us, vt)
			rec.Sub(a, &rec)
			dropped := 0.0
			for _, v := range want[rank:] {
				dropped += v * v
			}
			if got := mat.Norm(&rec, 2); math.Abs(got*got-dropped) > 1e-10 {
				t.Errorf("%v rank %d: ||A - A_r||^2 = %v, want %v", dims, rank, got*got, dropped)
			}
		}
	}
}

// TestTruncatedSVDCompletes: a rank above min(m, n) gets an orthonormal completion of U, zero
// singular values and zero rows of V^T, and U diag(s) V^T is still a.
func TestTruncatedSVDCompletes(t *testing.T) {
	a := randMatrix(newRNG(8), 5, 2)
	u, s, vt, err := TruncatedSVD(a, 4, true)
	if err != nil {
		t.Fatal(err)
	}
	if r, c := u.Dims(); r != 5 || c != 4 {
		t.Fatalf("U is %dx%d, want 5x4", r, c)
	}
	if e := orthonormalityError(u); e > 1e-12 {
		t.Errorf("completed U not orthonormal (%.3g)", e)
	}
	if s[2] != 0 || s[3] != 0 {
		t.Errorf("singular values %v, want zeros past the second", s)
	}
	var us, rec mat.Dense
	us.Mul(u, mat.NewDiagDense(4, s))
	rec.Mul(&us, vt)
	assertClose(t, "U S V^T", rec.RawMatrix().Data, a.RawMatrix().Data, 1e-12)
}

func TestTruncatedSVDErrors(t *testing.T) {
	a := mat.NewDense(3, 4, nil)
	if _, _, _, err := TruncatedSVD(a, 4, false); err == nil || !strings.Contains(err.Error(), "rank 4 must be in 1..3") {
		t.Errorf("rank above rows: %v", err)
	}
	a.Set(2, 1, math.Inf(1))
	if _, _, _, err := TruncatedSVD(a, 2, false); err == nil || !strings.Contains(err.Error(), "entry (2, 1)") {
		t.Errorf("infinite entry: %v", err)
	}
}
