package kernel

import (
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"image/color"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// checkSVG asserts what every figure must satisfy: well-formed XML with an
// <svg> root, no script, and no URL other than the SVG/XLink namespaces
// (so nothing is fetched from a CDN and the figure renders offline).
func checkSVG(t *testing.T, svg string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(svg))
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse as XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			if strings.EqualFold(se.Name.Local, "script") || strings.EqualFold(se.Name.Local, "foreignObject") {
				t.Errorf("SVG holds a <%s> element", se.Name.Local)
			}
		}
	}
	if root != "svg" {
		t.Errorf("SVG root element is %q, want svg", root)
	}
	allowed := map[string]bool{"http://www.w3.org/2000/svg": true, "http://www.w3.org/1999/xlink": true}
	for _, u := range regexp.MustCompile(`https?://[^"'\s)<>]+`).FindAllString(svg, -1) {
		if !allowed[u] {
			t.Errorf("SVG refers to %q: figures must not load anything", u)
		}
	}
	if strings.Contains(strings.ToLower(svg), "<script") {
		t.Errorf("SVG contains a script tag")
	}
}

// hexColor writes c the way vgsvg does in style attributes: #RRGGBB
// (its own conversion, truncating 16-bit channels scaled by 255/alpha).
func hexColor(c color.Color) string {
	r, g, b, a := c.RGBA()
	s := 255 / float64(a)
	return fmt.Sprintf("#%02X%02X%02X", int(float64(r)*s), int(float64(g)*s), int(float64(b)*s))
}

// strokePaths returns the d attributes of the paths stroked with colour c.
func strokePaths(svg string, c color.Color) []string {
	re := regexp.MustCompile(`<path d="([^"]*)" style="fill:none;stroke:` + hexColor(c) + `[;"]`)
	var ds []string
	for _, m := range re.FindAllStringSubmatch(svg, -1) {
		ds = append(ds, m[1])
	}
	return ds
}

// texts returns the strings of the <text> elements, unescaped.
func texts(svg string) []string {
	var out []string
	for _, m := range reSVGText.FindAllStringSubmatch(svg, -1) {
		out = append(out, html.UnescapeString(strings.TrimSpace(m[1])))
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestLinePlotSeriesAndPoints(t *testing.T) {
	lp := LinePlot{
		Title: "norms", XLabel: "step", YLabel: "squared norm", HideLegend: true,
		Series: []Series{
			{Name: "a", Y: []float64{1, 2, 3, 4}},
			{Name: "b", X: []float64{0, 10, 20}, Y: []float64{3, 2, 1}},
			{Name: "c", Y: []float64{5, math.NaN(), 7, math.Inf(1), 9}}, // two points dropped
		},
	}
	svg, err := lp.SVG()
	if err != nil {
		t.Fatal(err)
	}
	checkSVG(t, svg)
	wantPoints := []int{4, 3, 3}
	for i, want := range wantPoints {
		paths := strokePaths(svg, palette10[i])
		if len(paths) != 1 {
			t.Fatalf("series %d: %d paths in its colour %s, want 1 (legend hidden)", i, len(paths), hexColor(palette10[i]))
		}
		// A polyline of n points is "M x,y" then n-1 "L x,y".
		if got := 1 + strings.Count(paths[0], "L"); got != want {
			t.Errorf("series %d: line has %d points, want %d", i, got, want)
		}
	}
	if n := len(strokePaths(svg, palette10[3])); n != 0 {
		t.Errorf("found %d paths in the 4th palette colour with only 3 series", n)
	}
	for _, s := range []string{"norms", "step", "squared norm"} {
		if !contains(texts(svg), s) {
			t.Errorf("SVG misses the text %q; texts: %q", s, texts(svg))
		}
	}
}

func TestLinePlotLegendAndLogY(t *testing.T) {
	lp := LinePlot{
		Title: "log", LogY: true,
		Series: []Series{
			{Name: "col 1", Y: []float64{1e-6, 0, -1, 1e-2}}, // 0 and -1 cannot be drawn on a log axis
			{Name: "col 2", Y: []float64{0, -3}},             // nothing left to draw
		},
	}
	svg, err := lp.SVG()
	if err != nil {
		t.Fatal(err)
	}
	checkSVG(t, svg)
	paths := strokePaths(svg, palette10[0])
	if len(paths) != 2 { // the curve and its legend thumbnail
		t.Fatalf("%d paths in the first colour, want 2 (curve + legend)", len(paths))
	}
	got := texts(svg)
	for _, s := range []string{"col 1", "col 2 (no data)", "1e-6", "1e-2"} {
		if !contains(got, s) {
			t.Errorf("SVG misses the text %q; texts: %q", s, got)
		}
	}
}

func TestLinePlotErrors(t *testing.T) {
	cases := map[string]struct {
		lp   LinePlot
		want string
	}{
		"no series":     {LinePlot{Title: "t"}, "no series"},
		"length":        {LinePlot{Series: []Series{{Name: "s", X: []float64{1, 2}, Y: []float64{1}}}}, "len(X)=2 but len(Y)=1"},
		"nothing drawn": {LinePlot{LogY: true, Series: []Series{{Name: "s", Y: []float64{0, -1}}}}, "no finite points"},
		"size":          {LinePlot{Width: -1, Series: []Series{{Y: []float64{1}}}}, "figure size"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.lp.SVG()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

func TestGridPanels(t *testing.T) {
	var panels []LinePlot
	for d := 1; d <= 3; d++ {
		panels = append(panels,
			LinePlot{Title: fmt.Sprintf("columns, depth %d", d), HideLegend: true,
				Series: []Series{{Name: "c", Y: []float64{1, 2}}}},
			LinePlot{Title: fmt.Sprintf("slices, depth %d", d), LogY: true, HideLegend: true,
				Series: []Series{{Name: "s", Y: []float64{1, 0.1}}}})
	}
	for _, n := range []int{6, 5} { // a full grid, and one with a blank last cell
		svg, err := Grid{Title: "Fig. 3", Cols: 2, Panels: panels[:n]}.SVG()
		if err != nil {
			t.Fatal(err)
		}
		checkSVG(t, svg)
		got := texts(svg)
		for _, p := range panels[:n] {
			if !contains(got, p.Title) {
				t.Errorf("n=%d: panel %q missing; texts: %q", n, p.Title, got)
			}
		}
		if !contains(got, "Fig. 3") {
			t.Errorf("grid title missing")
		}
		if len(strokePaths(svg, palette10[0])) != n {
			t.Errorf("n=%d: want one curve per panel, got %d", n, len(strokePaths(svg, palette10[0])))
		}
	}
	if _, err := (Grid{Cols: 0, Panels: panels}).SVG(); err == nil || !strings.Contains(err.Error(), "Cols") {
		t.Errorf("Cols=0: err = %v", err)
	}
	bad := append([]LinePlot{}, panels...)
	bad[3].Series = nil
	if _, err := (Grid{Cols: 2, Panels: bad}).SVG(); err == nil || !strings.Contains(err.Error(), "panel 3") {
		t.Errorf("empty panel 3: err = %v, want it named", err)
	}
}

func TestLogTicker(t *testing.T) {
	ticks := logTicker{}.Ticks(1e-12, 1e-4)
	var labels []string
	for _, tk := range ticks {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	// 9 decades: every second one labelled keeps the axis readable.
	want := []string{"1e-12", "1e-10", "1e-8", "1e-6", "1e-4"}
	if strings.Join(labels, " ") != strings.Join(want, " ") {
		t.Errorf("labels %q, want %q", labels, want)
	}
	if got := (logTicker{}).Ticks(0, 1); got != nil {
		t.Errorf("non-positive range gave ticks %v", got)
	}
}

// reSVGTextPos matches an unrotated text element as vgsvg writes it.
var reSVGTextPos = regexp.MustCompile(`<text x="([-0-9.e]+)" y="([-0-9.e]+)" transform="scale\(1, -1\)"\s*style="[^"]*font-size:([0-9.]+)px"\s*>([^<]*)</text>`)

// reSVGRotated matches a rotated text (axis titles), checked by eye only.
var reSVGRotated = regexp.MustCompile(`<g transform="rotate\([^)]*\)">(\s*<text[^>]*>[^<]*</text>)+`)

// reSVGSize matches the root element's size in points.
var reSVGSize = regexp.MustCompile(`<svg width="([0-9.]+)pt" height="([0-9.]+)pt"`)

// checkTextInside asserts that every unrotated text of the figure (titles,
// tick labels, legend entries) lies wholly on the canvas: no label is cut at
// an edge. Widths come from the same font metrics the layout uses.
func checkTextInside(t *testing.T, name, svg string) {
	t.Helper()
	m := reSVGSize.FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("%s: no <svg width=... height=...>", name)
	}
	w, _ := strconv.ParseFloat(m[1], 64)
	h, _ := strconv.ParseFloat(m[2], 64)
	n := 0
	unrotated := reSVGRotated.ReplaceAllString(svg, "")
	for _, tm := range reSVGTextPos.FindAllStringSubmatch(unrotated, -1) {
		x, _ := strconv.ParseFloat(tm[1], 64)
		y, _ := strconv.ParseFloat(tm[2], 64)
		size, _ := strconv.ParseFloat(tm[3], 64)
		txt := html.UnescapeString(tm[4])
		f := sansFont
		f.Size = vg.Points(size)
		width := float64(draw.TextStyle{Font: f, Handler: plot.DefaultTextHandler}.Width(txt))
		baseline := h + y // the text is flipped inside a flipped group
		if x < -0.5 || x+width > w+0.5 || baseline-0.7*size < -0.5 || baseline > h+0.5 {
			t.Errorf("%s: text %q at x=%.1f..%.1f, baseline %.1f, leaves the %gx%g canvas", name, txt, x, x+width, baseline, w, h)
		}
		n++
	}
	if n == 0 {
		t.Errorf("%s: found no text to check; has vgsvg's output format changed?", name)
	}
}

// renderWithin runs f and fails the test if it does not return within a few seconds. gonum's tick
// placement used to loop, allocating, on ranges wider than float64 can subtract: in a notebook that
// ends in an out-of-memory fatal error that loses the cell, not in an error.
func renderWithin(t *testing.T, name string, f func() (string, error)) error {
	t.Helper()
	type result struct{ err error }
	done := make(chan result, 1)
	go func() {
		_, err := f()
		done <- result{err}
	}()
	select {
	case r := <-done:
		return r.err
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: still drawing after 20 s (tick placement looping)", name)
		return nil
	}
}

// TestPlotsRefuseSpansBeyondFloat64: a diverged run that oscillates in sign reaches ±1e308 before
// Inf; the Inf points are left out, the finite ones span more than float64 can hold. The figure
// must be refused with an error that says so, not hang until the cell runs out of memory.
func TestPlotsRefuseSpansBeyondFloat64(t *testing.T) {
	diverged := []float64{1, -10, 1e100, -1e200, 1e308, -1e308, math.Inf(1)}
	cases := map[string]func() (string, error){
		"LinePlot y": func() (string, error) {
			return LinePlot{Title: "diverged", Series: []Series{{Name: "w", Y: diverged}}}.SVG()
		},
		"LinePlot x": func() (string, error) {
			return LinePlot{Series: []Series{{Name: "w", X: []float64{-1.5e308, 1.5e308}, Y: []float64{1, 2}}}}.SVG()
		},
		"Scatter y": func() (string, error) {
			return Scatter{X: []float64{1, 2}, Y: []float64{-1.7e308, 1.7e308}, Value: []float64{0.9, 0.9}, Color: R2Scale("R2")}.SVG()
		},
		"Scatter padding": func() (string, error) {
			return Scatter{X: []float64{1.5, 2}, Y: []float64{-1.79e308, 0.5}, Value: []float64{0.9, 0.9}, Color: R2Scale("R2")}.SVG()
		},
		"ColorScale": func() (string, error) {
			return Scatter{X: []float64{1}, Y: []float64{1}, Value: []float64{0.9}, Color: ColorScale{Label: "v", Min: -1e308, Max: 1e308}}.SVG()
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			err := renderWithin(t, name, f)
			if err == nil || !strings.Contains(err.Error(), "too wide") {
				t.Fatalf("err = %v, want one saying the range is too wide to draw", err)
			}
		})
	}
	// Wide but representable ranges still draw.
	if err := renderWithin(t, "wide", func() (string, error) {
		return LinePlot{Series: []Series{{Name: "w", Y: []float64{-1e307, 1e307}}}}.SVG()
	}); err != nil {
		t.Errorf("a range of ±1e307: %v", err)
	}
}

// TestLongLegendNamesKeepTheAxes: the legend took the width of its longest name, whatever it was,
// and the axes the rest: a series name of 130 characters left the axes a negative width and
// drew the curves off the canvas, a name of 35 characters squashed a Grid panel's axes to a
// quarter of it. Long names wrap (a word too long alone between characters) so that the legend
// takes at most 40% of the width, the curves about half of it, and every text stays on the canvas.
func TestLongLegendNamesKeepTheAxes(t *testing.T) {
	long := strings.Repeat("verylongname ", 10)
	word := strings.Repeat("x", 90)
	figs := map[string]struct {
		svg   func() (string, error)
		width float64 // of the panel holding the first series, in points
	}{
		"LinePlot": {func() (string, error) {
			return LinePlot{Title: "t", Series: []Series{{Name: long, Y: []float64{1, 2, 3}}, {Name: word, Y: []float64{3, 2, 1}}}}.SVG()
		}, 6 * 72},
		"Grid": {func() (string, error) {
			p := LinePlot{Title: "t", Series: []Series{{Name: "IL-2 Treg IL2Ra_hi, depth 3, seed 12, lr 0.01", Y: []float64{1, 2, 3}}}}
			return Grid{Cols: 2, Panels: []LinePlot{p, p}}.SVG()
		}, 4.2 * 72},
	}
	for name, f := range figs {
		t.Run(name, func(t *testing.T) {
			svg, err := f.svg()
			if err != nil {
				t.Fatal(err)
			}
			checkTextInside(t, name, svg)
			curve := strokePaths(svg, palette10[0])[0]
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, m := range regexp.MustCompile(`[ML](-?[0-9.]+),`).FindAllStringSubmatch(curve, -1) {
				x, _ := strconv.ParseFloat(m[1], 64)
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
			if lo < 0 || hi-lo < 0.45*f.width {
				t.Errorf("the curve spans x = %.1f..%.1f of a %g pt panel: the legend took the axes' room", lo, hi, f.width)
			}
		})
	}
}

// TestLongAxisLabelsStayOnTheCanvas: axis labels were not wrapped like titles: an x label wider
// than the figure was cut at both edges, and a y label (or colour-bar label) longer than the figure
// is high pushed the legend entries and the colour bar's ticks off the canvas.
func TestLongAxisLabelsStayOnTheCanvas(t *testing.T) {
	long := strings.Repeat("held-out error ", 8)
	figs := map[string]func() (string, error){
		"LinePlot": func() (string, error) {
			return LinePlot{Title: long, XLabel: long, YLabel: long, Series: []Series{{Name: "a", Y: []float64{1, 2}}}}.SVG()
		},
		"Scatter": func() (string, error) {
			return Scatter{Title: long, XLabel: long, YLabel: long, X: []float64{1}, Y: []float64{1}, Value: []float64{0.9}, Color: R2Scale(long)}.SVG()
		},
		"Grid": func() (string, error) {
			p := LinePlot{Title: long, XLabel: long, YLabel: long, Series: []Series{{Name: "a", Y: []float64{1, 2}}}}
			return Grid{Cols: 2, Panels: []LinePlot{p, p}}.SVG()
		},
	}
	for name, f := range figs {
		t.Run(name, func(t *testing.T) {
			svg, err := f()
			if err != nil {
				t.Fatal(err)
			}
			checkTextInside(t, name, svg)
		})
	}
}

// TestGridAbsurdCols: Cols sizes the layout before anything is drawn; 1<<40 columns was Go's fatal
// out-of-memory error (the notebook kernel died), and is now an error naming the limit.
func TestGridAbsurdCols(t *testing.T) {
	panels := []LinePlot{{Title: "a", Series: []Series{{Name: "c", Y: []float64{1, 2}}}}}
	for _, cols := range []int{1 << 40, MaxGridCols + 1} {
		if _, err := (Grid{Title: "wide", Cols: cols, Panels: panels}).SVG(); err == nil || !strings.Contains(err.Error(), "use fewer columns") {
			t.Errorf("Cols %d: error %v, want one naming the limit", cols, err)
		}
	}
	if _, err := (Grid{Title: "wide", Cols: 3, Panels: panels}).SVG(); err != nil {
		t.Errorf("Cols 3 for one panel (blank columns): %v", err)
	}
}

// TestLegendNameBreaksAtSeparators: a name with no space that must wrap (an optimizer's settings) breaks
// after a separator that fits, not mid-token; a name without one still breaks between characters, whole.
func TestLegendNameBreaksAtSeparators(t *testing.T) {
	sty := draw.TextStyle{Font: font.From(plot.DefaultFont, vg.Points(10)), Handler: plot.DefaultTextHandler}
	name := "adam(beta1=0.9,beta2=0.999,eps=1e-08)"
	width := sty.Width("adam(beta1=0.9,beta2=0.999,eps=1")
	got := wrapLegendName(sty, name, width)
	if got != "adam(beta1=0.9,beta2=0.999,\neps=1e-08)" {
		t.Errorf("wrapped %q", got)
	}
	word := strings.Repeat("x", 40)
	got = wrapLegendName(sty, word, sty.Width(strings.Repeat("x", 15)))
	if strings.ReplaceAll(got, "\n", "") != word || !strings.Contains(got, "\n") {
		t.Errorf("a word with no separator wrapped as %q", got)
	}
	for _, line := range strings.Split(wrapLegendName(sty, name, width), "\n") {
		if sty.Width(line) > width {
			t.Errorf("line %q wider than the room", line)
		}
	}
}
