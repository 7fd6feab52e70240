package experiment

import (
	"fmt"

	"github.com/deeptucker/deeptucker/deeptucker/hooi"
	"github.com/deeptucker/deeptucker/deeptucker/metrics"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// LearnedMultirank is the multilinear rank a learned W converged to, as Table 1
// reads it: per mode n, the number of n-mode singular values of W (the core
// slice norms of its full HOSVD) above relTol·||W||_F. Relative, because the
// real tensors are not scaled to norm 1; every mode's singular values square-sum
// to ||W||_F², so the same threshold means the same share of energy in every mode.
func LearnedMultirank(w *multilinear.Tensor, relTol float64) ([]int, error) {
	if !(relTol > 0 && relTol < 1) {
		return nil, fmt.Errorf("experiment: relative rank tolerance must be in (0, 1), got %g", relTol)
	}
	sv, err := multilinear.NModeSingularValues(w)
	if err != nil {
		return nil, fmt.Errorf("experiment: HOSVD of the learned W: %w", err)
	}
	norm := w.Norm()
	if norm == 0 {
		return nil, fmt.Errorf("experiment: the learned W is zero; it has no multirank")
	}
	return CountAbove(sv, relTol*norm), nil
}

// HOOIScore fits TensorLy's masked Tucker-HOOI (package hooi, default options)
// at the given multirank to the observed entries of x (entries outside train
// are never read: pass a zero-filled or NaN-holding tensor alike) and returns
// its completion's R2 on the heldOut entries.
func HOOIScore(x *multilinear.Tensor, train, heldOut *multilinear.Mask, rank []int) (r2 float64, completion *multilinear.Tensor, err error) {
	if err := multilinear.CheckRanks(x.Shape, rank); err != nil {
		return 0, nil, fmt.Errorf("experiment: HOOI at multirank %v: %w", rank, err)
	}
	if err := train.CheckFits(x); err != nil {
		return 0, nil, fmt.Errorf("experiment: HOOI training mask: %w", err)
	}
	// Zero outside the observed entries: TensorLy needs finite inputs.
	filled := multilinear.New(x.Shape...)
	for i, obs := range train.Observed {
		if obs {
			filled.Data[i] = x.Data[i]
		}
	}
	res, err := hooi.Tucker(filled, rank, hooi.WithMask(train))
	if err != nil {
		return 0, nil, fmt.Errorf("experiment: HOOI at multirank %v: %w", rank, err)
	}
	completion = res.Reconstruct()
	r2, err = metrics.R2(completion, x, heldOut)
	if err != nil {
		return 0, nil, err
	}
	return r2, completion, nil
}

// Comparison is one row of Table 1: a deep model's held-out R2, the
// multirank it converged to, and HOOI's held-out R2 at that multirank.
type Comparison struct {
	Multirank []int
	DeepR2    float64
	HOOIR2    float64
}

// CompareWithHOOI builds a Table-1 row for a learned completion w of x.
func CompareWithHOOI(w, x *multilinear.Tensor, train, heldOut *multilinear.Mask, relTol float64) (Comparison, error) {
	rank, err := LearnedMultirank(w, relTol)
	if err != nil {
		return Comparison{}, err
	}
	for n, r := range rank {
		if r == 0 {
			return Comparison{}, fmt.Errorf("experiment: the learned W has rank 0 along mode %d at relative tolerance %g", n, relTol)
		}
	}
	deep, err := metrics.R2(w, x, heldOut)
	if err != nil {
		return Comparison{}, err
	}
	h, _, err := HOOIScore(x, train, heldOut, rank)
	if err != nil {
		return Comparison{}, err
	}
	return Comparison{Multirank: rank, DeepR2: deep, HOOIR2: h}, nil
}

// FormatRank writes a multirank as the paper does: (3,4,3).
func FormatRank(rank []int) string {
	s := "("
	for i, r := range rank {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprint(r)
	}
	return s + ")"
}
