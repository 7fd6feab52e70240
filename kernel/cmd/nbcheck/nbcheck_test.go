package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The two fixtures are real outputs of GoNB v0.11.4 under nbconvert:
// gonb-errors.ipynb has a compile error (cell 2), a panic (cell 3) and
// os.Exit(3) (cell 4); smoke-executed.ipynb is kernel/testdata/smoke.ipynb
// executed, with two figures, a table and a CHECK line.

func TestRealGoNBErrors(t *testing.T) {
	r, err := checkFile("testdata/gonb-errors.ipynb", options{Kernel: "deeptucker-go"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 3 {
		t.Fatalf("%d problems, want 3 (cells 2, 3, 4):\n%s", len(r.Problems), strings.Join(r.Problems, "\n"))
	}
	for i, want := range []string{"undefined: undefinedThing", "panic: boom", "exit status 3"} {
		if !strings.HasPrefix(r.Problems[i], "cell "+string(rune('2'+i))+" failed") || !strings.Contains(r.Problems[i], want) {
			t.Errorf("problem %d = %q, want cell %d with %q", i, r.Problems[i], i+2, want)
		}
	}
	if r.CodeCells != 5 {
		t.Errorf("CodeCells = %d, want 5", r.CodeCells)
	}
}

func TestRealGoNBSuccess(t *testing.T) {
	r, err := checkFile("testdata/smoke-executed.ipynb", options{Kernel: "deeptucker-go"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 0 {
		t.Fatalf("problems in a good notebook: %q", r.Problems)
	}
	if r.Figures != 2 || r.Tables != 1 || len(r.Checks) != 1 || r.Checks[0].Name != "smoke/pi" {
		t.Errorf("figures=%d tables=%d checks=%+v, want 2, 1, [smoke/pi]", r.Figures, r.Tables, r.Checks)
	}
	if !strings.Contains(r.summary(), "smoke-executed.ipynb: ok:") {
		t.Errorf("summary %q", r.summary())
	}
	// The same notebook fails when another kernel is required.
	r, _ = checkFile("testdata/smoke-executed.ipynb", options{Kernel: "python3"})
	if len(r.Problems) != 1 || !strings.Contains(r.Problems[0], `kernelspec is "deeptucker-go", want "python3"`) {
		t.Errorf("kernel mismatch: %q", r.Problems)
	}
}

// nb builds a notebook from cells given as JSON objects.
func nb(t *testing.T, cells ...string) *notebook {
	t.Helper()
	src := `{"metadata": {"kernelspec": {"name": "deeptucker-go"}}, "cells": [` + strings.Join(cells, ",") + `]}`
	var n notebook
	if err := json.Unmarshal([]byte(src), &n); err != nil {
		t.Fatalf("bad test notebook: %v\n%s", err, src)
	}
	return &n
}

func TestRules(t *testing.T) {
	const svgOut = `{"output_type": "display_data", "data": {"text/html": "<img alt=\"f\" src=\"data:image/svg+xml;base64,PHN2Zz4=\"/>"}}`
	const tableOut = `{"output_type": "display_data", "data": {"text/html": ["<table>\n", "<tr><td>1</td></tr></table>"]}}`
	cases := []struct {
		name string
		cell string
		want string // "" = no problem
	}{
		{"figure present", `{"cell_type": "code", "source": "x", "execution_count": 1, "metadata": {"tags": ["expect-figure"]}, "outputs": [` + svgOut + `]}`, ""},
		{"png figure", `{"cell_type": "code", "source": "x", "execution_count": 1, "metadata": {"tags": ["expect-figure"]}, "outputs": [{"output_type": "display_data", "data": {"image/png": "iVBOR"}}]}`, ""},
		{"figure missing", `{"cell_type": "code", "source": "x", "execution_count": 1, "metadata": {"tags": ["expect-figure"]}, "outputs": [` + tableOut + `]}`, "tagged expect-figure but shows no figure"},
		{"table present", `{"cell_type": "code", "source": "x", "execution_count": 1, "metadata": {"tags": ["expect-table"]}, "outputs": [` + tableOut + `]}`, ""},
		{"table missing", `{"cell_type": "code", "source": "x", "execution_count": 1, "metadata": {"tags": ["expect-table"]}, "outputs": [` + svgOut + `]}`, "tagged expect-table but shows no HTML table"},
		{"check missing", `{"cell_type": "code", "source": "x", "execution_count": 1, "metadata": {"tags": ["expect-check"]}, "outputs": [{"output_type": "stream", "name": "stdout", "text": "CHECKS are fine\n"}]}`, "prints no CHECK line"},
		{"check ok", `{"cell_type": "code", "source": "x", "execution_count": 1, "metadata": {"tags": ["expect-check"]}, "outputs": [{"output_type": "stream", "name": "stdout", "text": "CHECK mse=1e-9 in [0, 1e-6] ok\n"}]}`, ""},
		{"check out of bounds, verdict lies", `{"cell_type": "code", "source": "x", "execution_count": 1, "metadata": {}, "outputs": [{"output_type": "stream", "name": "stdout", "text": ["step 1\n", "CHECK mse=0.5 in [0, 1e-6] ok\n"]}]}`, "check mse=0.5 is outside [0, 1e-06]"},
		{"check split across streams", `{"cell_type": "code", "source": "x", "execution_count": 1, "metadata": {}, "outputs": [{"output_type": "stream", "name": "stdout", "text": "CHECK r2=0.7"}, {"output_type": "stream", "name": "stdout", "text": "5 in [0.8, 1] FAIL\n"}]}`, "check r2=0.75 is outside [0.8, 1]"},
		{"malformed check", `{"cell_type": "code", "source": "x", "execution_count": 1, "metadata": {}, "outputs": [{"output_type": "stream", "name": "stdout", "text": "CHECK r2 about 0.9\n"}]}`, "malformed check line"},
		{"not executed", `{"cell_type": "code", "source": "x := 1", "execution_count": null, "metadata": {}, "outputs": []}`, "cell 1 was not executed"},
		{"panic without error output", `{"cell_type": "code", "source": "x", "execution_count": 1, "metadata": {}, "outputs": [{"output_type": "stream", "name": "stderr", "text": "panic: bad shape\n"}]}`, "cell 1 panicked:\n\t| panic: bad shape"},
		{"stderr warning is fine", `{"cell_type": "code", "source": "x", "execution_count": 1, "metadata": {}, "outputs": [{"output_type": "stream", "name": "stderr", "text": "warning: slow\n"}]}`, ""},
		{"empty cell skipped", `{"cell_type": "code", "source": "  \n", "execution_count": null, "metadata": {}, "outputs": []}`, ""},
		{"markdown skipped", `{"cell_type": "markdown", "source": "CHECK x=9 in [0, 1]", "metadata": {}}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := checkNotebook("t.ipynb", nb(t, c.cell), options{Kernel: "deeptucker-go"})
			switch {
			case c.want == "" && len(r.Problems) > 0:
				t.Errorf("unexpected problems: %q", r.Problems)
			case c.want != "" && (len(r.Problems) != 1 || !strings.Contains(r.Problems[0], c.want)):
				t.Errorf("problems %q, want one containing %q", r.Problems, c.want)
			}
		})
	}
}

func TestUnreadableFiles(t *testing.T) {
	if _, err := checkFile(filepath.Join(t.TempDir(), "missing.ipynb"), options{}); err == nil {
		t.Error("missing file: no error")
	}
	bad := filepath.Join(t.TempDir(), "bad.ipynb")
	if err := os.WriteFile(bad, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := checkFile(bad, options{}); err == nil || !strings.Contains(err.Error(), "not notebook JSON") {
		t.Errorf("bad JSON: err = %v", err)
	}
}

func TestSourceMode(t *testing.T) {
	clean := nb(t, `{"cell_type": "code", "source": "x", "execution_count": null, "metadata": {}, "outputs": []}`,
		`{"cell_type": "markdown", "source": "# t", "metadata": {}}`)
	if r := checkNotebook("t.ipynb", clean, options{Kernel: "deeptucker-go", Source: true}); len(r.Problems) > 0 {
		t.Errorf("clean notebook: %q", r.Problems)
	}
	// An executed notebook is not fit to commit.
	r, err := checkFile("testdata/smoke-executed.ipynb", options{Kernel: "deeptucker-go", Source: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 5 || !strings.Contains(r.Problems[0], "outputs cleared") {
		t.Errorf("executed notebook as source: %d problems %q, want one per code cell (5)", len(r.Problems), r.Problems)
	}
	// The repository's notebooks are committed executed in the full profile, with a fresh stamp; the kernel's
	// test fixtures are committed with outputs cleared.
	for p, opts := range map[string]options{
		"../../../notebooks": {Kernel: "deeptucker-go", Committed: "full"},
		"../../testdata":     {Kernel: "deeptucker-go", Source: true},
	} {
		files, _ := filepath.Glob(filepath.Join(p, "*.ipynb"))
		for _, f := range files {
			r, err := checkFile(f, opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Problems) > 0 {
				t.Errorf("committed notebook %s: %q", f, r.Problems)
			}
		}
	}
}
