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

// newBackend returns the backend GOMLX_BACKEND names, opened once per configuration and process: an XLA
// client (and its GPU memory) is costly to create, and every Fit can share it.
func newBackend() (backends.Backend, error) { return backendFor(os.Getenv(backend.EnvVar)) }

// backendFor opens (once per process) the backend of a GOMLX_BACKEND value. The CPU device count is part of
// the key: a program that changes it between two Fits gets what it asked for, not the first backend.
func backendFor(config string) (backends.Backend, error) {
	key := config + "\x00" + os.Getenv(backend.CPUDevicesEnvVar)
	backendsMu.Lock()
	defer backendsMu.Unlock()
	if b, ok := openedBy[key]; ok {
		return b, nil
	}
	b, err := backend.NewWithConfig(config)
	if err != nil {
		return nil, err
	}
	openedBy[key] = b
	return b, nil
}
