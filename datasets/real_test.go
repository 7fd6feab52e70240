package datasets

import (
	"bufio"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadIL2(t *testing.T) {
	il2, err := realSource(t).LoadIL2()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(il2.Shape, []int{13, 4, 12, 8}) {
		t.Fatalf("shape %v, want [13 4 12 8]", il2.Shape)
	}
	if !slices.Equal(il2.ModeNames, []string{"ligands", "times", "doses", "cells"}) {
		t.Errorf("mode names %q", il2.ModeNames)
	}
	// Spot checks against TensorLy's label lists.
	for _, c := range []struct {
		mode, i int
		want    string
	}{{0, 0, "IL2 (Mono)"}, {0, 3, "H16N N-term (Biv)"}, {0, 4, "R38Q N-term (Biv)"}, {0, 12, "N88D C-term (Mono)"},
		{1, 0, "4 h"}, {1, 3, "0.5 h"}, {2, 0, "84"}, {2, 11, "0.000474"}, {3, 0, "Treg IL2Ra_hi"}, {3, 6, "CD8+"}, {3, 7, "NK"}} {
		if got := il2.Labels[c.mode][c.i]; got != c.want {
			t.Errorf("Labels[%d][%d] = %q, want %q", c.mode, c.i, got, c.want)
		}
	}

	// NaN: 192 entries, exactly the cells (ligand 3 or 4, time 0.5 h, any dose, any cell type).
	if got := il2.Missing(); got != 192 {
		t.Errorf("Missing() = %d, want 192", got)
	}
	for l := range 13 {
		for tm := range 4 {
			for d := range 12 {
				for c := range 8 {
					v := il2.At(l, tm, d, c)
					wantNaN := (l == 3 || l == 4) && tm == 3
					if math.IsNaN(v) != wantNaN {
						t.Fatalf("entry (%d,%d,%d,%d) = %v; NaN expected: %v", l, tm, d, c, v, wantNaN)
					}
					if il2.Present.Observed[il2.Offset(l, tm, d, c)] == wantNaN {
						t.Fatalf("Present disagrees with NaN at (%d,%d,%d,%d)", l, tm, d, c)
					}
				}
			}
		}
	}
	// Values in [0, 1]; each cell-type slice spans exactly [0, 1] (max-normalised per cell type).
	for c := range 8 {
		s, err := il2.Slice(3, c)
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for i, v := range s.Data {
			if s.Present.Observed[i] {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		if lo != 0 || hi != 1 {
			t.Errorf("cell type %s spans [%v, %v], want [0, 1]", il2.Labels[3][c], lo, hi)
		}
	}
	if !strings.Contains(il2.Provenance, "Orcutt-Jahns") || !strings.Contains(il2.Provenance, IL2File.SHA256) {
		t.Errorf("provenance lacks the reference or checksum: %q", il2.Provenance)
	}
}

func TestIL2DosesAndTimes(t *testing.T) {
	d := IL2Doses()
	if len(d) != 12 || d[0] != 84 || d[11] != 0.000474 {
		t.Fatalf("doses %v: want 12 values from 84 to 0.000474", d)
	}
	ratio := math.Pow(0.000474/84, 1.0/11)
	for i := 1; i < 12; i++ {
		if r := d[i] / d[i-1]; math.Abs(r-ratio) > 1e-12 {
			t.Errorf("doses[%d]/doses[%d] = %v, want the constant ratio %v", i, i-1, r, ratio)
		}
	}
	if !slices.Equal(IL2Times(), []float64{4, 2, 1, 0.5}) {
		t.Errorf("times %v", IL2Times())
	}
}

func TestIL2Subset(t *testing.T) {
	il2, err := realSource(t).LoadIL2()
	if err != nil {
		t.Fatal(err)
	}
	for c := range 8 {
		s, err := IL2Subset(il2, c)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(s.Shape, []int{11, 4, 12}) {
			t.Fatalf("cell %d: shape %v, want [11 4 12]", c, s.Shape)
		}
		if s.Missing() != 0 {
			t.Errorf("cell %d: %d missing entries, want none once ligands 3 and 4 are dropped", c, s.Missing())
		}
		if slices.Contains(s.Labels[0], "H16N N-term (Biv)") || slices.Contains(s.Labels[0], "R38Q N-term (Biv)") || len(s.Labels[0]) != 11 {
			t.Errorf("cell %d: ligands %q still hold a dropped one", c, s.Labels[0])
		}
		if !slices.Equal(s.ModeNames, []string{"ligands", "times", "doses"}) {
			t.Errorf("mode names %q", s.ModeNames)
		}
		// Every entry is the source entry it claims to come from.
		for l := range 11 {
			for tm := range 4 {
				for d := range 12 {
					src := il2.At(s.SourceIndex[0][l], s.SourceIndex[1][tm], s.SourceIndex[2][d], c)
					if got := s.At(l, tm, d); got != src {
						t.Fatalf("cell %d entry (%d,%d,%d) = %v, source has %v", c, l, tm, d, got, src)
					}
				}
			}
		}
		if !strings.Contains(s.Name, il2.Labels[3][c]) || !strings.Contains(s.Provenance, "our reading") {
			t.Errorf("name %q / provenance %q should name the cell type and the caveat", s.Name, s.Provenance)
		}
	}
	if _, err := IL2Subset(il2, 8); err == nil {
		t.Errorf("cell type 8 accepted")
	}
	cut, _ := il2.Select(0, []int{0, 1})
	if _, err := IL2Subset(cut, 0); err == nil {
		t.Errorf("IL2Subset accepted a tensor of shape %v", cut.Shape)
	}
}

func TestLoadCOVID19(t *testing.T) {
	src := realSource(t)
	covid, err := src.LoadCOVID19()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(covid.Shape, []int{438, 6, 11}) {
		t.Fatalf("shape %v, want [438 6 11]", covid.Shape)
	}
	if covid.Missing() != 0 {
		t.Errorf("%d missing entries, want none", covid.Missing())
	}
	lo, hi := slices.Min(covid.Data), slices.Max(covid.Data)
	if lo < -4.5 || lo > -4.48 || hi < 3.62 || hi > 3.64 {
		t.Errorf("range [%v, %v], want about [-4.49, 3.63]", lo, hi)
	}
	// Each (antigen, receptor) fibre is centred over the samples.
	for a := range 6 {
		for r := range 11 {
			sum := 0.0
			for s := range 438 {
				sum += covid.At(s, a, r)
			}
			if m := sum / 438; math.Abs(m) > 1e-9 {
				t.Errorf("fibre (%s, %s) has mean %v, want 0", covid.Labels[1][a], covid.Labels[2][r], m)
			}
		}
	}
	if covid.Labels[1][5] != "S1 Trimer" || covid.Labels[2][6] != "FcRalpha" || covid.Labels[2][10] != "FcR3B" {
		t.Errorf("antigens %q receptors %q", covid.Labels[1], covid.Labels[2])
	}

	// The embedded labels match the label file kept beside the data, line by line.
	fh, err := os.Open(filepath.Join(src.Dir, "COVID19_sample_labels.txt"))
	if err != nil {
		t.Skipf("no label file beside the data: %v", err)
	}
	defer fh.Close()
	var fromFile []string
	for sc := bufio.NewScanner(fh); sc.Scan(); {
		fromFile = append(fromFile, strings.TrimSpace(sc.Text()))
	}
	if !slices.Equal(fromFile, covid.Labels[0]) {
		t.Errorf("sample labels differ from COVID19_sample_labels.txt (%d lines vs %d labels)", len(fromFile), len(covid.Labels[0]))
	}
}

func TestCOVIDSampleLabelBlocks(t *testing.T) {
	labels := COVID19SampleLabels()
	if len(labels) != 438 {
		t.Fatalf("%d labels, want 438", len(labels))
	}
	// Block boundaries: 39, 39+7, 46+122, 168+196, 364+74.
	for _, c := range []struct {
		i    int
		want string
	}{{0, "Negative"}, {38, "Negative"}, {39, "Mild"}, {45, "Mild"}, {46, "Moderate"}, {167, "Moderate"}, {168, "Severe"}, {363, "Severe"}, {364, "Deceased"}, {437, "Deceased"}} {
		if labels[c.i] != c.want {
			t.Errorf("label %d = %q, want %q", c.i, labels[c.i], c.want)
		}
	}
}

func TestCOVIDSample(t *testing.T) {
	covid, err := realSource(t).LoadCOVID19()
	if err != nil {
		t.Fatal(err)
	}
	a, err := COVIDSample(covid, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Shape, []int{10, 6, 11}) {
		t.Fatalf("shape %v, want [10 6 11]", a.Shape)
	}
	idx := a.SourceIndex[0]
	if !slices.IsSorted(idx) || len(slices.Compact(slices.Clone(idx))) != 10 {
		t.Errorf("sample indices %v are not sorted and distinct", idx)
	}
	for j, i := range idx {
		if a.Labels[0][j] != covid.Labels[0][i] {
			t.Errorf("sample %d label %q, source %q", j, a.Labels[0][j], covid.Labels[0][i])
		}
		for r := range 11 {
			if a.At(j, 2, r) != covid.At(i, 2, r) {
				t.Fatalf("sample %d (source %d) receptor %d differs from the source", j, i, r)
			}
		}
	}
	again, _ := COVIDSample(covid, 10, 1)
	if !slices.Equal(again.SourceIndex[0], idx) {
		t.Errorf("same seed gave %v then %v", idx, again.SourceIndex[0])
	}
	other, _ := COVIDSample(covid, 10, 2)
	if slices.Equal(other.SourceIndex[0], idx) {
		t.Errorf("seeds 1 and 2 gave the same samples %v", idx)
	}
	for _, n := range []int{0, 439} {
		if _, err := COVIDSample(covid, n, 1); err == nil {
			t.Errorf("n=%d accepted", n)
		}
	}
}

// The real files go through the download path too: served from the data directory by a local
// server, verified, cached, then decoded.
func TestLoadThroughDownload(t *testing.T) {
	dir := realSource(t).Dir
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	s := Source{CacheDir: t.TempDir(), BaseURL: srv.URL, Client: srv.Client()}
	il2, err := s.LoadIL2()
	if err != nil {
		t.Fatal(err)
	}
	covid, err := s.LoadCOVID19()
	if err != nil {
		t.Fatal(err)
	}
	if il2.Missing() != 192 || covid.Size() != 438*6*11 {
		t.Errorf("downloaded tensors: %v / %v", il2, covid)
	}
	for _, f := range []File{IL2File, COVID19File} {
		if _, err := os.Stat(filepath.Join(s.CacheDir, f.Name)); err != nil {
			t.Errorf("%s not cached: %v", f.Name, err)
		}
	}
}
