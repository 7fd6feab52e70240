package kernel

import (
	"fmt"
	"image/color"
	"math"
	"math/rand/v2"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ColorScale maps a value to a colour, from blue at Min to red at Max, and
// is drawn as a colour bar labelled Label. Values beyond the bounds take the
// colour of the nearest bound; NaN is drawn grey.
type ColorScale struct {
	Label    string
	Min, Max float64
	// Log colours by log10(value); Min and Max must then be positive.
	Log bool
}

// ErrorScale is the log scale of the paper's Figs. 4-5 for a test error
// (held-out MSE), 1e-12 to 1e-4.
func ErrorScale(label string) ColorScale {
	return ColorScale{Label: label, Min: 1e-12, Max: 1e-4, Log: true}
}

// R2Scale is the linear scale of the paper's Figs. 6-7 for an R2 score on
// held-out entries, 0.8 to 0.97.
func R2Scale(label string) ColorScale {
	return ColorScale{Label: label, Min: 0.8, Max: 0.97}
}

// check validates the bounds of the scale.
func (cs ColorScale) check() error {
	if !finite(cs.Min) || !finite(cs.Max) || !(cs.Min < cs.Max) {
		return fmt.Errorf("kernel: ColorScale %q needs finite Min < Max, got Min=%g Max=%g", cs.Label, cs.Min, cs.Max)
	}
	if cs.Log && cs.Min <= 0 {
		return fmt.Errorf("kernel: log ColorScale %q needs Min > 0, got Min=%g", cs.Label, cs.Min)
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

// noValueColor is the colour of a point whose value is NaN.
var noValueColor = color.RGBA{0xb0, 0xb0, 0xb0, 0xff}

// colorOf returns the colour of value v, clamped to the scale's bounds.
func (cs ColorScale) colorOf(cm palette.ColorMap, v float64) color.Color {
	if math.IsNaN(v) {
		return noValueColor
	}
	lo, hi := cs.transform(cs.Min), cs.transform(cs.Max)
	var t float64
	switch {
	case v <= cs.Min: // also catches v <= 0 on a log scale
		t = lo
	case v >= cs.Max:
		t = hi
	default:
		t = cs.transform(v)
	}
	c, err := cm.At(math.Min(math.Max(t, lo), hi))
	if err != nil { // unreachable: t is clamped to the map's range
		return noValueColor
	}
	return c
}

// Scatter is a scatter plot whose points are coloured by a value on a
// ColorScale: the paper's Figs. 4-7 put depth on X, a count (factor columns
// with squared norm > 0.01, or multilinear rank) on Y, and colour by the
// held-out error. Runs that land on the same (depth, count) are spread by a
// deterministic uniform jitter of at most JitterX (JitterY) either side.
//
// Points with a NaN or infinite X or Y are left out. When every X (Y) is an
// integer and they span at most 20 values, that axis gets one tick per integer.
type Scatter struct {
	Title, XLabel, YLabel string
	X, Y, Value           []float64
	Color                 ColorScale
	JitterX, JitterY      float64
	// Seed of the jitter: the same seed draws the same picture.
	Seed uint64
	// Width and Height are in inches, colour bar included; zero means 6 x 4.
	Width, Height float64
}

// colorBarWidth is the room kept right of the axes for the colour bar, its
// tick labels and its rotated label.
const colorBarWidth = vg.Length(80)

// SVG renders the scatter plot and its colour bar as a standalone SVG document.
func (s Scatter) SVG() (string, error) {
	if len(s.X) != len(s.Y) || len(s.X) != len(s.Value) {
		return "", fmt.Errorf("kernel: Scatter %q needs len(X) = len(Y) = len(Value), got %d, %d, %d",
			s.Title, len(s.X), len(s.Y), len(s.Value))
	}
	if err := s.Color.check(); err != nil {
		return "", err
	}
	if s.JitterX < 0 || s.JitterY < 0 || !finite(s.JitterX) || !finite(s.JitterY) {
		return "", fmt.Errorf("kernel: Scatter %q: jitter must be finite and >= 0, got JitterX=%g JitterY=%g",
			s.Title, s.JitterX, s.JitterY)
	}
	cm := moreland.SmoothBlueRed()
	cm.SetMin(s.Color.transform(s.Color.Min))
	cm.SetMax(s.Color.transform(s.Color.Max))

	rng := rand.New(rand.NewPCG(s.Seed, 0x5ca77e4))
	pts := make(plotter.XYs, 0, len(s.X))
	colors := make([]color.Color, 0, len(s.X))
	var xs, ys []float64
	for i := range s.X {
		// Draw the jitter of every point, kept or not, so that dropping one
		// point does not move the others.
		jx, jy := (2*rng.Float64()-1)*s.JitterX, (2*rng.Float64()-1)*s.JitterY
		if !finite(s.X[i]) || !finite(s.Y[i]) {
			continue
		}
		xs, ys = append(xs, s.X[i]), append(ys, s.Y[i])
		pts = append(pts, plotter.XY{X: s.X[i] + jx, Y: s.Y[i] + jy})
		colors = append(colors, s.Color.colorOf(cm, s.Value[i]))
	}
	if len(pts) == 0 {
		return "", fmt.Errorf("%w: Scatter %q has no point with finite X and Y", errNoData, s.Title)
	}

	p := newPlot(s.Title, s.XLabel, s.YLabel)
	p.Add(plotter.NewGrid())
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return "", fmt.Errorf("kernel: Scatter %q: %w", s.Title, err)
	}
	sc.GlyphStyleFunc = func(i int) draw.GlyphStyle {
		return draw.GlyphStyle{Color: colors[i], Radius: vg.Points(4), Shape: outlinedCircle{}}
	}
	p.Add(sc)
	integerAxis(&p.X, xs, s.JitterX)
	integerAxis(&p.Y, ys, s.JitterY)

	return renderSVG(sizeOr(s.Width, defaultWidth), sizeOr(s.Height, defaultHeight), func(dc draw.Canvas) {
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
		main := draw.Crop(dc, 0, -colorBarWidth, 0, -topMargin)
		p.Draw(main)
		data := p.DataCanvas(main)
		bar := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: main.Max.X + 10, Y: data.Min.Y},
			Max: vg.Point{X: main.Max.X + 22, Y: data.Max.Y},
		}}
		drawColorBar(bar, dc.Max.X, s.Color, cm, p.Y.Tick.Label)
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

// integerAxis gives the axis one labelled tick per integer, padded by half a
// step beyond the jitter, when all values are integers within a span of 20.
func integerAxis(ax *plot.Axis, vals []float64, jitter float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if v != math.Trunc(v) {
			return
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if hi-lo > 20 {
		return
	}
	pad := math.Max(0.5, jitter+0.2)
	ax.Min, ax.Max = lo-pad, hi+pad
	ax.Tick.Marker = integerTicker{}
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

// colorBarSteps is the number of flat bands the colour bar is drawn with:
// plain vector rectangles, so the SVG holds no embedded raster image.
const colorBarSteps = 64

// drawColorBar draws the bar of cs into bar, with ticks and labels on its
// right and the scale's label rotated at the right edge rightEdge.
func drawColorBar(bar draw.Canvas, rightEdge vg.Length, cs ColorScale, cm palette.ColorMap, tickStyle draw.TextStyle) {
	lo, hi := cs.transform(cs.Min), cs.transform(cs.Max)
	h := bar.Max.Y - bar.Min.Y
	yOf := func(t float64) vg.Length { return bar.Min.Y + vg.Length((t-lo)/(hi-lo))*h }
	for i := range colorBarSteps {
		t0 := lo + (hi-lo)*float64(i)/colorBarSteps
		t1 := lo + (hi-lo)*float64(i+1)/colorBarSteps
		c, err := cm.At(math.Min((t0+t1)/2, hi))
		if err != nil {
			continue
		}
		bar.SetColor(c)
		bar.Fill(vg.Rectangle{
			Min: vg.Point{X: bar.Min.X, Y: yOf(t0)},
			Max: vg.Point{X: bar.Max.X, Y: yOf(t1) + 0.3}, // overlap: no hairline gaps
		}.Path())
	}
	bar.SetLineWidth(vg.Points(0.5))
	bar.SetColor(color.Black)
	bar.Stroke(bar.Rectangle.Path())

	ts := tickStyle
	ts.XAlign, ts.YAlign = draw.XLeft, draw.YCenter
	var widest vg.Length
	for _, tk := range colorBarTicks(cs, lo, hi) {
		y := yOf(tk.Value)
		bar.StrokeLine2(draw.LineStyle{Color: color.Black, Width: vg.Points(0.5)},
			bar.Max.X, y, bar.Max.X+4, y)
		bar.FillText(ts, vg.Point{X: bar.Max.X + 6, Y: y}, tk.Label)
		widest = max(widest, ts.Width(tk.Label))
	}
	if cs.Label != "" {
		ls := tickStyle
		ls.Font.Size = vg.Points(11)
		ls.Rotation = math.Pi / 2
		ls.XAlign, ls.YAlign = draw.XCenter, draw.YTop
		x := min(bar.Max.X+6+widest+4, rightEdge-ls.Height(cs.Label))
		bar.FillText(ls, vg.Point{X: x, Y: (bar.Min.Y + bar.Max.Y) / 2}, cs.Label)
	}
}

// colorBarTicks returns the labelled ticks of the colour bar, in transformed
// coordinates: decades 1e-12 ... on a log scale, round numbers otherwise.
func colorBarTicks(cs ColorScale, lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	if cs.Log {
		for _, tk := range (logTicker{}).Ticks(cs.Min, cs.Max) {
			if tk.Label != "" && tk.Value >= cs.Min*(1-1e-9) && tk.Value <= cs.Max*(1+1e-9) {
				ticks = append(ticks, plot.Tick{Value: math.Log10(tk.Value), Label: tk.Label})
			}
		}
		return ticks
	}
	for _, tk := range (cleanTicker{}).Ticks(lo, hi) {
		if tk.Label != "" && tk.Value >= lo && tk.Value <= hi {
			ticks = append(ticks, tk)
		}
	}
	return ticks
}
