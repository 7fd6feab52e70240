// Package xlatest opens XLA's CPU plugin with several host devices for tests of sharded computations.
package xlatest

import (
	"errors"
	"os"
	"testing"

	"github.com/gomlx/gomlx/backends"

	"github.com/deeptucker/deeptucker/deeptucker/backend"
)

// CPUConfig is the XLA CPU configuration tests use: GOMLX_BACKEND when it names an XLA CPU plugin, else ""
// (the plugin a blank GOMLX_BACKEND opens).
func CPUConfig() string {
	if c, err := backend.ParseConfig(os.Getenv(backend.EnvVar)); err == nil && c.Backend == backend.XLA && !c.IsCUDA() {
		return os.Getenv(backend.EnvVar)
	}
	return ""
}

// CPUDevices opens XLA's CPU plugin with n host devices (the one GOMLX_BACKEND names when it is an XLA CPU
// plugin), or skips the test when none is installed; with DEEPTUCKER_TEST_XLA=1 a missing plugin fails it.
func CPUDevices(t testing.TB, n int) backends.Backend {
	t.Helper()
	b, err := backend.NewWithCPUDevices(CPUConfig(), n)
	if err != nil {
		if os.Getenv("DEEPTUCKER_TEST_XLA") != "1" && (errors.Is(err, backend.ErrPluginNotFound) || errors.Is(err, backend.ErrXLANotBuilt)) {
			t.Skipf("no XLA CPU plugin: %v", err)
		}
		t.Fatal(err)
	}
	if b.NumDevices() != n {
		t.Fatalf("%s has %d devices, want %d", backend.Describe(b), b.NumDevices(), n)
	}
	t.Cleanup(b.Finalize)
	return b
}
