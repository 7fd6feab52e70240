package kernel

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// galleryFigures are figures shaped like the notebooks' (Fig. 3 grids with
// ten-column legends and 6000 steps, long titles, MSE and R2 scatters with
// ties, a negative R2 and failed runs). TestGallery renders them all and,
// with KERNEL_GALLERY_DIR set, writes them there as SVG so that they can be
// looked at (kernel/cmd/browsertest -gallery turns them into PNGs).
func galleryFigures() map[string]interface{ SVG() (string, error) } {
	steps := []float64{}
	for s := 0; s <= 6000; s += 100 {
		steps = append(steps, float64(s))
	}
	curves := func(n int, name string) []Series {
		var out []Series
		for r := 1; r <= n; r++ {
			ys := make([]float64, len(steps))
			for i, s := range steps {
				ys[i] = 1e-4 * math.Exp(float64(r)*s/3000) / (1 + 1e-3*math.Exp(float64(r)*s/3000))
			}
			out = append(out, Series{Name: fmt.Sprintf("%s %d", name, r), X: steps, Y: ys})
		}
		return out
	}
	var panels []LinePlot
	for d := 1; d <= 3; d++ {
		panels = append(panels,
			LinePlot{Title: fmt.Sprintf("depth %d: factor columns, mode 1", d), XLabel: "step", YLabel: "squared norm", LogY: true, Series: curves(10, "column")},
			LinePlot{Title: fmt.Sprintf("depth %d: core slices, mode 1", d), XLabel: "step", YLabel: "squared norm", LogY: true, Series: curves(10, "slice"), HideLegend: true})
	}
	depth := []float64{1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4}
	count := []float64{10, 10, 9, 8, 8, 8, 6, 5, 0, 12, 12}
	mse := []float64{1e-7, 2e-7, 3e-8, 1e-9, 2e-10, 3e-11, 1e-11, 5e-13, math.NaN(), 1e-3, 1e-5}
	r2 := []float64{0.95, 0.96, 0.91, 0.85, 0.7, -0.4, 0.99, 0.5, math.NaN(), 0.93, 0.97}
	return map[string]interface{ SVG() (string, error) }{
		"grid-fig3": Grid{Title: "Squared norms over training", Cols: 2, Panels: panels},
		"grid-longtitle": Grid{Title: "Fig. 3 (mode 1): Adam lr=0.001 eps=1e-08 betas=(0.9, 0.999), init std 0.001, 20000 steps, batch full, tolerance 1e-12, 3 seeds",
			Cols: 2, Panels: append(append([]LinePlot{}, panels[:3]...), LinePlot{Title: "depth 2: squared norms of the core slices ||G_r..||^2 over training",
				XLabel: "step", YLabel: "squared norm", LogY: true, Series: curves(10, "slice"), HideLegend: true})},
		"line-long": LinePlot{Title: "Lemma 4.1: unbalancedness ε(t), depth 2, with a title long enough to need two lines on six inches",
			XLabel: "step", YLabel: "ε(t)", LogY: true, Series: curves(3, "layer")},
		"scatter-mse": Scatter{Title: "Fig. 4: mode-1 columns with squared norm > 0.01", XLabel: "depth", YLabel: "columns (count)",
			X: depth, Y: count, Value: mse, Color: ErrorScale("held-out MSE"), JitterX: 0.15},
		"scatter-r2": Scatter{Title: "Fig. 6 (IL-2): multilinear rank against depth", XLabel: "depth", YLabel: "mode-1 rank (count)",
			X: depth, Y: count, Value: r2, Color: ColorScale{Label: "held-out R2", Min: 0.5, Max: 1, HigherIsBetter: true}, JitterX: 0.15},
		"scatter-continuous": Scatter{Title: "Theorem 4.3: measured rate against the right-hand side (30 slices, 3 modes)",
			XLabel: "bound (1/s)", YLabel: "measured rate (1/s)",
			X: []float64{0.1, 0.2, 0.35, 0.5, 0.8}, Y: []float64{0.11, 0.19, 0.36, 0.52, 0.79},
			Value: []float64{1e-3, 1e-2, 0.03, 0.2, 2}, Color: ColorScale{Label: "relative error", Min: 1e-6, Max: 1, Log: true}},
	}
}

func TestGallery(t *testing.T) {
	dir := os.Getenv("KERNEL_GALLERY_DIR")
	for name, fig := range galleryFigures() {
		svg, err := fig.SVG()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkSVG(t, svg)
		checkTextInside(t, name, svg)
		if dir != "" {
			if err := os.WriteFile(filepath.Join(dir, name+".svg"), []byte(svg), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
