package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommittedStamp: a stamped executed notebook passes as committed; the same notebook with one cell edited
// after execution is stale, one stamped in another profile or not stamped at all is refused, and the outputs
// are still checked (the negative controls fail for the reason named).
func TestCommittedStamp(t *testing.T) {
	raw, err := os.ReadFile("testdata/smoke-executed.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "nb.ipynb")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	opts := options{Kernel: "deeptucker-go", Committed: "full", Library: "lib-1"}
	if r, _ := checkFile(path, opts); len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "no execution stamp") {
		t.Fatalf("unstamped: %q", r.Problems)
	}
	if err := stampFile(path, "full", "go", "lib-1"); err != nil {
		t.Fatal(err)
	}
	r, err := checkFile(path, opts)
	if err != nil || len(r.Problems) != 0 || r.Figures != 2 {
		t.Fatalf("stamped: %v %q, %d figures", err, r.Problems, r.Figures)
	}
	if r, _ := checkFile(path, options{Kernel: "deeptucker-go", Committed: "ci", Library: "lib-1"}); len(r.Problems) != 1 || !strings.Contains(r.Problems[0], `"full" profile`) {
		t.Errorf("profile mismatch: %q", r.Problems)
	}
	// The library changed since: stale, whatever the cells.
	if r, _ := checkFile(path, options{Kernel: "deeptucker-go", Committed: "full", Library: "lib-2"}); len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "library") {
		t.Errorf("library changed: %q", r.Problems)
	}
	// Edit one code cell's source after execution: stale.
	var doc map[string]any
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range doc["cells"].([]any) {
		cell := c.(map[string]any)
		if cell["cell_type"] == "code" {
			cell["source"] = "%%\nfmt.Println(\"changed\")"
			break
		}
	}
	b, _ = json.Marshal(doc)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if r, _ := checkFile(path, opts); len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "stale") {
		t.Errorf("edited after execution: %q", r.Problems)
	}
}

// TestMarkdownEditsKeepTheStamp: the reading of the results (markdown) is written after they exist; editing it
// does not make the outputs stale.
func TestMarkdownEditsKeepTheStamp(t *testing.T) {
	n := nb(t, `{"cell_type": "markdown", "source": "a reading", "metadata": {}}`,
		`{"cell_type": "code", "source": "%%\nfmt.Println(1)", "metadata": {}, "outputs": [], "execution_count": 1}`)
	before := SourceHash(n)
	n.Cells[0].Source = "another reading"
	if SourceHash(n) != before {
		t.Error("a markdown edit changed the source hash")
	}
	n.Cells[1].Source = "%%\nfmt.Println(2)"
	if SourceHash(n) == before {
		t.Error("a code edit left the source hash unchanged")
	}
}

// TestStampKeepsNumbers: stamping re-encodes the notebook; numbers elsewhere in it (metadata, a JSON
// output) went through float64, so an integer beyond 2^53 came back rounded and 1.0 as 1. The
// stamp must change the stamp and nothing else of what the notebook holds.
func TestStampKeepsNumbers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nb.ipynb")
	src := `{"metadata": {"seed": 12345678901234567891, "ratio": 1.0, "tiny": 1e-400}, "nbformat": 4, "nbformat_minor": 5,
 "cells": [{"cell_type": "code", "source": "%%\nfmt.Println(1)", "metadata": {}, "execution_count": 1,
  "outputs": [{"output_type": "display_data", "metadata": {}, "data": {"application/json": {"id": 9007199254740993}}}]}]}`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := stampFile(path, "full", "go", "lib-1"); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"12345678901234567891", `"ratio": 1.0`, "1e-400", "9007199254740993", `"sources_sha256"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("stamped notebook lost %s:\n%s", want, out)
		}
	}
}

// TestLibraryHash: the hash follows the library's Go code and the module files, and nothing else: tests,
// tools under cmd/, test data and docs leave it as it was.
func TestLibraryHash(t *testing.T) {
	root := t.TempDir()
	write := func(rel, text string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module m\n")
	write("go.sum", "")
	write("deeptucker/a.go", "package a\n")
	write("kernel/k.go", "package kernel\n")
	write("datasets/d.go", "package datasets\n")
	hash := func() string {
		t.Helper()
		h, err := LibraryHash(root)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	base := hash()
	for rel, text := range map[string]string{
		"deeptucker/a_test.go":       "package a\n",
		"kernel/cmd/nbcheck/main.go": "package main\n",
		"deeptucker/testdata/x.go":   "package x\n",
		"README.md":                  "docs\n",
		"notebooks/n.ipynb":          "{}",
	} {
		write(rel, text)
		if hash() != base {
			t.Errorf("%s changed the library hash", rel)
		}
	}
	for rel, text := range map[string]string{
		"deeptucker/a.go":     "package a\n// a comment\n",
		"kernel/k.go":         "package kernel\nconst x = 1\n",
		"datasets/sub/new.go": "package sub\n",
		"go.sum":              "example.com/x v1.0.0 h1:abc=\n",
	} {
		write(rel, text)
		if h := hash(); h == base {
			t.Errorf("%s left the library hash unchanged", rel)
		} else {
			base = h
		}
	}
}
