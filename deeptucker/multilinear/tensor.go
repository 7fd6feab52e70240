package multilinear

import (
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/deeptucker/deeptucker/deeptucker/memguard"
)

// Tensor is a dense, row-major (C order) float64 tensor on the host: the last index varies fastest,
// as in NumPy, so a .npy file maps onto it with no copy of the layout.
type Tensor struct {
	Shape []int
	Data  []float64
}

// New returns a zero tensor of the given shape. It panics if a dimension is not positive, or if
// the tensor would not fit in memory (a clear panic, where allocating would kill the process).
func New(shape ...int) *Tensor {
	n := checkShape(shape)
	if need := 8 * float64(n); need >= memguard.Small { // New runs in inner loops: format only when it counts
		if err := memguard.Check(fmt.Sprintf("multilinear: New%v", slices.Clone(shape)), need); err != nil { // a clone: shape itself need not escape
			panic(err.Error() + "; use a smaller shape")
		}
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float64, n)}
}

// Entries returns the number of entries of shape, the product of its sizes, or an error naming
// the shape when a size is not positive or the product overflows int.
func Entries(shape []int) (int, error) {
	if len(shape) == 0 {
		return 0, fmt.Errorf("multilinear: a tensor needs at least one mode")
	}
	n := 1
	for i, d := range shape {
		if d <= 0 {
			return 0, fmt.Errorf("multilinear: shape[%d]=%d must be positive (shape=%v)", i, d, slices.Clone(shape)) // clones: shape need not escape (New's inner loops)
		}
		hi, lo := bits.Mul64(uint64(n), uint64(d))
		if hi != 0 || lo > math.MaxInt {
			return 0, fmt.Errorf("multilinear: shape %v has more entries than an int counts; no machine holds it", slices.Clone(shape))
		}
		n = int(lo)
	}
	return n, nil
}

// FromData wraps data (not copied) as a tensor of the given shape.
// It returns an error if the sizes disagree or a dimension is not positive.
func FromData(shape []int, data []float64) (*Tensor, error) {
	n, err := Entries(shape) // checked: a product that wrapped around could match len(data)
	if err != nil {
		return nil, err
	}
	if n != len(data) {
		return nil, fmt.Errorf("multilinear: shape %v holds %d entries but data has %d", shape, n, len(data))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}, nil
}

func checkShape(shape []int) int {
	n, err := Entries(shape)
	if err != nil {
		panic(err.Error())
	}
	return n
}

// Order is the number of modes N.
func (t *Tensor) Order() int { return len(t.Shape) }

// Size is the number of entries, the product of the mode sizes.
func (t *Tensor) Size() int { return len(t.Data) }

// Strides returns the row-major strides: the flat offset of index (i_1..i_N) is sum_n i_n * strides[n].
func (t *Tensor) Strides() []int { return Strides(t.Shape) }

// Strides returns the row-major strides of a shape.
func Strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for n := len(shape) - 1; n >= 0; n-- {
		s[n] = acc
		acc *= shape[n]
	}
	return s
}

// Offset returns the flat index of a multi-index. It panics if the index is out of range.
func (t *Tensor) Offset(index ...int) int {
	if len(index) != len(t.Shape) {
		panic(fmt.Sprintf("multilinear: index %v has %d entries, tensor has order %d", index, len(index), len(t.Shape)))
	}
	off := 0
	for n, i := range index {
		if i < 0 || i >= t.Shape[n] {
			panic(fmt.Sprintf("multilinear: index %v out of range for shape %v", index, t.Shape))
		}
		off = off*t.Shape[n] + i
	}
	return off
}

// At returns the entry at a multi-index.
func (t *Tensor) At(index ...int) float64 { return t.Data[t.Offset(index...)] }

// Set sets the entry at a multi-index.
func (t *Tensor) Set(v float64, index ...int) { t.Data[t.Offset(index...)] = v }

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float64(nil), t.Data...)}
}

// Norm is the Frobenius norm sqrt(<T, T>). Entries whose squares overflow (beyond about 1e154)
// or underflow (all below about 1e-154) are summed scaled, so the norm is right at any scale.
func (t *Tensor) Norm() float64 { return norm2(t.Data) }

// norm2 is the Euclidean norm of xs: the plain sqrt of the sum of squares, bit for bit, when that
// sum is a normal float64; else (overflow to +Inf, or a subnormal sum whose digits underflow lost)
// the sum of squares of x/max|x| times max|x|, as LAPACK's dnrm2 does.
func norm2(xs []float64) float64 {
	s := 0.0
	for _, v := range xs {
		s += v * v
	}
	if !math.IsInf(s, 1) && (s >= 0x1p-1022 || math.IsNaN(s)) {
		return math.Sqrt(s)
	}
	m := 0.0
	for _, v := range xs {
		m = math.Max(m, math.Abs(v))
	}
	if m == 0 || math.IsInf(m, 0) || math.IsNaN(m) {
		return m
	}
	s = 0
	for _, v := range xs {
		r := v / m
		s += r * r
	}
	return m * math.Sqrt(s)
}

// L1Norm is the sum of the entries' absolute values (TensorLy's norm(t, 1)).
func (t *Tensor) L1Norm() float64 {
	s := 0.0
	for _, v := range t.Data {
		s += math.Abs(v)
	}
	return s
}

// SameShape reports whether two shapes are equal.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Mask marks which entries of a tensor of the same shape are observed (true) or missing (false),
// TensorLy's mask with 1 = observed, 0 = missing.
type Mask struct {
	Shape    []int
	Observed []bool
}

// NewMask returns a mask of the given shape with every entry set to observed. It panics as New does.
func NewMask(shape ...int) *Mask {
	n := checkShape(shape)
	if need := float64(n); need >= memguard.Small {
		if err := memguard.Check(fmt.Sprintf("multilinear: NewMask%v", slices.Clone(shape)), need); err != nil {
			panic(err.Error() + "; use a smaller shape")
		}
	}
	m := &Mask{Shape: append([]int(nil), shape...), Observed: make([]bool, n)}
	for i := range m.Observed {
		m.Observed[i] = true
	}
	return m
}

// Count is the number of observed entries.
func (m *Mask) Count() int {
	c := 0
	for _, o := range m.Observed {
		if o {
			c++
		}
	}
	return c
}

// Clone returns a deep copy.
func (m *Mask) Clone() *Mask {
	return &Mask{Shape: append([]int(nil), m.Shape...), Observed: append([]bool(nil), m.Observed...)}
}

// Complement returns the mask of the entries m does not observe.
func (m *Mask) Complement() *Mask {
	c := m.Clone()
	for i, o := range c.Observed {
		c.Observed[i] = !o
	}
	return c
}

// CheckFits returns an error naming both shapes if the mask does not fit tensor t.
func (m *Mask) CheckFits(t *Tensor) error {
	if !SameShape(m.Shape, t.Shape) {
		return fmt.Errorf("multilinear: mask shape %v does not match tensor shape %v", m.Shape, t.Shape)
	}
	if len(m.Observed) != len(t.Data) {
		return fmt.Errorf("multilinear: the mask of shape %v has %d entries and the tensor %d: build masks with NewMask(shape...)",
			m.Shape, len(m.Observed), len(t.Data))
	}
	return nil
}
