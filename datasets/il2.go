package datasets

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// IL-2 labels, in tensor order, as TensorLy's loader gives them
// (tensorly/tensorly, tensorly/datasets/data_imports.py, function IL2data):
// doses are np.geomspace(84.0, 0.000474, 12), times [4, 2, 1, 0.5] hours.
var (
	il2Ligands = []string{
		"IL2 (Mono)", "IL15 (Mono)", "WT N-term (Biv)", "H16N N-term (Biv)",
		"R38Q N-term (Biv)", "R38Q/H16N (Biv)", "WT N-term (Mono)",
		"H16N N-term (Mono)", "WT C-term (Mono)", "V91K C-term (Mono)",
		"R38Q N-term (Mono)", "F42Q N-Term (Mono)", "N88D C-term (Mono)",
	}
	il2Times = []float64{4, 2, 1, 0.5}
	il2Cells = []string{
		"Treg IL2Ra_hi", "Treg", "Treg IL2Ra_lo", "Thelper IL2Ra_hi",
		"Thelper", "Thelper IL2Ra_lo", "CD8+", "NK",
	}
	il2Shape = []int{13, 4, 12, 8}
	// The two bivalent ligands that were not measured at 0.5 h (their only NaN entries).
	il2NaNLigands = []int{3, 4}
)

const il2Provenance = `IL2_Response_Tensor.npy, SHA-256 c8a8df301c943683104345fc4155061c7fc303d6ccdbad18ca1ce472ee82d7d1,
as shipped by TensorLy (tensorly/datasets/data, commit acc439e9f9662c2b10ccdb53e5e88a0a40090525); labels from TensorLy's IL2data loader.
Reference: Orcutt-Jahns B, Emmel PC, Snyder EM, Posner C, Carlson SM, Meyer AS (2021). Multivalency enhances the specificity of Fc-cytokine fusions. bioRxiv.
Licence: MIT, Copyright 2021 The Regents of the University of California.`

// IL2Times returns the time points of the IL-2 tensor's mode 1, in hours: [4 2 1 0.5].
func IL2Times() []float64 { return append([]float64(nil), il2Times...) }

// IL2Doses returns the 12 doses of the IL-2 tensor's mode 2, geometric from 84 down to 0.000474
// (NumPy's geomspace, endpoints exact).
func IL2Doses() []float64 { return geomspace(84, 0.000474, 12) }

// geomspace follows numpy.geomspace for positive endpoints: powers of ten at evenly spaced
// exponents, with the endpoints set exactly.
func geomspace(start, stop float64, n int) []float64 {
	out := make([]float64, n)
	lo, hi := math.Log10(start), math.Log10(stop)
	step := (hi - lo) / float64(n-1)
	for i := range out {
		out[i] = math.Pow(10, lo+float64(i)*step)
	}
	out[0], out[n-1] = start, stop
	return out
}

// LoadIL2 loads the IL-2 mutein response tensor from DefaultSource: shape (13, 4, 12, 8),
// modes ligands, times, doses, cells. Its 192 NaN entries (ligands 3 and 4 at 0.5 h) are not
// present. See Source.LoadIL2.
func LoadIL2() (*Tensor, error) { return DefaultSource().LoadIL2() }

// LoadIL2 loads the IL-2 mutein response tensor (13 ligands x 4 times x 12 doses x 8 cell types,
// values in [0, 1]) from s, with TensorLy's labels. Entries that are NaN in the file (never
// measured) are marked missing in Present and kept as NaN.
func (s Source) LoadIL2() (*Tensor, error) {
	values, err := s.load(IL2File)
	if err != nil {
		return nil, err
	}
	if !multilinear.SameShape(values.Shape, il2Shape) {
		return nil, fmt.Errorf("datasets: %s has shape %v, want %v", IL2File.Name, values.Shape, il2Shape)
	}
	times := make([]string, len(il2Times))
	for i, h := range il2Times {
		times[i] = strconv.FormatFloat(h, 'g', -1, 64) + " h"
	}
	doses := IL2Doses()
	doseLabels := make([]string, len(doses))
	for i, d := range doses {
		doseLabels[i] = strconv.FormatFloat(d, 'g', 3, 64)
	}
	labels := [][]string{append([]string(nil), il2Ligands...), times, doseLabels, append([]string(nil), il2Cells...)}
	t, err := newTensor(values, "IL-2", []string{"ligands", "times", "doses", "cells"}, labels, il2Provenance)
	if err != nil {
		return nil, err
	}
	t.Key = "il2"
	return t, nil
}

// IL2Subset cuts the 3-way (11, 4, 12) tensor of one cell type from the full IL-2 tensor: it drops
// the two ligands that hold NaN (indices 3 and 4, not measured at 0.5 h) and keeps cell type
// cellType (0..7, in the order of il2.Labels[3]), removing the cell mode.
//
// This is our reading of the paper's IL-2 shape (11, 4, 12), not its stated choice: the paper
// does not say how it cut the (13, 4, 12, 8) tensor. Evaluate every cell type and report the spread.
func IL2Subset(il2 *Tensor, cellType int) (*Tensor, error) {
	if il2 == nil || il2.Tensor == nil || !multilinear.SameShape(il2.Shape, il2Shape) {
		return nil, fmt.Errorf("datasets: IL2Subset needs the full IL-2 tensor from LoadIL2 (shape %v), got shape %v", il2Shape, shapeOf(il2))
	}
	if err := il2.Validate(); err != nil {
		return nil, fmt.Errorf("datasets: IL2Subset: %w", err)
	}
	if cellType < 0 || cellType >= il2Shape[3] {
		return nil, fmt.Errorf("datasets: IL2Subset: cell type %d out of range [0,%d); cell types are %q", cellType, il2Shape[3], il2.Labels[3])
	}
	s, err := il2.Select(0, il2CompleteLigands())
	if err != nil {
		return nil, err
	}
	s, err = s.Slice(3, cellType)
	if err != nil {
		return nil, err
	}
	s.Name = fmt.Sprintf("IL-2 %s", il2.Labels[3][cellType])
	s.Key = fmt.Sprintf("il2/cell=%d", cellType)
	s.Provenance = addLine(s.Provenance, "IL2Subset: our reading of the paper's (11, 4, 12), not its stated choice")
	return s, nil
}

// il2CompleteLigands lists the 11 ligands measured at every time point.
func il2CompleteLigands() []int {
	keep := make([]int, 0, il2Shape[0]-len(il2NaNLigands))
	for i := range il2Shape[0] {
		if i != il2NaNLigands[0] && i != il2NaNLigands[1] {
			keep = append(keep, i)
		}
	}
	return keep
}

// IL2MeanOverCells returns the (11, 4, 12) tensor of the mean response over the 8 cell types:
// the two ligands that hold NaN (indices 3 and 4) are dropped, then entry (l, t, d) is the
// average of the 8 cell-type entries (l, t, d, c), each cell type being max-normalised to
// [0, 1] in the source. Modes: ligands, times, doses.
//
// This is our second reading of the paper's IL-2 shape (11, 4, 12), beside IL2Subset's single
// cell types: the paper does not say how it cut the (13, 4, 12, 8) tensor. In our runs the mean
// is the easiest of the readings to complete and varies least across seeds; single cell types
// come close.
func IL2MeanOverCells(il2 *Tensor) (*Tensor, error) {
	if il2 == nil || il2.Tensor == nil || !multilinear.SameShape(il2.Shape, il2Shape) {
		return nil, fmt.Errorf("datasets: IL2MeanOverCells needs the full IL-2 tensor from LoadIL2 (shape %v), got shape %v", il2Shape, shapeOf(il2))
	}
	if err := il2.Validate(); err != nil {
		return nil, fmt.Errorf("datasets: IL2MeanOverCells: %w", err)
	}
	s, err := il2.Select(0, il2CompleteLigands())
	if err != nil {
		return nil, err
	}
	cells := s.Shape[3]
	shape := s.Shape[:3]
	values := multilinear.New(shape...)
	for i := range values.Data {
		sum := 0.0
		for c := range cells { // the cell mode is the last: contiguous
			sum += s.Data[i*cells+c]
		}
		values.Data[i] = sum / float64(cells)
	}
	m := &Tensor{
		Tensor:      values,
		Name:        "IL-2 mean over cell types",
		Key:         "il2/mean-cells",
		ModeNames:   slices.Clone(s.ModeNames[:3]),
		Labels:      [][]string{slices.Clone(s.Labels[0]), slices.Clone(s.Labels[1]), slices.Clone(s.Labels[2])},
		SourceIndex: [][]int{slices.Clone(s.SourceIndex[0]), slices.Clone(s.SourceIndex[1]), slices.Clone(s.SourceIndex[2])},
		Present:     presentMask(values),
		Provenance: addLine(s.Provenance, fmt.Sprintf("mean over the %d cell types %q, cell mode removed", cells, s.Labels[3])+
			"\nIL2MeanOverCells: our reading of the paper's (11, 4, 12), not its stated choice"),
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func shapeOf(t *Tensor) any {
	if t == nil || t.Tensor == nil {
		return "nil"
	}
	return t.Shape
}
