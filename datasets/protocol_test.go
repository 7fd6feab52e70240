package datasets

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

func TestIL2MeanOverCells(t *testing.T) {
	il2, err := realSource(t).LoadIL2()
	if err != nil {
		t.Fatal(err)
	}
	m, err := IL2MeanOverCells(il2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Shape, []int{11, 4, 12}) || m.Missing() != 0 {
		t.Fatalf("%v: want shape [11 4 12] with nothing missing", m)
	}
	if !slices.Equal(m.ModeNames, []string{"ligands", "times", "doses"}) || m.Key != "il2/mean-cells" {
		t.Errorf("mode names %q, key %q", m.ModeNames, m.Key)
	}
	// Cross-check against the per-cell subsets: entry = sum over the 8 cell tensors / 8 (the
	// same additions in the same order, so exactly equal).
	cells := make([]*Tensor, 8)
	for c := range cells {
		if cells[c], err = IL2Subset(il2, c); err != nil {
			t.Fatal(err)
		}
		if cells[c].Key != "il2/cell="+string(rune('0'+c)) {
			t.Errorf("cell %d key %q", c, cells[c].Key)
		}
	}
	differsFrom := make([]bool, 8)
	for i, v := range m.Data {
		sum := 0.0
		for c := range cells {
			sum += cells[c].Data[i]
			differsFrom[c] = differsFrom[c] || cells[c].Data[i] != v
		}
		if want := sum / 8; v != want {
			t.Fatalf("entry %v = %v, mean of the cell subsets %v", multilinear.Unravel(m.Shape, i), v, want)
		}
	}
	// Negative control: the mean is none of the single cell types.
	for c, d := range differsFrom {
		if !d {
			t.Errorf("the mean equals cell type %d", c)
		}
	}
	if !slices.Equal(m.Labels[0], cells[0].Labels[0]) || !strings.Contains(m.Provenance, "our reading") {
		t.Errorf("labels %q / provenance %q", m.Labels[0], m.Provenance)
	}
	if _, err := IL2MeanOverCells(cells[0]); err == nil {
		t.Errorf("IL2MeanOverCells accepted a (11, 4, 12) tensor")
	}
}

func TestCOVIDClassSampleAndFirst(t *testing.T) {
	covid, err := realSource(t).LoadCOVID19()
	if err != nil {
		t.Fatal(err)
	}
	for _, class := range []string{"Negative", "Moderate", "Severe", "Deceased"} {
		a, err := COVIDClassSample(covid, class, 10, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Shape, []int{10, 6, 11}) {
			t.Fatalf("%s: shape %v", class, a.Shape)
		}
		for j, i := range a.SourceIndex[0] {
			if covid.Labels[0][i] != class || a.Labels[0][j] != class {
				t.Errorf("%s: sample %d (source %d) has class %q", class, j, i, covid.Labels[0][i])
			}
			if a.At(j, 1, 3) != covid.At(i, 1, 3) {
				t.Errorf("%s: sample %d differs from source %d", class, j, i)
			}
		}
		if !slices.IsSorted(a.SourceIndex[0]) || len(slices.Compact(slices.Clone(a.SourceIndex[0]))) != 10 {
			t.Errorf("%s: indices %v not sorted and distinct", class, a.SourceIndex[0])
		}
		again, _ := COVIDClassSample(covid, class, 10, 1)
		other, _ := COVIDClassSample(covid, class, 10, 2)
		if !slices.Equal(again.SourceIndex[0], a.SourceIndex[0]) || slices.Equal(other.SourceIndex[0], a.SourceIndex[0]) {
			t.Errorf("%s: seed 1 twice %v %v, seed 2 %v", class, a.SourceIndex[0], again.SourceIndex[0], other.SourceIndex[0])
		}
		if a.Key != "covid19/class="+class+"/n=10/seed=1" {
			t.Errorf("key %q", a.Key)
		}
	}
	_, err = COVIDClassSample(covid, "Mild", 10, 1)
	wantErr(t, err, `class "Mild"`, "1..7")
	_, err = COVIDClassSample(covid, "Severe ", 10, 1)
	wantErr(t, err, "Negative", "Deceased")

	first, err := COVIDFirst(covid, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(first.SourceIndex[0], []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) || first.Key != "covid19/first/n=10" {
		t.Errorf("first: indices %v key %q", first.SourceIndex[0], first.Key)
	}
	for _, l := range first.Labels[0] {
		if l != "Negative" {
			t.Errorf("first 10 samples hold %q; the documentation says they are all Negative", l)
		}
	}
	if _, err := COVIDFirst(covid, 0); err == nil {
		t.Errorf("COVIDFirst(0) accepted")
	}
	r, _ := COVIDSample(covid, 10, 1)
	if r.Key != "covid19/random/n=10/seed=1" {
		t.Errorf("random key %q", r.Key)
	}
}

// smallData is a 3x4 tensor with one missing entry, for the scale and key tests.
func smallData(t *testing.T) *Tensor {
	t.Helper()
	data := []float64{1, -2, 3, 0.5, 4, math.NaN(), -1, 2, 0, 1.5, -3, 2.5}
	d, err := FromSlice(data, []int{3, 4}, Meta{Name: "small"})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestScale(t *testing.T) {
	d := smallData(t)
	train, heldOut, err := d.Split(0.5, 3)
	if err != nil {
		t.Fatal(err)
	}
	// By hand: sum of squares over train, divided by the observed fraction |train|/|present|.
	ss := 0.0
	for i, o := range train.Observed {
		if o {
			ss += d.Data[i] * d.Data[i]
		}
	}
	want := math.Sqrt(ss / (float64(train.Count()) / 11))
	got, err := ObservedNorm(d, train)
	if err != nil || got != want {
		t.Fatalf("ObservedNorm = %v, %v; want %v", got, err, want)
	}
	s, div, err := Scale(d, train, ScaleNorm1)
	if err != nil || div != want {
		t.Fatalf("Scale: divisor %v, %v; want %v", div, err, want)
	}
	if n, _ := ObservedNorm(s, train); math.Abs(n-1) > 1e-15 {
		t.Errorf("scaled tensor's observed norm estimate %v, want 1", n)
	}
	if !math.IsNaN(s.Data[5]) || !slices.Equal(s.Present.Observed, d.Present.Observed) || s.Key != d.Key+"/scale=norm1/div="+strconv.FormatFloat(want, 'g', -1, 64) {
		t.Errorf("missing entry %v, Present kept %v, key %q", s.Data[5], slices.Equal(s.Present.Observed, d.Present.Observed), s.Key)
	}
	if d.Data[0] != 1 {
		t.Errorf("Scale changed its input")
	}
	// Negative control: the held-out values do not enter the scale (a norm over all present
	// entries would move).
	e := d.Clone()
	for i, h := range heldOut.Observed {
		if h {
			e.Data[i] *= 10
		}
	}
	if n, _ := ObservedNorm(e, train); n != want {
		t.Errorf("changing held-out values moved the scale from %v to %v", want, n)
	}
	raw, div, err := Scale(d, train, ScaleRaw)
	if err != nil || div != 1 || raw.Data[2] != 3 {
		t.Errorf("ScaleRaw: divisor %v err %v value %v", div, err, raw.Data[2])
	}

	_, _, err = Scale(d, train, "unit")
	wantErr(t, err, `"unit"`, "raw", "norm1")
	bad := train.Clone()
	bad.Observed[5] = true // the missing entry
	_, err = ObservedNorm(d, bad)
	wantErr(t, err, "missing", "Split")
	zero := &multilinear.Mask{Shape: []int{3, 4}, Observed: make([]bool, 12)}
	_, err = ObservedNorm(d, zero)
	wantErr(t, err, "norm 0")
}

func TestKeysFollowCuts(t *testing.T) {
	d := smallData(t)
	s, err := d.Select(1, []int{0, 2})
	if err != nil {
		t.Fatal(err)
	}
	sl, err := d.Slice(0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.Key, "own/small/sha256=") || s.Key != d.Key+"/mode_1=[0,2]" || sl.Key != d.Key+"/mode_0=1" {
		t.Errorf("keys after Select %q and Slice %q", s.Key, sl.Key)
	}
	w, err := Synthetic(SyntheticOptions{Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	if w.Key != "synthetic/paper/shape=10x10x10/rank=3x3x3/seed=4/scale=1" {
		t.Errorf("synthetic key %q", w.Key)
	}
}

// TestScaleExtremeMagnitudes: data in units where the values are about 1e200 (or 1e-200) have
// squares beyond float64. The divisor came out +Inf and Scale returned a tensor of zeros without
// an error (or refused 1e-200 data as "norm 0"); the observed norm must be computed without
// overflow, and the scaled data have norm about 1.
func TestScaleExtremeMagnitudes(t *testing.T) {
	for _, unit := range []float64{1e200, 1e-200, 1e-160} {
		d, err := FromSlice([]float64{1, 2, 3, 4, 5, 6}, []int{2, 3}, Meta{})
		if err != nil {
			t.Fatal(err)
		}
		train, _, err := d.Split(0.5, 1)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ObservedNorm(d, train)
		if err != nil {
			t.Fatal(err)
		}
		for i := range d.Data {
			d.Data[i] *= unit
		}
		s, div, err := Scale(d, train, ScaleNorm1)
		if err != nil {
			t.Fatalf("unit %g: %v", unit, err)
		}
		if math.Abs(div/(want*unit)-1) > 1e-12 {
			t.Errorf("unit %g: divisor %v, want %v", unit, div, want*unit)
		}
		if n, err := ObservedNorm(s, train); err != nil || math.Abs(n-1) > 1e-12 {
			t.Errorf("unit %g: scaled data has observed norm %v (%v), want 1", unit, n, err)
		}
	}
	// A norm beyond float64 itself cannot be a divisor: an error with the remedy, not zeros.
	huge, err := FromSlice([]float64{1.7e308, -1.7e308, 1.7e308, 1.7e308}, []int{2, 2}, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	train, _, err := huge.Split(0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = Scale(huge, train, ScaleNorm1)
	wantErr(t, err, "overflows", "divide")
}

// TestEditedNaNIsRefused: a researcher marks an outlier as not measured by writing NaN into Data,
// and Present, which Split and ObservedNorm read, still says it is there. Split put the NaN entry
// into the training or held-out mask (a training loss or an R2 of NaN, far from the cause) and
// Scale divided by a NaN norm without an error. Both must refuse, naming the entry and the remedy.
func TestEditedNaNIsRefused(t *testing.T) {
	d := smallData(t)
	train, _, err := d.Split(0.5, 3)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.Index(train.Observed, true)
	d.Data[i] = math.NaN()
	_, _, err = d.Split(0.5, 3)
	wantErr(t, err, "Present", "FromTensor")
	_, err = ObservedNorm(d, train)
	wantErr(t, err, "Present", "FromTensor")
	_, _, err = Scale(d, train, ScaleNorm1)
	wantErr(t, err, "Present", "FromTensor")
}
