package deeptucker

import (
	"math/rand/v2"
)

// miniBatches yields, each step, 0/1 weights [M, d_1..d_N] selecting up to BatchSize observed entries per run.
//
// Shuffled: each run walks through a fresh permutation of its observed entries every epoch (Keras' shuffled
// batches), drawn from a generator seeded by the run's seed, so a run's batches do not depend on its batch
// neighbours. IndexOrder: the authors' cycle, the observed entries in index order, the last batch of an epoch
// partial, the same every epoch. A resumed run fast-forwards to its step, so chunks equal one long run.
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
		var rng *rand.Rand
		if s.training.BatchOrder == Shuffled {
			rng = rand.New(rand.NewPCG(r.Seed, 0x6a09e667f3bcc909))
			rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		}
		mb.observed = append(mb.observed, idx)
		mb.rngs = append(mb.rngs, rng)
	}
	for range s.startStep {
		mb.next(nil)
	}
	return mb
}

// next advances every run by one batch, marking its entries in weights when weights is not nil.
func (mb *miniBatches) next(weights []float64) {
	size := prod(mb.s.model.Shape)
	for i, idx := range mb.observed {
		if mb.s.training.BatchOrder == IndexOrder {
			if mb.pos[i] == len(idx) {
				mb.pos[i] = 0
			}
			end := min(mb.pos[i]+mb.s.training.BatchSize, len(idx))
			if weights != nil {
				for _, k := range idx[mb.pos[i]:end] {
					weights[i*size+k] = 1
				}
			}
			mb.pos[i] = end
			continue
		}
		for range min(mb.s.training.BatchSize, len(idx)) {
			if mb.pos[i] == len(idx) {
				mb.rngs[i].Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
				mb.pos[i] = 0
			}
			if weights != nil {
				weights[i*size+idx[mb.pos[i]]] = 1
			}
			mb.pos[i]++
		}
	}
}
