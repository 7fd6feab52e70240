package theory

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// TestBadInputsAreErrors: a NaN eps would make every threshold NaN, so Prop46 would count no slice and report
// the distance of W from 0 as if it were the proposition's; factors that do not fit the core or W would panic
// inside package multilinear. Both are errors naming the problem.
func TestBadInputsAreErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	core := randTensor(rng, 3, 3, 3)
	fs := []*mat.Dense{randDense(rng, 4, 3), randDense(rng, 4, 3), randDense(rng, 4, 3)}
	for _, eps := range []float64{math.NaN(), math.Inf(-1)} {
		if _, _, err := Prop46(core, fs, eps); err == nil {
			t.Errorf("Prop46 with eps %g: no error", eps)
		}
	}
	bad := []*mat.Dense{fs[0], randDense(rng, 4, 2), fs[2]}
	if _, _, err := Prop46(core, bad, 1e-3); err == nil || !strings.Contains(err.Error(), "mode 1") {
		t.Errorf("Prop46 with a factor of 2 columns for a core of 3: %v, want an error naming mode 1", err)
	}
	w := randTensor(rng, 4, 4, 4)
	train := multilinear.NewMask(4, 4, 4)
	if _, err := CoreGradient(w, w, train, fs); err != nil {
		t.Fatalf("CoreGradient: %v", err)
	}
	short := []*mat.Dense{fs[0], randDense(rng, 5, 3), fs[2]}
	if _, err := CoreGradient(w, w, train, short); err == nil || !strings.Contains(err.Error(), "mode 1") {
		t.Errorf("CoreGradient with a factor of 5 rows for a mode of size 4: %v, want an error naming mode 1", err)
	}
}

// TestMisuseNamesTheMistake: a mode out of range, or as many norms ||w_r|| as there are not slices, panic with
// what is wrong (programmer misuse, as gonum panics), not with an index out of range.
func TestMisuseNamesTheMistake(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	core := randTensor(rng, 3, 2, 2)
	wantPanic := func(name, want string, f func()) {
		t.Helper()
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), want) {
				t.Errorf("%s: panic %v, want one saying %q", name, r, want)
			}
		}()
		f()
	}
	wantPanic("SliceInner mode 3", "mode 3 of a tensor of order 3", func() { SliceInner(core, core, 3) })
	wantPanic("RateLaw with 2 norms", "3 core slices and 2 norms", func() { RateLaw(core, core, []float64{1, 1}, 0) })
	if got := RateLaw(core, core, []float64{1, 1, 1}, 0); len(got) != 3 {
		t.Errorf("RateLaw with 3 norms: %d values", len(got))
	}
}
