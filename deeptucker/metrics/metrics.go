package metrics

import (
	"fmt"
	"math"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// selected checks the arguments and returns the offsets the mask selects (every offset when
// mask is nil), in increasing order.
func selected(who string, pred, target *multilinear.Tensor, mask *multilinear.Mask) ([]int, error) {
	if err := pred.Validate(); err != nil {
		return nil, fmt.Errorf("metrics: %s: pred: %w", who, err)
	}
	if err := target.Validate(); err != nil {
		return nil, fmt.Errorf("metrics: %s: target: %w", who, err)
	}
	if !multilinear.SameShape(pred.Shape, target.Shape) {
		return nil, fmt.Errorf("metrics: %s: pred shape %v does not match target shape %v", who, pred.Shape, target.Shape)
	}
	var idx []int
	if mask == nil {
		idx = make([]int, len(target.Data))
		for i := range idx {
			idx[i] = i
		}
	} else {
		if err := mask.CheckFits(target); err != nil {
			return nil, fmt.Errorf("metrics: %s: %w", who, err)
		}
		idx = make([]int, 0, mask.Count())
		for i, o := range mask.Observed {
			if o {
				idx = append(idx, i)
			}
		}
	}
	if len(idx) == 0 {
		return nil, fmt.Errorf("metrics: %s: the mask of shape %v selects no entry", who, target.Shape)
	}
	for _, i := range idx {
		if v := target.Data[i]; math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("metrics: %s: target entry %v is %v but the mask selects it",
				who, multilinear.Unravel(target.Shape, i), v)
		}
	}
	return idx, nil
}

// MSE returns the mean squared error (1/|S|) sum_{i in S} (pred_i - target_i)^2 over the set S
// of entries mask selects (all entries if mask is nil): the paper's test error when mask is the
// held-out set, its training loss (2) when mask is Omega.
//
// It returns an error if the shapes differ, the mask selects no entry, or a selected target
// entry is NaN or infinite (unselected entries are never read, so missing data may be NaN).
// A NaN in a selected pred entry (a diverged model) gives a NaN result, not an error.
func MSE(pred, target *multilinear.Tensor, mask *multilinear.Mask) (float64, error) {
	idx, err := selected("MSE", pred, target, mask)
	if err != nil {
		return 0, err
	}
	e := scaleExp(idx, pred, target)
	s := math.Ldexp(1, -e)
	ss := 0.0
	for _, i := range idx {
		d := pred.Data[i]*s - target.Data[i]*s
		ss += d * d
	}
	return math.Ldexp(ss/float64(len(idx)), 2*e), nil
}

// R2 returns the coefficient of determination on the selected entries S, as scikit-learn's
// r2_score(target[S], pred[S]) computes it:
//
//	R2 = 1 - SS_res / SS_tot,  SS_res = sum_S (target - pred)^2,  SS_tot = sum_S (target - mean_S(target))^2.
//
// The paper reports it on the held-out entries of the real data sets (Table 1). When the
// selected targets are constant (SS_tot = 0) it follows scikit-learn's default
// force_finite=True: 1 if the predictions are exact (SS_res = 0), 0 otherwise. R2 can be
// negative: predicting worse than the mean.
//
// Errors as for MSE; in addition R2 needs at least 2 selected entries (scikit-learn then
// warns and returns NaN).
func R2(pred, target *multilinear.Tensor, mask *multilinear.Mask) (float64, error) {
	idx, err := selected("R2", pred, target, mask)
	if err != nil {
		return 0, err
	}
	if len(idx) < 2 {
		return 0, fmt.Errorf("metrics: R2: needs at least 2 selected entries, the mask selects %d", len(idx))
	}
	// Each sum is taken at its own power-of-two scale (a diverged prediction must not push the
	// targets' spread into underflow), undone exactly in their ratio.
	eRes, eTot := scaleExp(idx, pred, target), scaleExp(idx, target)
	sRes, sTot := math.Ldexp(1, -eRes), math.Ldexp(1, -eTot)
	mean := 0.0
	for _, i := range idx {
		mean += target.Data[i] * sTot
	}
	mean /= float64(len(idx))
	ssRes, ssTot := 0.0, 0.0
	for _, i := range idx {
		d := target.Data[i]*sRes - pred.Data[i]*sRes
		ssRes += d * d
		c := target.Data[i]*sTot - mean
		ssTot += c * c
	}
	return ratioScore(ssRes, ssTot, 2*(eRes-eTot)), nil
}

// R2X returns the fraction of variance explained on the selected entries S, the convention of
// TensorLy's and tensorpack's R2X:
//
//	R2X = 1 - ||target_S - pred_S||^2 / ||target_S||^2,
//
// not centred on the mean (unlike R2). When the selected targets are all 0 it returns 1 if the
// predictions are exact there and 0 otherwise, R2's convention. Errors as for MSE.
func R2X(pred, target *multilinear.Tensor, mask *multilinear.Mask) (float64, error) {
	idx, err := selected("R2X", pred, target, mask)
	if err != nil {
		return 0, err
	}
	eRes, eTot := scaleExp(idx, pred, target), scaleExp(idx, target)
	sRes, sTot := math.Ldexp(1, -eRes), math.Ldexp(1, -eTot)
	ssRes, ssTot := 0.0, 0.0
	for _, i := range idx {
		d := target.Data[i]*sRes - pred.Data[i]*sRes
		ssRes += d * d
		t := target.Data[i] * sTot
		ssTot += t * t
	}
	return ratioScore(ssRes, ssTot, 2*(eRes-eTot)), nil
}

// Values whose largest magnitude lies in [2^-safeExp, 2^safeExp] are summed as they are: their
// squares (and differences) stay normal, and sums of up to 2^120 of them finite. Beyond that range
// (values above about 1e135, whose squares approach float64's overflow and beyond 1e154 overflow
// to +Inf, or all of them below about 1e-135, whose squares underflow towards 0) they are scaled first.
const safeExp = 450

// scaleExp returns the exponent e such that the selected values times 2^-e have their largest
// magnitude in [0.5, 1): 0 (no scaling) when that magnitude already lies in the safe range, or is
// 0, +Inf or NaN (a diverged prediction, whose Inf or NaN the result keeps). Scaling by a power of
// two is exact, so ordinary data keep their results bit for bit.
func scaleExp(idx []int, ts ...*multilinear.Tensor) int {
	m := 0.0
	for _, t := range ts {
		for _, i := range idx {
			m = math.Max(m, math.Abs(t.Data[i]))
		}
	}
	if m == 0 || math.IsInf(m, 0) || math.IsNaN(m) {
		return 0
	}
	_, e := math.Frexp(m)
	if e >= -safeExp && e <= safeExp {
		return 0
	}
	return e
}

// ratioScore is 1 - res/tot with scikit-learn's force_finite rule for tot = 0. A NaN res
// (NaN predictions) stays NaN.
//
// res and tot may have been summed at different power-of-two scales: res/tot is multiplied by
// 2^exp2 (exact; 0 when both sums are unscaled, leaving the plain 1 - res/tot).
func ratioScore(res, tot float64, exp2 int) float64 {
	if tot == 0 {
		switch {
		case math.IsNaN(res):
			return math.NaN()
		case res == 0:
			return 1
		default:
			return 0
		}
	}
	return 1 - math.Ldexp(res/tot, exp2)
}
