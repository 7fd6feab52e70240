package metrics

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/deeptucker/deeptucker/deeptucker/internal/tlfixture"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

func tensor(shape []int, data ...float64) *multilinear.Tensor {
	t, err := multilinear.FromData(shape, data)
	if err != nil {
		panic(err)
	}
	return t
}

func mask(shape []int, observed ...bool) *multilinear.Mask {
	return &multilinear.Mask{Shape: shape, Observed: observed}
}

// TestHandChecked: target (1, 2, 3, 4), pred (1, 2, 3, 5). SS_res = 1; mean 2.5, SS_tot = 5;
// ||target||^2 = 30. So MSE = 1/4, R2 = 1 - 1/5, R2X = 1 - 1/30.
func TestHandChecked(t *testing.T) {
	s := []int{2, 2}
	target, pred := tensor(s, 1, 2, 3, 4), tensor(s, 1, 2, 3, 5)
	for _, m := range []*multilinear.Mask{nil, multilinear.NewMask(2, 2)} {
		check(t, "MSE", MSE, pred, target, m, 0.25)
		check(t, "R2", R2, pred, target, m, 0.8)
		check(t, "R2X", R2X, pred, target, m, 1-1.0/30)
	}
}

func check(t *testing.T, name string, f func(p, x *multilinear.Tensor, m *multilinear.Mask) (float64, error),
	pred, target *multilinear.Tensor, m *multilinear.Mask, want float64) {
	t.Helper()
	got, err := f(pred, target, m)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if math.Abs(got-want) > 1e-15 {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

// TestMaskSelects: unselected entries are ignored, whatever they hold (NaN targets included).
func TestMaskSelects(t *testing.T) {
	s := []int{3, 2}
	target := tensor(s, 1, math.NaN(), 2, 3, 4, math.Inf(1))
	pred := tensor(s, 1, 100, 2, 3, 5, -7)
	m := mask(s, true, false, true, true, true, false) // the 2x2 case above
	check(t, "MSE", MSE, pred, target, m, 0.25)
	check(t, "R2", R2, pred, target, m, 0.8)
	check(t, "R2X", R2X, pred, target, m, 1-1.0/30)
	// The complement selects the other two entries, whose targets are not finite: an error.
	if _, err := MSE(pred, target, m.Complement()); err == nil || !strings.Contains(err.Error(), "target entry [0 1] is NaN") {
		t.Errorf("NaN target selected: error %v", err)
	}
}

func TestParity(t *testing.T) {
	f, err := tlfixture.Load()
	if err != nil {
		t.Fatal(err)
	}
	// Sums of at most 60 O(1) terms: the orders of summation of NumPy (pairwise) and of this
	// package (sequential) differ by a few ulps; 1e-13 leaves margin and catches any change
	// of definition (centring, the mean, the count), which moves the results by 1e-3 or more.
	const tol = 1e-13
	for _, c := range f.Metrics {
		pred, target := tensorOf(c.Pred), tensorOf(c.Target)
		m := &multilinear.Mask{Shape: slices.Clone(c.Mask.Shape), Observed: c.Mask.Bools()}
		for _, k := range []struct {
			name string
			f    func(p, x *multilinear.Tensor, m *multilinear.Mask) (float64, error)
			want float64
		}{{"MSE", MSE, c.MSE}, {"R2", R2, c.R2}, {"R2X", R2X, c.R2X}} {
			got, err := k.f(pred, target, m)
			if err != nil {
				t.Fatalf("%s %s: %v", c.Name, k.name, err)
			}
			if math.Abs(got-k.want) > tol {
				t.Errorf("%s: %s = %.17g, scikit-learn/NumPy %.17g", c.Name, k.name, got, k.want)
			}
		}
	}
}

func tensorOf(a tlfixture.Array) *multilinear.Tensor {
	t, err := multilinear.FromData(a.Shape, a.Values())
	if err != nil {
		panic(err)
	}
	return t
}

// TestDegenerateTargets: constant targets follow scikit-learn's force_finite (1 if exact, else
// 0); all-zero targets do the same for R2X; NaN predictions give NaN.
func TestDegenerateTargets(t *testing.T) {
	s := []int{3}
	constant := tensor(s, 2, 2, 2)
	check(t, "R2 exact on a constant", R2, constant.Clone(), constant, nil, 1)
	check(t, "R2 off on a constant", R2, tensor(s, 2, 2, 3), constant, nil, 0)
	zero := tensor(s, 0, 0, 0)
	check(t, "R2X exact on zeros", R2X, zero.Clone(), zero, nil, 1)
	check(t, "R2X off on zeros", R2X, tensor(s, 0, 1, 0), zero, nil, 0)
	nanPred := tensor(s, 1, math.NaN(), 2)
	for name, f := range map[string]func(p, x *multilinear.Tensor, m *multilinear.Mask) (float64, error){"MSE": MSE, "R2": R2, "R2X": R2X} {
		for _, target := range []*multilinear.Tensor{tensor(s, 1, 2, 3), constant, zero} {
			got, err := f(nanPred, target, nil)
			if err != nil || !math.IsNaN(got) {
				t.Errorf("%s with a NaN prediction on %v: %v, %v; want NaN, nil", name, target.Data, got, err)
			}
		}
	}
}

func TestErrors(t *testing.T) {
	s := []int{2, 3}
	x := tensor(s, 1, 2, 3, 4, 5, 6)
	fns := map[string]func(p, x *multilinear.Tensor, m *multilinear.Mask) (float64, error){"MSE": MSE, "R2": R2, "R2X": R2X}
	for name, f := range fns {
		for _, c := range []struct {
			what       string
			pred, targ *multilinear.Tensor
			m          *multilinear.Mask
			want       string
		}{
			{"shape mismatch", tensor([]int{3, 2}, 1, 2, 3, 4, 5, 6), x, nil, "pred shape [3 2] does not match target shape [2 3]"},
			{"mask shape", x, x, multilinear.NewMask(3, 2), "mask shape [3 2] does not match tensor shape [2 3]"},
			{"empty mask", x, x, multilinear.NewMask(2, 3).Complement(), "selects no entry"},
			{"NaN target", x, tensor(s, 1, 2, 3, 4, math.NaN(), 6), nil, "target entry [1 1] is NaN"},
			{"infinite target", x, tensor(s, 1, 2, 3, math.Inf(-1), 5, 6), nil, "target entry [1 0] is -Inf"},
			{"bad pred", &multilinear.Tensor{Shape: s, Data: []float64{1}}, x, nil, "pred: shape [2 3] holds 6 entries but data has 1"},
			{"nil target", x, nil, nil, "target: tensor is nil"},
		} {
			if _, err := f(c.pred, c.targ, c.m); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), name) {
				t.Errorf("%s, %s: error %v, want one containing %q and %q", name, c.what, err, name, c.want)
			}
		}
	}
	one := mask(s, false, false, true, false, false, false)
	if _, err := R2(x, x, one); err == nil || !strings.Contains(err.Error(), "at least 2 selected entries") {
		t.Errorf("R2 on one entry: error %v", err)
	}
	if got, err := MSE(x, x, one); err != nil || got != 0 {
		t.Errorf("MSE on one entry: %v, %v", got, err)
	}
}

// TestScaleSafe: the scores do not depend on the data's scale. Before the sums were scaled, squares
// of values beyond about 1e154 overflowed to +Inf (R2 = NaN, MSE = +Inf) and squares of values below
// about 1e-162 underflowed to 0 (R2 = 1 for any prediction).
func TestScaleSafe(t *testing.T) {
	s := []int{2, 3}
	target, pred := tensor(s, 1, 2, 3, 4, 5, 6), tensor(s, 1.5, 2, 2.5, 4, 5.25, 7)
	m := mask(s, true, true, false, true, true, true)
	scaled := func(x *multilinear.Tensor, f float64) *multilinear.Tensor {
		y := x.Clone()
		for i := range y.Data {
			y.Data[i] *= f
		}
		return y
	}
	for name, f := range map[string]func(p, x *multilinear.Tensor, m *multilinear.Mask) (float64, error){"R2": R2, "R2X": R2X} {
		want, err := f(pred, target, m)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []float64{1e160, 1e300, 1e-170, 1e-300} {
			got, err := f(scaled(pred, k), scaled(target, k), m)
			if err != nil || !(math.Abs(got-want) <= 1e-14) {
				t.Errorf("%s at scale %g = %v, %v; want %v (as at scale 1)", name, k, got, err, want)
			}
		}
	}
	// MSE: one error of 2e154 among 1000 entries is 4e308/1000 = 4e305, a finite number whose terms overflow.
	big := multilinear.New(1000)
	zero := multilinear.New(1000)
	big.Data[7] = 2e154
	if got, err := MSE(big, zero, nil); err != nil || !(math.Abs(got-4e305)/4e305 <= 1e-15) {
		t.Errorf("MSE with one error of 2e154 in 1000 = %v, %v; want 4e305", got, err)
	}
	// MSE at a tiny scale: a subnormal result is still the nearest float64, not 0.
	tiny := multilinear.New(4)
	tiny.Data[0] = 1e-160
	if got, err := MSE(tiny, multilinear.New(4), nil); err != nil || !(math.Abs(got-0.25e-320)/0.25e-320 <= 1e-3) {
		t.Errorf("MSE of one 1e-160 error in 4 = %v, %v; want 2.5e-321", got, err)
	}
	// Negative control: a prediction that truly diverged still scores -Inf (R2) and +Inf (MSE),
	// and does not push the targets' spread into underflow.
	div := scaled(pred, 1e200)
	if got, err := R2(div, target, m); err != nil || !math.IsInf(got, -1) {
		t.Errorf("R2 of a 1e200 prediction on unit targets = %v, %v; want -Inf", got, err)
	}
	if got, err := R2(scaled(pred, 1e100), target, m); err != nil || got > -1e190 || math.IsInf(got, 0) {
		t.Errorf("R2 of a 1e100 prediction on unit targets = %v, %v; want about -1e200", got, err)
	}
	if got, err := MSE(div, target, m); err != nil || !math.IsInf(got, 1) {
		t.Errorf("MSE of a 1e200 prediction = %v, %v; want +Inf", got, err)
	}
}
