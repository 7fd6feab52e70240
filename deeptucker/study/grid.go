package study

import (
	"fmt"
	"unsafe"

	dt "github.com/deeptucker/deeptucker/deeptucker"
	"github.com/deeptucker/deeptucker/deeptucker/memguard"
)

// Grid crosses depths, init stds, learning rates and seeds: the paper's "many inits and learning rates".
// A std or learning rate of 0 means the model's or the training's own.
type Grid struct {
	Depths []int
	Stds   []float64
	LRs    []float64
	Seeds  []uint64
}

// Size is the number of runs per problem.
func (g Grid) Size() int {
	return len(g.Depths) * max(1, len(g.Stds)) * max(1, len(g.LRs)) * len(g.Seeds)
}

// sizes is "4 depths x 3 init stds x 2 learning rates x 10 seeds".
func (g Grid) sizes() string {
	return fmt.Sprintf("%d depths x %d init stds x %d learning rates x %d seeds", len(g.Depths), len(g.Stds), len(g.LRs), len(g.Seeds))
}

// String describes the grid in one line.
func (g Grid) String() string {
	return fmt.Sprintf("depths %v x init stds %v x lrs %v x seeds %v = %d runs per problem", g.Depths, g.Stds, g.LRs, g.Seeds, g.Size())
}

// Seeds returns the seeds 1..n.
func Seeds(n int) []uint64 {
	if n < 0 {
		panic(fmt.Sprintf("study: Seeds(%d): the number of seeds cannot be negative", n))
	}
	if err := memguard.Check(fmt.Sprintf("study: Seeds(%d)", n), 8*float64(n)); err != nil {
		panic(err.Error() + "; ask for fewer seeds")
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i + 1)
	}
	return out
}

// Jobs returns one job per problem, depth, std, learning rate and seed, labelled by the problem's name.
// Models come from model(shape, depth), built once per shape and depth so that runs of the same model share
// a batch.
//
// A value listed twice in the grid, or two problems under one name, is an error: the first asks for the same
// runs twice, which tables and statistics would count twice; the second gives two problems one label, so
// tables pool them and Table1 scores HOOI on whichever problem the label maps to.
func (g Grid) Jobs(problems []*Problem, model func(shape []int, depth int) *dt.ModelBuilder, history bool) ([]Job, error) {
	if err := g.checkDistinct(problems); err != nil {
		return nil, err
	}
	// The job list is allocated before anything runs: a grid too large for memory is an error, not Go's fatal
	// out-of-memory error (float64: the count itself may overflow int).
	count := float64(len(problems)) * float64(len(g.Depths)) * float64(max(1, len(g.Stds))) * float64(max(1, len(g.LRs))) * float64(len(g.Seeds))
	if err := memguard.Check(fmt.Sprintf("study: the grid's %.0f jobs (%d problems x %s)", count, len(problems), g.sizes()), count*float64(unsafe.Sizeof(Job{}))); err != nil {
		return nil, fmt.Errorf("%w; use fewer seeds, depths, init stds or learning rates, or split the grid across several Jobs calls", err)
	}
	type mkey struct {
		shape string
		depth int
	}
	models := map[mkey]*dt.Model{}
	orZero := func(xs []float64) []float64 {
		if len(xs) == 0 {
			return []float64{0}
		}
		return xs
	}
	var jobs []Job
	for _, d := range g.Depths {
		for _, p := range problems {
			k := mkey{fmt.Sprint(p.Shape()), d}
			m, ok := models[k]
			if !ok {
				var err error
				if m, err = model(p.Shape(), d).Done(); err != nil {
					return nil, fmt.Errorf("study: model of depth %d for %s: %w", d, p.Name, err)
				}
				models[k] = m
			}
			for _, std := range orZero(g.Stds) {
				for _, lr := range orZero(g.LRs) {
					for _, seed := range g.Seeds {
						jobs = append(jobs, Job{Label: p.Name, Model: m, Run: p.Run(seed, std, lr), History: history})
					}
				}
			}
		}
	}
	return jobs, nil
}

// MustJobs is Jobs for notebook cells.
func (g Grid) MustJobs(problems []*Problem, model func(shape []int, depth int) *dt.ModelBuilder, history bool) []Job {
	jobs, err := g.Jobs(problems, model, history)
	if err != nil {
		panic(err)
	}
	return jobs
}

// checkDistinct refuses a grid value listed twice and two problems of one name.
func (g Grid) checkDistinct(problems []*Problem) error {
	if err := distinct("depth", g.Depths); err != nil {
		return err
	}
	if err := distinct("init std", g.Stds); err != nil {
		return err
	}
	if err := distinct("learning rate", g.LRs); err != nil {
		return err
	}
	if err := distinct("seed", g.Seeds); err != nil {
		return err
	}
	names := map[string]bool{}
	for _, p := range problems {
		if p == nil {
			return fmt.Errorf("study: Grid.Jobs got a nil problem")
		}
		if names[p.Name] {
			return fmt.Errorf("study: two problems are named %q (or one is listed twice): outcomes are labelled, grouped and "+
				"matched to their problem (Table1) by name; give each problem its own name, and pool problems with the "+
				"group function of R2Table or Table1", p.Name)
		}
		names[p.Name] = true
	}
	return nil
}

func distinct[T comparable](what string, xs []T) error {
	seen := map[T]bool{}
	for _, x := range xs {
		if seen[x] {
			return fmt.Errorf("study: the grid lists %s %v twice, which would train the same runs twice and count them twice in "+
				"tables and statistics; list each value once (more seeds: Seeds(n))", what, x)
		}
		seen[x] = true
	}
	return nil
}
