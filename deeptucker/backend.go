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
// one 10^3 model of depth 1 (0.2 MFLOP) 1.06-1.42x, one of depth 3 0.98-1.16x, 4 of depth 3 (1.3 MFLOP)
// 1.07-1.09x; 16 of depth 3 (5 MFLOP) 0.88-1.01x; 64 on 4 devices 1.06-1.13x at depth 3, 0.82-1.06x at
// depth 4; one 50^3 model (13 MFLOP and up) 0.42-0.98x. Hence a bound below the mixed results.
const SyncStepFLOPs = 2_000_000

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
// Fits gets what it asked for, not the first backend.
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
