package datasets

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// small returns a 2x3x4 tensor whose entry (i,j,k) is 100i+10j+k, with (1,2,3) missing.
func small(t *testing.T) *Tensor {
	t.Helper()
	v := multilinear.New(2, 3, 4)
	for i := range 2 {
		for j := range 3 {
			for k := range 4 {
				v.Set(float64(100*i+10*j+k), i, j, k)
			}
		}
	}
	v.Set(math.NaN(), 1, 2, 3)
	s, err := newTensor(v, "small", []string{"a", "b", "c"},
		[][]string{{"a0", "a1"}, {"b0", "b1", "b2"}, {"c0", "c1", "c2", "c3"}}, "made by hand")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewTensorPresent(t *testing.T) {
	s := small(t)
	if s.Missing() != 1 || s.Present.Observed[s.Offset(1, 2, 3)] {
		t.Errorf("Missing() = %d, want only (1,2,3) missing", s.Missing())
	}
	z := s.ZeroFilled()
	if z.At(1, 2, 3) != 0 || z.At(1, 2, 2) != 122 {
		t.Errorf("ZeroFilled: (1,2,3) = %v, (1,2,2) = %v; want 0 and 122", z.At(1, 2, 3), z.At(1, 2, 2))
	}
	if !math.IsNaN(s.At(1, 2, 3)) {
		t.Errorf("ZeroFilled changed the original")
	}
	if got := s.String(); got != "small: 2 a x 3 b x 4 c, 1 missing of 24" {
		t.Errorf("String() = %q", got)
	}
}

func TestSelect(t *testing.T) {
	s := small(t)
	sel, err := s.Select(1, []int{2, 0})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sel.Shape, []int{2, 2, 4}) {
		t.Fatalf("shape %v, want [2 2 4]", sel.Shape)
	}
	for i := range 2 {
		for j, src := range []int{2, 0} {
			for k := range 4 {
				got, want := sel.At(i, j, k), s.At(i, src, k)
				if got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
					t.Fatalf("(%d,%d,%d) = %v, want %v", i, j, k, got, want)
				}
				if sel.Present.Observed[sel.Offset(i, j, k)] != s.Present.Observed[s.Offset(i, src, k)] {
					t.Fatalf("Present did not follow the values at (%d,%d,%d)", i, j, k)
				}
			}
		}
	}
	if !slices.Equal(sel.Labels[1], []string{"b2", "b0"}) || !slices.Equal(sel.SourceIndex[1], []int{2, 0}) {
		t.Errorf("labels %q source %v", sel.Labels[1], sel.SourceIndex[1])
	}
	if sel.Missing() != 1 || !strings.Contains(sel.Provenance, "kept b at source indices [2 0]") {
		t.Errorf("missing %d, provenance %q", sel.Missing(), sel.Provenance)
	}
	// The original is untouched.
	if len(s.Labels[1]) != 3 || s.Shape[1] != 3 {
		t.Errorf("Select modified its input")
	}
	// Selecting twice composes the source indices.
	again, _ := sel.Select(1, []int{1})
	if again.SourceIndex[1][0] != 0 || again.At(1, 0, 3) != 103 {
		t.Errorf("second Select: source %v value %v", again.SourceIndex[1], again.At(1, 0, 3))
	}
	for _, c := range []struct {
		mode int
		idx  []int
		want string
	}{{3, []int{0}, "mode 3 out of range"}, {1, []int{3}, "index 3 out of range"}, {1, []int{1, 1}, "given twice"}, {0, nil, "at least one"}} {
		if _, err := s.Select(c.mode, c.idx); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Select(%d, %v): error %v, want %q", c.mode, c.idx, err, c.want)
		}
	}
}

func TestSlice(t *testing.T) {
	s := small(t)
	sl, err := s.Slice(2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sl.Shape, []int{2, 3}) || !slices.Equal(sl.ModeNames, []string{"a", "b"}) || len(sl.Labels) != 2 {
		t.Fatalf("shape %v modes %q", sl.Shape, sl.ModeNames)
	}
	if sl.At(0, 1) != 13 || !math.IsNaN(sl.At(1, 2)) || sl.Missing() != 1 {
		t.Errorf("slice values wrong: (0,1)=%v (1,2)=%v", sl.At(0, 1), sl.At(1, 2))
	}
	if err := sl.Validate(); err != nil {
		t.Error(err)
	}
	if !strings.Contains(sl.Name, "c c3") {
		t.Errorf("name %q should carry the fixed label", sl.Name)
	}
	v, _ := multilinear.FromData([]int{3}, []float64{1, 2, 3})
	vec, _ := newTensor(v, "v", []string{"x"}, [][]string{{"0", "1", "2"}}, "")
	if _, err := vec.Slice(0, 0); err == nil {
		t.Errorf("slicing a 1-way tensor succeeded")
	}
}

func TestValidate(t *testing.T) {
	s := small(t)
	breakers := map[string]func(c *Tensor){
		"labels":       func(c *Tensor) { c.Labels[2] = c.Labels[2][:3] },
		"mode names":   func(c *Tensor) { c.ModeNames = c.ModeNames[:2] },
		"NaN present":  func(c *Tensor) { c.Present.Observed[c.Offset(1, 2, 3)] = true },
		"value absent": func(c *Tensor) { c.Present.Observed[0] = false },
		"infinite":     func(c *Tensor) { c.Data[5] = math.Inf(1) },
		"mask shape":   func(c *Tensor) { c.Present = multilinear.NewMask(2, 12) },
		"source index": func(c *Tensor) { c.SourceIndex[0] = nil },
	}
	for name, br := range breakers {
		c := s.Clone()
		br(c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate passed a broken tensor", name)
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("%s: Clone shares state with the original: %v", name, err)
		}
	}
}

func TestLabelIndex(t *testing.T) {
	s := small(t)
	if i, err := s.LabelIndex(1, "b2"); err != nil || i != 2 {
		t.Errorf("LabelIndex(1, b2) = %d, %v", i, err)
	}
	if _, err := s.LabelIndex(1, "zz"); err == nil || !strings.Contains(err.Error(), `"zz"`) {
		t.Errorf("unknown label: %v", err)
	}
}

func TestSplitOnTensor(t *testing.T) {
	s := small(t)
	train, held, err := s.Split(0.5, 3)
	if err != nil {
		t.Fatal(err)
	}
	if train.Count() != 12 || held.Count() != 11 || train.Observed[s.Offset(1, 2, 3)] || held.Observed[s.Offset(1, 2, 3)] {
		t.Errorf("train %d held %d; the missing entry must be in neither", train.Count(), held.Count())
	}
}
