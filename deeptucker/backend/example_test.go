//go:build ((linux && amd64) || darwin) && cgo && !noxla

package backend_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/deeptucker/deeptucker/deeptucker/backend"
)

func ExampleParseConfig() {
	for _, s := range []string{"", "xla:cuda,tf32", "stablehlo:/opt/pjrt/pjrt_c_api_cpu_plugin.so"} {
		c, err := backend.ParseConfig(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%q -> %s (plugin %q, CUDA %v)\n", s, c, c.Plugin, c.IsCUDA())
	}
	// Output:
	// "" -> go (plugin "", CUDA false)
	// "xla:cuda,tf32" -> xla:cuda,tf32 (plugin "cuda", CUDA true)
	// "stablehlo:/opt/pjrt/pjrt_c_api_cpu_plugin.so" -> xla:/opt/pjrt/pjrt_c_api_cpu_plugin.so (plugin "/opt/pjrt/pjrt_c_api_cpu_plugin.so", CUDA false)
}

func ExampleNewWithConfig() {
	b, err := backend.NewWithConfig("go")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Finalize()
	fmt.Println(backend.Name(b))

	_, err = backend.NewWithConfig("tensorflow")
	fmt.Println(errors.Is(err, backend.ErrUnknownBackend))
	// Output:
	// go
	// true
}

// A blank GOMLX_BACKEND opens Default: XLA's CPU plugin when `make setup` installed it in the repository's
// .venv, else the pure-Go backend. DEEPTUCKER_XLA_CPU_PLUGIN=none keeps it on Go.
func ExampleDefault() {
	os.Setenv(backend.CPUPluginEnvVar, "none")
	defer os.Unsetenv(backend.CPUPluginEnvVar)
	c := backend.Default()
	fmt.Println(c.Config, c.Name, c.Reason)
	// Output:
	// go go DEEPTUCKER_XLA_CPU_PLUGIN=none
}
