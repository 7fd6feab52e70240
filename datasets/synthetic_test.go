package datasets

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

func TestSyntheticDefault(t *testing.T) {
	w, err := Synthetic(SyntheticOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w.Shape, []int{10, 10, 10}) {
		t.Fatalf("shape %v, want [10 10 10]", w.Shape)
	}
	if w.Missing() != 0 {
		t.Errorf("%d missing entries, want none", w.Missing())
	}
	if got := w.Norm(); math.Abs(got-1) > 1e-12 {
		t.Errorf("Frobenius norm %v, want 1 (the default Scale)", got)
	}
	rank, err := multilinear.MultilinearRank(w.Tensor, 1e-10)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rank, []int{3, 3, 3}) {
		t.Errorf("multilinear rank %v, want [3 3 3]", rank)
	}
	// The slices of the all-orthogonal (HOSVD) core: 3 nonzero per mode, each below 1, squares
	// summing to ||W||^2 = 1.
	h, err := multilinear.HOSVD(w.Tensor, []int{3, 3, 3})
	if err != nil {
		t.Fatal(err)
	}
	for n := range 3 {
		norms := multilinear.SliceNorms(h.Core, n)
		sum := 0.0
		for _, v := range norms {
			if !(v > 1e-3 && v < 1) {
				t.Errorf("mode %d core slice norms %v: each must be in (0, 1)", n, norms)
			}
			sum += v * v
		}
		if math.Abs(sum-1) > 1e-10 {
			t.Errorf("mode %d squared core slice norms sum to %v, want 1", n, sum)
		}
	}
	// Not sparse: no entry is (near) zero; entries are about 1/sqrt(1000) in size.
	for i, v := range w.Data {
		if math.Abs(v) < 1e-6 {
			t.Errorf("entry %v = %v: the tensor should be dense", multilinear.Unravel(w.Shape, i), v)
		}
	}
}

func TestSyntheticRanks(t *testing.T) {
	cases := []SyntheticOptions{
		{Shape: []int{5, 6, 7}, Rank: []int{2, 3, 4}},
		{Shape: []int{4, 4, 4, 4}, Rank: []int{1, 2, 2, 2}},
		{Shape: []int{6, 6, 6}, Rank: []int{2, 3, 6}},
		{Shape: []int{8, 9}, Rank: []int{4, 4}},
		{Shape: []int{3, 4, 5}}, // default rank 3 everywhere
		{Recipe: RecipeAuthors},
		{Recipe: RecipeAuthors, Shape: []int{6, 7, 8}, Rank: []int{2, 4, 3}},
		{Recipe: RecipePaper, Scale: 5},
		{Recipe: RecipeAuthors, Scale: 2},
	}
	for _, o := range cases {
		for seed := range uint64(3) {
			o.Seed = seed
			w, err := Synthetic(o)
			if err != nil {
				t.Fatalf("%+v: %v", o, err)
			}
			want := o.Rank
			if want == nil {
				want = []int{3, 3, 3}
			}
			got, err := multilinear.MultilinearRank(w.Tensor, 1e-9*w.Norm())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%+v: multilinear rank %v, want %v", o, got, want)
			}
			if o.Scale > 0 && math.Abs(w.Norm()-o.Scale) > 1e-12*o.Scale {
				t.Errorf("%+v: norm %v, want Scale %v", o, w.Norm(), o.Scale)
			}
		}
	}
}

func TestSyntheticSeeds(t *testing.T) {
	for _, r := range []Recipe{RecipePaper, RecipeAuthors} {
		a, _ := Synthetic(SyntheticOptions{Seed: 7, Recipe: r})
		b, _ := Synthetic(SyntheticOptions{Seed: 7, Recipe: r})
		c, _ := Synthetic(SyntheticOptions{Seed: 8, Recipe: r})
		if !slices.Equal(a.Data, b.Data) {
			t.Errorf("%s: same seed gave different tensors", r)
		}
		if slices.Equal(a.Data, c.Data) {
			t.Errorf("%s: seeds 7 and 8 gave the same tensor", r)
		}
	}
	p, _ := Synthetic(SyntheticOptions{Seed: 7})
	a, _ := Synthetic(SyntheticOptions{Seed: 7, Recipe: RecipeAuthors})
	if slices.Equal(p.Data, a.Data) {
		t.Errorf("the two recipes gave the same tensor")
	}
}

func TestNormaliseSlices(t *testing.T) {
	a := multilinear.New(3, 4, 5)
	for i := range a.Data {
		a.Data[i] = float64(i%7) - 2.5
	}
	normaliseSlices(a)
	for _, v := range multilinear.SliceNorms(a, 2) {
		if math.Abs(v-1) > 1e-12 {
			t.Errorf("last-mode slice norms %v, want all 1", multilinear.SliceNorms(a, 2))
			break
		}
	}
}

func TestSyntheticErrors(t *testing.T) {
	cases := []struct {
		o    SyntheticOptions
		want string
	}{
		{SyntheticOptions{Shape: []int{}}, "empty shape"},
		{SyntheticOptions{Shape: []int{3, 0}}, "shape[1]=0"},
		{SyntheticOptions{Shape: []int{3, 3}, Rank: []int{4, 3}}, "4"},
		{SyntheticOptions{Rank: []int{3, 3}}, "3"},
		{SyntheticOptions{Rank: []int{1, 1, 2}}, "exceeds the product"},
		{SyntheticOptions{Scale: -1}, "scale -1"},
		{SyntheticOptions{Scale: math.NaN()}, "scale NaN"},
		{SyntheticOptions{Recipe: "tensorly"}, `unknown recipe "tensorly"`},
		// Sizes that cannot be allocated are errors, not Go's fatal out-of-memory error (2^42 entries) or a
		// product that wraps around (2^64).
		{SyntheticOptions{Shape: []int{1 << 20, 1 << 20, 4}}, "use a smaller Shape"},
		{SyntheticOptions{Shape: []int{1 << 32, 1 << 32}}, "more entries than an int counts"},
	}
	for _, c := range cases {
		_, err := Synthetic(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.o, err, c.want)
		}
	}
}
