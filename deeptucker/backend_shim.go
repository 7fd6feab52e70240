package deeptucker

import (
	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
)

// newBackend is a temporary shim until deeptucker/backend lands.
func newBackend() (backends.Backend, error) { return backends.NewWithConfig("go:ops_sequential") }
