package backend

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fakeVenv makes a venv directory holding a file where install-xla-cpu.sh's wheel puts the CPU plugin, and
// returns the venv and the plugin's path.
func fakeVenv(t *testing.T, content string) (venv, plugin string) {
	t.Helper()
	venv = t.TempDir()
	plugin = writeFile(t, filepath.Join(venv, "lib", "python3.11", "site-packages", "lammps_jax_pjrt_cpu",
		"pjrt_c_api_cpu_plugin.so"), content)
	return venv, plugin
}

// unsetEnv unsets an environment variable for the rest of the test.
func unsetEnv(t *testing.T, name string) {
	t.Setenv(name, "") // registers the restore
	os.Unsetenv(name)
}

func TestDefaultFindsPluginInVenv(t *testing.T) {
	unsetEnv(t, CPUPluginEnvVar)
	venv, plugin := fakeVenv(t, "x")
	t.Setenv(VenvEnvVar, venv)
	c := Default()
	if !xlaBuilt {
		if c.Config != Go {
			t.Fatalf("noxla build: Default = %+v, want go", c)
		}
		return
	}
	if c.Config != "xla:"+plugin || c.Name != "xla:cpu" || c.Err != nil || !strings.Contains(c.Reason, venv) {
		t.Errorf("Default = %+v, want xla:%s named xla:cpu, found in %s", c, plugin, venv)
	}

	// Negative control: the same venv without the plugin (a Python 2 layout is not the wheel's).
	if err := os.Rename(filepath.Join(venv, "lib", "python3.11"), filepath.Join(venv, "lib", "python2.7")); err != nil {
		t.Fatal(err)
	}
	c = Default()
	if c.Config != Go || c.Name != Go || c.Err != nil || !strings.Contains(c.Reason, "make setup") {
		t.Errorf("without the plugin: Default = %+v, want go with a reason naming `make setup`", c)
	}
}

func TestDefaultPluginEnvVar(t *testing.T) {
	requireXLA(t)
	venv, inVenv := fakeVenv(t, "x")
	t.Setenv(VenvEnvVar, venv)
	other := writeFile(t, filepath.Join(t.TempDir(), "pjrt_c_api_cpu_plugin.so"), "x")

	t.Setenv(CPUPluginEnvVar, other)
	if c := Default(); c.Config != "xla:"+other || c.Err != nil {
		t.Errorf("%s=%s: Default = %+v, want that file, not the venv's %s", CPUPluginEnvVar, other, c, inVenv)
	}

	t.Setenv(CPUPluginEnvVar, "none")
	if c := Default(); c.Config != Go || c.Err != nil {
		t.Errorf("%s=none: Default = %+v, want go although the venv has a plugin", CPUPluginEnvVar, c)
	}

	missing := filepath.Join(t.TempDir(), "nothing.so")
	t.Setenv(CPUPluginEnvVar, missing)
	c := Default()
	if !errors.Is(c.Err, ErrPluginNotFound) {
		t.Errorf("%s=%s: Default().Err = %v, want ErrPluginNotFound", CPUPluginEnvVar, missing, c.Err)
	}
	t.Setenv(EnvVar, "")
	_, err := New()
	wantError(t, "", err, ErrPluginNotFound, CPUPluginEnvVar, "nothing.so")
}

// A plugin found by the search that does not load leaves the default on go (same numbers, slower); one named
// explicitly is an error.
func TestNewBlankFallsBackToGoWhenPluginBroken(t *testing.T) {
	requireXLA(t)
	unsetEnv(t, CPUPluginEnvVar)
	venv, plugin := fakeVenv(t, "not an ELF file")
	t.Setenv(VenvEnvVar, venv)
	t.Setenv(EnvVar, "")
	b, err := New()
	if err != nil {
		t.Fatalf("broken plugin found by the search: %v, want a fallback to go", err)
	}
	defer b.Finalize()
	if Name(b) != Go {
		t.Errorf("Name = %q, want go", Name(b))
	}

	t.Setenv(CPUPluginEnvVar, plugin)
	_, err = New()
	wantError(t, "xla:"+plugin, err, ErrPluginLoad)
}

func TestModuleRoot(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "go.mod"), "// comment\nmodule "+modulePath+"\n\ngo 1.26\n")
	deep := filepath.Join(root, "notebooks", "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := moduleRoot(deep); got != root {
		t.Errorf("moduleRoot(%s) = %q, want %q", deep, got, root)
	}
	// Negative control: another module's go.mod is not this repository.
	writeFile(t, filepath.Join(root, "go.mod"), "module example.com/other\n")
	if got := moduleRoot(deep); got != "" {
		t.Errorf("moduleRoot under another module = %q, want \"\"", got)
	}
}

// With the plugin that `make setup` installs into this repository's .venv, a blank GOMLX_BACKEND and
// "xla:cpu" (not in PJRT's search path) both run on it, and compute what the host computes.
func TestNewBlankUsesInstalledPlugin(t *testing.T) {
	requireXLA(t)
	unsetEnv(t, CPUPluginEnvVar)
	unsetEnv(t, VenvEnvVar)
	unsetEnv(t, CPUDevicesEnvVar) // the plugin's own device count is checked below
	c := Default()
	if c.Config == Go {
		t.Skipf("no XLA CPU plugin installed here (%s)", c.Reason)
	}
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", t.TempDir()) // nothing there: "xla:cpu" must find the venv's
	noAutoInstall(t)
	for _, config := range []string{"", "xla:cpu"} {
		t.Setenv(EnvVar, config)
		b, err := New()
		if err != nil {
			t.Fatalf("%s=%q: %v", EnvVar, config, err)
		}
		if Name(b) != "xla:cpu" || !strings.Contains(Describe(b), "pjrt_c_api_cpu_plugin.so") {
			t.Errorf("%s=%q: Name = %q, Describe = %q; want xla:cpu naming the plugin file", EnvVar, config, Name(b), Describe(b))
		}
		// Fit splits groups of runs over these devices without being asked (README, "Training loop and devices",
		// measures what that gains); the pinned plugin's default is 4.
		if b.NumDevices() != 4 {
			t.Errorf("%s=%q: the CPU plugin opened with %d devices; README says 4 by default", EnvVar, config, b.NumDevices())
		}
		x := randomMatrix(3, 5, 4)
		y, grad, err := probe(b, x)
		if err != nil {
			t.Fatal(err)
		}
		wantY, wantGrad := probeWant(x)
		if d := max(maxRelDiff(y, wantY), maxRelDiff(grad, wantGrad)); d > 1e-12 {
			t.Errorf("%s=%q: probe off by %g", EnvVar, config, d)
		}
		b.Finalize()
	}
}

func TestNewWithCPUDevices(t *testing.T) {
	for _, config := range []string{"go", "xla:cuda"} {
		_, err := NewWithCPUDevices(config, 2)
		if !errors.Is(err, ErrBadOption) && !errors.Is(err, ErrXLANotBuilt) {
			t.Errorf("NewWithCPUDevices(%q, 2): err = %v, want ErrBadOption", config, err)
		}
	}
	requireXLA(t)
	unsetEnv(t, CPUPluginEnvVar)
	unsetEnv(t, VenvEnvVar)
	if _, err := NewWithCPUDevices("", 0); !errors.Is(err, ErrBadOption) && !errors.Is(err, ErrPluginNotFound) {
		t.Errorf("0 devices: err = %v, want ErrBadOption", err)
	}
	if c := Default(); c.Config == Go {
		t.Skipf("no XLA CPU plugin installed here (%s)", c.Reason)
	}
	for _, n := range []int{1, 3} {
		b, err := NewWithCPUDevices("", n)
		if err != nil {
			t.Fatal(err)
		}
		if b.NumDevices() != n || !strings.Contains(b.Description(), "device") {
			t.Errorf("asked for %d devices: %s has %d", n, Describe(b), b.NumDevices())
		}
		b.Finalize()
	}
}

// DEEPTUCKER_XLA_CPU_DEVICES sets the CPU plugin's device count; a value that is not a count is refused with
// an error naming it, and the pure-Go backend ignores it.
func TestCPUDevicesEnvVar(t *testing.T) {
	refusesBadValues(t, CPUDevicesEnvVar, "0", "-2", "four", "1.5") // skips from here without the plugin
	for _, n := range []string{"1", "2", " 3 "} {
		t.Setenv(CPUDevicesEnvVar, n)
		b, err := NewWithConfig("")
		if err != nil {
			t.Fatalf("%s=%q: %v", CPUDevicesEnvVar, n, err)
		}
		if want := strings.TrimSpace(n); strconv.Itoa(b.NumDevices()) != want {
			t.Errorf("%s=%q: %d devices", CPUDevicesEnvVar, n, b.NumDevices())
		}
		b.Finalize()
	}
}

// A value of DEEPTUCKER_XLA_CPU_EXECUTION that is not a mode is refused with an error naming it, by the CPU
// plugin (a blank GOMLX_BACKEND included: an error, not a fall back to go), and the pure-Go backend ignores it.
func TestCPUExecutionEnvVar(t *testing.T) {
	for _, v := range []string{"", "auto", " SYNC ", "async"} {
		t.Setenv(CPUExecutionEnvVar, v)
		if _, err := CPUExecution(); err != nil {
			t.Errorf("%q: %v", v, err)
		}
	}
	t.Setenv(CPUExecutionEnvVar, "fast")
	if _, err := CPUExecution(); !errors.Is(err, ErrBadOption) || !strings.Contains(err.Error(), CPUExecutionEnvVar) {
		t.Errorf("fast: err = %v, want ErrBadOption naming %s", err, CPUExecutionEnvVar)
	}
	refusesBadValues(t, CPUExecutionEnvVar, "1", "true", "synchronous")
}

// refusesBadValues checks that each bad value of the environment variable name is refused by the CPU plugin
// with an ErrBadOption error naming it, also when GOMLX_BACKEND is blank (an error, not a quiet fall back to
// go), and ignored by the pure-Go backend. It skips the test where no XLA CPU plugin is installed.
func refusesBadValues(t *testing.T, name string, bad ...string) {
	t.Helper()
	for _, v := range bad {
		t.Setenv(name, v)
		_, err := NewWithConfig("xla:cpu")
		if !errors.Is(err, ErrBadOption) && !errors.Is(err, ErrXLANotBuilt) {
			t.Errorf("%s=%q: err = %v, want ErrBadOption", name, v, err)
		} else if errors.Is(err, ErrBadOption) && !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: the error does not name the variable: %v", name, v, err)
		}
		b, err := NewWithConfig(Go)
		if err != nil {
			t.Fatalf("go with %s=%q: %v", name, v, err)
		}
		b.Finalize()
	}
	requireXLA(t)
	unsetEnv(t, CPUPluginEnvVar)
	unsetEnv(t, VenvEnvVar)
	if c := Default(); c.Config == Go {
		t.Skipf("no XLA CPU plugin installed here (%s)", c.Reason)
	}
	noAutoInstall(t)
	t.Setenv(EnvVar, "")
	t.Setenv(name, bad[0])
	if _, err := New(); !errors.Is(err, ErrBadOption) {
		t.Errorf("blank %s, %s=%q: err = %v, want ErrBadOption", EnvVar, name, bad[0], err)
	}
	t.Setenv(name, "")
}
