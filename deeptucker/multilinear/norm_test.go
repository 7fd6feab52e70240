package multilinear

import (
	"math"
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
