package backend

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCUDADataDirFromFlags(t *testing.T) {
	for _, tc := range []struct {
		flags, dir string
		ok         bool
	}{
		{"", "", false},
		{"--xla_dump_to=/tmp/d", "", false},
		{"--xla_gpu_cuda_data_dir=/opt/cuda", "/opt/cuda", true},
		{"--xla_dump_to=/tmp/d --xla_gpu_cuda_data_dir=/a/b --xla_foo=1", "/a/b", true},
		{"--xla_gpu_cuda_data_dir /spaced", "/spaced", true},
	} {
		dir, ok := cudaDataDirFromFlags(tc.flags)
		if dir != tc.dir || ok != tc.ok {
			t.Errorf("cudaDataDirFromFlags(%q) = %q, %v; want %q, %v", tc.flags, dir, ok, tc.dir, tc.ok)
		}
	}
}

// noSystemCUDA hides /usr/local/cuda and $CUDA_HOME, so that only the fake layouts count.
func noSystemCUDA(t *testing.T) func(string) string {
	old := systemCUDARoot
	systemCUDARoot = filepath.Join(t.TempDir(), "no-cuda")
	t.Cleanup(func() { systemCUDARoot = old })
	t.Setenv("CUDA_HOME", "")
	t.Setenv("CUDA_PATH", "")
	return func(string) string { return "" }
}

func TestChooseCUDADataDir(t *testing.T) {
	getenv := noSystemCUDA(t)

	t.Run("pip layout", func(t *testing.T) {
		site := t.TempDir()
		plugin := writeFile(t, filepath.Join(site, "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so"), "")
		want := filepath.Join(site, "nvidia", "cu13")
		writeFile(t, filepath.Join(want, "nvvm", "libdevice", "libdevice.10.bc"), "")
		writeFile(t, filepath.Join(want, "bin", "ptxas"), "")
		if got, ok := chooseCUDADataDir(plugin, getenv); !ok || got != want {
			t.Errorf("got %q, %v; want %q", got, ok, want)
		}
	})

	t.Run("go-xla layout", func(t *testing.T) {
		lib := t.TempDir()
		nvidia := filepath.Join(lib, "go-xla", "nvidia")
		plugin := writeFile(t, filepath.Join(nvidia, "pjrt_c_api_cuda_plugin.so"), "")
		writeFile(t, filepath.Join(nvidia, "cu13", "bin", "ptxas"), "")
		if got, ok := chooseCUDADataDir(plugin, getenv); !ok || got != filepath.Join(nvidia, "cu13") {
			t.Errorf("got %q, %v; want %q", got, ok, filepath.Join(nvidia, "cu13"))
		}
	})

	t.Run("libdevice beats an earlier ptxas", func(t *testing.T) {
		lib := t.TempDir()
		nvidia := filepath.Join(lib, "go-xla", "nvidia")
		plugin := writeFile(t, filepath.Join(nvidia, "pjrt_c_api_cuda_plugin.so"), "")
		writeFile(t, filepath.Join(nvidia, "bin", "ptxas"), "") // candidate 2: ptxas only
		cuda := filepath.Join(lib, "cuda")
		writeFile(t, filepath.Join(cuda, "nvvm", "libdevice", "libdevice.10.bc"), "")
		env := func(k string) string {
			if k == "CUDA_HOME" {
				return cuda
			}
			return ""
		}
		if got, ok := chooseCUDADataDir(plugin, env); !ok || got != cuda {
			t.Errorf("got %q, %v; want %q", got, ok, cuda)
		}
	})

	t.Run("empty nvidia dir next to the plugin's", func(t *testing.T) {
		lib := t.TempDir()
		plugin := writeFile(t, filepath.Join(lib, "plugins", "pjrt_c_api_cuda_plugin.so"), "")
		nvidia := filepath.Join(lib, "nvidia")
		if err := os.Mkdir(nvidia, 0o755); err != nil {
			t.Fatal(err)
		}
		if got, ok := chooseCUDADataDir(plugin, getenv); !ok || got != nvidia {
			t.Errorf("got %q, %v; want go-xla's intended %q", got, ok, nvidia)
		}
	})

	t.Run("nothing", func(t *testing.T) {
		plugin := writeFile(t, filepath.Join(t.TempDir(), "p", "pjrt_c_api_cuda_plugin.so"), "")
		if got, ok := chooseCUDADataDir(plugin, getenv); ok {
			t.Errorf("got %q, want nothing", got)
		}
	})
}

func TestEnsureCUDADataDir(t *testing.T) {
	noSystemCUDA(t)
	site := t.TempDir()
	plugin := writeFile(t, filepath.Join(site, "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so"), "")
	cu13 := filepath.Join(site, "nvidia", "cu13")
	writeFile(t, filepath.Join(cu13, "nvvm", "libdevice", "libdevice.10.bc"), "")

	t.Run("appends to other flags", func(t *testing.T) {
		t.Setenv(XLAFlagsEnv, "--xla_dump_to=/tmp/d")
		dir, err := EnsureCUDADataDir(plugin)
		if err != nil || dir != cu13 {
			t.Fatalf("EnsureCUDADataDir = %q, %v; want %q", dir, err, cu13)
		}
		if got, want := os.Getenv(XLAFlagsEnv), "--xla_dump_to=/tmp/d --xla_gpu_cuda_data_dir="+cu13; got != want {
			t.Errorf("%s = %q, want %q", XLAFlagsEnv, got, want)
		}
	})

	t.Run("keeps the user's flag", func(t *testing.T) {
		mine := t.TempDir()
		t.Setenv(XLAFlagsEnv, "--xla_gpu_cuda_data_dir="+mine)
		dir, err := EnsureCUDADataDir(plugin)
		if err != nil || dir != mine || os.Getenv(XLAFlagsEnv) != "--xla_gpu_cuda_data_dir="+mine {
			t.Errorf("EnsureCUDADataDir = %q, %v, %s=%q; want %q unchanged", dir, err, XLAFlagsEnv, os.Getenv(XLAFlagsEnv), mine)
		}
	})

	t.Run("reports the user's missing dir", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "gone")
		t.Setenv(XLAFlagsEnv, "--xla_gpu_cuda_data_dir="+missing)
		_, err := EnsureCUDADataDir(plugin)
		if !errors.Is(err, ErrBackend) || os.Getenv(XLAFlagsEnv) != "--xla_gpu_cuda_data_dir="+missing {
			t.Errorf("err = %v, %s = %q; want ErrBackend and the flag unchanged", err, XLAFlagsEnv, os.Getenv(XLAFlagsEnv))
		}
	})

	t.Run("sets nothing when nothing is found", func(t *testing.T) {
		t.Setenv(XLAFlagsEnv, "")
		lone := writeFile(t, filepath.Join(t.TempDir(), "x", "pjrt_c_api_cuda_plugin.so"), "")
		dir, err := EnsureCUDADataDir(lone)
		if err != nil || dir != "" || os.Getenv(XLAFlagsEnv) != "" {
			t.Errorf("EnsureCUDADataDir = %q, %v, %s=%q; want nothing set", dir, err, XLAFlagsEnv, os.Getenv(XLAFlagsEnv))
		}
	})
}
