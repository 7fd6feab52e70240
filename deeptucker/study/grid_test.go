package study

import (
	"fmt"
	"strings"
	"testing"
)

// TestGridRefusesDuplicates: a grid listing a seed (or depth, std, learning rate) twice asks for the same run
// twice, which every table and statistic would count twice (a smaller spread, a larger N); two problems under
// one name get one label, so tables pool them and Table1 scores HOOI on whichever problem the label maps to.
// Jobs refuses both, naming the duplicate.
func TestGridRefusesDuplicates(t *testing.T) {
	s := baseSetup(t)
	p := s.problem(t)
	other, err := NewProblem("p", s.data, s.observed, p.Scale, 4) // another split under the same name
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		grid     Grid
		problems []*Problem
		want     string
	}{
		{"seed", Grid{Depths: []int{1}, Seeds: []uint64{1, 2, 1}}, []*Problem{p}, "seed 1"},
		{"depth", Grid{Depths: []int{1, 2, 1}, Seeds: Seeds(2)}, []*Problem{p}, "depth 1"},
		{"std", Grid{Depths: []int{1}, Stds: []float64{0.1, 0.1}, Seeds: Seeds(2)}, []*Problem{p}, "init std 0.1"},
		{"lr", Grid{Depths: []int{1}, LRs: []float64{0.01, 0.02, 0.01}, Seeds: Seeds(2)}, []*Problem{p}, "learning rate 0.01"},
		{"problem twice", Grid{Depths: []int{1}, Seeds: Seeds(2)}, []*Problem{p, p}, `"p"`},
		{"two problems, one name", Grid{Depths: []int{1}, Seeds: Seeds(2)}, []*Problem{p, other}, `"p"`},
	} {
		jobs, err := c.grid.Jobs(c.problems, s.model, false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %d jobs and error %v, want an error naming %s", c.name, len(jobs), err, c.want)
		}
	}
	jobs, err := Grid{Depths: []int{1, 2}, Stds: []float64{0.1, 0.2}, Seeds: Seeds(2)}.Jobs([]*Problem{p}, s.model, false)
	if err != nil || len(jobs) != 8 {
		t.Errorf("a grid without duplicates: %d jobs, error %v", len(jobs), err)
	}
}

// TestSeedsRefusesANegativeCount: Seeds(-1) panics saying so (misuse), not with makeslice's message.
func TestSeedsRefusesANegativeCount(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "cannot be negative") {
			t.Errorf("Seeds(-1): panic %v, want one saying the count cannot be negative", r)
		}
	}()
	Seeds(-1)
}

// TestGridAbsurdSizes: a grid whose job list (or a Seeds count) cannot fit in memory is refused before it is
// allocated, naming the size and the remedy, instead of dying with Go's fatal out-of-memory error.
func TestGridAbsurdSizes(t *testing.T) {
	s := baseSetup(t)
	p := s.problem(t)
	stds := make([]float64, 2000)
	lrs := make([]float64, 2000)
	for i := range stds {
		stds[i], lrs[i] = float64(i+1)*1e-3, float64(i+1)*1e-4
	}
	g := Grid{Depths: []int{1, 2}, Stds: stds, LRs: lrs, Seeds: Seeds(100_000)} // 8e11 jobs
	if jobs, err := g.Jobs([]*Problem{p}, s.model, false); err == nil || !strings.Contains(err.Error(), "use fewer seeds") {
		t.Errorf("a grid of 8e11 jobs: %d jobs, error %v; want a refusal with the remedy", len(jobs), err)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "ask for fewer seeds") {
			t.Errorf("Seeds(1<<60): panic %v, want one naming the size", r)
		}
	}()
	Seeds(1 << 60)
}
