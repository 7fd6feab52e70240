package study

import (
	"fmt"
	"math"

	"github.com/deeptucker/deeptucker/kernel"
)

// Read-outs of an outcome, for the y axis or the colour of a figure.
var (
	// ActiveColumns0 is NaN for a run without a record (not finite at its first): it has no columns to count.
	ActiveColumns0 = func(o Outcome) float64 {
		if len(o.ActiveColumns) == 0 {
			return math.NaN()
		}
		return float64(o.ActiveColumns[0])
	}
	HeldOutMSE = func(o Outcome) float64 { return float64(o.HeldOutMSE) }
	HeldOutR2  = func(o Outcome) float64 { return float64(o.HeldOutR2) }
)

// Rank0 reads the mode-1 rank of W at a tolerance (Fig. 5 uses 1e-4).
func Rank0(tol float64) func(Outcome) float64 {
	return func(o Outcome) float64 {
		if len(o.SingularValues) == 0 {
			return 0
		}
		return float64(o.Rank(tol)[0])
	}
}

// DepthScatter is Figs. 4-7: one point per run at its depth, y a read-out, coloured by a metric on its scale.
// Failed runs (diverged, stuck, without a finite W) are left out of the plot and counted in its note, never
// drawn as results.
func DepthScatter(outs []Outcome, title, yLabel string, y func(Outcome) float64, color kernel.ColorScale, value func(Outcome) float64) kernel.Scatter {
	s := kernel.Scatter{Title: title, XLabel: "depth", YLabel: yLabel, Color: color, JitterX: 0.15, HideFailed: true}
	for _, o := range outs {
		s.X = append(s.X, float64(o.Depth))
		s.Failed = append(s.Failed, o.Failed())
		s.Y = append(s.Y, y(o))
		s.Value = append(s.Value, value(o))
	}
	return s
}

// NormPanels is one row of Fig. 3 for a run with a history: the norms of the mode-(n+1) factor columns
// ||A_1···A_k w_r|| (left) and the squared core slice norms ||G_{..r..}||² (right) over training.
func NormPanels(o Outcome, n int) (columns, slices kernel.LinePlot) {
	h := o.History
	columns = kernel.LinePlot{Title: fmt.Sprintf("depth %d: columns of V(%d)", o.Depth, n+1), XLabel: "step",
		YLabel: "norm", LogY: true}
	slices = kernel.LinePlot{Title: fmt.Sprintf("depth %d: core slices, mode %d", o.Depth, n+1), XLabel: "step",
		YLabel: "squared norm", LogY: true, HideLegend: true}
	if h == nil || n >= len(h.SliceNorms) { // no history kept, or no record (not finite at the first)
		return columns, slices
	}
	for r := range h.SliceNorms[n] {
		name := fmt.Sprintf("r = %d", r+1)
		if len(h.ColumnNorms[n]) > r {
			columns.Series = append(columns.Series, kernel.Series{Name: name, X: h.StepsF(), Y: Floats(h.ColumnNorms[n][r])})
		}
		slices.Series = append(slices.Series, kernel.Series{Name: name, X: h.StepsF(), Y: Squared(h.SliceNorms[n][r])})
	}
	return columns, slices
}

// Curves returns one series per outcome of a recorded quantity over training (e.g. the held-out MSE),
// named by name(o).
func Curves(outs []Outcome, get func(h *History) []float64, name func(Outcome) string) []kernel.Series {
	var out []kernel.Series
	for _, o := range outs {
		if o.History == nil {
			continue
		}
		out = append(out, kernel.Series{Name: name(o), X: o.History.StepsF(), Y: get(o.History)})
	}
	return out
}
