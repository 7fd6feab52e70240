package deeptucker

import (
	"fmt"

	"github.com/deeptucker/deeptucker/deeptucker/memguard"
)

// memoryNeed estimates the bytes one Fit of numRuns runs allocates: on the device, per run, the parameters
// with their gradients and up to two optimizer moments (and, packed, a sliced copy of the parameters and the
// concatenated gradient: six copies in all), and the data, masks and about four tensors of the data's size for
// the reconstruction, residual and partial products; on the host, float64 copies of the starting
// parameters, of the data and masks, the parameter snapshot kept for divergence, and the records.
func memoryNeed(m *Model, t *Training, numRuns int) (device, host float64) {
	s, _ := m.sizes()
	width := 8.0
	if t.DType.Size() == 4 {
		width = 4
	}
	runs := float64(numRuns)
	params, data := float64(s.params), float64(s.data)
	device = runs * width * (6*params + 8*data)
	host = runs * 8 * (3*params + 4*data)
	// Every run keeps all its records: Steps(1e9) with RecordEvery(1) runs out of memory hours in, losing
	// the Fit, unless refused here.
	host += runs * (float64(t.Steps)/float64(max(t.RecordEvery, 1)) + 2) * recordBytes(m, t)
	return device, host
}

// recordBytes estimates one Record on the host: its fixed fields and headers, the user's terms and
// diagnostics, and per mode the slice and column norms, ||w_r|| and each layer's norms.
func recordBytes(m *Model, t *Training) float64 {
	b := 256 + 64*float64(len(t.Terms)+len(t.Diagnostics))
	for n, r := range m.CoreShape {
		layers := float64(max(m.Depths[n], 1))
		b += 8*float64(r)*(2+layers) + 24*(3+layers)
	}
	return b
}

// checkMemory refuses, before anything is allocated, a Fit that would not fit in memory: Go cannot recover
// from running out of memory, and a notebook kernel would die with everything it held.
func checkMemory(m *Model, t *Training, numRuns int) error {
	device, host := memoryNeed(m, t, numRuns)
	need := device + host // the go backend's device memory is host memory
	limit, source := float64(t.MemoryLimit), "Training.MemoryLimit"
	if limit == 0 {
		limit, source = memguard.Limit() // what the system reports available (cgroup-aware), as for every allocation
	}
	if need > limit {
		fewer := "train fewer runs per Fit, "
		if numRuns == 1 {
			fewer = ""
		}
		return &MemoryError{Runs: numRuns, msg: fmt.Sprintf("deeptucker: this Fit needs about %s (%d runs x %d parameters and %d data entries in %s, %d records each), more than %s (%s); "+
			"%suse a smaller CoreShape or depth, float32, a larger RecordEvery, or set TrainingBuilder.MemoryLimit",
			memguard.Bytes(need), numRuns, m.NumParams(), prod(m.Shape), t.DType, t.Steps/max(t.RecordEvery, 1)+2, memguard.Bytes(limit), source, fewer)}
	}
	return nil
}

// MemoryError is Fit's refusal, before allocating anything, of a Fit that would not fit in memory. Runs is the
// number of runs it was asked to train together: fewer per Fit may fit (package study splits such a batch).
type MemoryError struct {
	Runs int
	msg  string
}

func (e *MemoryError) Error() string { return e.msg }
