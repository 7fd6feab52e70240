package datasets

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// Tensor is a data tensor A with what a notebook needs to read it: a name, the name of each
// mode, one tick label per index of each mode, the mask of entries that exist in the source,
// and where the numbers came from.
//
// Missing entries (NaN in the source file) are marked false in Present and hold NaN in Data,
// so that nobody mistakes them for data; use ZeroFilled for algorithms that need finite inputs
// (TensorLy's masked Tucker, for example). A mask of observed entries for training (the paper's
// Omega) must be a subset of Present: see SplitMask.
type Tensor struct {
	*multilinear.Tensor

	// Name is a short human-readable name, such as "IL-2" or "COVID-19 (10 samples, seed 1)".
	Name string
	// Key names the data and its cut in a stable, machine-friendly form (for labels and file names; stored
	// results are keyed by the data's contents, never by Key),
	// such as "il2/cell=1", "il2/mean-cells", "covid19/random/n=10/seed=1",
	// "covid19/class=Severe/n=10/seed=1" or "covid19/first/n=10" (a user's tensor: "own/<name>/sha256=<digest
	// of its values>"). Select and Slice append their cut ("/ligands=[0 1 2]", "/cells=1"), and Scale the
	// scale and divisor, so that a cut or scaled tensor never carries its source's key; an empty Key stays empty.
	Key string
	// ModeNames holds one name per mode, such as "ligands" or "receptors".
	ModeNames []string
	// Labels[n][i] is the tick label of index i along mode n. Labels need not be unique
	// (the COVID-19 samples are labelled by severity class).
	Labels [][]string
	// SourceIndex[n][i] is the position of index i of mode n in the tensor this one was cut from
	// (its source file, for a subset): it keeps subsets traceable.
	SourceIndex [][]int
	// Present marks the entries that exist in the source; false where the source holds NaN.
	Present *multilinear.Mask
	// Provenance says where the values come from (file, checksum, reference, licence) and
	// which cuts were applied, one per line.
	Provenance string
}

// newTensor wraps values with names and labels, derives Present from the NaN entries and
// fills SourceIndex with the identity. It returns an error if the names or labels do not fit.
func newTensor(values *multilinear.Tensor, name string, modeNames []string, labels [][]string, provenance string) (*Tensor, error) {
	t := &Tensor{
		Tensor:      values,
		Name:        name,
		ModeNames:   modeNames,
		Labels:      labels,
		SourceIndex: make([][]int, len(values.Shape)),
		Present:     presentMask(values),
		Provenance:  provenance,
	}
	for n, d := range values.Shape {
		t.SourceIndex[n] = identity(d)
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// presentMask marks the non-NaN entries of t.
func presentMask(t *multilinear.Tensor) *multilinear.Mask {
	m := multilinear.NewMask(t.Shape...)
	for i, v := range t.Data {
		m.Observed[i] = !math.IsNaN(v)
	}
	return m
}

func identity(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// Validate checks that the parts of t agree: one mode name and one label and source index per
// index of every mode, a Present mask of the tensor's shape, NaN exactly at the missing entries
// and no infinite values. Loaders and subsets return validated tensors; call it after editing one.
func (t *Tensor) Validate() error {
	if t == nil || t.Tensor == nil {
		return fmt.Errorf("datasets: tensor has no values")
	}
	if err := t.Tensor.Validate(); err != nil {
		return fmt.Errorf("datasets: %q: %w", t.Name, err)
	}
	order := len(t.Shape)
	if len(t.ModeNames) != order {
		return fmt.Errorf("datasets: %q has %d mode names %q for %d modes (shape %v)", t.Name, len(t.ModeNames), t.ModeNames, order, t.Shape)
	}
	if len(t.Labels) != order {
		return fmt.Errorf("datasets: %q has labels for %d modes, shape %v has %d", t.Name, len(t.Labels), t.Shape, order)
	}
	if len(t.SourceIndex) != order {
		return fmt.Errorf("datasets: %q has source indices for %d modes, shape %v has %d", t.Name, len(t.SourceIndex), t.Shape, order)
	}
	for n, d := range t.Shape {
		if len(t.Labels[n]) != d {
			return fmt.Errorf("datasets: %q mode %d (%s) has %d labels for size %d", t.Name, n, t.ModeNames[n], len(t.Labels[n]), d)
		}
		if len(t.SourceIndex[n]) != d {
			return fmt.Errorf("datasets: %q mode %d (%s) has %d source indices for size %d", t.Name, n, t.ModeNames[n], len(t.SourceIndex[n]), d)
		}
	}
	if t.Present == nil {
		return fmt.Errorf("datasets: %q has no Present mask", t.Name)
	}
	if err := t.Present.CheckFits(t.Tensor); err != nil {
		return fmt.Errorf("datasets: %q: %w", t.Name, err)
	}
	for i, v := range t.Data {
		switch {
		case math.IsInf(v, 0):
			return fmt.Errorf("datasets: %q entry %v is %v; only finite values or NaN (missing) are allowed", t.Name, multilinear.Unravel(t.Shape, i), v)
		case math.IsNaN(v) == t.Present.Observed[i]:
			return fmt.Errorf("datasets: %q entry %v is %v but Present says %v: NaN must mark exactly the missing entries; %s",
				t.Name, multilinear.Unravel(t.Shape, i), v, t.Present.Observed[i], editRemedy)
		}
	}
	return nil
}

// editRemedy is the remedy for a tensor whose values and Present disagree after Data was edited.
const editRemedy = "after editing Data, rebuild the tensor with FromTensor(t.Tensor, meta), which marks the NaN entries missing"

// Missing is the number of entries absent from the source (NaN in Data).
func (t *Tensor) Missing() int { return t.Size() - t.Present.Count() }

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	c := *t
	c.Tensor = t.Tensor.Clone()
	c.ModeNames = slices.Clone(t.ModeNames)
	c.Labels = make([][]string, len(t.Labels))
	for n := range t.Labels {
		c.Labels[n] = slices.Clone(t.Labels[n])
	}
	c.SourceIndex = make([][]int, len(t.SourceIndex))
	for n := range t.SourceIndex {
		c.SourceIndex[n] = slices.Clone(t.SourceIndex[n])
	}
	c.Present = t.Present.Clone()
	return &c
}

// ZeroFilled returns a copy of the values with every missing entry set to 0, for algorithms that
// need finite inputs and take the mask separately (NaN * 0 is NaN, so masking alone is not enough).
func (t *Tensor) ZeroFilled() *multilinear.Tensor {
	z := t.Tensor.Clone()
	for i, ok := range t.Present.Observed {
		if !ok {
			z.Data[i] = 0
		}
	}
	return z
}

// String is a one-line summary: name, modes with their sizes, and the count of missing entries.
func (t *Tensor) String() string {
	parts := make([]string, len(t.Shape))
	for n, d := range t.Shape {
		parts[n] = fmt.Sprintf("%d %s", d, t.ModeNames[n])
	}
	return fmt.Sprintf("%s: %s, %d missing of %d", t.Name, strings.Join(parts, " x "), t.Missing(), t.Size())
}

// LabelIndex returns the first index along mode whose tick label is label.
func (t *Tensor) LabelIndex(mode int, label string) (int, error) {
	if err := t.checkMode(mode); err != nil {
		return 0, err
	}
	if i := slices.Index(t.Labels[mode], label); i >= 0 {
		return i, nil
	}
	return 0, fmt.Errorf("datasets: %q mode %d (%s) has no label %q; labels are %q", t.Name, mode, t.ModeNames[mode], label, t.Labels[mode])
}

func (t *Tensor) checkMode(mode int) error {
	if mode < 0 || mode >= len(t.Shape) {
		return fmt.Errorf("datasets: mode %d out of range for %q of order %d (shape %v)", mode, t.Name, len(t.Shape), t.Shape)
	}
	return nil
}

// Select returns the sub-tensor that keeps, along mode, only the given indices in the given order
// (NumPy's take along an axis). Labels, source indices and the Present mask follow the values;
// the cut is appended to Provenance. Indices must be in range and distinct.
func (t *Tensor) Select(mode int, indices []int) (*Tensor, error) {
	if err := t.checkMode(mode); err != nil {
		return nil, err
	}
	if len(indices) == 0 {
		return nil, fmt.Errorf("datasets: Select on %q mode %d (%s) needs at least one index", t.Name, mode, t.ModeNames[mode])
	}
	seen := make(map[int]bool, len(indices))
	for _, i := range indices {
		if i < 0 || i >= t.Shape[mode] {
			return nil, fmt.Errorf("datasets: Select on %q mode %d (%s): index %d out of range [0,%d)", t.Name, mode, t.ModeNames[mode], i, t.Shape[mode])
		}
		if seen[i] {
			return nil, fmt.Errorf("datasets: Select on %q mode %d (%s): index %d given twice in %v", t.Name, mode, t.ModeNames[mode], i, indices)
		}
		seen[i] = true
	}

	shape := slices.Clone(t.Shape)
	shape[mode] = len(indices)
	values := multilinear.New(shape...)
	present := multilinear.NewMask(shape...)
	// View the tensor as (outer, d_mode, inner) and copy contiguous inner runs.
	outer, inner := 1, 1
	for n := 0; n < mode; n++ {
		outer *= t.Shape[n]
	}
	for n := mode + 1; n < len(t.Shape); n++ {
		inner *= t.Shape[n]
	}
	d := t.Shape[mode]
	for o := range outer {
		for j, i := range indices {
			src := (o*d + i) * inner
			dst := (o*len(indices) + j) * inner
			copy(values.Data[dst:dst+inner], t.Data[src:src+inner])
			copy(present.Observed[dst:dst+inner], t.Present.Observed[src:src+inner])
		}
	}

	s := t.Clone()
	s.Tensor = values
	s.Present = present
	s.Labels[mode] = pick(t.Labels[mode], indices)
	s.SourceIndex[mode] = pick(t.SourceIndex[mode], indices)
	s.Provenance = addLine(t.Provenance, fmt.Sprintf("kept %s at source indices %v", t.ModeNames[mode], s.SourceIndex[mode]))
	s.Key = extendKey(t.Key, t.ModeNames[mode], fmt.Sprint(indices))
	return s, nil
}

// Slice returns the (N-1)-way tensor at index along mode, the paper's slice A_{..i..}, with that
// mode removed. Its label is recorded in Provenance and in Name.
func (t *Tensor) Slice(mode, index int) (*Tensor, error) {
	if len(t.Shape) < 2 {
		return nil, fmt.Errorf("datasets: cannot slice %q of order %d: a slice needs at least two modes", t.Name, len(t.Shape))
	}
	s, err := t.Select(mode, []int{index})
	if err != nil {
		return nil, err
	}
	label := t.Labels[mode][index]
	s.Tensor = &multilinear.Tensor{Shape: slices.Delete(slices.Clone(s.Shape), mode, mode+1), Data: s.Data}
	s.Present = &multilinear.Mask{Shape: slices.Clone(s.Tensor.Shape), Observed: s.Present.Observed}
	s.Name = fmt.Sprintf("%s [%s %s]", t.Name, t.ModeNames[mode], label)
	s.ModeNames = slices.Delete(s.ModeNames, mode, mode+1)
	s.Labels = slices.Delete(s.Labels, mode, mode+1)
	s.SourceIndex = slices.Delete(s.SourceIndex, mode, mode+1)
	s.Provenance = addLine(t.Provenance, fmt.Sprintf("slice at %s %q (source index %d), mode removed", t.ModeNames[mode], label, t.SourceIndex[mode][index]))
	s.Key = extendKey(t.Key, t.ModeNames[mode], fmt.Sprint(index))
	return s, nil
}

// extendKey appends "/mode=what" to a non-empty key, spaces replaced by '_'.
func extendKey(key, mode, what string) string {
	if key == "" {
		return ""
	}
	return key + "/" + strings.ReplaceAll(mode, " ", "_") + "=" + strings.ReplaceAll(what, " ", ",")
}

func pick[T any](xs []T, indices []int) []T {
	out := make([]T, len(indices))
	for j, i := range indices {
		out[j] = xs[i]
	}
	return out
}

func addLine(text, line string) string {
	if text == "" {
		return line
	}
	return text + "\n" + line
}
