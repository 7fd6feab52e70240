package study

import (
	"fmt"

	dt "github.com/deeptucker/deeptucker/deeptucker"
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

// String describes the grid in one line.
func (g Grid) String() string {
	return fmt.Sprintf("depths %v x init stds %v x lrs %v x seeds %v = %d runs per problem", g.Depths, g.Stds, g.LRs, g.Seeds, g.Size())
}

// Seeds returns the seeds 1..n.
func Seeds(n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i + 1)
	}
	return out
}

// Jobs returns one job per problem, depth, std, learning rate and seed, labelled by the problem's name.
// Models come from model(shape, depth), built once per shape and depth so that runs of the same model share
// a batch.
func (g Grid) Jobs(problems []*Problem, model func(shape []int, depth int) *dt.ModelBuilder, history bool) ([]Job, error) {
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
