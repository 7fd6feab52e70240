package hooi

import (
	"fmt"
	"testing"

	"github.com/deeptucker/deeptucker/deeptucker/internal/testtensor"
)

// Sizes the notebooks use: the synthetic 10x10x10 of multirank (3,3,3) with 30% missing, and
// the 438x6x11 COVID tensor at Table 1's rank (9,6,9) with 70% missing.
func BenchmarkTucker(b *testing.B) {
	cases := []struct {
		shape, trueRank, rank []int
		missing               float64
	}{
		{[]int{10, 10, 10}, []int{3, 3, 3}, []int{3, 3, 3}, 0},
		{[]int{10, 10, 10}, []int{3, 3, 3}, []int{3, 3, 3}, 0.3},
		{[]int{438, 6, 11}, []int{12, 6, 11}, []int{9, 6, 9}, 0},
		{[]int{438, 6, 11}, []int{12, 6, 11}, []int{9, 6, 9}, 0.7},
	}
	for _, c := range cases {
		rng := newRNG(7)
		x := testtensor.LowRank(rng, c.shape, c.trueRank)
		var opts []Option
		if c.missing > 0 {
			opts = append(opts, WithMask(randomMask(rng, c.shape, c.missing)))
		}
		b.Run(fmt.Sprintf("%v/rank%v/missing%.0f%%", c.shape, c.rank, 100*c.missing), func(b *testing.B) {
			iters := 0
			for b.Loop() {
				res, err := Tucker(x, c.rank, opts...)
				if err != nil {
					b.Fatal(err)
				}
				iters = res.Iterations
			}
			b.ReportMetric(float64(iters), "iters")
		})
	}
}
