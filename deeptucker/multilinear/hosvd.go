package multilinear

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// HOSVDResult is a (possibly truncated) higher-order SVD T ~ C x_0 U_0 ... x_{N-1} U_{N-1}
// (Theorem 2.3).
type HOSVDResult struct {
	// Core is C = T x_0 U_0^T ... x_{N-1} U_{N-1}^T, of shape r_0 x ... x r_{N-1}.
	Core *Tensor
	// Factors[n] is U_n, d_n x r_n with orthonormal columns: the leading mode-n singular vectors.
	Factors []*mat.Dense
	// SingularValues[n] holds the r_n leading mode-n singular values sigma^(n) of T (the
	// singular values of the unfolding T_(n)), in decreasing order, padded with zeros beyond
	// the rank of T_(n). For the full HOSVD they equal the core slice norms ||C_{i_n=i}||;
	// truncation can only lower the core slice norms below them.
	SingularValues [][]float64
}

// Reconstruct returns C x_0 U_0 ... x_{N-1} U_{N-1}: t itself for the full HOSVD, its
// truncation otherwise.
func (r *HOSVDResult) Reconstruct() *Tensor { return TuckerToTensor(r.Core, r.Factors) }

// HOSVD returns the higher-order SVD of t (De Lathauwer et al. 2000; Theorem 2.3 of the paper).
// With ranks nil it is the full HOSVD: each U_n is a d_n x d_n orthogonal matrix, the core has
// the shape of t, and t = C x_0 U_0 ... x_{N-1} U_{N-1} exactly (up to rounding). With ranks
// (r_0..r_{N-1}) it is the truncated HOSVD: U_n keeps the r_n leading mode-n singular vectors.
// When d_n exceeds the number of columns of T_(n), the trailing columns of U_n are an arbitrary
// orthonormal completion (their singular values are 0).
//
// Signs follow TensorLy (see TruncatedSVD), so the result is what TensorLy's
// tucker(t, rank, n_iter_max=0) returns. Modes are 0-based. HOSVD returns an error if ranks has
// the wrong length or an entry outside 1..d_n, or if t has a NaN or infinite entry.
func HOSVD(t *Tensor, ranks []int) (*HOSVDResult, error) {
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("multilinear: HOSVD: %w", err)
	}
	if ranks == nil {
		ranks = t.Shape
	}
	if err := CheckRanks(t.Shape, ranks); err != nil {
		return nil, fmt.Errorf("multilinear: HOSVD: %w", err)
	}
	if err := checkFinite(t, "HOSVD"); err != nil {
		return nil, err
	}
	res := &HOSVDResult{
		Factors:        make([]*mat.Dense, t.Order()),
		SingularValues: make([][]float64, t.Order()),
	}
	ms := make([]mat.Matrix, t.Order())
	for n := range t.Shape {
		u, s, _, err := TruncatedSVD(Unfold(t, n), ranks[n], false)
		if err != nil {
			return nil, fmt.Errorf("multilinear: HOSVD: mode %d: %w", n, err)
		}
		res.Factors[n], res.SingularValues[n], ms[n] = u, s, u
	}
	res.Core = MultiModeDot(t, ms, true)
	return res, nil
}

// NModeSingularValues returns, for each mode n, the d_n mode-n singular values of t (the singular
// values of the unfolding T_(n)) in decreasing order, padded with zeros beyond the rank of T_(n).
// They are the core slice norms of the full HOSVD, computed without singular vectors.
// It returns an error if t has a NaN or infinite entry.
func NModeSingularValues(t *Tensor) ([][]float64, error) {
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("multilinear: NModeSingularValues: %w", err)
	}
	if err := checkFinite(t, "NModeSingularValues"); err != nil {
		return nil, err
	}
	out := make([][]float64, t.Order())
	for n, d := range t.Shape {
		var svd mat.SVD
		if !svd.Factorize(Unfold(t, n), mat.SVDNone) {
			return nil, fmt.Errorf("multilinear: NModeSingularValues: the SVD of the mode-%d unfolding did not converge", n)
		}
		out[n] = make([]float64, d)
		copy(out[n], svd.Values(nil))
	}
	return out, nil
}

// MultilinearRank returns the numerical multilinear (Tucker) rank of t (Definition 2.1): for
// each mode n, the number of mode-n singular values strictly greater than tol, an absolute
// threshold (Fig. 5 of the paper counts core slices of norm > 1e-4). It returns an error if tol
// is negative or NaN, or if t has a NaN or infinite entry.
func MultilinearRank(t *Tensor, tol float64) ([]int, error) {
	if math.IsNaN(tol) || tol < 0 {
		return nil, fmt.Errorf("multilinear: MultilinearRank: tol=%v must be >= 0", tol)
	}
	sv, err := NModeSingularValues(t)
	if err != nil {
		return nil, err
	}
	ranks := make([]int, len(sv))
	for n, s := range sv {
		for _, v := range s {
			if v > tol {
				ranks[n]++
			}
		}
	}
	return ranks, nil
}

// SliceNorms returns the Frobenius norms ||T_{i_n=i}|| of the d_n mode-n slices of t (fix
// index n to i, keep the rest): the n-mode singular values when t is a full HOSVD core, and
// the core slice norms ||G_{..r..}|| the paper tracks for the deep model. It panics if mode is
// out of range.
func SliceNorms(t *Tensor, mode int) []float64 {
	checkMode(t.Shape, mode, "SliceNorms")
	l, d, r := splitAt(t.Shape, mode)
	out := make([]float64, d)
	for li := 0; li < l; li++ {
		for i := 0; i < d; i++ {
			for _, v := range t.Data[(li*d+i)*r : (li*d+i+1)*r] {
				out[i] += v * v
			}
		}
	}
	for i, v := range out {
		if v == 0 && sliceIsZero(t.Data, l, d, r, i) {
			continue // nothing to scale: no need to gather it
		}
		if math.IsInf(v, 1) || v < 0x1p-1022 {
			// Squares overflowed or underflowed (or the slice is 0): gather it and take its norm scaled.
			slice := make([]float64, 0, l*r)
			for li := 0; li < l; li++ {
				slice = append(slice, t.Data[(li*d+i)*r:(li*d+i+1)*r]...)
			}
			out[i] = norm2(slice)
			continue
		}
		out[i] = math.Sqrt(v)
	}
	return out
}

// CheckRanks returns an error unless ranks has one entry per mode of shape, each in 1..d_n.
func CheckRanks(shape, ranks []int) error {
	if len(ranks) != len(shape) {
		return fmt.Errorf("rank %v has %d entries but the tensor has order %d (shape %v)", ranks, len(ranks), len(shape), shape)
	}
	for n, r := range ranks {
		if r < 1 || r > shape[n] {
			return fmt.Errorf("rank[%d]=%d must be in 1..%d, the size of mode %d (shape %v)", n, r, shape[n], n, shape)
		}
	}
	return nil
}

// checkFinite names the first NaN or infinite entry of t.
func checkFinite(t *Tensor, who string) error {
	for off, v := range t.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("multilinear: %s: entry %v is %v", who, Unravel(t.Shape, off), v)
		}
	}
	return nil
}

// sliceIsZero reports whether slice i along the middle axis of data, seen as [l, d, r], holds only zeros.
func sliceIsZero(data []float64, l, d, r, i int) bool {
	for li := 0; li < l; li++ {
		for _, v := range data[(li*d+i)*r : (li*d+i+1)*r] {
			if v != 0 {
				return false
			}
		}
	}
	return true
}
