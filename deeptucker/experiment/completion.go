package experiment

import (
	"fmt"
	"math"

	"github.com/deeptucker/deeptucker/datasets"
	dt "github.com/deeptucker/deeptucker/deeptucker"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// Completion is a tensor-completion problem: a target scaled for training,
// its observed entries (Train, the paper's Ω) and the entries scored
// (HeldOut: present in the source but not observed).
type Completion struct {
	Name string
	// Target is the data divided by Scale; entries that are not present hold NaN and are never read.
	Target         *multilinear.Tensor
	Train, HeldOut *multilinear.Mask
	// Scale is what the data was divided by: the norm of the observed entries over
	// sqrt(observed fraction), an estimate of the full tensor's Frobenius norm from Ω alone, so that
	// every problem is trained at about norm 1, the scale the synthetic regime was found at.
	// R2 does not depend on it.
	Scale float64
}

// NewCompletion splits the present entries of t into observed (fraction
// observed, seeded) and held-out entries, and scales the target as Completion.Scale says.
func NewCompletion(name string, t *datasets.Tensor, observed float64, seed uint64) (Completion, error) {
	train, heldOut, err := t.Split(observed, seed)
	if err != nil {
		return Completion{}, fmt.Errorf("experiment: %s: %w", name, err)
	}
	ss := 0.0
	for i, obs := range train.Observed {
		if obs {
			ss += t.Data[i] * t.Data[i]
		}
	}
	frac := float64(train.Count()) / float64(t.Present.Count())
	scale := math.Sqrt(ss / frac)
	if scale == 0 || math.IsNaN(scale) {
		return Completion{}, fmt.Errorf("experiment: %s: the observed entries have norm %g; cannot scale", name, scale)
	}
	target := t.Tensor.Clone()
	for i := range target.Data {
		target.Data[i] /= scale
	}
	return Completion{Name: name, Target: target, Train: train, HeldOut: heldOut, Scale: scale}, nil
}

// Run returns the deeptucker.Run of this problem with the given seed, init std and learning rate.
func (c Completion) Run(seed uint64, initStd, lr float64) dt.Run {
	return dt.Run{Target: c.Target, Train: c.Train, HeldOut: c.HeldOut, Seed: seed, InitStd: initStd, LearningRate: lr}
}

// HOOISummarizer returns a Sweep.Summarize hook for real data: it replaces
// Summary.Multirank by LearnedMultirank(W, relTol) and stores in Extra the
// deep model's held-out R2 ("deep_r2") and HOOI's at that multirank
// ("hooi_r2"), or NaN for HOOI when some mode has rank 0. problems maps
// Job.Dataset to its Completion.
func HOOISummarizer(relTol float64, problems map[string]Completion) func(Job, *dt.RunResult, *Summary) error {
	return func(j Job, run *dt.RunResult, s *Summary) error {
		c, ok := problems[j.Dataset]
		if !ok {
			return fmt.Errorf("experiment: no completion problem named %q", j.Dataset)
		}
		s.Extra = map[string]Num{"deep_r2": s.HeldOutR2, "hooi_r2": Num(math.NaN()), "rel_tol": Num(relTol)}
		rank, err := LearnedMultirank(run.W, relTol)
		if err != nil {
			s.Multirank = nil
			return nil // a diverged or zero W has no multirank: leave the HOOI score NaN
		}
		s.Multirank = rank
		for _, r := range rank {
			if r == 0 {
				return nil
			}
		}
		r2, _, err := HOOIScore(c.Target, c.Train, c.HeldOut, rank)
		if err != nil {
			return err
		}
		s.Extra["hooi_r2"] = Num(r2)
		return nil
	}
}
