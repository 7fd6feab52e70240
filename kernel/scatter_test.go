package kernel

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// glyphFills returns the fill colour of every scatter glyph: the glyphs are
// the only filled paths drawn with arcs ("A" commands).
func glyphFills(svg string) []string {
	re := regexp.MustCompile(`<path d="([^"]*)" style="fill:(#[0-9A-F]{6})"`)
	var fills []string
	for _, m := range re.FindAllStringSubmatch(svg, -1) {
		if strings.Contains(m[1], "A") {
			fills = append(fills, m[2])
		}
	}
	return fills
}

// circles returns the centre and fill of every filled circle glyph (a path
// "Mx+r,y A r,r ..." as vgsvg writes draw.CircleGlyph).
func circles(svg string) (xs, ys []float64, fills []string) {
	re := regexp.MustCompile(`<path d="M([-0-9.]+),([-0-9.]+)A([0-9.]+),[^"]*" style="fill:(#[0-9A-F]{6})"`)
	for _, m := range re.FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.ParseFloat(m[1], 64)
		y, _ := strconv.ParseFloat(m[2], 64)
		r, _ := strconv.ParseFloat(m[3], 64)
		xs, ys, fills = append(xs, x-r), append(ys, y), append(fills, m[4])
	}
	return xs, ys, fills
}

func TestColorScaleBetterIsGreen(t *testing.T) {
	mse, r2 := ErrorScale("MSE"), ColorScale{Label: "R2", Min: 0, Max: 1, HigherIsBetter: true}
	green, purple := hexColor(betterColor), hexColor(worseColor)
	cases := []struct {
		cs   ColorScale
		v    float64
		want string
	}{
		{mse, 1e-12, green}, {mse, 1e-4, purple}, // low error is good
		{r2, 1, green}, {r2, 0, purple}, // high score is good
		{mse, 1e-20, green}, {r2, -3, purple}, // beyond the bounds: the nearest end
		{mse, 0, green}, // <= 0 on a log scale: below Min
	}
	for _, c := range cases {
		if got := hexColor(c.cs.colorOf(c.v)); got != c.want {
			t.Errorf("%s: colour of %g = %s, want %s", c.cs.Label, c.v, got, c.want)
		}
	}
	// Negative control: the same R2 scale without HigherIsBetter flips.
	flipped := r2
	flipped.HigherIsBetter = false
	if got := hexColor(flipped.colorOf(1)); got != purple {
		t.Errorf("R2=1 on a lower-is-better scale: %s, want %s", got, purple)
	}
	// Mid-scale values get an in-between colour; goodness is monotone.
	if g := mse.goodness(1e-8); math.Abs(g-0.5) > 1e-12 {
		t.Errorf("goodness of 1e-8 on 1e-12..1e-4 = %g, want 0.5", g)
	}
	if r2.goodness(0.2) >= r2.goodness(0.7) || mse.goodness(1e-6) >= mse.goodness(1e-10) {
		t.Errorf("goodness is not monotone towards the better end")
	}
}

func TestScatterMarksClippedAndFailed(t *testing.T) {
	s := Scatter{
		Title: "sparsity", XLabel: "depth", YLabel: "columns",
		X:     []float64{1, 2, 3, 3, 4, math.NaN(), 5},
		Y:     []float64{10, 8, 6, 6, 4, 3, 0},
		Value: []float64{1e-20, 1e-12, 1e-8, math.NaN(), 1, 1e-9, 1e-9},
		Color: ErrorScale("held-out MSE"),
		// The last point has a finite value but the caller marks it failed.
		Failed: []bool{false, false, false, false, false, false, true},
	}
	svg, err := s.SVG()
	if err != nil {
		t.Fatal(err)
	}
	checkSVG(t, svg)
	checkTextInside(t, "scatter", svg)
	_, _, fills := circles(svg)
	// Circles: only the two in-range values (1e-12 and 1e-8); 1e-20 and 1
	// are triangles, NaN and the failed run crosses, X=NaN is left out.
	if len(fills) != 2 {
		t.Fatalf("%d circles, want 2: %v", len(fills), fills)
	}
	if fills[0] != hexColor(betterColor) || fills[1] == fills[0] || fills[1] == hexColor(worseColor) {
		t.Errorf("circle fills %v: want %s at Min and a mid colour at 1e-8", fills, hexColor(betterColor))
	}
	got := texts(svg)
	for _, want := range []string{"≤ 1e-12", "≥ 1e-4", "< 1e-12: 1", "> 1e-4: 1", "failed: 2", "better", "held-out MSE"} {
		if !contains(got, want) {
			t.Errorf("SVG misses the text %q; texts: %q", want, got)
		}
	}
	// HideFailed: the crosses go, the note counts them.
	s.HideFailed = true
	svg, err = s.SVG()
	if err != nil {
		t.Fatal(err)
	}
	if got := texts(svg); !contains(got, "not shown: 2") || contains(got, "failed: 2") {
		t.Errorf("HideFailed: texts %q, want the note \"not shown: 2\"", got)
	}
	// Negative control: with every value in range there are no clip labels.
	s.Value = []float64{1e-10, 1e-10, 1e-10, 1e-10, 1e-10, 1e-10, 1e-10}
	s.Failed = nil
	svg, _ = s.SVG()
	if got := texts(svg); contains(got, "≤ 1e-12") || contains(got, "≥ 1e-4") {
		t.Errorf("in-range values still show clip labels: %q", got)
	}
}

func TestScatterTiesStayOnTheirTick(t *testing.T) {
	s := Scatter{
		X:     []float64{1, 1, 1, 2, 2, 3},
		Y:     []float64{5, 5, 5, 7, 7, 6},
		Value: []float64{0.9, 0.9, 0.9, 0.9, 0.9, 0.9},
		Color: R2Scale("R2"), JitterX: 0.2, JitterY: 0.4,
	}
	svg, err := s.SVG()
	if err != nil {
		t.Fatal(err)
	}
	xs, ys, _ := circles(svg)
	if len(xs) != 6 {
		t.Fatalf("%d circles, want 6", len(xs))
	}
	// Whole-number counts: no vertical jitter, ties share their tick's y.
	if ys[0] != ys[1] || ys[1] != ys[2] || ys[3] != ys[4] {
		t.Errorf("tied counts moved off their tick: y = %v", ys)
	}
	// Spread symmetric about the tick: the middle of three is on it, the
	// pair sits at equal distances either side; the single point stays put.
	unit := xs[5] - (xs[3]+xs[4])/2 // one depth step, in points
	if math.Abs(xs[1]-((xs[3]+xs[4])/2-unit)) > 0.01 {
		t.Errorf("middle of three ties at x=%.2f, want on its tick %.2f", xs[1], (xs[3]+xs[4])/2-unit)
	}
	if d0, d2 := xs[1]-xs[0], xs[2]-xs[1]; math.Abs(d0-d2) > 0.01 || d0 <= 0 || d0 > 0.2*unit+0.01 {
		t.Errorf("three ties at %v: not symmetric within ±0.2 of a step (%g)", xs[:3], unit)
	}
	// JitterX above 0.3 is capped so that ties never reach the next tick.
	s.JitterX = 2
	svg, _ = s.SVG()
	xs, _, _ = circles(svg)
	unit = xs[5] - (xs[3]+xs[4])/2
	if spread := xs[2] - xs[1]; spread > 0.3*unit+0.01 {
		t.Errorf("JitterX=2 spread ties by %.2f, more than 0.3 of a step (%.2f)", spread, unit)
	}
	// On a continuous Y axis JitterY spreads ties vertically.
	c := Scatter{X: []float64{0.5, 0.5}, Y: []float64{0.25, 0.25}, Value: []float64{0.9, 0.9},
		Color: R2Scale("R2"), JitterY: 0.1}
	svg, _ = c.SVG()
	_, ys, _ = circles(svg)
	if len(ys) != 2 || ys[0] == ys[1] {
		t.Errorf("continuous ties with JitterY: y = %v, want two different", ys)
	}
}

func TestScatterErrors(t *testing.T) {
	ok := Scatter{X: []float64{1}, Y: []float64{1}, Value: []float64{0.9}, Color: R2Scale("R2")}
	cases := map[string]struct {
		mutate func(*Scatter)
		want   string
	}{
		"lengths":    {func(s *Scatter) { s.Value = nil }, "len(X) = len(Y) = len(Value)"},
		"bounds":     {func(s *Scatter) { s.Color.Min = 1 }, "Min < Max"},
		"log min":    {func(s *Scatter) { s.Color = ColorScale{Min: 0, Max: 1, Log: true} }, "Min > 0"},
		"jitter":     {func(s *Scatter) { s.JitterX = -1 }, "jitter"},
		"failed":     {func(s *Scatter) { s.Failed = []bool{true, false} }, "Failed has 2 entries"},
		"all hidden": {func(s *Scatter) { s.Value = []float64{math.NaN()}; s.HideFailed = true }, "all 1 runs failed"},
		"no points":  {func(s *Scatter) { s.X[0] = math.Inf(1) }, "no point"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s := ok
			s.X = append([]float64{}, ok.X...)
			c.mutate(&s)
			_, err := s.SVG()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, c.want)
			}
		})
	}
	if _, err := ok.SVG(); err != nil {
		t.Fatalf("valid scatter: %v", err)
	}
}

// TestScatterLargeWholeNumbers: whole numbers beyond 2^53 (an identifier or a seed on an axis) are
// their own neighbours (v+1 == v), so a tick per integer looped forever, allocating, until the
// cell died out of memory. They must draw on an ordinary axis.
func TestScatterLargeWholeNumbers(t *testing.T) {
	cases := map[string]Scatter{
		"x":    {X: []float64{1e17}, Y: []float64{1}, Value: []float64{0.9}, Color: R2Scale("R2")},
		"y":    {X: []float64{1}, Y: []float64{1e16}, Value: []float64{0.9}, Color: R2Scale("R2")},
		"ties": {X: []float64{1e17, 1e17}, Y: []float64{3, 3}, Value: []float64{0.9, 0.85}, Color: R2Scale("R2")},
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			if err := renderWithin(t, name, s.SVG); err != nil {
				t.Fatal(err)
			}
		})
	}
}
