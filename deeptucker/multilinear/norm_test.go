package multilinear

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestNormScaleSafe: Norm and SliceNorms are right at any scale (squares of 1e200 overflow, of 1e-200
// underflow), and bit for bit the plain sqrt of the sum of squares on ordinary data.
func TestNormScaleSafe(t *testing.T) {
	x, err := FromData([]int{2, 3}, []float64{3, 4, 0, -12, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := x.Norm(), math.Sqrt(9+16+144+1+4); got != want {
		t.Errorf("Norm = %v, want %v bit for bit", got, want)
	}
	wantSlices := SliceNorms(x, 0)
	for _, k := range []float64{1e200, 1e-200} {
		y := x.Clone()
		for i := range y.Data {
			y.Data[i] *= k
		}
		if got, want := y.Norm(), x.Norm()*k; !(math.Abs(got-want) <= 1e-15*want) {
			t.Errorf("Norm at scale %g = %v, want %v", k, got, want)
		}
		for i, got := range SliceNorms(y, 0) {
			if want := wantSlices[i] * k; !(math.Abs(got-want) <= 1e-15*want) {
				t.Errorf("SliceNorms at scale %g [%d] = %v, want %v", k, i, got, want)
			}
		}
	}
	inf := x.Clone()
	inf.Data[1] = math.Inf(-1)
	if got := inf.Norm(); !math.IsInf(got, 1) {
		t.Errorf("Norm with an infinite entry = %v, want +Inf", got)
	}
	nan := x.Clone()
	nan.Data[1] = math.NaN()
	if got := nan.Norm(); !math.IsNaN(got) {
		t.Errorf("Norm with a NaN entry = %v, want NaN", got)
	}
}

// TestAbsurdShapes: a shape whose product overflows int, or that would not fit in memory, is a clear
// error (FromData, Validate) or a clear panic (New, NewMask), never a wrapped-around size or a fatal
// out-of-memory error that kills the process.
func TestAbsurdShapes(t *testing.T) {
	wraps := []int{1 << 32, 1 << 32} // 2^64 entries: an unchecked product wraps around to 0
	if _, err := FromData(wraps, nil); err == nil || !strings.Contains(err.Error(), "more entries than an int counts") {
		t.Errorf("FromData(%v, nil): error %v, want one saying the shape is too large", wraps, err)
	}
	if err := (&Tensor{Shape: wraps}).Validate(); err == nil || !strings.Contains(err.Error(), "more entries than an int counts") {
		t.Errorf("Validate of shape %v with no data: error %v, want one saying the shape is too large", wraps, err)
	}
	for _, shape := range [][]int{wraps, {1 << 20, 1 << 20, 1 << 20}} { // the second: 2^60 entries, 8 EiB
		for name, f := range map[string]func(...int){"New": func(s ...int) { New(s...) }, "NewMask": func(s ...int) { NewMask(s...) }} {
			msg := func() (msg string) {
				defer func() { msg = fmt.Sprint(recover()) }()
				f(shape...)
				return "no panic"
			}()
			if !strings.Contains(msg, "multilinear: ") || !(strings.Contains(msg, "more than") || strings.Contains(msg, "an int counts")) {
				t.Errorf("%s%v: panic %q, want a clear one naming the size", name, shape, msg)
			}
		}
	}
	if n, err := Entries([]int{3, 4, 5}); err != nil || n != 60 {
		t.Errorf("Entries([3 4 5]) = %d, %v", n, err)
	}
}
