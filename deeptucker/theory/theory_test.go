package theory

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

func randTensor(rng *rand.Rand, shape ...int) *multilinear.Tensor {
	t := multilinear.New(shape...)
	for i := range t.Data {
		t.Data[i] = rng.NormFloat64()
	}
	return t
}

func randDense(rng *rand.Rand, r, c int) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	for i := range r {
		for j := range c {
			m.Set(i, j, rng.NormFloat64())
		}
	}
	return m
}

func loss(core *multilinear.Tensor, fs []*mat.Dense, target *multilinear.Tensor, train *multilinear.Mask) float64 {
	w := multilinear.TuckerToTensor(core, fs)
	s := 0.0
	for i, o := range train.Observed {
		if o {
			s += (w.Data[i] - target.Data[i]) * (w.Data[i] - target.Data[i])
		}
	}
	return s / float64(train.Count())
}

func TestCoreGradientMatchesFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	core := randTensor(rng, 3, 2, 4)
	fs := []*mat.Dense{randDense(rng, 5, 3), randDense(rng, 4, 2), randDense(rng, 3, 4)}
	target := randTensor(rng, 5, 4, 3)
	train := multilinear.NewMask(5, 4, 3)
	for i := range train.Observed {
		train.Observed[i] = rng.Float64() < 0.6
	}
	w := multilinear.TuckerToTensor(core, fs)
	y, err := CoreGradient(w, target, train, fs)
	if err != nil {
		t.Fatal(err)
	}
	const h = 1e-6
	for _, i := range []int{0, 5, 17, 23} {
		c1, c2 := core.Clone(), core.Clone()
		c1.Data[i] += h
		c2.Data[i] -= h
		fd := -(loss(c1, fs, target, train) - loss(c2, fs, target, train)) / (2 * h)
		if math.Abs(fd-y.Data[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
			t.Errorf("core entry %d: −dL/dG = %g by finite differences, CoreGradient says %g", i, fd, y.Data[i])
		}
	}
	// RateLaw is d/dt ||G_r|| under the core's own gradient flow, when ||w_r|| = ||G_r||.
	rate := RateLaw(core, y, nil, 1)
	step := core.Clone()
	for i := range step.Data {
		step.Data[i] += h * y.Data[i]
	}
	before, after := multilinear.SliceNorms(core, 1), multilinear.SliceNorms(step, 1)
	for r := range rate {
		if fd := (after[r] - before[r]) / h; math.Abs(fd-rate[r]) > 1e-4*math.Max(1, math.Abs(fd)) {
			t.Errorf("slice %d: d/dt ||G_r|| = %g by finite differences, RateLaw says %g", r, fd, rate[r])
		}
	}
	if _, err := CoreGradient(w, randTensor(rng, 2, 2, 2), train, fs); err == nil {
		t.Error("mismatched shapes must be an error")
	}
}

func TestSliceInner(t *testing.T) {
	a := &multilinear.Tensor{Shape: []int{2, 2}, Data: []float64{1, 2, 3, 4}}
	b := &multilinear.Tensor{Shape: []int{2, 2}, Data: []float64{1, 1, 2, 0}}
	got0, got1 := SliceInner(a, b, 0), SliceInner(a, b, 1)
	// mode 0: rows (1,2)·(1,1)=3 and (3,4)·(2,0)=6; mode 1: columns (1,3)·(1,2)=7 and (2,4)·(1,0)=2.
	if got0[0] != 3 || got0[1] != 6 || got1[0] != 7 || got1[1] != 2 {
		t.Errorf("SliceInner = %v, %v; want [3 6], [7 2]", got0, got1)
	}
}

func TestProp46BoundHolds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	core := randTensor(rng, 4, 4, 4)
	// Make slices of very different sizes along every mode, as a trained core has.
	strides := multilinear.Strides(core.Shape)
	for i := range core.Data {
		for n := range 3 {
			core.Data[i] *= math.Pow(10, -float64((i/strides[n])%4))
		}
	}
	fs := []*mat.Dense{randDense(rng, 6, 4), randDense(rng, 5, 4), randDense(rng, 4, 4)}
	prevRank := 1 << 30
	for _, eps := range []float64{1e-6, 1e-3, 1e-1, 1, 10} {
		ranks, dist, err := Prop46(core, fs, eps)
		if err != nil {
			t.Fatal(err)
		}
		if dist > eps {
			t.Errorf("eps %g: ||W − W_R|| = %g exceeds eps (ranks %v)", eps, dist, ranks)
		}
		sum := ranks[0] + ranks[1] + ranks[2]
		if sum > prevRank {
			t.Errorf("eps %g: ranks %v grew as eps grew", eps, ranks)
		}
		prevRank = sum
	}
	if r, d, _ := Prop46(core, fs, 1e-12); multilinear.FormatRank(r) != "(4,4,4)" || d != 0 {
		t.Errorf("tiny eps: ranks %v, distance %g; want full ranks, 0", r, d)
	}
	if r, _, _ := Prop46(core, fs, 1); r[0] >= 4 {
		t.Errorf("eps 1 should drop the smallest slices: ranks %v", r)
	}
	if _, _, err := Prop46(core, fs, 0); err == nil {
		t.Error("eps 0 must be an error")
	}
}
