package metrics

import (
	"math"
	"testing"
)

// TestMeanStdScaleSafe: the mean and the standard deviation scale with the data: before the scaling, values
// of 1e200 gave a standard deviation of +Inf (squared deviations overflow), values of 1e308 a mean of +Inf
// (the sum overflows), and values of 1e-170 a standard deviation of 0 (squares underflow).
func TestMeanStdScaleSafe(t *testing.T) {
	xs := []float64{1, 2, 4}
	m0, s0 := MeanStd(xs)
	mean := (xs[0] + xs[1] + xs[2]) / 3 // variables: Go's constant arithmetic would be exact
	ss := (xs[0]-mean)*(xs[0]-mean) + (xs[1]-mean)*(xs[1]-mean) + (xs[2]-mean)*(xs[2]-mean)
	if m0 != mean || s0 != math.Sqrt(ss/2) {
		t.Errorf("MeanStd(%v) = %v, %v; want the plain formula bit for bit", xs, m0, s0)
	}
	for _, k := range []float64{1e200, 1e-170, 4e307} {
		ys := []float64{xs[0] * k, xs[1] * k, xs[2] * k}
		m, s := MeanStd(ys)
		if !(math.Abs(m-m0*k) <= 1e-15*m0*k) || !(math.Abs(s-s0*k) <= 1e-15*s0*k) {
			t.Errorf("MeanStd at scale %g = %v, %v; want %v, %v", k, m, s, m0*k, s0*k)
		}
	}
	if m, s := MeanStd([]float64{3}); m != 3 || !math.IsNaN(s) {
		t.Errorf("one value: %v, %v; want 3, NaN", m, s)
	}
	if m, s := MeanStd(nil); !math.IsNaN(m) || !math.IsNaN(s) {
		t.Errorf("no value: %v, %v; want NaN, NaN", m, s)
	}
}
