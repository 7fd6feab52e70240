package multilinear

import (
	"fmt"
	"testing"
)

// The notebooks run HOSVD on hundreds of 10x10x10 tensors (Fig. 5) and on the 438x6x11 COVID
// tensor.
var benchCases = []struct {
	shape, rank []int
}{
	{[]int{10, 10, 10}, nil},
	{[]int{10, 10, 10}, []int{3, 3, 3}},
	{[]int{438, 6, 11}, nil},
	{[]int{438, 6, 11}, []int{9, 6, 9}},
}

func name(shape, rank []int) string {
	r := "full"
	if rank != nil {
		r = fmt.Sprintf("rank%v", rank)
	}
	return fmt.Sprintf("%v/%s", shape, r)
}

func BenchmarkHOSVD(b *testing.B) {
	for _, c := range benchCases {
		x := randTensor(newRNG(9), c.shape...)
		b.Run(name(c.shape, c.rank), func(b *testing.B) {
			for b.Loop() {
				if _, err := HOSVD(x, c.rank); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMultilinearRank(b *testing.B) {
	for _, shape := range [][]int{{10, 10, 10}, {438, 6, 11}} {
		x := randTensor(newRNG(9), shape...)
		b.Run(fmt.Sprint(shape), func(b *testing.B) {
			for b.Loop() {
				if _, err := MultilinearRank(x, 1e-4); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkModeDot(b *testing.B) {
	x := randTensor(newRNG(9), 438, 6, 11)
	for n, d := range x.Shape {
		m := randMatrix(newRNG(10), min(d, 9), d)
		b.Run(fmt.Sprintf("438x6x11/mode%d", n), func(b *testing.B) {
			for b.Loop() {
				ModeDot(x, m, n)
			}
		})
	}
}
