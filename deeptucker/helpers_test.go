package deeptucker

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gomlx/gomlx/backends"

	"github.com/deeptucker/deeptucker/deeptucker/backend"
	"github.com/deeptucker/deeptucker/deeptucker/internal/testtensor"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// lowRankTarget returns a random tensor of the given shape and multilinear rank, scaled to Frobenius norm 1
// (entries around 0.03 for 10x10x10), the scale the synthetic regime was found at.
func lowRankTarget(t testing.TB, shape, rank []int, seed uint64) *multilinear.Tensor {
	t.Helper()
	return testtensor.LowRank(rand.New(rand.NewPCG(seed, 1)), shape, rank)
}

// splitMask observes round(fraction·size) entries chosen uniformly; the held-out mask is the rest.
func splitMask(shape []int, fraction float64, seed uint64) (train, heldOut *multilinear.Mask) {
	train = multilinear.NewMask(shape...)
	n := len(train.Observed)
	rng := rand.New(rand.NewPCG(seed, 2))
	perm := rng.Perm(n)
	k := int(fraction*float64(n) + 0.5)
	for i, p := range perm {
		train.Observed[p] = i < k
	}
	return train, train.Complement()
}

// forEachLayout runs f once with each parameter tensor a variable of its own and once with all of them packed
// into one (layout.go), whatever the optimizer.
func forEachLayout(t *testing.T, f func(t *testing.T)) {
	for _, packed := range []bool{false, true} {
		name := "pieces"
		if packed {
			name = "packed"
		}
		t.Run(name, func(t *testing.T) {
			packOverride = &packed
			defer func() { packOverride = nil }()
			f(t)
		})
	}
}

// envBackend is the (asynchronous) backend GOMLX_BACKEND names, for tests that build sessions on it.
func envBackend() (backends.Backend, error) { return backendFor(os.Getenv(backend.EnvVar), false, 0) }
