package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFirstFigure(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// nbformat keeps text as a string or as a list of lines; the first SVG
	// output wins, whatever cell it is in; a PNG-only output is not one.
	lines := write("lines.ipynb", `{"cells": [
		{"outputs": [{"data": {"text/plain": "x"}}]},
		{"outputs": [{"data": {"image/png": "iVBOR"}}, {"data": {"image/svg+xml": ["<svg>", "first</svg>"]}}]},
		{"outputs": [{"data": {"image/svg+xml": "<svg>second</svg>"}}]}]}`)
	str := write("string.ipynb", `{"cells": [{"outputs": [{"data": {"image/svg+xml": "<svg>only</svg>"}}]}]}`)
	none := write("none.ipynb", `{"cells": [{"cell_type": "markdown"}, {"outputs": []}]}`)
	bad := write("bad.ipynb", `{"cells": [`)
	for path, want := range map[string]string{lines: "<svg>first</svg>", str: "<svg>only</svg>", none: ""} {
		got, err := firstFigure(path)
		if err != nil || got != want {
			t.Errorf("%s: firstFigure = %q, %v; want %q", filepath.Base(path), got, err, want)
		}
	}
	if _, err := firstFigure(bad); err == nil || !strings.Contains(err.Error(), "not a notebook") {
		t.Errorf("truncated notebook: err = %v, want 'not a notebook'", err)
	}
}

func TestCollectFiguresSkipsWhatIsAbsent(t *testing.T) {
	dir := t.TempDir()
	// No executed notebooks and an empty gallery: nothing to render, no error.
	figs, err := collectFigures(config{figures: filepath.Join(dir, "*.ipynb"), gallery: dir})
	if err != nil || len(figs) != 0 {
		t.Fatalf("empty inputs: %d figures, err %v", len(figs), err)
	}
	os.WriteFile(filepath.Join(dir, "a.ipynb"), []byte(`{"cells": [{"outputs": [{"data": {"image/svg+xml": "<svg/>"}}]}]}`), 0o644)
	os.WriteFile(filepath.Join(dir, "b.ipynb"), []byte(`{"cells": []}`), 0o644)
	os.WriteFile(filepath.Join(dir, "g.svg"), []byte(`<svg/>`), 0o644)
	figs, err = collectFigures(config{figures: filepath.Join(dir, "*.ipynb"), gallery: dir})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range figs {
		names = append(names, f.name)
	}
	if strings.Join(names, ",") != "a-figure1,g" { // b has no figure: skipped
		t.Errorf("figures %v, want [a-figure1 g]", names)
	}
}
