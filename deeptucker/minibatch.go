package deeptucker

import (
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// miniBatches yields, each step, 0/1 weights [M, d_1..d_N] selecting BatchSize observed entries per run.
// Each run walks through a fresh permutation of its observed entries every epoch (Keras' shuffled batches),
// drawn from a generator seeded by the run's seed, so a run's batches do not depend on its batch neighbours.
type miniBatches struct {
	s        *session
	observed [][]int // per run, flat indices of its train entries
	pos      []int
	rngs     []*rand.Rand
}

func newMiniBatches(s *session) *miniBatches {
	mb := &miniBatches{s: s, pos: make([]int, s.numRuns)}
	for _, r := range s.runs {
		var idx []int
		for k, o := range r.Train.Observed {
			if o {
				idx = append(idx, k)
			}
		}
		rng := rand.New(rand.NewPCG(r.Seed, 0x6a09e667f3bcc909))
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		mb.observed = append(mb.observed, idx)
		mb.rngs = append(mb.rngs, rng)
	}
	return mb
}

func (mb *miniBatches) Name() string { return "deeptucker.miniBatches" }
func (mb *miniBatches) Reset()       {}

func (mb *miniBatches) Yield() (any, []*tensors.Tensor, []*tensors.Tensor, error) {
	size := prod(mb.s.model.Shape)
	weights := make([]float64, mb.s.numRuns*size)
	for i, idx := range mb.observed {
		for range min(mb.s.training.BatchSize, len(idx)) {
			if mb.pos[i] == len(idx) {
				mb.rngs[i].Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
				mb.pos[i] = 0
			}
			weights[i*size+idx[mb.pos[i]]] = 1
			mb.pos[i]++
		}
	}
	dims := append([]int{mb.s.numRuns}, mb.s.model.Shape...)
	return nil, []*tensors.Tensor{toTensor(mb.s.training.DType, weights, dims...)}, nil, nil
}
