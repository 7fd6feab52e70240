package multilinear

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// operand returns storage raw and a flag trans such that op(raw) equals a, op being the
// identity or the transpose. *mat.Dense and the mat.Transpose of a *mat.Dense (what
// Dense.T returns) are used in place, so ModeDot(t, u.T(), n) costs no copy of u; any other
// mat.Matrix is copied once.
func operand(a mat.Matrix) (raw blas64.General, trans bool) {
	switch v := a.(type) {
	case mat.RawMatrixer:
		return v.RawMatrix(), false
	case mat.Untransposer:
		if rm, ok := v.Untranspose().(mat.RawMatrixer); ok {
			return rm.RawMatrix(), true
		}
	}
	return mat.DenseCopyOf(a).RawMatrix(), false
}

// rawRowMajor returns the row-major storage of m when m is a *mat.Dense (no copy).
func rawRowMajor(m mat.Matrix) (blas64.General, bool) {
	if rm, ok := m.(mat.RawMatrixer); ok {
		return rm.RawMatrix(), true
	}
	return blas64.General{}, false
}

// ModeDot returns the n-mode product T x_n M of Definition 2.2: M is J x d_n and the result has
// the shape of t with d_n replaced by J,
//
//	(T x_n M)[i_0..j..i_{N-1}] = sum_{i_n} T[i_0..i_n..i_{N-1}] M[j, i_n].
//
// It is TensorLy's mode_dot(t, m, mode). Modes are 0-based (the paper's mode 1 is mode 0).
// Pass u.T() to multiply by a transpose without copying. ModeDot panics if mode is out of
// range or M does not have d_n columns.
func ModeDot(t *Tensor, m mat.Matrix, mode int) *Tensor {
	checkMode(t.Shape, mode, "ModeDot")
	j, dm := m.Dims()
	l, d, r := splitAt(t.Shape, mode)
	if dm != d {
		panic(fmt.Sprintf("multilinear: ModeDot: matrix is %dx%d but mode %d of tensor shape %v has size %d (want Jx%d)",
			j, dm, mode, t.Shape, d, d))
	}
	raw, trans := operand(m)
	shape := append([]int(nil), t.Shape...)
	shape[mode] = j
	out := New(shape...)
	modeDotInto(out.Data, t.Data, l, d, r, raw, trans, j)
	return out
}

// modeDotInto writes src x_n op(a) into dst, src viewed as (l, d, r) and dst as (l, j, r),
// with op(a) of size j x d. Each l-block is one matrix product (j x d)(d x r), no
// per-entry allocation; when r == 1 (the last mode) the whole tensor is one product
// (l x d)(d x j), which keeps the BLAS calls few and large.
func modeDotInto(dst, src []float64, l, d, r int, a blas64.General, aTrans bool, j int) {
	if r == 1 {
		x := blas64.General{Rows: l, Cols: d, Stride: d, Data: src}
		y := blas64.General{Rows: l, Cols: j, Stride: j, Data: dst}
		tB := blas.Trans // y = x * op(a)^T
		if aTrans {
			tB = blas.NoTrans
		}
		blas64.Gemm(blas.NoTrans, tB, 1, x, a, 0, y)
		return
	}
	tA := blas.NoTrans
	if aTrans {
		tA = blas.Trans
	}
	for li := 0; li < l; li++ {
		x := blas64.General{Rows: d, Cols: r, Stride: r, Data: src[li*d*r : (li+1)*d*r]}
		y := blas64.General{Rows: j, Cols: r, Stride: r, Data: dst[li*j*r : (li+1)*j*r]}
		blas64.Gemm(tA, blas.NoTrans, 1, a, x, 0, y)
	}
}

// MultiModeDot returns T x_0 M_0 x_1 M_1 ... x_{N-1} M_{N-1}, the products taken in mode order
// as TensorLy's multi_mode_dot does. With transpose it uses M_n^T instead of M_n (so factors
// U_n of shape d_n x r_n project T onto a core: T x_0 U_0^T ... x_{N-1} U_{N-1}^T). A nil entry
// skips its mode (TensorLy's skip=). It panics if len(ms) differs from the order of t or a
// matrix does not fit its mode.
func MultiModeDot(t *Tensor, ms []mat.Matrix, transpose bool) *Tensor {
	if len(ms) != t.Order() {
		panic(fmt.Sprintf("multilinear: MultiModeDot: %d matrices for a tensor of order %d (shape %v)",
			len(ms), t.Order(), t.Shape))
	}
	out := t
	for n, m := range ms {
		if m == nil {
			continue
		}
		if transpose {
			m = m.T()
		}
		out = ModeDot(out, m, n)
	}
	if out == t {
		out = t.Clone()
	}
	return out
}

// TuckerToTensor returns the full tensor [[G; U_0, ..., U_{N-1}]] = G x_0 U_0 ... x_{N-1} U_{N-1}
// of a Tucker decomposition with core G (r_0 x ... x r_{N-1}) and factors U_n (d_n x r_n), as
// TensorLy's tucker_to_tensor. It panics, naming the mismatch, if the factors do not fit the core.
func TuckerToTensor(core *Tensor, factors []*mat.Dense) *Tensor {
	if len(factors) != core.Order() {
		panic(fmt.Sprintf("multilinear: TuckerToTensor: %d factors for a core of order %d (shape %v)",
			len(factors), core.Order(), core.Shape))
	}
	ms := make([]mat.Matrix, len(factors))
	for n, f := range factors {
		if f == nil {
			panic(fmt.Sprintf("multilinear: TuckerToTensor: factors[%d] is nil", n))
		}
		if _, c := f.Dims(); c != core.Shape[n] {
			panic(fmt.Sprintf("multilinear: TuckerToTensor: factors[%d] has %d columns but core.Shape[%d]=%d",
				n, c, n, core.Shape[n]))
		}
		ms[n] = f
	}
	return MultiModeDot(core, ms, false)
}
