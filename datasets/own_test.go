package datasets

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

func TestFromSliceAndTensor(t *testing.T) {
	data := []float64{1, 2, math.NaN(), 4, 5, 6}
	d, err := FromSlice(data, []int{2, 3}, Meta{Name: "my assay", ModeNames: []string{"donors", "markers"}, Labels: [][]string{{"a", "b"}, nil}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Missing() != 1 || d.Present.Observed[2] || !d.Present.Observed[3] {
		t.Errorf("Present %v: want exactly entry 2 missing", d.Present.Observed)
	}
	if !slices.Equal(d.Labels[0], []string{"a", "b"}) || !slices.Equal(d.Labels[1], []string{"0", "1", "2"}) || !strings.HasPrefix(d.Key, "own/my_assay/sha256=") {
		t.Errorf("labels %q, key %q", d.Labels, d.Key)
	}
	data[0] = 100 // the values were copied
	if d.At(0, 0) != 1 {
		t.Errorf("FromSlice aliases the caller's slice")
	}
	// Split and ZeroFilled work as for the real data: the missing entry is in neither mask.
	train, heldOut, err := d.Split(0.6, 1)
	if err != nil {
		t.Fatal(err)
	}
	if train.Count()+heldOut.Count() != 5 || train.Observed[2] || heldOut.Observed[2] || d.ZeroFilled().Data[2] != 0 {
		t.Errorf("split %d+%d of 5 present; missing entry in train %v / held out %v", train.Count(), heldOut.Count(), train.Observed[2], heldOut.Observed[2])
	}

	x := multilinear.New(2, 2, 2)
	for i := range x.Data {
		x.Data[i] = float64(i)
	}
	e, err := FromTensor(x, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if e.Name != "data" || !slices.Equal(e.ModeNames, []string{"mode 0", "mode 1", "mode 2"}) || e.Missing() != 0 {
		t.Errorf("defaults: %v", e)
	}
	x.Data[0] = -1
	if e.Data[0] != 0 {
		t.Errorf("FromTensor aliases the caller's tensor")
	}
}

func TestFromSliceErrors(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name  string
		data  []float64
		shape []int
		meta  Meta
		want  []string
	}{
		{"wrong length", []float64{1, 2, 3}, []int{2, 2}, Meta{}, []string{"[2 2]", "4 entries", "3"}},
		{"empty shape", []float64{1}, nil, Meta{}, []string{"empty"}},
		{"empty data", nil, []int{0, 3}, Meta{}, []string{"empty"}},
		{"zero dimension", []float64{1}, []int{0, 3}, Meta{}, []string{"must be positive"}},
		{"infinite", []float64{1, math.Inf(1), 3, 4}, []int{2, 2}, Meta{}, []string{"[0 1]", "+Inf", "NaN"}},
		{"all NaN", []float64{nan, nan}, []int{2}, Meta{}, []string{"every entry", "NaN"}},
		{"labels for too few modes", []float64{1, 2}, []int{1, 2}, Meta{Labels: [][]string{{"x"}}}, []string{"labels for 1 modes"}},
		{"wrong label count", []float64{1, 2}, []int{1, 2}, Meta{Labels: [][]string{nil, {"x"}}}, []string{"1 labels for size 2"}},
		{"wrong mode names", []float64{1, 2}, []int{1, 2}, Meta{ModeNames: []string{"a"}}, []string{"1 mode names"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := FromSlice(c.data, c.shape, c.meta)
			wantErr(t, err, c.want...)
		})
	}
	_, err := FromTensor(nil, Meta{})
	wantErr(t, err, "nil")
}

func TestFromNPY(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "assay.npy")
	if err := os.WriteFile(p, makeNPY("<f8", false, []int{2, 1, 2}, []float64{1, math.NaN(), 3, 4}), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := FromNPY(p, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "assay.npy" || d.Missing() != 1 || !math.IsNaN(d.At(0, 0, 1)) || d.At(1, 0, 1) != 4 {
		t.Errorf("%v: want name assay.npy, entry (0,0,1) missing", d)
	}
	q := filepath.Join(dir, "f32.npy")
	if err := os.WriteFile(q, makeNPY("<f4", false, []int{2}, []float64{1}), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = FromNPY(q, Meta{})
	wantErr(t, err, q, "'<f4'", "np.save")
	_, err = FromNPY(filepath.Join(dir, "absent.npy"), Meta{})
	wantErr(t, err, "absent.npy")
}

// TestOwnDataKeyFollowsValues: a user's tensor's Key ("for result keys") changes with its values, not only its
// name, so that a result a researcher keys on it (a results.Memo of HOOI baselines, say) is not read back for a
// corrected file re-read under the same name; the same values from another file keep the Key. Scaled to norm 1
// with two different observed masks, the copies hold different values and get different Keys; with one mask,
// the same Key.
func TestOwnDataKeyFollowsValues(t *testing.T) {
	dir := t.TempDir()
	values := []float64{1, 2, math.NaN(), 4, 5, 6, 7, 8, 9, 10, 11, 12}
	load := func(file string, vals []float64) *Tensor {
		x, err := multilinear.FromData([]int{3, 4}, slices.Clone(vals))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, file)
		if err := WriteNPY(p, x); err != nil {
			t.Fatal(err)
		}
		d, err := FromNPY(p, Meta{Name: "assay"})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a := load("a.npy", values)
	sameValues := load("b.npy", values)
	corrected := slices.Clone(values)
	corrected[7] = 8.5
	b := load("a.npy", corrected)
	if a.Key != sameValues.Key {
		t.Errorf("the same values from two files: keys %q and %q, want one", a.Key, sameValues.Key)
	}
	if a.Key == b.Key {
		t.Errorf("a corrected value left the key %q unchanged", a.Key)
	}
	t1, _, err := a.Split(0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	t2, _, err := a.Split(0.5, 2)
	if err != nil {
		t.Fatal(err)
	}
	s1, d1, _ := Scale(a, t1, ScaleNorm1)
	s1again, _, _ := Scale(a, t1, ScaleNorm1)
	s2, d2, _ := Scale(a, t2, ScaleNorm1)
	if d1 == d2 {
		t.Fatalf("premise: the two masks give one divisor %v", d1)
	}
	if s1.Key == s2.Key || s1.Key != s1again.Key {
		t.Errorf("scaled keys %q (mask 1, twice: %q) and %q (mask 2): want equal for one mask, different for two", s1.Key, s1again.Key, s2.Key)
	}
}
