package kernel

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one named curve of a LinePlot: point i is (X[i], Y[i]).
// X may be nil, in which case the points sit at 0, 1, 2, ...
type Series struct {
	Name string
	X, Y []float64
}

// LinePlot is a line plot of named series over steps, e.g. the squared norms
// of the ten mode-1 factor columns over iterations (the paper's Fig. 3).
//
// Points whose X or Y is NaN or infinite are left out, and so are points with
// Y <= 0 when LogY is set; a series left with nothing to draw is still listed
// in the legend, marked "(no data)".
type LinePlot struct {
	Title, XLabel, YLabel string
	Series                []Series
	// LogY draws the y axis on a log10 scale.
	LogY bool
	// HideLegend drops the legend, which otherwise sits right of the axes.
	HideLegend bool
	// Width and Height are in inches; zero means 6 x 4 (a Grid sets its own).
	Width, Height float64
}

// SVG renders the plot as a standalone SVG document.
func (lp LinePlot) SVG() (string, error) {
	w := sizeOr(lp.Width, defaultWidth)
	p, legend, legendW, err := lp.build(vg.Length(w) * vg.Inch)
	if err != nil {
		return "", err
	}
	return renderSVG(w, sizeOr(lp.Height, defaultHeight), func(dc draw.Canvas) {
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
		drawWithLegend(p, legend, legendW, dc)
	})
}

// Display shows the plot in the notebook (see DisplaySVG); outside GoNB it
// only checks that the plot renders.
func (lp LinePlot) Display() error {
	svg, err := lp.SVG()
	if err != nil {
		return err
	}
	DisplaySVG(svg)
	return nil
}

// build validates the series and returns the gonum plot, its legend (drawn
// beside the axes, not by the plot) and the width that legend needs (0
// without legend), at most maxLegendShare of width, the figure's or panel's.
func (lp LinePlot) build(width vg.Length) (*plot.Plot, *plot.Legend, vg.Length, error) {
	if len(lp.Series) == 0 {
		return nil, nil, 0, fmt.Errorf("%w: LinePlot %q has no series", errNoData, lp.Title)
	}
	p := newPlot(lp.Title, lp.XLabel, lp.YLabel)
	p.Add(plotter.NewGrid())
	legend := plot.NewLegend()
	legend.TextStyle = p.Legend.TextStyle
	legend.ThumbnailWidth = vg.Points(16)
	legend.Top, legend.Left = true, true
	xLo, xHi, yLo, yHi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	var legendW vg.Length
	// Room for the names: the legend may take maxLegendShare of the width, its
	// thumbnail and gaps included.
	nameW := vg.Length(maxLegendShare)*width - legend.ThumbnailWidth - vg.Points(16)
	for i, s := range lp.Series {
		if s.X != nil && len(s.X) != len(s.Y) {
			return nil, nil, 0, fmt.Errorf("kernel: LinePlot %q: series %d (%q) has len(X)=%d but len(Y)=%d",
				lp.Title, i, s.Name, len(s.X), len(s.Y))
		}
		pts := make(plotter.XYs, 0, len(s.Y))
		for j, y := range s.Y {
			x := float64(j)
			if s.X != nil {
				x = s.X[j]
			}
			if !finite(x) || !finite(y) || (lp.LogY && y <= 0) {
				continue
			}
			xLo, xHi = math.Min(xLo, x), math.Max(xHi, x)
			yLo, yHi = math.Min(yLo, y), math.Max(yHi, y)
			if lp.LogY {
				// Drawn as log10(y) on a linear axis labelled in decades:
				// gonum's LogScale misplaces the y-axis title's layout box,
				// which left a wide gap under the plot title.
				y = math.Log10(y)
			}
			pts = append(pts, plotter.XY{X: x, Y: y})
		}
		col, dashes := seriesStyle(i)
		name := s.Name
		var thumb plot.Thumbnailer
		if len(pts) > 0 {
			line, err := plotter.NewLine(pts)
			if err != nil {
				return nil, nil, 0, fmt.Errorf("kernel: LinePlot %q: series %q: %w", lp.Title, s.Name, err)
			}
			line.Color, line.Dashes, line.Width = col, dashes, vg.Points(1.5)
			p.Add(line)
			thumb = line
		} else {
			name += " (no data)"
			thumb = noThumb{}
		}
		if !lp.HideLegend && s.Name != "" {
			name = wrapLegendName(legend.TextStyle, name, nameW)
			legend.Add(name, thumb)
			if w := legend.TextStyle.Width(name); w > legendW {
				legendW = w
			}
		}
	}
	if math.IsInf(yLo, 1) {
		return nil, nil, 0, fmt.Errorf("%w: LinePlot %q has no finite points (positive ones for LogY)", errNoData, lp.Title)
	}
	if err := checkSpan(fmt.Sprintf("LinePlot %q x axis", lp.Title), xLo, xHi); err != nil {
		return nil, nil, 0, err
	}
	if !lp.LogY { // a log axis draws log10(y), always a narrow range
		if err := checkSpan(fmt.Sprintf("LinePlot %q y axis", lp.Title), yLo, yHi); err != nil {
			return nil, nil, 0, err
		}
	}
	if lp.LogY {
		p.Y.Tick.Marker = log10Ticker{}
		// Whole decades, so that both ends carry a label.
		p.Y.Min = math.Floor(math.Log10(yLo))
		p.Y.Max = math.Ceil(math.Log10(yHi))
		if p.Y.Min == p.Y.Max {
			p.Y.Max++
		}
	}
	if legendW > 0 {
		legendW += legend.ThumbnailWidth + vg.Points(16)
	}
	return p, &legend, legendW, nil
}

// maxLegendShare is the largest part of a figure's (or Grid panel's) width
// the legend may take: its width followed the longest name, so that a long
// name left the axes a negative width and drew the curves off the canvas.
const maxLegendShare = 0.4

// wrapLegendName breaks a legend name into lines no wider than width: at
// spaces, and a word too wide alone after its last separator that fits (a
// comma, slash, parenthesis...: "adam(beta1=0.9,beta2=0.999," then
// "eps=1e-08)"), else between characters, so that no part of the name is lost.
func wrapLegendName(sty draw.TextStyle, name string, width vg.Length) string {
	if width <= 0 || sty.Width(name) <= width {
		return name
	}
	lines, _ := wrapLines(sty, strings.Fields(name), width)
	var out []string
	for _, line := range lines {
		for sty.Width(line) > width {
			r := []rune(line)
			n := 1 // at least one character a line, however narrow the room
			for n < len(r) && sty.Width(string(r[:n+1])) <= width {
				n++
			}
			if n < len(r) {
				n = separatorBreak(r, n)
			}
			out = append(out, string(r[:n]))
			line = string(r[n:])
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// separatorBreak returns where to end a line that may hold r[:n]: after the last list separator (",;/") in
// it, else after the last other one ("(-_="), else n; never leaving a sliver of under a third of n on it.
func separatorBreak(r []rune, n int) int {
	for _, seps := range []string{",;/", "(-_="} {
		for k := n; k > n/3; k-- {
			if strings.ContainsRune(seps, r[k-1]) {
				return k
			}
		}
	}
	return n
}

// noThumb is the empty legend icon of a series with nothing to draw.
type noThumb struct{}

func (noThumb) Thumbnail(*draw.Canvas) {}

// rightMargin keeps the last x tick label ("6000") off the canvas' edge.
const rightMargin = vg.Length(8)

// drawWithLegend draws p in dc, its title wrapped to fit, keeping legendW on
// the right for the legend, which starts level with the top of the axes:
// the legend never covers the curves or the tick labels.
func drawWithLegend(p *plot.Plot, legend *plot.Legend, legendW vg.Length, dc draw.Canvas) {
	dc = draw.Crop(dc, 0, -rightMargin, 0, -topMargin) // room above the title's ascenders
	main := draw.Crop(dc, 0, -legendW, 0, 0)
	fitTitle(p, main)
	p.Draw(main)
	if legendW > 0 && legend != nil {
		data := p.DataCanvas(main)
		strip := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: main.Max.X + vg.Points(10), Y: data.Min.Y},
			Max: vg.Point{X: dc.Max.X, Y: data.Max.Y},
		}}
		// Many series in a short panel: a smaller font, so that the legend
		// ends above the x axis rather than off the figure.
		for legend.Rectangle(strip).Size().Y > strip.Size().Y && legend.TextStyle.Font.Size > vg.Points(5) {
			legend.TextStyle.Font.Size -= vg.Points(0.5)
		}
		legend.Draw(strip)
	}
}

// MaxGridCols is the most columns a Grid lays out (already 420 inches wide at the default panel width).
const MaxGridCols = 100

// Grid lays out line plots in rows of Cols panels: the paper's Fig. 3 has one
// row per depth, factor column norms on the left and core slice norms on the
// right. Each panel's own Width and Height are ignored.
type Grid struct {
	Title  string
	Cols   int
	Panels []LinePlot
	// PanelWidth and PanelHeight are in inches; zero means 4.2 x 2.8.
	PanelWidth, PanelHeight float64
}

// SVG renders the grid as one standalone SVG document. A last row with fewer
// than Cols panels is left blank on the right.
func (g Grid) SVG() (string, error) {
	if g.Cols < 1 {
		return "", fmt.Errorf("kernel: Grid %q: Cols must be at least 1, got %d", g.Title, g.Cols)
	}
	// Cols sizes the layout's slices before any panel is drawn: an absurd value (1<<40) must be an error,
	// not Go's fatal out-of-memory error.
	if g.Cols > MaxGridCols {
		return "", fmt.Errorf("kernel: Grid %q: Cols is %d, more than %d; use fewer columns (more rows)", g.Title, g.Cols, MaxGridCols)
	}
	if len(g.Panels) == 0 {
		return "", fmt.Errorf("%w: Grid %q has no panels", errNoData, g.Title)
	}
	rows := (len(g.Panels) + g.Cols - 1) / g.Cols
	plots := make([][]*plot.Plot, rows)
	legends := make([][]*plot.Legend, rows)
	for r := range plots {
		plots[r] = make([]*plot.Plot, g.Cols)
		legends[r] = make([]*plot.Legend, g.Cols)
	}
	// One legend width per column, so that the panels of a column stay aligned.
	legendW := make([]vg.Length, g.Cols)
	for i, panel := range g.Panels {
		p, legend, w, err := panel.build(vg.Length(sizeOr(g.PanelWidth, defaultPanelWidth)) * vg.Inch)
		if err != nil {
			return "", fmt.Errorf("kernel: Grid %q panel %d: %w", g.Title, i, err)
		}
		plots[i/g.Cols][i%g.Cols], legends[i/g.Cols][i%g.Cols] = p, legend
		legendW[i%g.Cols] = max(legendW[i%g.Cols], w)
	}
	pw, ph := sizeOr(g.PanelWidth, defaultPanelWidth), sizeOr(g.PanelHeight, defaultPanelHeight)
	// Panel titles wrap to their panel before the axes are aligned, so that
	// alignment accounts for a title of two lines.
	for i := range g.Panels {
		p, c := plots[i/g.Cols][i%g.Cols], i%g.Cols
		w := vg.Length(pw)*vg.Inch - legendW[c] - rightMargin - vg.Points(10)
		fitTexts(p, w+vg.Points(4), vg.Length(ph)*vg.Inch)
	}
	width := pw * float64(g.Cols)
	// The title wraps to the figure's width; the figure grows by its height.
	st := newPlot(g.Title, "", "").Title.TextStyle
	st.Font.Size = vg.Points(14)
	title, st := wrapText(st, g.Title, vg.Length(width)*vg.Inch-vg.Points(12))
	titleH := vg.Length(0)
	if title != "" {
		titleH = st.Height(title) + vg.Points(10)
	}
	return renderSVG(width, ph*float64(rows)+float64(titleH/vg.Inch), func(dc draw.Canvas) {
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
		if title != "" {
			st.XAlign, st.YAlign = draw.XCenter, draw.YTop
			dc.FillText(st, vg.Point{X: dc.Center().X, Y: dc.Max.Y - vg.Points(4)}, title)
			dc = draw.Crop(dc, 0, 0, 0, -titleH)
		}
		tiles := draw.Tiles{Rows: rows, Cols: g.Cols, PadX: vg.Points(6), PadY: vg.Points(6)}
		var cells [][]draw.Canvas
		if rows*g.Cols == len(g.Panels) {
			// Align lines up the axes of panels that share a row or column.
			cells = plot.Align(plots, tiles, dc)
		}
		for r := range rows {
			for c := range g.Cols {
				if plots[r][c] == nil {
					continue
				}
				cell := tiles.At(dc, c, r)
				if cells != nil {
					cell = cells[r][c]
				}
				drawWithLegend(plots[r][c], legends[r][c], legendW[c], cell)
			}
		}
	})
}

// Display shows the grid in the notebook (see DisplaySVG).
func (g Grid) Display() error {
	svg, err := g.SVG()
	if err != nil {
		return err
	}
	DisplaySVG(svg)
	return nil
}
