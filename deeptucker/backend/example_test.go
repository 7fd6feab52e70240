//go:build ((linux && amd64) || darwin) && cgo && !noxla

package backend_test

import (
	"errors"
	"fmt"

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
