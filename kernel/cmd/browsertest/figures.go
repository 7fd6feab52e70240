package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
)

// figure is one SVG to render: from a notebook's outputs or a gallery file.
type figure struct {
	name string // output file name, without extension
	svg  string
}

// collectFigures returns the first figure of each executed notebook matching
// cfg.figures and every SVG in cfg.gallery, and says what it skipped.
func collectFigures(cfg config) ([]figure, error) {
	var figs []figure
	if cfg.figures != "" {
		nbs, err := filepath.Glob(cfg.figures)
		if err != nil {
			return nil, fmt.Errorf("-figures %q: %w", cfg.figures, err)
		}
		if len(nbs) == 0 {
			fmt.Printf("browsertest: no executed notebook matches %s (run 'make notebooks' first); figures skipped\n", cfg.figures)
		}
		sort.Strings(nbs)
		for _, nb := range nbs {
			svg, err := firstFigure(nb)
			if err != nil {
				return nil, err
			}
			if svg == "" {
				fmt.Printf("browsertest: %s has no SVG figure in its outputs; skipped\n", nb)
				continue
			}
			figs = append(figs, figure{strings.TrimSuffix(filepath.Base(nb), ".ipynb") + "-figure1", svg})
		}
	}
	if cfg.gallery != "" {
		files, err := filepath.Glob(filepath.Join(cfg.gallery, "*.svg"))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			fmt.Printf("browsertest: no SVG in %s; gallery skipped\n", cfg.gallery)
		}
		sort.Strings(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			figs = append(figs, figure{strings.TrimSuffix(filepath.Base(f), ".svg"), string(b)})
		}
	}
	return figs, nil
}

// firstFigure returns the first image/svg+xml output of a notebook, or "".
func firstFigure(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var nb struct {
		Cells []struct {
			Outputs []struct {
				Data map[string]json.RawMessage `json:"data"`
			} `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(b, &nb); err != nil {
		return "", fmt.Errorf("%s is not a notebook: %w", path, err)
	}
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			raw, ok := o.Data["image/svg+xml"]
			if !ok {
				continue
			}
			// nbformat stores text as a string or a list of lines.
			var s string
			if json.Unmarshal(raw, &s) == nil {
				return s, nil
			}
			var lines []string
			if err := json.Unmarshal(raw, &lines); err != nil {
				return "", fmt.Errorf("%s: image/svg+xml output is neither a string nor lines: %w", path, err)
			}
			return strings.Join(lines, ""), nil
		}
	}
	return "", nil
}

// jsFigureCheck measures the SVG as the browser lays it out: its size and
// the texts whose box leaves the canvas (2 px of slack for font boxes).
const jsFigureCheck = `() => {
	const svg = document.documentElement;
	const r = svg.getBoundingClientRect();
	const out = [...svg.querySelectorAll("text")].filter(t => {
		const b = t.getBoundingClientRect();
		return b.width > 0 && (b.left < r.left - 2 || b.right > r.right + 2 || b.top < r.top - 2 || b.bottom > r.bottom + 2);
	}).map(t => t.textContent.trim());
	return JSON.stringify({width: r.width, height: r.height, outside: out});
}`

// checkFigures renders every collected figure to dir/NAME.png and fails
// when a figure's text leaves its canvas.
func checkFigures(ctx context.Context, browser *rod.Browser, dir string, cfg config) error {
	figs, err := collectFigures(cfg)
	if err != nil || len(figs) == 0 {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var problems []string
	for _, f := range figs {
		svgPath := filepath.Join(dir, f.name+".svg")
		if err := os.WriteFile(svgPath, []byte(f.svg), 0o644); err != nil {
			return err
		}
		pngPath := filepath.Join(dir, f.name+".png")
		outside, err := renderFigure(ctx, browser, svgPath, pngPath)
		if err != nil {
			return fmt.Errorf("rendering %s: %w", svgPath, err)
		}
		if len(outside) > 0 {
			problems = append(problems, fmt.Sprintf("%s: text leaves the canvas: %q", pngPath, outside))
			continue
		}
		fmt.Printf("browsertest: figure %s\n", pngPath)
	}
	if len(problems) > 0 {
		return fmt.Errorf("figures with clipped text (when every figure fails, the browser lacks Liberation Sans, the font "+
			"the figures are laid out with, and falls back to a wider one; Debian: apt-get install fonts-liberation):\n  %s",
			strings.Join(problems, "\n  "))
	}
	return nil
}

// renderFigure opens one SVG file, sizes the viewport to it, saves a PNG at
// 1.5x, and returns the texts that leave the canvas.
func renderFigure(ctx context.Context, browser *rod.Browser, svgPath, pngPath string) ([]string, error) {
	page, err := browser.Page(proto.TargetCreateTarget{URL: "file://" + svgPath})
	if err != nil {
		return nil, err
	}
	defer page.Close()
	if err := page.Context(ctx).WaitLoad(); err != nil {
		return nil, err
	}
	var m struct {
		Width, Height float64
		Outside       []string
	}
	if err := evalJSON(page, jsFigureCheck, &m); err != nil {
		return nil, err
	}
	if m.Width < 1 || m.Height < 1 {
		return nil, fmt.Errorf("the browser laid the SVG out as %gx%g px", m.Width, m.Height)
	}
	if err := page.SetViewport(&proto.EmulationSetDeviceMetricsOverride{
		Width: int(math.Ceil(m.Width)), Height: int(math.Ceil(m.Height)), DeviceScaleFactor: 1.5,
	}); err != nil {
		return nil, err
	}
	png, err := page.Screenshot(false, &proto.PageCaptureScreenshot{Format: proto.PageCaptureScreenshotFormatPng})
	if err != nil {
		return nil, err
	}
	return m.Outside, os.WriteFile(pngPath, png, 0o644)
}

// renderFigures is -figures-only: figures without JupyterLab, into out.
func renderFigures(ctx context.Context, bin, out string, cfg config) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	browser, stop, err := launchChromium(ctx, bin, filepath.Join(out, ".chromium"))
	if err != nil {
		return err
	}
	defer stop()
	if err := checkFigures(ctx, browser, out, cfg); err != nil {
		return err
	}
	fmt.Printf("browsertest: figures in %s\n", out)
	return nil
}
