package multilinear

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// TruncatedSVD returns the leading rank singular triplets of the m x n matrix a: u (m x rank)
// with orthonormal columns, s (length rank) in decreasing order and, when wantV, vt (rank x n)
// with orthonormal rows, so that u*diag(s)*vt is the best approximation of a of rank at most
// rank (Eckart-Young). It follows TensorLy's svd_interface(method="truncated_svd", flip_sign=True):
// each singular pair is signed so that the entry of largest magnitude in each column of u is
// positive (svd_flip with u_based_decision=True; on ties, the first such entry), which makes
// the result deterministic.
//
// When rank exceeds min(m, n), columns min(m,n)..rank-1 of u complete an orthonormal basis of
// R^m (NumPy's full_matrices=True), their singular values are 0 and their rows of vt are 0.
// It returns an error if rank is not in 1..m, if a has a NaN or infinite entry, or if the
// factorization does not converge.
func TruncatedSVD(a mat.Matrix, rank int, wantV bool) (u *mat.Dense, s []float64, vt *mat.Dense, err error) {
	m, n := a.Dims()
	if rank < 1 || rank > m {
		return nil, nil, nil, fmt.Errorf("multilinear: TruncatedSVD: rank %d must be in 1..%d for a %dx%d matrix", rank, m, m, n)
	}
	if i, j, ok := firstNonFinite(a); ok {
		return nil, nil, nil, fmt.Errorf("multilinear: TruncatedSVD: entry (%d, %d) of the %dx%d matrix is %v", i, j, m, n, a.At(i, j))
	}
	k := min(m, n)
	kind := mat.SVDThinU
	if rank > k {
		kind = mat.SVDFullU
	}
	if wantV {
		kind |= mat.SVDThinV
	}
	var svd mat.SVD
	if !svd.Factorize(a, kind) {
		return nil, nil, nil, fmt.Errorf("multilinear: TruncatedSVD: the SVD of a %dx%d matrix did not converge", m, n)
	}
	var uAll mat.Dense
	svd.UTo(&uAll)
	u = mat.DenseCopyOf(uAll.Slice(0, m, 0, rank))
	s = make([]float64, rank)
	copy(s, svd.Values(nil))
	if wantV {
		var v mat.Dense
		svd.VTo(&v) // n x k
		vt = mat.NewDense(rank, n, nil)
		kv := min(rank, k)
		vt.Slice(0, kv, 0, n).(*mat.Dense).Copy(v.Slice(0, n, 0, kv).T())
	}
	flipSigns(u, vt)
	return u, s, vt, nil
}

// flipSigns is TensorLy's svd_flip(U, V, u_based_decision=True): negate column k of u (and
// row k of vt, if any) when the entry of largest |.| in that column is negative. Ties go to
// the first row, as NumPy's argmax.
func flipSigns(u, vt *mat.Dense) {
	rows, cols := u.Dims()
	for k := 0; k < cols; k++ {
		best, arg := -1.0, 0
		for i := 0; i < rows; i++ {
			if a := math.Abs(u.At(i, k)); a > best {
				best, arg = a, i
			}
		}
		if u.At(arg, k) >= 0 {
			continue
		}
		for i := 0; i < rows; i++ {
			u.Set(i, k, -u.At(i, k))
		}
		if vt != nil {
			if r, _ := vt.Dims(); k < r {
				row := vt.RawRowView(k)
				for j := range row {
					row[j] = -row[j]
				}
			}
		}
	}
}

func firstNonFinite(a mat.Matrix) (int, int, bool) {
	m, n := a.Dims()
	if raw, ok := rawRowMajor(a); ok {
		for i := 0; i < m; i++ {
			for j, v := range raw.Data[i*raw.Stride : i*raw.Stride+n] {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return i, j, true
				}
			}
		}
		return 0, 0, false
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			if v := a.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}
