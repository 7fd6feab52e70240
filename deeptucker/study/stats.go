package study

import (
	"fmt"
	"math"
	"sort"

	"github.com/deeptucker/deeptucker/deeptucker/metrics"
	"github.com/deeptucker/deeptucker/deeptucker/results"
)

// Stats summarises a sample: count, mean, standard deviation (n-1), min, median and max. NaN values are left
// out and counted in NaNs.
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
	nan := math.NaN()
	s.Std = nan
	if s.N == 0 {
		s.Mean, s.Min, s.Median, s.Max = nan, nan, nan, nan
		return s
	}
	sort.Float64s(v)
	s.Min, s.Max = v[0], v[len(v)-1]
	if s.N%2 == 1 {
		s.Median = v[s.N/2]
	} else {
		s.Median = (v[s.N/2-1] + v[s.N/2]) / 2
	}
	s.Mean, s.Std = metrics.MeanStd(v) // scale-safe: values beyond 1e154 (a diverged run's error) do not overflow
	return s
}

// Median is the median of xs, NaN values left out.
func Median(xs []float64) float64 { return Describe(xs).Median }

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

// Filter keeps the rows for which keep is true.
func Filter[T any](rows []T, keep func(T) bool) []T {
	var out []T
	for _, r := range rows {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// Values maps rows to numbers.
func Values[T any](rows []T, f func(T) float64) []float64 {
	out := make([]float64, len(rows))
	for i, r := range rows {
		out[i] = f(r)
	}
	return out
}

// Slope is the least-squares slope of y on x (NaN with fewer than two distinct x).
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

// Mode returns the most frequent string (the smallest among ties) with its count, as "s (k of n)".
func Mode(xs []string) string {
	count := map[string]int{}
	best := ""
	for _, x := range xs {
		count[x]++
		if count[x] > count[best] || (count[x] == count[best] && x < best) {
			best = x
		}
	}
	return fmt.Sprintf("%s (%d of %d)", best, count[best], len(xs))
}

// Nums converts float64 values to results.Num (JSON-safe).
func Nums(xs []float64) []results.Num {
	out := make([]results.Num, len(xs))
	for i, x := range xs {
		out[i] = results.Num(x)
	}
	return out
}

// Floats converts stored numbers back to float64.
func Floats(xs []results.Num) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

// Squared returns the squares of xs (Fig. 3 plots squared norms).
func Squared(xs []results.Num) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x) * float64(x)
	}
	return out
}

func sqrt(x float64) float64 { return math.Sqrt(x) }
