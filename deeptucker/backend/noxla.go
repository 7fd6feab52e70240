//go:build !((linux && amd64) || darwin) || !cgo || noxla

package backend

import "github.com/gomlx/gomlx/backends"

// xlaBuilt is false: GoMLX's XLA backend (cgo, go-xla) is left out of this build,
// because of the noxla tag, CGO_ENABLED=0 (Go's default without a C compiler), or the platform.
const xlaBuilt = false

func openXLA(raw string, _ Config) (backends.Backend, error) {
	return nil, newError(raw, ErrXLANotBuilt, "this binary was built without the XLA backend",
		"rebuild with cgo (a C compiler, CGO_ENABLED=1) and without -tags noxla on linux/amd64 or darwin, or use "+EnvVar+"="+Go)
}

func openXLAWith(raw string, c Config, _ CPUOptions) (backends.Backend, error) {
	return openXLA(raw, c)
}
