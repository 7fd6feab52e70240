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
	ss := 0.0
	for _, i := range idx {
		d := pred.Data[i] - target.Data[i]
		ss += d * d
	}
	return ss / float64(len(idx)), nil
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
	mean := 0.0
	for _, i := range idx {
		mean += target.Data[i]
	}
	mean /= float64(len(idx))
	ssRes, ssTot := 0.0, 0.0
	for _, i := range idx {
		d := target.Data[i] - pred.Data[i]
		ssRes += d * d
		c := target.Data[i] - mean
		ssTot += c * c
	}
	return ratioScore(ssRes, ssTot), nil
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
	ssRes, ssTot := 0.0, 0.0
	for _, i := range idx {
		d := target.Data[i] - pred.Data[i]
		ssRes += d * d
		ssTot += target.Data[i] * target.Data[i]
	}
	return ratioScore(ssRes, ssTot), nil
}

// ratioScore is 1 - res/tot with scikit-learn's force_finite rule for tot = 0. A NaN res
// (NaN predictions) stays NaN.
func ratioScore(res, tot float64) float64 {
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
	return 1 - res/tot
}
