package kernel

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Default figure sizes, in inches.
const (
	defaultWidth       = 6.0
	defaultHeight      = 4.0
	defaultPanelWidth  = 4.2
	defaultPanelHeight = 2.8
)

// topMargin is kept free above every plot: gonum draws the title flush with
// the top edge, where the SVG viewport would clip it.
const topMargin = vg.Length(4)

// sansFont is the face used for every text of our figures. Its metrics match
// Arial/Helvetica, which the SVG names as fallbacks (see fixFontFamily), so the
// layout computed here holds in a browser that lacks Liberation fonts.
var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// palette10 is the "tab10" qualitative palette (matplotlib's default): ten
// distinguishable colours, one per factor column of a 10-wide mode (Fig. 3).
var palette10 = []color.Color{
	color.RGBA{0x1f, 0x77, 0xb4, 0xff},
	color.RGBA{0xff, 0x7f, 0x0e, 0xff},
	color.RGBA{0x2c, 0xa0, 0x2c, 0xff},
	color.RGBA{0xd6, 0x27, 0x28, 0xff},
	color.RGBA{0x94, 0x67, 0xbd, 0xff},
	color.RGBA{0x8c, 0x56, 0x4b, 0xff},
	color.RGBA{0xe3, 0x77, 0xc2, 0xff},
	color.RGBA{0x7f, 0x7f, 0x7f, 0xff},
	color.RGBA{0xbc, 0xbd, 0x22, 0xff},
	color.RGBA{0x17, 0xbe, 0xcf, 0xff},
}

// seriesStyle returns the colour and dash pattern of the i-th series: colours
// cycle through palette10, and each further cycle gets a new dash pattern so
// that up to 40 series stay distinguishable.
func seriesStyle(i int) (color.Color, []vg.Length) {
	dashes := [][]vg.Length{
		nil,
		{vg.Points(6), vg.Points(3)},
		{vg.Points(2), vg.Points(2)},
		{vg.Points(6), vg.Points(2), vg.Points(2), vg.Points(2)},
	}
	return palette10[i%len(palette10)], dashes[(i/len(palette10))%len(dashes)]
}

// newPlot returns a plot whose texts all use sansFont.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	for _, st := range []*font.Font{
		&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font,
		&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font, &p.Legend.TextStyle.Font,
	} {
		size := st.Size
		*st = sansFont
		st.Size = size
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = cleanTicker{}, cleanTicker{}
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.Padding = vg.Points(6)
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	return p
}

// renderSVG draws onto a fresh SVG canvas of w x h inches and returns the
// document. Panics inside gonum/plot (it panics on some invalid ranges) are
// turned into errors: a notebook cell should report, not crash.
func renderSVG(w, h float64, drawFn func(dc draw.Canvas)) (svg string, err error) {
	if !(w > 0 && h > 0) || math.IsInf(w, 0) || math.IsInf(h, 0) {
		return "", fmt.Errorf("kernel: figure size must be positive and finite, got %g x %g inches", w, h)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kernel: drawing the figure failed: %v", r)
		}
	}()
	c := vgsvg.New(vg.Length(w)*vg.Inch, vg.Length(h)*vg.Inch)
	drawFn(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("kernel: encoding SVG: %w", err)
	}
	return fixFontFamily(buf.String()), nil
}

// fixFontFamily appends generic fallbacks to the font families vgsvg writes
// ("font-family:Liberation Sans;"), which otherwise fall back to a serif face.
func fixFontFamily(svg string) string {
	return strings.ReplaceAll(svg, "font-family:Liberation Sans;",
		"font-family:Liberation Sans,Arial,Helvetica,sans-serif;")
}

// checkSpan returns an error when values spread over [lo, hi] cannot be drawn on one axis: when
// hi-lo, or the range widened by 5% each side (Scatter's padding), overflows float64. gonum's tick
// placement then loops, allocating, until the program runs out of memory, a fatal error that loses
// the notebook cell; a run that diverges oscillating in sign reaches such values (±1e308) before Inf.
func checkSpan(what string, lo, hi float64) error {
	span := hi - lo
	if finite(span) && finite(lo-0.05*span) && finite(hi+0.05*span) {
		return nil
	}
	return fmt.Errorf("kernel: %s: values span [%g, %g], too wide to draw on one axis (the range overflows float64): leave out the diverged points, or plot log10 of their magnitude", what, lo, hi)
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// sizeOr returns v, or def when v is zero.
func sizeOr(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// logTicker labels decades 10^k, every step-th one so that at most about
// seven labels are drawn, with unlabelled minor ticks in between.
type logTicker struct{}

func (logTicker) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0 && hi > 0) {
		return nil
	}
	kLo, kHi := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	step := 1
	for (kHi-kLo)/step > 6 {
		step++
	}
	var ticks []plot.Tick
	for k := kLo; k <= kHi; k++ {
		v := math.Pow(10, float64(k))
		label := ""
		if k%step == 0 {
			label = formatPow10(k)
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
		if kHi-kLo <= 3 && k < kHi {
			for m := 2; m < 10; m++ {
				ticks = append(ticks, plot.Tick{Value: float64(m) * v})
			}
		}
	}
	return ticks
}

// log10Ticker is logTicker for an axis whose coordinates are already
// log10 of the values: ticks at log10 of the decades, labelled "1e-3".
type log10Ticker struct{}

func (log10Ticker) Ticks(lo, hi float64) []plot.Tick {
	ticks := logTicker{}.Ticks(math.Pow(10, lo), math.Pow(10, hi)*(1+1e-12))
	for i := range ticks {
		ticks[i].Value = math.Log10(ticks[i].Value)
	}
	return ticks
}

// formatPow10 writes 10^k the way the paper's axes do: 1e-6, 1, 1e3.
func formatPow10(k int) string {
	if k == 0 {
		return "1"
	}
	return fmt.Sprintf("1e%d", k)
}

// cleanTicker places ticks as gonum's default does but labels them in the
// shortest form ("25", "0.5", "1e+04") instead of a fixed precision ("25.00").
type cleanTicker struct{}

func (cleanTicker) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i, tk := range ticks {
		if tk.Label != "" {
			// 10 significant digits drop the float noise of the tick arithmetic.
			v, _ := strconv.ParseFloat(strconv.FormatFloat(tk.Value, 'g', 10, 64), 64)
			ticks[i].Label = strconv.FormatFloat(v, 'g', -1, 64)
		}
	}
	return ticks
}

// integerTicker puts a labelled tick on every integer of the range: used for
// depth axes, where 1, 2, 3 are categories rather than a continuum.
type integerTicker struct{}

func (integerTicker) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for k := math.Ceil(lo); k <= hi; k++ {
		ticks = append(ticks, plot.Tick{Value: k, Label: fmt.Sprintf("%d", int(k))})
	}
	return ticks
}

// errNoData is returned when there is nothing at all to draw.
var errNoData = errors.New("kernel: nothing to plot")

// wrapText breaks text at spaces into lines no wider than width in style
// sty, and shrinks the font (down to 8 pt) while a single word is still too
// wide. It returns the text with "\n" between lines and the style to use.
func wrapText(sty draw.TextStyle, text string, width vg.Length) (string, draw.TextStyle) {
	if text == "" || width <= 0 {
		return text, sty
	}
	for {
		lines, fits := wrapLines(sty, strings.Fields(text), width)
		if fits || sty.Font.Size <= vg.Points(8) {
			return strings.Join(lines, "\n"), sty
		}
		sty.Font.Size -= vg.Points(1)
	}
}

// wrapLines fills lines greedily; fits is false when one word alone is
// wider than width.
func wrapLines(sty draw.TextStyle, words []string, width vg.Length) (lines []string, fits bool) {
	fits = true
	cur := ""
	for _, w := range words {
		try := w
		if cur != "" {
			try = cur + " " + w
		}
		if cur == "" || sty.Width(try) <= width {
			cur = try
		} else {
			lines = append(lines, cur)
			cur = w
		}
		if sty.Width(w) > width {
			fits = false
		}
	}
	return append(lines, cur), fits
}

// fitTitle wraps (and if need be shrinks) the plot's title and axis labels to
// the canvas it will be drawn on, so that no title starts off-canvas.
func fitTitle(p *plot.Plot, dc draw.Canvas) {
	fitTexts(p, dc.Max.X-dc.Min.X, dc.Max.Y-dc.Min.Y)
}

// fitTexts wraps the title and the x label to width w and the (rotated) y
// label to height h: an x label wider than the figure was cut at both edges,
// and a y label longer than the figure is high pushed the axes, the legend and
// the colour bar off the canvas.
func fitTexts(p *plot.Plot, w, h vg.Length) {
	p.Title.Text, p.Title.TextStyle = wrapText(p.Title.TextStyle, p.Title.Text, w-vg.Points(4))
	p.X.Label.Text, p.X.Label.TextStyle = wrapText(p.X.Label.TextStyle, p.X.Label.Text, w-vg.Points(4))
	// The y label is centred on the axes, which the title, the x label and the tick labels
	// (about 24 pt) leave of the height.
	h -= p.X.Label.TextStyle.Height(p.X.Label.Text) + vg.Points(24)
	if p.Title.Text != "" {
		h -= p.Title.TextStyle.Height(p.Title.Text) + p.Title.Padding
	}
	p.Y.Label.Text, p.Y.Label.TextStyle = wrapText(p.Y.Label.TextStyle, p.Y.Label.Text, h)
}
