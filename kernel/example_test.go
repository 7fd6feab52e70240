package kernel_test

import (
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/deeptucker/deeptucker/kernel"
)

// Squared norms of factor columns over training steps (Fig. 3 style), on a
// log axis. In a notebook, call Display instead of SVG.
func ExampleLinePlot() {
	var series []kernel.Series
	for r := 1; r <= 3; r++ {
		var ys []float64
		for step := 0; step <= 100; step += 10 {
			ys = append(ys, 1e-4*math.Exp(float64(r*step)/25))
		}
		series = append(series, kernel.Series{Name: fmt.Sprintf("column %d", r), Y: ys})
	}
	svg, err := kernel.LinePlot{
		Title: "mode-1 factor columns", XLabel: "step / 10", YLabel: "squared norm",
		LogY: true, Series: series,
	}.SVG()
	fmt.Println(err, strings.Contains(svg, "<svg"), strings.Contains(svg, "column 3"))
	// Output: <nil> true true
}

// Sparsity against depth coloured by held-out error (Figs. 4-5 style).
func ExampleScatter() {
	s := kernel.Scatter{
		Title: "sparsity", XLabel: "depth", YLabel: "columns with squared norm > 0.01",
		X:       []float64{1, 1, 2, 2, 3, 3},
		Y:       []float64{10, 10, 9, 10, 6, 7},
		Value:   []float64{2e-7, 1e-7, 3e-9, 1e-9, 5e-10, 2e-9},
		Color:   kernel.ErrorScale("held-out MSE"),
		JitterX: 0.15,
	}
	svg, err := s.SVG()
	fmt.Println(err, strings.Contains(svg, "held-out MSE"))
	// Output: <nil> true
}

// Table 1 style: cells built with Row, numbers to 4 significant digits.
func ExampleTable() {
	t := kernel.Table{
		Caption: "IL-2, held-out R2",
		Headers: []string{"model", "multirank", "R2"},
		Rows: [][]string{
			kernel.Row("Tucker-HOOI", "(3,4,3)", 0.909),
			kernel.Row("deep Tucker, depth 2", "(3,4,3)", 0.96812),
		},
	}
	h, _ := t.HTML()
	fmt.Println(strings.Split(h, "\n")[5])
	// Output: <tr><td>deep Tucker, depth 2</td><td>(3,4,3)</td><td style="text-align:right">0.9681</td></tr>
}

// A check line states a key number and its bounds; the headless notebook
// run fails when the number lies outside.
func ExampleCheck() {
	kernel.Check("heldout_mse/depth2", 3.5e-9, 0, 1e-6)
	kernel.Check("heldout_r2", 0.75, 0.8, 1)
	// Output:
	// CHECK heldout_mse/depth2=3.5e-09 in [0, 1e-06] ok
	// CHECK heldout_r2=0.75 in [0.8, 1] FAIL
}

// Outside a notebook Progress prints plain lines, here every call.
func ExampleProgress() {
	p := kernel.NewProgress(3)
	p.Every = time.Nanosecond
	for step := 1; step <= 3; step++ {
		time.Sleep(time.Millisecond)
		p.Update(step, fmt.Sprintf("loss=%.2f", 1/float64(step)))
	}
	// Output is timed, so it is not compared here; each line reads
	// "step 2/3 (66%) 2ms loss=0.50".
}

// A notebook's first cell: what the next cell's first compile will cost.
func ExampleStart() {
	os.Setenv(kernel.ProfileEnv, "ci")
	os.Setenv("GOMLX_BACKEND", "go")
	defer os.Unsetenv(kernel.ProfileEnv)
	kernel.Start()
	// Output:
	// deep Tucker: profile "ci", GoMLX backend "go".
	// The next cell compiles GoMLX: about 1-2 min the first time (cached afterwards), with only [*] on screen.
}

// Table cells for repeated runs: a single run has no "± NaN".
func ExampleMeanSD() {
	fmt.Println(kernel.MeanSD([]float64{0.95, 0.97, 0.96}))
	fmt.Println(kernel.MeanSD([]float64{0.81}))
	fmt.Println(kernel.MeanSD([]float64{0.81, math.NaN()}))
	// Output:
	// 0.96 ± 0.01 (n=3)
	// 0.81 (n=1)
	// 0.81 (n=1, 1 failed)
}
