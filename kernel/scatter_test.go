package kernel

import (
	"math"
	"regexp"
	"strings"
	"testing"

	"gonum.org/v1/plot/palette/moreland"
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

func TestScatterPointsAndColors(t *testing.T) {
	s := Scatter{
		Title: "sparsity", XLabel: "depth", YLabel: "columns",
		X:       []float64{1, 2, 3, 3, 4, math.NaN()},
		Y:       []float64{10, 8, 6, 6, 4, 3},
		Value:   []float64{1e-20, 1e-12, 1e-8, math.NaN(), 1, 1e-9},
		Color:   ErrorScale("held-out MSE"),
		JitterX: 0.2, Seed: 7,
	}
	svg, err := s.SVG()
	if err != nil {
		t.Fatal(err)
	}
	checkSVG(t, svg)
	fills := glyphFills(svg)
	if len(fills) != 5 { // the point with X = NaN is left out
		t.Fatalf("%d glyphs, want 5: %v", len(fills), fills)
	}
	cm := moreland.SmoothBlueRed()
	cm.SetMin(-12)
	cm.SetMax(-4)
	atMin, _ := cm.At(-12)
	atMax, _ := cm.At(-4)
	// 1e-20 lies below the scale and takes the colour of its bottom, 1e-12;
	// 1 lies above and takes the top colour.
	if fills[0] != hexColor(atMin) || fills[1] != hexColor(atMin) {
		t.Errorf("values at and below Min: fills %s, %s, want %s", fills[0], fills[1], hexColor(atMin))
	}
	if fills[4] != hexColor(atMax) {
		t.Errorf("value above Max: fill %s, want %s", fills[4], hexColor(atMax))
	}
	if fills[3] != hexColor(noValueColor) {
		t.Errorf("NaN value: fill %s, want grey %s", fills[3], hexColor(noValueColor))
	}
	if fills[2] == fills[0] || fills[2] == fills[4] {
		t.Errorf("mid-scale value 1e-8 got an end colour %s", fills[2])
	}
	got := texts(svg)
	for _, want := range []string{"held-out MSE", "1e-12", "1e-4", "1", "2", "3", "4"} {
		if !contains(got, want) {
			t.Errorf("SVG misses the text %q; texts: %q", want, got)
		}
	}
}

func TestScatterJitterIsSeeded(t *testing.T) {
	s := Scatter{
		X: []float64{1, 1, 1, 2, 2}, Y: []float64{5, 5, 5, 3, 3},
		Value: []float64{0.9, 0.85, 0.95, 0.9, 0.91}, Color: R2Scale("R2"),
		JitterX: 0.25, Seed: 1,
	}
	a, err := s.SVG()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.SVG()
	if a != b {
		t.Error("same seed gave different SVGs")
	}
	s.Seed = 2
	c, _ := s.SVG()
	if a == c {
		t.Error("seeds 1 and 2 gave the same SVG: jitter is not drawn from the seed")
	}
	s.JitterX = 0
	d, _ := s.SVG()
	// Without jitter the three points at (1, 5) coincide: same path data.
	re := regexp.MustCompile(`<path d="([^"]*A[^"]*)" style="fill:#`)
	ds := re.FindAllStringSubmatch(d, -1)
	if len(ds) != 5 || ds[0][1] != ds[1][1] || ds[1][1] != ds[2][1] {
		t.Errorf("without jitter, points at the same (x, y) should coincide")
	}
}

func TestScatterErrors(t *testing.T) {
	ok := Scatter{X: []float64{1}, Y: []float64{1}, Value: []float64{0.9}, Color: R2Scale("R2")}
	cases := map[string]struct {
		mutate func(*Scatter)
		want   string
	}{
		"lengths":   {func(s *Scatter) { s.Value = nil }, "len(X) = len(Y) = len(Value)"},
		"bounds":    {func(s *Scatter) { s.Color.Min = 1 }, "Min < Max"},
		"log min":   {func(s *Scatter) { s.Color = ColorScale{Min: 0, Max: 1, Log: true} }, "Min > 0"},
		"jitter":    {func(s *Scatter) { s.JitterX = -1 }, "jitter"},
		"no points": {func(s *Scatter) { s.X[0] = math.Inf(1) }, "no point"},
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
