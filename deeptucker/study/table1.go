package study

import (
	"fmt"

	"github.com/deeptucker/deeptucker/deeptucker/hooi"
	"github.com/deeptucker/deeptucker/deeptucker/metrics"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// HOOIVariant says what the Tucker-HOOI baseline may read.
type HOOIVariant string

const (
	// Honest HOOI reads the observed entries only (hidden ones zero-filled): the baseline.
	Honest HOOIVariant = "honest"
	// Leaky HOOI is TensorLy's tucker(T, rank, mask=M) called with the complete tensor T: its SVD
	// initialisation and first imputation read the hidden values, so its "completion" keeps the test values.
	// A calibration tool, to show which protocol reproduces a published number, never a baseline.
	Leaky HOOIVariant = "leaky"
)

// HOOIScore fits TensorLy's masked Tucker-HOOI (package hooi, its defaults) at the given multirank to the
// problem's observed entries and returns the completion's R2 on the held-out entries.
func HOOIScore(p *Problem, rank []int, variant HOOIVariant) (float64, error) {
	if err := multilinear.CheckRanks(p.Data.Shape, rank); err != nil {
		return 0, fmt.Errorf("study: HOOI at multirank %v: %w", rank, err)
	}
	x := p.Data.ZeroFilled()
	opts := []hooi.Option{hooi.WithMask(p.Train)}
	switch variant {
	case Honest:
		for i, o := range p.Train.Observed {
			if !o {
				x.Data[i] = 0
			}
		}
	case Leaky:
		opts = append(opts, hooi.ReadHiddenEntries())
	default:
		return 0, fmt.Errorf("study: unknown HOOI variant %q (honest or leaky)", variant)
	}
	res, err := hooi.Tucker(x, rank, opts...)
	if err != nil {
		return 0, fmt.Errorf("study: HOOI (%s) at multirank %v: %w", variant, rank, err)
	}
	return metrics.R2(res.Reconstruct(), p.Data.Tensor, p.HeldOut)
}

// HasZero reports whether a multirank has a mode of rank 0 (HOOI needs at least 1 everywhere).
func HasZero(rank []int) bool {
	for _, r := range rank {
		if r == 0 {
			return true
		}
	}
	return len(rank) == 0
}
