package kernel

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ColorScale maps a value to a colour and is drawn as a colour bar labelled
// Label. One convention holds in every figure: the better end of the scale is
// green, the worse end purple (a colour-blind-safe pair), with pale yellow
// between. HigherIsBetter says which end is the better one: false for an
// error (MSE: low is good), true for a score (R2: high is good). The colour
// bar always puts the better end on top, marked "better".
//
// Values beyond [Min, Max] are not silently clamped: they take the colour of
// the nearest bound but are drawn as a triangle pointing beyond the scale
// (down below Min, up above Max), and the bar's end label reads "≤ Min" or
// "≥ Max". NaN values are failed runs (see Scatter).
type ColorScale struct {
	Label    string
	Min, Max float64
	// Log colours by log10(value); Min and Max must then be positive, and
	// values <= 0 count as below Min.
	Log bool
	// HigherIsBetter puts green at Max (a score); false puts it at Min (an error).
	HigherIsBetter bool
}

// ErrorScale is the log scale of the paper's Figs. 4-5 for a test error
// (held-out MSE), 1e-12 to 1e-4; lower is better.
func ErrorScale(label string) ColorScale {
	return ColorScale{Label: label, Min: 1e-12, Max: 1e-4, Log: true}
}

// R2Scale is the linear scale of the paper's Figs. 6-7 for an R2 score on
// held-out entries, 0.8 to 0.97; higher is better. Widen Min to show more of
// a real-data sweep; lower values are marked as clipped, never hidden.
func R2Scale(label string) ColorScale {
	return ColorScale{Label: label, Min: 0.8, Max: 0.97, HigherIsBetter: true}
}

// check validates the bounds of the scale.
func (cs ColorScale) check() error {
	if !finite(cs.Min) || !finite(cs.Max) || !(cs.Min < cs.Max) {
		return fmt.Errorf("kernel: ColorScale %q needs finite Min < Max, got Min=%g Max=%g", cs.Label, cs.Min, cs.Max)
	}
	if cs.Log && cs.Min <= 0 {
		return fmt.Errorf("kernel: log ColorScale %q needs Min > 0, got Min=%g", cs.Label, cs.Min)
	}
	if !cs.Log { // the colour bar's ticks are placed on [Min, Max]
		return checkSpan(fmt.Sprintf("ColorScale %q", cs.Label), cs.Min, cs.Max)
	}
	return nil
}

// transform maps a value to the coordinate the colour map is linear in.
func (cs ColorScale) transform(v float64) float64 {
	if cs.Log {
		return math.Log10(v)
	}
	return v
}

// clip says where v lies against the scale: -1 below Min, +1 above Max, 0
// within (NaN counts as within: it is a failed run, not a clipped value).
func (cs ColorScale) clip(v float64) int {
	switch {
	case v < cs.Min || (cs.Log && v <= 0):
		return -1
	case v > cs.Max:
		return 1
	}
	return 0
}

// goodness maps v to [0, 1], 1 being the better end, clamped to the bounds.
func (cs ColorScale) goodness(v float64) float64 {
	lo, hi := cs.transform(cs.Min), cs.transform(cs.Max)
	var t float64
	switch cs.clip(v) {
	case -1:
		t = 0
	case 1:
		t = 1
	default:
		t = (cs.transform(v) - lo) / (hi - lo)
	}
	t = math.Min(math.Max(t, 0), 1)
	if !cs.HigherIsBetter {
		t = 1 - t
	}
	return t
}

// Colour stops from the worse end (0) to the better end (1): ColorBrewer's
// PRGn ends (purple, green) around a pale yellow that stays visible on white.
var (
	worseColor  = color.RGBA{0x76, 0x2a, 0x83, 0xff}
	betterColor = color.RGBA{0x1b, 0x78, 0x37, 0xff}
	goodStops   = []color.RGBA{worseColor, {0xc2, 0xa5, 0xcf, 0xff}, {0xf4, 0xe8, 0x9a, 0xff}, {0x7f, 0xbf, 0x7b, 0xff}, betterColor}
)

// goodnessColor interpolates goodStops at g in [0, 1].
func goodnessColor(g float64) color.Color {
	g = math.Min(math.Max(g, 0), 1) * float64(len(goodStops)-1)
	i := min(int(g), len(goodStops)-2)
	f := g - float64(i)
	a, b := goodStops[i], goodStops[i+1]
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + f*(float64(y)-float64(x)))) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

// noValueColor is the colour of a failed run's cross.
var noValueColor = color.RGBA{0x80, 0x80, 0x80, 0xff}

// colorOf returns the colour of value v (clamped to the scale's bounds).
func (cs ColorScale) colorOf(v float64) color.Color {
	if math.IsNaN(v) {
		return noValueColor
	}
	return goodnessColor(cs.goodness(v))
}

// Scatter is a scatter plot whose points are coloured by a value on a
// ColorScale: the paper's Figs. 4-7 put depth on X, a count (factor columns
// with squared norm > 0.01, or multilinear rank) on Y, and colour by the
// held-out error or score.
//
// Ties: points that share the same (X, Y) are spread evenly and symmetrically
// around X over at most ±JitterX (at most ±0.3 on a whole-number X axis, so
// they never reach the next tick). When every Y is a whole number, Y is never
// moved: a count stays on its tick. JitterY spreads ties vertically instead,
// and only on a Y axis that is not whole numbers.
//
// Failed runs are the points whose Value is NaN or whose Failed entry is
// true: drawn as grey crosses and counted in a note beside the colour bar,
// or left out (and counted) with HideFailed. Points with a NaN or infinite
// X or Y are left out. When every X (Y) is an integer and they span at most
// 20 values, that axis gets one tick per integer.
type Scatter struct {
	Title, XLabel, YLabel string
	X, Y, Value           []float64
	Color                 ColorScale
	// Failed, when not nil, has one entry per point: true marks a failed run.
	Failed []bool
	// HideFailed leaves failed runs out (the note still counts them).
	HideFailed       bool
	JitterX, JitterY float64
	// Deprecated: ties are spread deterministically; Seed is ignored.
	Seed uint64
	// Width and Height are in inches, colour bar included; zero means 6 x 4.
	Width, Height float64
}

// colorBarWidth is the room kept right of the axes for the colour bar, its
// tick labels, its rotated label and the notes under it.
const colorBarWidth = vg.Length(96)

// point kinds of a Scatter.
const (
	pointIn     = iota // value within the scale
	pointBelow         // value below Min: triangle down
	pointAbove         // value above Max: triangle up
	pointFailed        // failed run: grey cross
)

// SVG renders the scatter plot and its colour bar as a standalone SVG document.
func (s Scatter) SVG() (string, error) {
	if len(s.X) != len(s.Y) || len(s.X) != len(s.Value) {
		return "", fmt.Errorf("kernel: Scatter %q needs len(X) = len(Y) = len(Value), got %d, %d, %d",
			s.Title, len(s.X), len(s.Y), len(s.Value))
	}
	if s.Failed != nil && len(s.Failed) != len(s.X) {
		return "", fmt.Errorf("kernel: Scatter %q: Failed has %d entries, want one per point (%d) or nil",
			s.Title, len(s.Failed), len(s.X))
	}
	if err := s.Color.check(); err != nil {
		return "", err
	}
	if s.JitterX < 0 || s.JitterY < 0 || !finite(s.JitterX) || !finite(s.JitterY) {
		return "", fmt.Errorf("kernel: Scatter %q: jitter must be finite and >= 0, got JitterX=%g JitterY=%g",
			s.Title, s.JitterX, s.JitterY)
	}

	var idx []int // the points drawn
	var xs, ys []float64
	nFailed, nHidden := 0, 0
	kinds := make([]int, len(s.X))
	for i := range s.X {
		if !finite(s.X[i]) || !finite(s.Y[i]) {
			continue
		}
		switch {
		case math.IsNaN(s.Value[i]) || (s.Failed != nil && s.Failed[i]):
			kinds[i] = pointFailed
			nFailed++
			if s.HideFailed {
				nHidden++
				continue
			}
		case s.Color.clip(s.Value[i]) < 0:
			kinds[i] = pointBelow
		case s.Color.clip(s.Value[i]) > 0:
			kinds[i] = pointAbove
		}
		idx = append(idx, i)
		xs, ys = append(xs, s.X[i]), append(ys, s.Y[i])
	}
	if len(idx) == 0 {
		if nHidden > 0 {
			return "", fmt.Errorf("%w: Scatter %q: all %d runs failed and HideFailed is set", errNoData, s.Title, nHidden)
		}
		return "", fmt.Errorf("%w: Scatter %q has no point with finite X and Y", errNoData, s.Title)
	}
	for _, ax := range []struct {
		name string
		vals []float64
	}{{"x", xs}, {"y", ys}} {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range ax.vals {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		if err := checkSpan(fmt.Sprintf("Scatter %q %s axis", s.Title, ax.name), lo, hi); err != nil {
			return "", err
		}
	}
	xInt, yInt := wholeNumbers(xs), wholeNumbers(ys)
	jx, jy := s.JitterX, s.JitterY
	if xInt {
		jx = math.Min(jx, 0.3)
	}
	if yInt {
		jy = 0 // a count stays on its tick
	} else {
		jy = math.Min(jy, 0.3)
	}
	dx, dy := spreadTies(xs, ys, jx, jy)

	p := newPlot(s.Title, s.XLabel, s.YLabel)
	p.Add(plotter.NewGrid())
	pts := make(plotter.XYs, len(idx))
	for k := range idx {
		pts[k] = plotter.XY{X: xs[k] + dx[k], Y: ys[k] + dy[k]}
	}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return "", fmt.Errorf("kernel: Scatter %q: %w", s.Title, err)
	}
	sc.GlyphStyleFunc = func(k int) draw.GlyphStyle {
		i := idx[k]
		st := draw.GlyphStyle{Color: s.Color.colorOf(s.Value[i]), Radius: vg.Points(4), Shape: outlinedCircle{}}
		switch kinds[i] {
		case pointBelow:
			st.Shape, st.Radius = outlinedTriangle{down: true}, vg.Points(5)
		case pointAbove:
			st.Shape, st.Radius = outlinedTriangle{}, vg.Points(5)
		case pointFailed:
			st.Color, st.Shape = noValueColor, draw.CrossGlyph{}
		}
		return st
	}
	p.Add(sc)
	integerAxis(&p.X, xs, jx, xInt)
	integerAxis(&p.Y, ys, jy, yInt)
	if !xInt {
		padAxis(&p.X, xs)
	}
	if !yInt {
		padAxis(&p.Y, ys)
	}

	var nBelow, nAbove int
	for _, i := range idx {
		switch kinds[i] {
		case pointBelow:
			nBelow++
		case pointAbove:
			nAbove++
		}
	}
	notes := scatterNotes(s.Color, nBelow, nAbove, nFailed, nHidden)

	return renderSVG(sizeOr(s.Width, defaultWidth), sizeOr(s.Height, defaultHeight), func(dc draw.Canvas) {
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
		main := draw.Crop(dc, 0, -colorBarWidth, 0, -topMargin)
		fitTitle(p, main)
		p.Draw(main)
		data := p.DataCanvas(main)
		drawScaleStrip(dc, main.Max.X, data, s.Color, nBelow > 0, nAbove > 0, notes, p.Y.Tick.Label)
	})
}

// Display shows the scatter plot in the notebook (see DisplaySVG).
func (s Scatter) Display() error {
	svg, err := s.SVG()
	if err != nil {
		return err
	}
	DisplaySVG(svg)
	return nil
}

// wholeNumbers reports whether every value is an integer.
func wholeNumbers(vals []float64) bool {
	for _, v := range vals {
		if v != math.Trunc(v) {
			return false
		}
	}
	return true
}

// spreadTies returns offsets that spread points sharing the same (x, y)
// evenly over [-jx, jx] (or, when jx is 0, over [-jy, jy] vertically), in
// input order; a single point, or a tie of two, stays symmetric about its
// position. Points without ties are not moved.
func spreadTies(xs, ys []float64, jx, jy float64) (dx, dy []float64) {
	dx, dy = make([]float64, len(xs)), make([]float64, len(xs))
	groups := map[[2]float64][]int{}
	for k := range xs {
		key := [2]float64{xs[k], ys[k]}
		groups[key] = append(groups[key], k)
	}
	for _, g := range groups {
		n := len(g)
		if n < 2 {
			continue
		}
		for j, k := range g {
			f := 2*float64(j)/float64(n-1) - 1 // -1 ... 1
			if n == 2 {
				f /= 2 // two points: ±half the width, not the extremes
			}
			if jx > 0 {
				dx[k] = f * jx
			} else {
				dy[k] = f * jy
			}
		}
	}
	return dx, dy
}

// integerAxis gives the axis one labelled tick per integer, padded by half a
// step beyond the spread, when all values are integers within a span of 20.
func integerAxis(ax *plot.Axis, vals []float64, jitter float64, whole bool) {
	if !whole {
		return
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if hi-lo > 20 {
		return
	}
	if math.Max(math.Abs(lo), math.Abs(hi)) > 1<<50 {
		// Whole numbers this large are too sparse in float64 for a tick per integer (beyond 2^53
		// v+1 == v, and integerTicker never ended): a continuous axis instead.
		padAxis(ax, vals)
		return
	}
	pad := math.Max(0.5, jitter+0.2)
	ax.Min, ax.Max = lo-pad, hi+pad
	ax.Tick.Marker = integerTicker{}
}

// padAxis widens a continuous axis by 5% of its range on both sides, so that
// points at the ends are drawn whole inside the axes.
func padAxis(ax *plot.Axis, vals []float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	pad := 0.05 * (hi - lo)
	if pad == 0 {
		pad = math.Max(0.05*math.Abs(lo), 0.5)
	}
	ax.Min, ax.Max = lo-pad, hi+pad
}

// scatterNotes are the lines written under the colour bar: what the
// triangles and crosses stand for, with their counts.
func scatterNotes(cs ColorScale, below, above, failed, hidden int) []scaleNote {
	var notes []scaleNote
	if below > 0 {
		notes = append(notes, scaleNote{outlinedTriangle{down: true}, cs.colorOf(cs.Min), fmt.Sprintf("< %s: %d", cs.format(cs.Min), below)})
	}
	if above > 0 {
		notes = append(notes, scaleNote{outlinedTriangle{}, cs.colorOf(cs.Max), fmt.Sprintf("> %s: %d", cs.format(cs.Max), above)})
	}
	if shown := failed - hidden; shown > 0 {
		notes = append(notes, scaleNote{draw.CrossGlyph{}, noValueColor, fmt.Sprintf("failed: %d", shown)})
	}
	if hidden > 0 {
		// Two short lines: the notes column is as narrow as the colour bar.
		notes = append(notes, scaleNote{nil, nil, "failed runs"}, scaleNote{nil, nil, fmt.Sprintf("not shown: %d", hidden)})
	}
	return notes
}

// scaleNote is one line under the colour bar: a glyph and its meaning.
type scaleNote struct {
	glyph draw.GlyphDrawer // nil: text only
	color color.Color
	text  string
}

// outlinedCircle is a filled circle with a thin dark rim, so that pale
// colours stay visible on the white background.
type outlinedCircle struct{}

func (outlinedCircle) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	draw.CircleGlyph{}.DrawGlyph(c, sty, pt)
	rim := sty
	rim.Color = color.RGBA{0x33, 0x33, 0x33, 0xff}
	c.SetLineWidth(vg.Points(0.5))
	draw.RingGlyph{}.DrawGlyph(c, rim, pt)
}

// outlinedTriangle marks a value beyond the colour scale: it points up
// (above Max) or down (below Min), filled with the colour of that end.
type outlinedTriangle struct{ down bool }

func (t outlinedTriangle) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius
	s := vg.Length(1)
	if t.down {
		s = -1
	}
	var p vg.Path
	p.Move(vg.Point{X: pt.X, Y: pt.Y + s*r})
	p.Line(vg.Point{X: pt.X - r*0.95, Y: pt.Y - s*r*0.6})
	p.Line(vg.Point{X: pt.X + r*0.95, Y: pt.Y - s*r*0.6})
	p.Close()
	c.SetColor(sty.Color)
	c.Fill(p)
	c.SetColor(color.RGBA{0x33, 0x33, 0x33, 0xff})
	c.SetLineWidth(vg.Points(0.6))
	c.Stroke(p)
}

// colorBarSteps is the number of flat bands the colour bar is drawn with:
// plain vector rectangles, so the SVG holds no embedded raster image.
const colorBarSteps = 64

// drawScaleStrip draws, right of the axes (from x0 to the canvas' right
// edge), the colour bar of cs with the better end on top marked "better",
// its ticks (end labels "≤ Min"/"≥ Max" when values were clipped there), its
// rotated label, and the notes under it.
func drawScaleStrip(dc draw.Canvas, x0 vg.Length, data draw.Canvas, cs ColorScale, clippedLow, clippedHigh bool,
	notes []scaleNote, tickStyle draw.TextStyle) {
	ts := tickStyle
	ts.XAlign, ts.YAlign = draw.XLeft, draw.YCenter
	noteH := vg.Length(len(notes)) * (ts.Height("Xg") + 3)
	top := data.Max.Y - ts.Height("better") - 4
	bar := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: x0 + 10, Y: data.Min.Y + noteH},
		Max: vg.Point{X: x0 + 22, Y: top},
	}}
	// g in [0, 1] (1 = better) runs from the bottom of the bar to its top.
	h := bar.Max.Y - bar.Min.Y
	yOf := func(g float64) vg.Length { return bar.Min.Y + vg.Length(g)*h }
	for i := range colorBarSteps {
		g0, g1 := float64(i)/colorBarSteps, float64(i+1)/colorBarSteps
		bar.SetColor(goodnessColor((g0 + g1) / 2))
		bar.Fill(vg.Rectangle{
			Min: vg.Point{X: bar.Min.X, Y: yOf(g0)},
			Max: vg.Point{X: bar.Max.X, Y: min(yOf(g1)+0.3, bar.Max.Y)}, // overlap: no hairline gaps
		}.Path())
	}
	bar.SetLineWidth(vg.Points(0.5))
	bar.SetColor(color.Black)
	bar.Stroke(bar.Rectangle.Path())
	better := ts
	better.XAlign, better.YAlign = draw.XCenter, draw.YBottom
	better.Color = betterColor
	bar.FillText(better, vg.Point{X: (bar.Min.X + bar.Max.X) / 2, Y: bar.Max.Y + 3}, "better")

	var widest vg.Length
	for _, tk := range colorBarTicks(cs, clippedLow, clippedHigh) {
		y := yOf(cs.goodness(tk.Value))
		bar.StrokeLine2(draw.LineStyle{Color: color.Black, Width: vg.Points(0.5)}, bar.Max.X, y, bar.Max.X+4, y)
		bar.FillText(ts, vg.Point{X: bar.Max.X + 6, Y: y}, tk.Label)
		widest = max(widest, ts.Width(tk.Label))
	}
	if cs.Label != "" {
		ls := tickStyle
		ls.Font.Size = vg.Points(11)
		ls.Rotation = math.Pi / 2
		ls.XAlign, ls.YAlign = draw.XCenter, draw.YTop
		x := min(bar.Max.X+6+widest+4, dc.Max.X-ls.Height(cs.Label))
		bar.FillText(ls, vg.Point{X: x, Y: (bar.Min.Y + bar.Max.Y) / 2}, cs.Label)
	}
	y := data.Min.Y + noteH - (ts.Height("Xg")+3)/2 - 4
	for _, n := range notes {
		if n.glyph != nil {
			st := draw.GlyphStyle{Color: n.color, Radius: vg.Points(4), Shape: n.glyph}
			dc.DrawGlyph(st, vg.Point{X: x0 + 16, Y: y})
		}
		dc.FillText(ts, vg.Point{X: x0 + 26, Y: y}, n.text)
		y -= ts.Height("Xg") + 3
	}
}

// format writes a bound of the scale: a decade as the log ticks do (1e-4),
// anything else with 4 significant digits.
func (cs ColorScale) format(v float64) string {
	if cs.Log && v > 0 {
		if k := math.Round(math.Log10(v)); math.Abs(math.Log10(v)-k) < 1e-9 {
			return formatPow10(int(k))
		}
	}
	return FormatFloat(v)
}

// colorBarTicks returns the labelled ticks of the colour bar, as values:
// decades 1e-12 ... on a log scale, round numbers otherwise, always both
// ends; an end where values were clipped reads "≤ Min" or "≥ Max".
func colorBarTicks(cs ColorScale, clippedLow, clippedHigh bool) []plot.Tick {
	var ticks []plot.Tick
	if cs.Log {
		for _, tk := range (logTicker{}).Ticks(cs.Min, cs.Max) {
			if tk.Label != "" && tk.Value >= cs.Min*(1-1e-9) && tk.Value <= cs.Max*(1+1e-9) {
				ticks = append(ticks, tk)
			}
		}
	} else {
		for _, tk := range (cleanTicker{}).Ticks(cs.Min, cs.Max) {
			if tk.Label != "" && tk.Value >= cs.Min && tk.Value <= cs.Max {
				ticks = append(ticks, tk)
			}
		}
	}
	// Both ends carry a label: drop inner ticks too close to an end.
	span := cs.transform(cs.Max) - cs.transform(cs.Min)
	kept := ticks[:0]
	for _, tk := range ticks {
		t := cs.transform(tk.Value)
		if math.Abs(t-cs.transform(cs.Min)) > 0.08*span && math.Abs(t-cs.transform(cs.Max)) > 0.08*span {
			kept = append(kept, tk)
		}
	}
	lo, hi := cs.format(cs.Min), cs.format(cs.Max)
	if clippedLow {
		lo = "≤ " + lo
	}
	if clippedHigh {
		hi = "≥ " + hi
	}
	ticks = append(kept, plot.Tick{Value: cs.Min, Label: lo}, plot.Tick{Value: cs.Max, Label: hi})
	sort.Slice(ticks, func(i, j int) bool { return ticks[i].Value < ticks[j].Value })
	return ticks
}
