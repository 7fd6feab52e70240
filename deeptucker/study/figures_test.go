package study

import (
	"math"
	"testing"

	"github.com/deeptucker/deeptucker/kernel"
)

// TestReadOutsOfARunWithoutRecords: a run whose objective was not finite at its first record has no record,
// so no active columns and an empty history; figures read every outcome (failed ones are counted in a note), so the read-outs give
// NaN for it instead of panicking in the figure's cell.
func TestReadOutsOfARunWithoutRecords(t *testing.T) {
	nan := math.NaN()
	o := Outcome{Depth: 2, DivergedStep: 0, HeldOutMSE: Nums([]float64{nan})[0], HeldOutR2: Nums([]float64{nan})[0]}
	for name, f := range map[string]func(Outcome) float64{"ActiveColumns0": ActiveColumns0, "Rank0": Rank0(1e-4),
		"HeldOutMSE": HeldOutMSE, "HeldOutR2": HeldOutR2} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s of a run without records panicked: %v", name, r)
				}
			}()
			f(o)
		}()
	}
	o.History = historyOf(nil)
	if c, sl := NormPanels(o, 0); len(c.Series) != 0 || len(sl.Series) != 0 {
		t.Errorf("norm panels of a run without records: %d and %d series", len(c.Series), len(sl.Series))
	}
	s := DepthScatter([]Outcome{o}, "t", "y", ActiveColumns0, kernel.ColorScale{Min: 1e-9, Max: 1, Log: true}, HeldOutMSE)
	if len(s.Y) != 1 || !s.Failed[0] {
		t.Errorf("scatter: %d points, failed %v", len(s.Y), s.Failed)
	}
}
