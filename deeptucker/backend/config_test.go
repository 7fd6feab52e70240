package backend

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in         string
		want       Config
		wantString string
	}{
		{"", Config{Backend: Go}, "go"},
		{"   ", Config{Backend: Go}, "go"},
		{"go", Config{Backend: Go}, "go"},
		{"go:parallelism=2,ops_sequential", Config{Backend: Go, Options: []string{"parallelism=2", "ops_sequential"}}, "go:parallelism=2,ops_sequential"},
		{"xla", Config{Backend: XLA}, "xla"},
		{"xla:cpu", Config{Backend: XLA, Plugin: "cpu"}, "xla:cpu"},
		{"stablehlo:cpu", Config{Backend: XLA, Plugin: "cpu"}, "xla:cpu"},
		{"xla:cuda,tf32", Config{Backend: XLA, Plugin: "cuda", Options: []string{"tf32"}}, "xla:cuda,tf32"},
		{"xla:/opt/p/pjrt_c_api_cpu_plugin.so,shared_buffers", Config{Backend: XLA, Plugin: "/opt/p/pjrt_c_api_cpu_plugin.so", Options: []string{"shared_buffers"}},
			"xla:/opt/p/pjrt_c_api_cpu_plugin.so,shared_buffers"},
		// A relative path would be taken by GoMLX for a plugin name: it is made absolute.
		{"xla:./plugins/p.so", Config{Backend: XLA, Plugin: filepath.Join(cwd, "plugins", "p.so")}, "xla:" + filepath.Join(cwd, "plugins", "p.so")},
	}
	for _, tc := range tests {
		got, err := ParseConfig(tc.in)
		if !xlaBuilt && tc.want.Backend == XLA {
			if !errors.Is(err, ErrXLANotBuilt) {
				t.Errorf("ParseConfig(%q) without XLA: err=%v, want ErrXLANotBuilt", tc.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseConfig(%q): %v", tc.in, err)
			continue
		}
		if got.Backend != tc.want.Backend || got.Plugin != tc.want.Plugin || !slices.Equal(got.Options, tc.want.Options) {
			t.Errorf("ParseConfig(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if s := got.String(); s != tc.wantString {
			t.Errorf("ParseConfig(%q).String() = %q, want %q", tc.in, s, tc.wantString)
		}
		// String is a fixed point of ParseConfig.
		again, err := ParseConfig(got.String())
		if err != nil || again.String() != got.String() {
			t.Errorf("ParseConfig(%q) does not round-trip: %+v, %v", got.String(), again, err)
		}
	}
}

func TestConfigIsCUDA(t *testing.T) {
	for in, want := range map[string]bool{
		"go":       false,
		"xla:cpu":  false,
		"xla:cuda": true,
		"xla:/x/nvidia/pjrt_c_api_cuda_plugin.so":          true,
		"xla:/x/jax_plugins/xla_cuda13/xla_cuda_plugin.so": true,
		// Only the file name counts, not a directory that happens to mention CUDA.
		"xla:/opt/cuda-tools/pjrt_c_api_cpu_plugin.so": false,
	} {
		if !xlaBuilt && in != "go" {
			continue
		}
		c, err := ParseConfig(in)
		if err != nil {
			t.Fatalf("ParseConfig(%q): %v", in, err)
		}
		if c.IsCUDA() != want {
			t.Errorf("ParseConfig(%q).IsCUDA() = %v, want %v", in, c.IsCUDA(), want)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		in       string
		kind     error
		mentions []string
	}{
		{"tensorflow", ErrUnknownBackend, []string{`no backend named "tensorflow"`, `"go"`, EnvVar + "=go"}},
		{"XLA:cpu", ErrUnknownBackend, []string{`"XLA"`}}, // names are case-sensitive, as in GoMLX
		{"simplego", ErrUnknownBackend, []string{`"go" (pure Go, the default)`}},
	}
	if xlaBuilt {
		tests = append(tests,
			struct {
				in       string
				kind     error
				mentions []string
			}{"xla:cpu,fast", ErrBadOption, []string{`unknown XLA option "fast"`, "shared_buffers", "tf32"}})
	}
	for _, tc := range tests {
		_, err := ParseConfig(tc.in)
		if !errors.Is(err, tc.kind) {
			t.Errorf("ParseConfig(%q): err=%v, want %v", tc.in, err, tc.kind)
			continue
		}
		var be *Error
		if !errors.As(err, &be) || be.Config != tc.in {
			t.Errorf("ParseConfig(%q): error %#v does not carry the configuration", tc.in, err)
		}
		for _, m := range tc.mentions {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("ParseConfig(%q): error %q does not mention %q", tc.in, err, m)
			}
		}
	}
}

func TestAvailable(t *testing.T) {
	got := Available()
	if len(got) == 0 || got[0] != Go {
		t.Fatalf("Available() = %v, want %q first", got, Go)
	}
	if slices.Contains(got, XLA) != xlaBuilt {
		t.Errorf("Available() = %v, but xlaBuilt = %v", got, xlaBuilt)
	}
	for _, name := range got {
		if _, err := ParseConfig(name); err != nil {
			t.Errorf("Available() lists %q, but ParseConfig rejects it: %v", name, err)
		}
	}
}

func TestPluginNameFromFile(t *testing.T) {
	for path, want := range map[string]string{
		"/v/site-packages/lammps_jax_pjrt_cpu/pjrt_c_api_cpu_plugin.so": "cpu",
		"/home/u/.local/lib/go-xla/nvidia/pjrt_c_api_cuda_plugin.so":    "cuda",
		"/opt/pjrt-plugin-metal.dylib":                                  "metal",
		"/v/jax_plugins/xla_cuda13/xla_cuda_plugin.so":                  "",
		"/v/fastatomstruct_xla_cpu/libpjrt_cpu.so":                      "",
	} {
		if got := pluginNameFromFile(path); got != want {
			t.Errorf("pluginNameFromFile(%q) = %q, want %q", path, got, want)
		}
	}
}
