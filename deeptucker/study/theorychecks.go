package study

import (
	"fmt"
	"math"
	"slices"

	dt "github.com/deeptucker/deeptucker/deeptucker"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
	"github.com/deeptucker/deeptucker/deeptucker/theory"
)

// The section 4 checks of notebook 05, measured on stored outcomes: the maths is package theory's, what is
// here reads it off a run's records and parameters.

// BalanceDrift is Lemma 4.1's check between a run's first and last records.
type BalanceDrift struct {
	Eps0, EpsT float64 // the unbalancedness ε at the first and the last record
	// Change is the largest change of a squared core slice norm ||G_{..r..}||² (any mode) between them: the
	// quantities ε bounds move by that much.
	Change float64
	// Relative is |ε(T) − ε(0)| / Change: 0 for exact conservation, of order 1 when ε moves as much as what it
	// bounds; NaN (nothing to compare with) when no slice norm moved.
	Relative float64
}

// Drift measures Lemma 4.1's conservation over the run's history (Outcome.History, kept with Job.History).
func (o Outcome) Drift() (BalanceDrift, error) {
	h := o.History
	if h == nil || len(h.Steps) < 2 {
		return BalanceDrift{}, fmt.Errorf("study: %q: the balance drift needs a history of at least 2 records: "+
			"train with Job.History and a RecordEvery below Steps", o.Label)
	}
	first, last := 0, len(h.Steps)-1
	d := BalanceDrift{Eps0: float64(h.Epsilon[first]), EpsT: float64(h.Epsilon[last])}
	for n := range h.SliceNorms {
		for _, norms := range h.SliceNorms[n] {
			a, b := float64(norms[first]), float64(norms[last])
			d.Change = math.Max(d.Change, math.Abs(b*b-a*a))
		}
	}
	d.Relative = math.NaN()
	if d.Change > 0 {
		d.Relative = math.Abs(d.EpsT-d.Eps0) / d.Change
	}
	return d, nil
}

// RateLawCheck is Theorem 4.3 measured on a run: for every core slice of every mode (mode by mode, r by r),
// the one-step change of ||G_{..r..}|| between the last two records against the theorem's right-hand side
// <G_{..r..}, Y_{..r..}>/||w_r|| at the last record's parameters (Y = −∇_G L, theory.RateLaw).
type RateLawCheck struct {
	Step                int       // the last record's step
	Epsilon             float64   // ε there: the theorem assumes 0
	Predicted, Measured []float64 // per slice, mode by mode
	RelErr              []float64 // |measured − predicted| / |predicted| per slice
	// Relative is ||measured − predicted|| / ||predicted|| over all slices.
	Relative float64
}

// RateLaw checks Theorem 4.3 on a run trained by gradient descent with step size eta, on the problem it was
// trained on: the measured rate is the last step's change over eta (the gradient flow's rate up to O(eta)). It
// needs the run's history with its last two records one step apart (RecordEvery = Steps−1 does it) and its
// final parameters (Job.Params). The run's spec must agree: eta its learning rate, p its data and masks,
// full-batch deeptucker.GradientDescent on the squared error alone; a cell that changed one of them in the
// training but not here gets an error, not a check of the wrong step or data that reads as the theorem failing.
func RateLaw(o Outcome, p *Problem, eta float64) (RateLawCheck, error) {
	h := o.History
	tr := o.Spec.Training
	switch {
	case p == nil:
		return RateLawCheck{}, fmt.Errorf("study: %q: the rate law needs the problem the run was trained on", o.Label)
	case tr.Optimizer != dt.GradientDescent().Name:
		return RateLawCheck{}, fmt.Errorf("study: %q was trained by %s; the rate law's measured rate is a gradient-descent step over its "+
			"size: train the run with GradientDescent", o.Label, tr.Optimizer)
	case eta != o.Spec.LearningRate:
		return RateLawCheck{}, fmt.Errorf("study: %q was trained at learning rate %g, but the rate law was given step size %g: pass "+
			"the run's own (o.Spec.LearningRate)", o.Label, o.Spec.LearningRate, eta)
	case len(tr.Terms) > 0 || tr.DataTerm != "":
		return RateLawCheck{}, fmt.Errorf("study: %q was trained with objective terms %v (data term %q); Theorem 4.3 is about the "+
			"squared error alone: train the run without them", o.Label, tr.Terms, tr.DataTerm)
	case tr.BatchSize > 0:
		return RateLawCheck{}, fmt.Errorf("study: %q was trained on mini-batches of %d; the rate law needs full-batch gradient descent", o.Label, tr.BatchSize)
	case dt.DataFingerprint(p.Run(0, 0, 0)) != o.Spec.Data:
		return RateLawCheck{}, fmt.Errorf("study: %q was not trained on problem %s (its data or masks differ): pass the problem the "+
			"run was trained on", o.Label, p.Name)
	}
	switch {
	case h == nil || len(h.Steps) < 2:
		return RateLawCheck{}, fmt.Errorf("study: %q: the rate law needs a history of at least 2 records (Job.History)", o.Label)
	case o.Params == nil:
		return RateLawCheck{}, fmt.Errorf("study: %q: the rate law needs the final parameters: train with Job.Params", o.Label)
	case !(eta > 0):
		return RateLawCheck{}, fmt.Errorf("study: the rate law's step size is %g; pass the gradient-descent learning rate the run used", eta)
	case slices.Contains(o.Spec.Model.Depths, 0):
		return RateLawCheck{}, fmt.Errorf("study: %q: the rate law is stated for a model whose every mode is factorised; "+
			"this one has depths %v: train it with every depth >= 1", o.Label, o.Spec.Model.Depths)
	}
	prev, last := len(h.Steps)-2, len(h.Steps)-1
	if h.Steps[last]-h.Steps[prev] != 1 {
		return RateLawCheck{}, fmt.Errorf("study: %q: the rate law wants its last two records one step apart, got steps %d and %d: "+
			"set RecordEvery to Steps−1", o.Label, h.Steps[prev], h.Steps[last])
	}
	factors := o.Params.Factors()
	w := multilinear.TuckerToTensor(o.Params.Core, factors)
	y, err := theory.CoreGradient(w, p.Data.Tensor, p.Train, factors)
	if err != nil {
		return RateLawCheck{}, err
	}
	c := RateLawCheck{Step: h.Steps[last], Epsilon: float64(h.Epsilon[last])}
	num, den := 0.0, 0.0
	for m := range h.WNorms {
		wNorms := make([]float64, len(h.WNorms[m]))
		for r := range wNorms {
			wNorms[r] = float64(h.WNorms[m][r][last])
		}
		rhs := theory.RateLaw(o.Params.Core, y, wNorms, m)
		for r := range rhs {
			d := float64(h.SliceNorms[m][r][last]-h.SliceNorms[m][r][prev]) / eta
			c.Predicted, c.Measured = append(c.Predicted, rhs[r]), append(c.Measured, d)
			c.RelErr = append(c.RelErr, math.Abs(d-rhs[r])/math.Max(math.Abs(rhs[r]), 1e-300))
			num += (d - rhs[r]) * (d - rhs[r])
			den += rhs[r] * rhs[r]
		}
	}
	c.Relative = math.Sqrt(num / den)
	return c, nil
}

// DepthFactor is Corollary 4.4 measured on mode 1 (index 0) of a run's final state: for each column,
// g_r = ||A_1^r···A_k^r w_r|| / ||w_r|| (its column norm over ||w_r||) against ||G_{..r..}||^k.
type DepthFactor struct {
	// Min and Max are the smallest and largest g_r / ||G_{..r..}||^k: the corollary says Max <= 1.
	Min, Max float64
	// Slope is the least-squares slope of log g_r on log ||G_{..r..}|| over the columns: how much more the
	// rate favours large slices; k if the bound were tight.
	Slope float64
}

// DepthFactors measures Corollary 4.4 with k = D_1 − 1, mode 1's depth less one, on the run's last record (its
// history is needed for ||w_r||: Job.History).
func DepthFactors(o Outcome) (DepthFactor, error) {
	h := o.History
	if h == nil || len(h.Steps) == 0 {
		return DepthFactor{}, fmt.Errorf("study: %q: the depth factor needs the run's history (Job.History)", o.Label)
	}
	depths := o.Spec.Model.Depths
	if len(depths) == 0 || depths[0] < 1 || len(h.WNorms) == 0 || len(o.ColumnNorms0) != len(o.SliceNorms0) {
		return DepthFactor{}, fmt.Errorf("study: %q: the depth factor is mode 1's, which needs a factorised mode 1 (depths %v): "+
			"train it with a depth >= 1 along mode 1", o.Label, depths)
	}
	k, last := float64(depths[0]-1), len(h.Steps)-1
	f := DepthFactor{Min: math.Inf(1)}
	var lx, ly []float64
	for r := range o.SliceNorms0 {
		s, c, wr := float64(o.SliceNorms0[r]), float64(o.ColumnNorms0[r]), float64(h.WNorms[0][r][last])
		g := c / wr
		ratio := g / math.Pow(s, k)
		f.Min, f.Max = math.Min(f.Min, ratio), math.Max(f.Max, ratio)
		lx, ly = append(lx, math.Log(s)), append(ly, math.Log(g))
	}
	f.Slope = Slope(lx, ly)
	return f, nil
}
