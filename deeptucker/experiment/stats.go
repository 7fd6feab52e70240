package experiment

import (
	"math"
	"sort"
)

// Stats summarises a sample: count, mean, standard deviation (n-1), min,
// median and max. NaN values are left out and counted in NaNs.
type Stats struct {
	N                int
	Mean, Std        float64
	Min, Median, Max float64
	NaNs             int
}

// Describe computes the Stats of xs.
func Describe(xs []float64) Stats {
	var v []float64
	s := Stats{}
	for _, x := range xs {
		if math.IsNaN(x) {
			s.NaNs++
			continue
		}
		v = append(v, x)
	}
	s.N = len(v)
	if s.N == 0 {
		s.Mean, s.Std, s.Min, s.Median, s.Max = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
		return s
	}
	sort.Float64s(v)
	s.Min, s.Max = v[0], v[len(v)-1]
	if s.N%2 == 1 {
		s.Median = v[s.N/2]
	} else {
		s.Median = (v[s.N/2-1] + v[s.N/2]) / 2
	}
	for _, x := range v {
		s.Mean += x
	}
	s.Mean /= float64(s.N)
	if s.N > 1 {
		for _, x := range v {
			s.Std += (x - s.Mean) * (x - s.Mean)
		}
		s.Std = math.Sqrt(s.Std / float64(s.N-1))
	} else {
		s.Std = math.NaN()
	}
	return s
}

// GroupBy splits rows by a key, keeping the order in which keys first appear.
func GroupBy[T any, K comparable](rows []T, key func(T) K) (keys []K, groups map[K][]T) {
	groups = map[K][]T{}
	for _, r := range rows {
		k := key(r)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	return keys, groups
}

// Slope is the least-squares slope of y on x (NaN with fewer than two
// distinct x).
func Slope(x, y []float64) float64 {
	if len(x) != len(y) || len(x) < 2 {
		return math.NaN()
	}
	mx, my := 0.0, 0.0
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(x))
	sxy, sxx := 0.0, 0.0
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
	}
	if sxx == 0 {
		return math.NaN()
	}
	return sxy / sxx
}
