package deeptucker

import (
	"os"
	"sync"

	"github.com/gomlx/gomlx/backends"

	"github.com/deeptucker/deeptucker/deeptucker/backend"
)

var (
	backendsMu sync.Mutex
	openedBy   = map[string]backends.Backend{}
)

// SyncStepFLOPs is the most work per training step, in FLOPs over all of a Fit's runs (Model.StepFLOPs times
// the number of runs), for which Fit has XLA's CPU plugin run each call on the calling thread when
// DEEPTUCKER_XLA_CPU_EXECUTION is unset or "auto" (backend.CPUExecutionEnvVar). A call then skips the
// hand-offs to and from the plugin's threads, which cost more than a small step's parallel kernels save.
// Measured on 2 CPUs, synchronous over asynchronous in alternating pairs in one process (16 steps per call):
// one 10^3 model of depth 1 (205 kFLOP) 1.06-1.42x, of depth 2 (262 kFLOP) 1.03-1.23x, of depth 3 (319 kFLOP)
// 0.84-1.00x (in `make bench`, against JAX, 0.76-0.84x); one 50^3 model 0.42-0.98x. FLOPs are a proxy for a
// call's length, not its parallelism: 4 runs of depth 3 (1.3 MFLOP, on 4 devices) gained 1.07-1.09x, so
// DEEPTUCKER_XLA_CPU_EXECUTION=sync is worth trying on small batches.
const SyncStepFLOPs = 300_000

// newBackend returns the backend GOMLX_BACKEND names for a Fit of model over runs runs, opened once per
// configuration and process: an XLA client (and its GPU memory) is costly to create, and every Fit can share
// it.
func newBackend(model *Model, runs int) (backends.Backend, error) {
	return backendFor(os.Getenv(backend.EnvVar), synchronous(model, runs))
}

// synchronous says whether a Fit of model over runs runs should have XLA's CPU plugin run its calls on the
// calling thread (see SyncStepFLOPs). A value of the environment variable that is not a mode gives false
// here; opening an XLA CPU backend then reports it.
func synchronous(model *Model, runs int) bool {
	mode, err := backend.CPUExecution()
	switch {
	case err != nil || mode == backend.ExecutionAsync:
		return false
	case mode == backend.ExecutionSync:
		return true
	case model == nil || model.Validate() != nil: // Fit reports it
		return false
	}
	return model.StepFLOPs().Total()*int64(runs) <= SyncStepFLOPs
}

// backendFor opens (once per process) the backend of a GOMLX_BACKEND value, synchronous or not (only XLA's CPU
// plugin tells the two apart). The CPU device count is part of the key: a program that changes it between two
// Fits gets what it asked for, not the first backend. So is DEEPTUCKER_XLA_CPU_EXECUTION's value, so that a bad
// one set between two Fits is reported by the backend that reads it rather than met by a cached one.
func backendFor(config string, synchronous bool) (backends.Backend, error) {
	key := config + "\x00" + os.Getenv(backend.CPUDevicesEnvVar) + "\x00" + os.Getenv(backend.CPUExecutionEnvVar)
	if synchronous {
		key += "\x00sync"
	}
	backendsMu.Lock()
	defer backendsMu.Unlock()
	if b, ok := openedBy[key]; ok {
		return b, nil
	}
	b, err := backend.NewWithCPUOptions(config, backend.CPUOptions{Synchronous: synchronous})
	if err != nil {
		return nil, err
	}
	openedBy[key] = b
	return b, nil
}
