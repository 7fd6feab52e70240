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

// backendFor opens (once per process) the backend of a GOMLX_BACKEND value.
func backendFor(config string) (backends.Backend, error) {
	backendsMu.Lock()
	defer backendsMu.Unlock()
	if b, ok := openedBy[config]; ok {
		return b, nil
	}
	b, err := backend.NewWithConfig(config)
	if err != nil {
		return nil, err
	}
	openedBy[config] = b
	return b, nil
}
