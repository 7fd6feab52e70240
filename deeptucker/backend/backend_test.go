package backend

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func TestNewDefaultIsGo(t *testing.T) {
	t.Setenv(CPUPluginEnvVar, "none") // else an installed XLA CPU plugin is the default (default_test.go)
	for _, v := range []string{"", "  ", "go"} {
		t.Setenv(EnvVar, v)
		b, err := New()
		if err != nil {
			t.Fatalf("%s=%q: %v", EnvVar, v, err)
		}
		if Name(b) != Go {
			t.Errorf("%s=%q: Name = %q, want %q", EnvVar, v, Name(b), Go)
		}
		if d := Describe(b); !strings.HasPrefix(d, "go - ") {
			t.Errorf("Describe = %q, want it to start with \"go - \"", d)
		}
		b.Finalize()
	}
}

func TestGoBackendRunsProbe(t *testing.T) {
	b, err := NewWithConfig("go")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	x := randomMatrix(1, 5, 3)
	y, grad, err := probe(b, x)
	if err != nil {
		t.Fatal(err)
	}
	wantY, wantGrad := probeWant(x)
	if d := maxRelDiff(y, wantY); d > 1e-12 {
		t.Errorf("Y = X Xᵀ off by %g", d)
	}
	if d := maxRelDiff(grad, wantGrad); d > 1e-12 {
		t.Errorf("gradient off by %g", d)
	}
}

func TestGoBackendBadOption(t *testing.T) {
	_, err := NewWithConfig("go:warp_speed")
	if !errors.Is(err, ErrBackend) || !strings.Contains(err.Error(), "warp_speed") {
		t.Fatalf("err = %v, want ErrBackend naming the option", err)
	}
}

func TestNewUnknownBackend(t *testing.T) {
	t.Setenv(EnvVar, "tpu")
	b, err := New()
	if b != nil || !errors.Is(err, ErrUnknownBackend) {
		t.Fatalf("New() with %s=tpu = %v, %v; want ErrUnknownBackend", EnvVar, b, err)
	}
}

func TestMustNewPanicsWithError(t *testing.T) {
	t.Setenv(EnvVar, "tpu")
	defer func() {
		r := recover()
		err, ok := r.(error)
		if !ok || !errors.Is(err, ErrUnknownBackend) {
			t.Fatalf("MustNew panicked with %v, want an ErrUnknownBackend error", r)
		}
	}()
	MustNew()
}

// requireXLA skips tests of the XLA paths in a noxla build, after checking that XLA is
// then refused with the right error.
func requireXLA(t *testing.T) {
	t.Helper()
	if !xlaBuilt {
		if _, err := NewWithConfig("xla:cpu"); !errors.Is(err, ErrXLANotBuilt) {
			t.Fatalf("noxla build: err = %v, want ErrXLANotBuilt", err)
		}
		t.Skip("XLA backend not built in (noxla)")
	}
}

// noAutoInstall keeps a test from downloading plugins, whatever the machine can reach.
func noAutoInstall(t *testing.T) { t.Setenv("GOMLX_NO_AUTO_INSTALL", "1") }

// fakeGPU makes the GPU check answer as given for the rest of the test.
func fakeGPU(t *testing.T, present bool) {
	old := hasNvidiaGPU
	hasNvidiaGPU = func() bool { return present }
	t.Cleanup(func() { hasNvidiaGPU = old })
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// wantError checks the kind of err and that its message says what to do.
func wantError(t *testing.T, config string, err error, kind error, mentions ...string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s=%q: err = %v, want %v", EnvVar, config, err, kind)
	}
	for _, m := range mentions {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("%s=%q: error %q does not mention %q", EnvVar, config, err, m)
		}
	}
}

func TestXLAPluginFileMissing(t *testing.T) {
	requireXLA(t)
	config := "xla:" + filepath.Join(t.TempDir(), "no", "pjrt_c_api_cpu_plugin.so")
	_, err := NewWithConfig(config)
	wantError(t, config, err, ErrPluginNotFound, "no such file", "install-xla-cpu.sh", EnvVar+"=go")
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v should wrap os.ErrNotExist", err)
	}
}

func TestXLAPluginPathIsDirectory(t *testing.T) {
	requireXLA(t)
	config := "xla:" + t.TempDir()
	_, err := NewWithConfig(config)
	wantError(t, config, err, ErrPluginNotFound, "is a directory", "pjrt_c_api_cpu_plugin.so")
}

func TestXLAPluginNotALibrary(t *testing.T) {
	requireXLA(t)
	config := "xla:" + writeFile(t, filepath.Join(t.TempDir(), "pjrt_c_api_cpu_plugin.so"), "not an ELF file")
	_, err := NewWithConfig(config)
	wantError(t, config, err, ErrPluginLoad, "install-xla-cpu.sh", EnvVar+"=go")
}

func TestXLAPluginWithoutPJRTSymbol(t *testing.T) {
	requireXLA(t)
	// Any shared library that is not a PJRT plugin: it loads, but has no GetPjrtApi.
	var lib string
	for _, pattern := range []string{"/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6", "/lib64/libm.so.6", "/usr/lib/libSystem.B.dylib"} {
		if _, err := os.Stat(pattern); err == nil {
			lib = pattern
			break
		}
	}
	if lib == "" {
		t.Skip("no system libm found to stand in for a non-plugin library")
	}
	_, err := NewWithConfig("xla:" + lib)
	wantError(t, "xla:"+lib, err, ErrPluginLoad, "GetPjrtApi", "install-xla-cpu.sh")
}

func TestXLAUnknownPluginName(t *testing.T) {
	requireXLA(t)
	// Even with auto-install allowed, a name GoMLX cannot install fails at once.
	for _, auto := range []bool{false, true} {
		if auto {
			os.Unsetenv("GOMLX_NO_AUTO_INSTALL")
		} else {
			noAutoInstall(t)
		}
		_, err := NewWithConfig("xla:nosuchplugin")
		wantError(t, "xla:nosuchplugin", err, ErrPluginNotFound, `"nosuchplugin"`, "PJRT_PLUGIN_LIBRARY_PATH", "install-xla-cpu.sh")
	}
}

func TestXLACPUWithoutPluginOffline(t *testing.T) {
	requireXLA(t)
	noAutoInstall(t)
	b, err := NewWithConfig("xla:cpu")
	if err == nil {
		// A machine with the plugin installed where go-xla looks: then it must work.
		defer b.Finalize()
		if Name(b) != "xla:cpu" {
			t.Errorf("Name = %q, want xla:cpu", Name(b))
		}
		return
	}
	wantError(t, "xla:cpu", err, ErrPluginNotFound, `"cpu"`, "install-xla-cpu.sh", EnvVar+"=go")
}

func TestXLACUDAWithoutGPU(t *testing.T) {
	requireXLA(t)
	fakeGPU(t, false)
	noAutoInstall(t)
	dir := t.TempDir()
	for _, config := range []string{
		"xla:cuda",
		"xla:" + writeFile(t, filepath.Join(dir, "nvidia", "pjrt_c_api_cuda_plugin.so"), "x"),
		"xla:" + writeFile(t, filepath.Join(dir, "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so"), "x"),
	} {
		_, err := NewWithConfig(config)
		wantError(t, config, err, ErrNoGPU, "NVIDIA", EnvVar+"=xla:cpu", EnvVar+"=go")
	}
}

// With a GPU (faked), a CUDA plugin gets its CUDA data dir in XLA_FLAGS before go-xla
// loads it; here the "plugin" is junk, so loading then fails, after the flag is set.
func TestXLACUDASetsDataDirBeforeLoading(t *testing.T) {
	requireXLA(t)
	fakeGPU(t, true)
	noAutoInstall(t)
	site := t.TempDir()
	plugin := writeFile(t, filepath.Join(site, "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so"), "not a library")
	cu13 := filepath.Join(site, "nvidia", "cu13")
	writeFile(t, filepath.Join(cu13, "nvvm", "libdevice", "libdevice.10.bc"), "")
	t.Setenv(XLAFlagsEnv, "--xla_dump_to=/tmp/nowhere")

	_, err := NewWithConfig("xla:" + plugin)
	wantError(t, "xla:"+plugin, err, ErrPluginLoad, "jax-cuda13-pjrt", EnvVar+"=xla:cpu")
	if got, want := os.Getenv(XLAFlagsEnv), "--xla_dump_to=/tmp/nowhere --xla_gpu_cuda_data_dir="+cu13; got != want {
		t.Errorf("%s = %q, want %q", XLAFlagsEnv, got, want)
	}
}

// go-xla v0.1.4 panics (nil handle) when a file in the plugin search path fails to load.
// The search path is read once at start-up, so this runs the test binary again with it set.
func TestXLABrokenPluginInSearchPath(t *testing.T) {
	requireXLA(t)
	if os.Getenv("DEEPTUCKER_BACKEND_CHILD") == "1" {
		_, err := NewWithConfig("xla:cpu")
		os.Stdout.WriteString("child error: " + errString(err) + "\n")
		return
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "pjrt_c_api_cpu_plugin.so"), "broken")
	cmd := exec.Command(os.Args[0], "-test.run=^TestXLABrokenPluginInSearchPath$", "-test.v")
	cmd.Env = append(os.Environ(), "DEEPTUCKER_BACKEND_CHILD=1", "PJRT_PLUGIN_LIBRARY_PATH="+dir, "GOMLX_NO_AUTO_INSTALL=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child crashed instead of returning an error: %v\n%s", err, out)
	}
	for _, m := range []string{"child error: ", ErrPluginLoad.Error(), "PJRT_PLUGIN_LIBRARY_PATH=" + dir, "panic"} {
		if !strings.Contains(string(out), m) {
			t.Errorf("child output does not mention %q:\n%s", m, out)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestNameOfNil(t *testing.T) {
	if Name(nil) != "none" || Describe(nil) != "none" {
		t.Errorf("Name(nil), Describe(nil) = %q, %q; want \"none\"", Name(nil), Describe(nil))
	}
}

// A graph with more independent contractions than SimpleGo's pool has slots (2×NumCPU)
// deadlocks SimpleGo v0.26.0 when ops run in parallel; the default "go" must not.
func TestGoBackendWideGraphDoesNotDeadlock(t *testing.T) {
	b, err := NewWithConfig("go")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	k := 2*runtime.NumCPU() + 2
	exec, err := graph.NewExec(b, func(x *graph.Node) *graph.Node {
		sum := graph.ZerosLike(x)
		for i := range k { // k independent X·X, all ready at the start
			sum = graph.Add(sum, graph.MulScalar(graph.MatMul(x, x), float64(i+1)))
		}
		return sum
	})
	if err != nil {
		t.Fatal(err)
	}
	x := randomMatrix(1, 8, 8)
	done := make(chan error, 1)
	go func() {
		for range 20 {
			if _, err := exec.Exec(tensors.FromValue(x)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%d independent matmuls on %d CPUs did not finish in 20s: SimpleGo deadlocked", k, runtime.NumCPU())
	}
}

func TestGoDefaultOptions(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{nil, []string{"ops_sequential"}},
		{[]string{"parallelism=4"}, []string{"parallelism=4", "ops_sequential"}},
		{[]string{"ops_parallel"}, []string{"ops_parallel"}},
		{[]string{"ops_sequential", "dotgeneral_small"}, []string{"ops_sequential", "dotgeneral_small"}},
	} {
		if got := goDefaultOptions(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("goDefaultOptions(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
