package multilinear

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// splitAt views shape as (L, d, R) around mode: L is the product of the sizes before mode,
// d = shape[mode] and R the product of the sizes after it. In row-major order entry
// (l, i, r) of that view sits at offset (l*d + i)*R + r.
func splitAt(shape []int, mode int) (l, d, r int) {
	l, r = 1, 1
	for k, s := range shape {
		switch {
		case k < mode:
			l *= s
		case k > mode:
			r *= s
		}
	}
	return l, shape[mode], r
}

func checkMode(shape []int, mode int, who string) {
	if mode < 0 || mode >= len(shape) {
		panic(fmt.Sprintf("multilinear: %s: mode %d out of range for a tensor of order %d (shape %v); modes are 0-based",
			who, mode, len(shape), shape))
	}
}

// Unfold returns the mode-n unfolding T_(n) of t, a d_n x (prod_{k != n} d_k) matrix, with
// TensorLy's column order: move mode n to the front, then reshape in C order. Column j of
// T_(n) therefore enumerates the remaining modes in their original order, last fastest.
//
// Modes are 0-based: the paper's mode 1 is mode 0 here. Unfold copies; it panics if mode is
// out of range.
func Unfold(t *Tensor, mode int) *mat.Dense {
	checkMode(t.Shape, mode, "Unfold")
	l, d, r := splitAt(t.Shape, mode)
	cols := l * r
	out := make([]float64, d*cols)
	// Row i of T_(n) is the concatenation over l of the contiguous fibres t[l, i, :].
	for i := 0; i < d; i++ {
		row := out[i*cols : (i+1)*cols]
		for li := 0; li < l; li++ {
			src := (li*d + i) * r
			copy(row[li*r:(li+1)*r], t.Data[src:src+r])
		}
	}
	return mat.NewDense(d, cols, out)
}

// Fold is the inverse of Unfold: it returns the tensor of the given shape whose mode-n
// unfolding is m. It panics if mode is out of range or m is not d_n x (prod_{k != n} d_k).
func Fold(m mat.Matrix, mode int, shape []int) *Tensor {
	checkShape(shape)
	checkMode(shape, mode, "Fold")
	l, d, r := splitAt(shape, mode)
	rows, cols := m.Dims()
	if rows != d || cols != l*r {
		panic(fmt.Sprintf("multilinear: Fold: matrix is %dx%d but mode %d of shape %v needs %dx%d",
			rows, cols, mode, shape, d, l*r))
	}
	t := New(shape...)
	raw, isRaw := rawRowMajor(m)
	for i := 0; i < d; i++ {
		for li := 0; li < l; li++ {
			dst := t.Data[(li*d+i)*r : (li*d+i+1)*r]
			if isRaw {
				copy(dst, raw.Data[i*raw.Stride+li*r:i*raw.Stride+(li+1)*r])
				continue
			}
			for ri := range dst {
				dst[ri] = m.At(i, li*r+ri)
			}
		}
	}
	return t
}
