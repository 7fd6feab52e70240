package metrics

import "math"

// MeanStd returns the mean of xs and their sample standard deviation (NaN for fewer than 2 values; the mean is
// NaN for none), safe at any float64 scale: the study's statistics and the kernel's tables use it. xs must be finite. It computes sum/n, then sqrt(sum((x-mean)^2)/(n-1)), bit for bit,
// when the largest |x| is within [2^-450, 2^450]; beyond (values above about 1e135, whose squared
// deviations overflow past 1e154, or all below about 1e-135, whose squares underflow) it computes the same
// on xs scaled by a power of two, which is exact, and scales the results back.
func MeanStd(xs []float64) (mean, std float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	m := 0.0
	for _, x := range xs {
		m = math.Max(m, math.Abs(x))
	}
	e := 0
	if m != 0 && !math.IsInf(m, 0) && !math.IsNaN(m) {
		if _, me := math.Frexp(m); me < -safeExp || me > safeExp {
			e = me
		}
	}
	s := math.Ldexp(1, -e)
	for _, x := range xs {
		mean += x * s
	}
	mean /= float64(len(xs))
	std = math.NaN()
	if len(xs) > 1 {
		ss := 0.0
		for _, x := range xs {
			d := x*s - mean
			ss += d * d
		}
		std = math.Ldexp(math.Sqrt(ss/float64(len(xs)-1)), e)
	}
	return math.Ldexp(mean, e), std
}
