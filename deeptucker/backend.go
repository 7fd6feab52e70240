package deeptucker

import (
	"fmt"
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

// newBackend returns the backend GOMLX_BACKEND names for a group of runs runs of model, opened once per
// configuration and process: an XLA client (and its GPU memory) is costly to create, and every Fit can share
// it. On XLA's CPU plugin the client has as many host devices as the group is split over (shardDevices: the
// largest count, up to the plugin's, that divides runs), so a single run gets a one-device client. The
// plugin's thread pool grows with its devices (on 2 CPUs: 2 worker threads for one device, 4 for four), and a
// client with more devices than the group trains on runs it slower: one 50^3 model of depth 3 trained faster
// on a one-device client than on the plugin's default four (alternating in one process on 2 CPUs, median 1.2x
// with a 10^3 core, 1.16x with the full core). The split, hence the results, are those of the plugin's full
// count; the full client stays open (it tells the plugin's count, and serves the Fits that split over all of it).
func newBackend(model *Model, runs int) (backends.Backend, error) {
	config, sync := os.Getenv(backend.EnvVar), synchronous(model, runs)
	b, err := backendFor(config, sync, 0)
	if err != nil || !backend.IsCPU(b) {
		return b, err
	}
	if d := shardDevices(b, runs); d < b.NumDevices() {
		fewer, err := backendFor(config, sync, d)
		if err != nil {
			// A plugin that ignores cpu_device_count: the full client splits the same way, only slower. Remembered,
			// so that the next Fit does not open the plugin again to learn it.
			backendsMu.Lock()
			openedBy[backendKey(config, sync, d)] = b
			backendsMu.Unlock()
			return b, nil
		}
		return fewer, nil
	}
	return b, nil
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

// backendFor opens (once per process) the backend of a GOMLX_BACKEND value, synchronous or not and, for XLA's
// CPU plugin, with devices host devices (0: DEEPTUCKER_XLA_CPU_DEVICES, else the plugin's default); only the
// CPU plugin tells these apart. The environment's device count is part of the key: a program that changes it
// between two Fits gets what it asked for, not the first backend. So is DEEPTUCKER_XLA_CPU_EXECUTION's value,
// so that a bad one set between two Fits is reported by the backend that reads it rather than met by a cached
// one.
func backendFor(config string, synchronous bool, devices int) (backends.Backend, error) {
	key := backendKey(config, synchronous, devices)
	backendsMu.Lock()
	defer backendsMu.Unlock()
	if b, ok := openedBy[key]; ok {
		return b, nil
	}
	b, err := backend.NewWithCPUOptions(config, backend.CPUOptions{Synchronous: synchronous, Devices: devices})
	if err != nil {
		return nil, err
	}
	openedBy[key] = b
	return b, nil
}

// backendKey is backendFor's cache key.
func backendKey(config string, synchronous bool, devices int) string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%t\x00%d", config, os.Getenv(backend.CPUDevicesEnvVar),
		os.Getenv(backend.CPUExecutionEnvVar), synchronous, devices)
}
