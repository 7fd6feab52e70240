package backend

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
)

// CPUPluginEnvVar names the XLA CPU plugin file that a blank GOMLX_BACKEND uses, overriding the search of
// the project's virtual environment; "none" turns the search off, so that a blank GOMLX_BACKEND means "go".
const CPUPluginEnvVar = "DEEPTUCKER_XLA_CPU_PLUGIN"

// CPUDevicesEnvVar sets how many host devices XLA's CPU plugin exposes (its client option cpu_device_count;
// the plugin's own default, when unset, is 4). deeptucker.Fit splits a group of runs over the devices, so 1
// turns that off. Only XLA's CPU plugin reads it.
const CPUDevicesEnvVar = "DEEPTUCKER_XLA_CPU_DEVICES"

// cpuDevicesFromEnv returns CPUDevicesEnvVar's value, 0 when unset or blank (the plugin's default).
func cpuDevicesFromEnv(raw string) (int, error) {
	v := strings.TrimSpace(os.Getenv(CPUDevicesEnvVar))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, newError(raw, ErrBadOption, fmt.Sprintf("%s=%q is not a number of devices", CPUDevicesEnvVar, v),
			"set it to a whole number >= 1 (1: no split), or unset it for the plugin's default")
	}
	return n, nil
}

// CPUExecutionEnvVar chooses how XLA's CPU plugin runs a compiled call. "async" is XLA's own default: the call
// runs on the plugin's thread pool while the calling thread waits for it. "sync" runs it on the calling thread
// (the client option asynchronous=false), which saves the two hand-offs between threads that each call costs
// otherwise (about 45 us on a 2-CPU machine): worth it for small steps, a loss for large ones, whose
// parallel kernels then share the CPUs with the calling thread. "auto", the default when unset, lets
// deeptucker.Fit choose by the size of its step (deeptucker.SyncStepFLOPs); New opens "auto" as "async".
// Only XLA's CPU plugin reads it.
const CPUExecutionEnvVar = "DEEPTUCKER_XLA_CPU_EXECUTION"

// Execution is a value of CPUExecutionEnvVar.
type Execution string

const (
	ExecutionAuto  Execution = "auto"
	ExecutionSync  Execution = "sync"
	ExecutionAsync Execution = "async"
)

// CPUExecution returns CPUExecutionEnvVar's value, ExecutionAuto when unset or blank, or an ErrBadOption error
// naming the variable.
func CPUExecution() (Execution, error) {
	switch v := Execution(strings.ToLower(strings.TrimSpace(os.Getenv(CPUExecutionEnvVar)))); v {
	case "":
		return ExecutionAuto, nil
	case ExecutionAuto, ExecutionSync, ExecutionAsync:
		return v, nil
	default:
		return "", newError(os.Getenv(EnvVar), ErrBadOption, fmt.Sprintf("%s=%q is not an execution mode", CPUExecutionEnvVar, string(v)),
			"set it to auto (the default), sync or async, or unset it")
	}
}

// VenvEnvVar names the virtual environment that scripts/install-xla-cpu.sh installs the plugin into (default:
// the .venv directory at the root of this repository); the default choice looks there.
const VenvEnvVar = "DEEPTUCKER_VENV"

// cpuPluginInVenv is where the PyPI wheel of install-xla-cpu.sh puts XLA's CPU plugin inside a venv.
const cpuPluginInVenv = "lib/python3*/site-packages/lammps_jax_pjrt_cpu/pjrt_c_api_cpu_plugin.so"

// modulePath identifies this repository's go.mod when looking for its .venv.
const modulePath = "github.com/deeptucker/deeptucker"

// Choice is the backend a blank GOMLX_BACKEND selects, and why.
type Choice struct {
	// Config is the configuration to open: "xla:/abs/path/pjrt_c_api_cpu_plugin.so" or "go".
	Config string
	// Name is what Name reports for the opened backend: "xla:cpu" or "go".
	Name string
	// Reason says where the plugin was found, or why it was not used, for logs.
	Reason string
	// Err is set when CPUPluginEnvVar names a plugin file that does not exist: asked for explicitly, its
	// absence is an error rather than a fallback.
	Err error
}

// Default returns what a blank GOMLX_BACKEND selects: XLA's CPU plugin when it is installed, since it runs
// the training step 3-9x faster than the pure-Go backend, else "go", which needs nothing. The plugin is
// looked for, in order, at CPUPluginEnvVar, in the venv VenvEnvVar names, and in the .venv of this
// repository, found by walking up from the working directory (tests, notebooks, commands run inside the
// clone) and from this package's source directory (binaries built from the clone). Nothing is loaded.
func Default() Choice {
	goChoice := func(reason string) Choice { return Choice{Config: Go, Name: Go, Reason: reason} }
	if !xlaBuilt {
		return goChoice("XLA is not built into this binary")
	}
	if p, ok := os.LookupEnv(CPUPluginEnvVar); ok && strings.TrimSpace(p) != "" {
		p = strings.TrimSpace(p)
		if p == "none" {
			return goChoice(CPUPluginEnvVar + "=none")
		}
		abs, err := filepath.Abs(p)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			return Choice{Config: XLA + ":" + p, Name: "xla:cpu", Reason: CPUPluginEnvVar + "=" + p,
				Err: &Error{Config: "", Kind: ErrPluginNotFound, Detail: fmt.Sprintf("%s=%s names no file", CPUPluginEnvVar, p),
					Remedy: "set it to the plugin file scripts/install-xla-cpu.sh prints, or unset it", Err: err}}
		}
		return Choice{Config: XLA + ":" + abs, Name: "xla:cpu", Reason: CPUPluginEnvVar + "=" + p}
	}
	var venvs []string
	if v := strings.TrimSpace(os.Getenv(VenvEnvVar)); v != "" {
		venvs = []string{v}
	} else {
		venvs = projectVenvs()
	}
	for _, v := range venvs {
		if p := findCPUPluginInVenv(v); p != "" {
			return Choice{Config: XLA + ":" + p, Name: "xla:cpu", Reason: "XLA CPU plugin found in " + v}
		}
	}
	where := "no venv found"
	if len(venvs) > 0 {
		where = "looked in " + strings.Join(venvs, ", ")
	}
	return goChoice("no XLA CPU plugin installed (" + where + "); `make setup` installs it")
}

// findCPUPluginInVenv returns the plugin file inside venv, or "".
func findCPUPluginInVenv(venv string) string {
	matches, _ := filepath.Glob(filepath.Join(venv, cpuPluginInVenv))
	slices.Sort(matches)
	for i := len(matches) - 1; i >= 0; i-- { // the newest Python first
		if fi, err := os.Stat(matches[i]); err == nil && fi.Mode().IsRegular() {
			if abs, err := filepath.Abs(matches[i]); err == nil {
				return abs
			}
		}
	}
	return ""
}

// projectVenvs returns the .venv of this repository's root, found from the working directory and from this
// source file's directory (distinct, existing ones only).
func projectVenvs() []string {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	var venvs []string
	for _, s := range starts {
		root := moduleRoot(s)
		if root == "" {
			continue
		}
		v := filepath.Join(root, ".venv")
		if fi, err := os.Stat(v); err == nil && fi.IsDir() && !slices.Contains(venvs, v) {
			venvs = append(venvs, v)
		}
	}
	return venvs
}

// moduleRoot walks up from dir to the directory whose go.mod declares this module, or "".
func moduleRoot(dir string) string {
	for {
		if declaresModule(filepath.Join(dir, "go.mod")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func declaresModule(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) == 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == modulePath
		}
	}
	return false
}

// chosenNames remembers the name of backends opened for the default choice, which load the CPU plugin by path
// but are reported as "xla:cpu".
var (
	chosenMu    sync.Mutex
	chosenNames = map[backends.Backend]string{}
	synchronous = map[backends.Backend]bool{} // CPU plugin clients opened with Synchronous
	cpuClients  = map[backends.Backend]bool{} // clients of a plugin that CPUOptions apply to (not CUDA)
	warnOnce    sync.Once
)

func rememberName(b backends.Backend, name string) {
	chosenMu.Lock()
	defer chosenMu.Unlock()
	chosenNames[b] = name
}

func rememberedName(b backends.Backend) (string, bool) {
	chosenMu.Lock()
	defer chosenMu.Unlock()
	name, ok := chosenNames[b]
	return name, ok
}

// openDefault opens Default(): the XLA CPU plugin when installed, else go. A plugin that is found but does not
// load falls back to go with a warning on stderr (the numbers are the same, only slower), unless it was named
// explicitly by CPUPluginEnvVar.
func openDefault(raw string, synchronous bool) (backends.Backend, error) {
	c := Default()
	if c.Err != nil {
		c.Err.(*Error).Config = raw
		return nil, c.Err
	}
	if c.Config == Go {
		return NewWithConfig(Go)
	}
	b, err := NewWithCPUOptions(c.Config, CPUOptions{Synchronous: synchronous})
	if err != nil {
		// A plugin named explicitly, or a setting that is wrong (DEEPTUCKER_XLA_CPU_DEVICES or _EXECUTION), is the
		// user's to fix: falling back to go would hide it.
		if _, explicit := os.LookupEnv(CPUPluginEnvVar); explicit || errors.Is(err, ErrBadOption) {
			return nil, err
		}
		warnOnce.Do(func() {
			fmt.Fprintf(os.Stderr, "backend: %s is unset and the XLA CPU plugin found (%s) did not load, so the pure-Go backend runs: %v\n",
				EnvVar, c.Reason, err)
		})
		return NewWithConfig(Go)
	}
	rememberName(b, c.Name)
	return b, nil
}
