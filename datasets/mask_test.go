package datasets

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

func TestSplitMaskFractions(t *testing.T) {
	present := multilinear.NewMask(10, 10, 10)
	// Knock out 37 entries so that missing ones are exercised as well.
	for i := 0; i < 1000; i += 27 {
		present.Observed[i] = false
	}
	p := present.Count()
	for _, frac := range []float64{0.3, 0.7, 0.5, 0.01, 0.999} {
		train, held, err := SplitMask(present, frac, 42)
		if err != nil {
			t.Fatalf("fraction %v: %v", frac, err)
		}
		want := int(math.Round(frac * float64(p)))
		if train.Count() != want || held.Count() != p-want {
			t.Errorf("fraction %v: %d observed and %d held out, want %d and %d", frac, train.Count(), held.Count(), want, p-want)
		}
		for i := range present.Observed {
			tr, ho, pr := train.Observed[i], held.Observed[i], present.Observed[i]
			if tr && ho {
				t.Fatalf("entry %d both observed and held out", i)
			}
			if pr != (tr || ho) {
				t.Fatalf("entry %d: present %v but train %v, held-out %v (missing entries must be in neither)", i, pr, tr, ho)
			}
		}
		if !slices.Equal(train.Shape, present.Shape) || !slices.Equal(held.Shape, present.Shape) {
			t.Errorf("mask shapes %v %v, want %v", train.Shape, held.Shape, present.Shape)
		}
	}
}

func TestSplitMaskSeeded(t *testing.T) {
	present := multilinear.NewMask(20, 30)
	a, _, _ := SplitMask(present, 0.7, 1)
	b, _, _ := SplitMask(present, 0.7, 1)
	c, _, _ := SplitMask(present, 0.7, 2)
	if !slices.Equal(a.Observed, b.Observed) {
		t.Errorf("same seed gave different masks")
	}
	if slices.Equal(a.Observed, c.Observed) {
		t.Errorf("seeds 1 and 2 gave the same mask")
	}
}

func TestSplitMaskUniform(t *testing.T) {
	// Each present entry should be observed with probability 0.3: over 2000 seeds, every
	// entry's frequency stays within 5 standard deviations of 0.3.
	present := multilinear.NewMask(4, 5)
	present.Observed[7] = false
	const runs = 2000
	hits := make([]int, 20)
	for seed := range uint64(runs) {
		train, _, err := SplitMask(present, 0.3, seed)
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range train.Observed {
			if o {
				hits[i]++
			}
		}
	}
	// 19 present entries, round(0.3*19) = 6 observed: probability 6/19 each.
	pr := 6.0 / 19
	sd := math.Sqrt(pr * (1 - pr) / runs)
	for i, h := range hits {
		if i == 7 {
			if h != 0 {
				t.Errorf("missing entry 7 observed %d times", h)
			}
			continue
		}
		if f := float64(h) / runs; math.Abs(f-pr) > 5*sd {
			t.Errorf("entry %d observed in %.3f of runs, want %.3f +- %.3f", i, f, pr, 5*sd)
		}
	}
}

func TestSplitMaskErrors(t *testing.T) {
	present := multilinear.NewMask(3, 3)
	none := present.Complement()
	cases := []struct {
		m    *multilinear.Mask
		frac float64
		want string
	}{
		{present, 0, "(0, 1)"},
		{present, 1, "(0, 1)"},
		{present, -0.2, "(0, 1)"},
		{present, math.NaN(), "(0, 1)"},
		{nil, 0.5, "got none"},
		{present, 0.01, "0 observed"},
		{present, 0.99, "0 held out"},
		{none, 0.5, "of 0 present"},
	}
	for _, c := range cases {
		_, _, err := SplitMask(c.m, c.frac, 1)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("fraction %v: error %v, want one containing %q", c.frac, err, c.want)
		}
	}
}

// TestSplitMaskRefusesInconsistentMask: a hand-built present mask whose Observed does not fill its
// Shape was split without complaint into masks of the wrong length, which fail (or mislead) far
// from here, in training. The error must name the shapes.
func TestSplitMaskRefusesInconsistentMask(t *testing.T) {
	for _, m := range []*multilinear.Mask{
		{Shape: []int{3, 3}, Observed: []bool{true, true, false}},
		{Shape: []int{2}, Observed: []bool{true, true, true, false}},
		{Shape: []int{0, 2}, Observed: []bool{true, false}},
		{Shape: nil, Observed: []bool{true, false}},
		// 3 x 6148914691236517206 wraps around int64 to 2: an unchecked product matched the 2 entries.
		{Shape: []int{3, 6148914691236517206}, Observed: []bool{true, false}},
	} {
		_, _, err := SplitMask(m, 0.5, 1)
		if err == nil || !strings.Contains(err.Error(), "entries") || !strings.Contains(err.Error(), "multilinear.NewMask") {
			t.Errorf("mask shape %v with %d entries: error %v, want one naming the mismatch and the remedy", m.Shape, len(m.Observed), err)
		}
	}
}
