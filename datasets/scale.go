package datasets

import (
	"fmt"
	"math"
	"strconv"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// DataScale says at which scale a completion problem is trained. R2 does not depend on it;
// the training dynamics (initial scale against data scale, learning rate) do.
type DataScale string

const (
	// ScaleRaw trains on the values as loaded (the authors' set-up: IL-2 in [0, 1], COVID-19
	// centred with entries up to about 4.5).
	ScaleRaw DataScale = "raw"
	// ScaleNorm1 divides the values by ObservedNorm, an estimate of the tensor's Frobenius
	// norm from the observed entries alone, so that every problem is trained at about norm 1.
	ScaleNorm1 DataScale = "norm1"
)

// ObservedNorm estimates the Frobenius norm of t from the entries in train only:
// sqrt(sum over train of a^2 / f), with f = |train| / |Present| the observed fraction. Held-out
// and missing entries are never read, so the scale leaks nothing about the entries to complete.
// train must lie inside t.Present and observe at least one entry with a nonzero value.
func ObservedNorm(t *Tensor, train *multilinear.Mask) (float64, error) {
	if t == nil || t.Tensor == nil || t.Present == nil {
		return 0, fmt.Errorf("datasets: ObservedNorm needs a data tensor, got none")
	}
	if train == nil {
		return 0, fmt.Errorf("datasets: ObservedNorm on %q needs the training mask (from Split), got nil", t.Name)
	}
	if err := train.CheckFits(t.Tensor); err != nil {
		return 0, fmt.Errorf("datasets: ObservedNorm on %q: %w", t.Name, err)
	}
	// A NaN written into Data by hand, with Present not updated, would make the norm NaN.
	if err := t.Validate(); err != nil {
		return 0, fmt.Errorf("datasets: ObservedNorm: %w", err)
	}
	ss, n, maxAbs := 0.0, 0, 0.0
	for i, o := range train.Observed {
		if !o {
			continue
		}
		if !t.Present.Observed[i] {
			return 0, fmt.Errorf("datasets: ObservedNorm on %q: the training mask observes entry %v, which is missing from the data; build it with Split",
				t.Name, multilinear.Unravel(t.Shape, i))
		}
		ss += t.Data[i] * t.Data[i]
		maxAbs = math.Max(maxAbs, math.Abs(t.Data[i]))
		n++
	}
	if n == 0 || maxAbs == 0 {
		return 0, fmt.Errorf("datasets: ObservedNorm on %q: the %d observed entries have norm 0; the tensor cannot be scaled to norm 1", t.Name, n)
	}
	frac := float64(n) / float64(t.Present.Count())
	if math.IsInf(ss, 0) || ss < 0x1p-1022 {
		// Squares beyond float64 (values about 1e155 and up, or all of them about 1e-154 and below): the
		// plain sum overflowed to +Inf (a divisor that turned the data into zeros) or is subnormal, its
		// digits lost to underflow. Sum the squares of a/maxAbs instead. Other data keep the plain sum,
		// bit for bit, so that their divisor (and every result keyed on it) is unchanged.
		ss = 0
		for i, o := range train.Observed {
			if o {
				r := t.Data[i] / maxAbs
				ss += r * r
			}
		}
		norm := maxAbs * math.Sqrt(ss/frac)
		if math.IsInf(norm, 0) {
			return 0, fmt.Errorf("datasets: ObservedNorm on %q: the norm estimate overflows float64 (largest observed |value| %g); divide the data by a power of ten first", t.Name, maxAbs)
		}
		return norm, nil
	}
	return math.Sqrt(ss / frac), nil
}

// Scale returns a copy of t at the given scale and the number its values were divided by:
// 1 for ScaleRaw, ObservedNorm(t, train) for ScaleNorm1. Multiply completions by that divisor to
// return to the data's units. The copy's Key and Provenance record the scaling (and the divisor).
func Scale(t *Tensor, train *multilinear.Mask, scale DataScale) (*Tensor, float64, error) {
	if t == nil || t.Tensor == nil {
		return nil, 0, fmt.Errorf("datasets: Scale needs a data tensor, got none")
	}
	var div float64
	switch scale {
	case ScaleRaw:
		div = 1
	case ScaleNorm1:
		var err error
		if div, err = ObservedNorm(t, train); err != nil {
			return nil, 0, err
		}
	default:
		return nil, 0, fmt.Errorf("datasets: Scale: unknown data scale %q; use %q or %q", scale, ScaleRaw, ScaleNorm1)
	}
	s := t.Clone()
	if div != 1 {
		for i := range s.Data {
			s.Data[i] /= div // NaN stays NaN
		}
	}
	if s.Key != "" {
		s.Key += "/scale=" + string(scale)
		if scale != ScaleRaw {
			// The divisor is estimated from the observed entries: two splits of one tensor scale it
			// differently, and the Key must tell the two copies apart.
			s.Key += "/div=" + strconv.FormatFloat(div, 'g', -1, 64)
		}
	}
	s.Provenance = addLine(s.Provenance, fmt.Sprintf("scale %s: divided by %.17g", scale, div))
	return s, div, nil
}
