package multilinear

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/deeptucker/deeptucker/deeptucker/internal/tlfixture"
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }

// randTensor has standard normal entries.
func randTensor(rng *rand.Rand, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.Data {
		t.Data[i] = rng.NormFloat64()
	}
	return t
}

func randMatrix(rng *rand.Rand, r, c int) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			m.Set(i, j, rng.NormFloat64())
		}
	}
	return m
}

// orthonormal returns a d x r matrix with orthonormal columns (Q of a Gaussian matrix).
func orthonormal(rng *rand.Rand, d, r int) *mat.Dense {
	var qr mat.QR
	qr.Factorize(randMatrix(rng, d, r))
	var q mat.Dense
	qr.QTo(&q)
	return mat.DenseCopyOf(q.Slice(0, d, 0, r))
}

// lowRank returns G x_0 U_0 ... with a Gaussian core of shape rank and orthonormal U_n: a tensor
// whose multilinear rank is rank (almost surely, when each rank[n] <= prod of the others).
func lowRank(rng *rand.Rand, shape, rank []int) *Tensor {
	fs := make([]*mat.Dense, len(shape))
	for n := range shape {
		fs[n] = orthonormal(rng, shape[n], rank[n])
	}
	return TuckerToTensor(randTensor(rng, rank...), fs)
}

func maxAbsDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

func assertClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	if d := maxAbsDiff(got, want); !(d <= tol) {
		t.Errorf("%s: max |got - want| = %.3g > %.3g", what, d, tol)
	}
}

// orthonormalityError is max |U^T U - I|.
func orthonormalityError(u mat.Matrix) float64 {
	var g mat.Dense
	g.Mul(u.T(), u)
	r, _ := g.Dims()
	e := 0.0
	for i := 0; i < r; i++ {
		for j := 0; j < r; j++ {
			want := 0.0
			if i == j {
				want = 1
			}
			e = math.Max(e, math.Abs(g.At(i, j)-want))
		}
	}
	return e
}

// mustPanic runs f and fails unless it panics with a message containing substr.
func mustPanic(t *testing.T, substr string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want one mentioning %q", substr)
		}
		if msg, _ := r.(string); !strings.Contains(msg, substr) {
			t.Fatalf("panic %v does not mention %q", r, substr)
		}
	}()
	f()
}

// tensorOf copies a fixture array into a tensor.
func tensorOf(a tlfixture.Array) *Tensor {
	t, err := FromData(a.Shape, a.Values())
	if err != nil {
		panic(err)
	}
	return t
}
