package backend

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
)

// New opens the backend that GOMLX_BACKEND names. When it is unset or blank, New opens Default(): XLA's CPU
// plugin if it is installed (`make setup` installs it into the repository's .venv), else "go".
// Failures are *Error values naming the configuration, the cause and the remedy;
// match them with errors.Is against ErrUnknownBackend, ErrPluginNotFound, ErrPluginLoad,
// ErrNoGPU, ErrXLANotBuilt, ErrBadOption or ErrBackend.
func New() (backends.Backend, error) { return NewWithConfig(os.Getenv(EnvVar)) }

// NewWithConfig opens the backend for a configuration in GOMLX_BACKEND's format
// (see Config); a blank one opens Default(). Panics inside GoMLX or go-xla are returned as errors.
func NewWithConfig(config string) (backends.Backend, error) {
	if strings.TrimSpace(config) == "" {
		return openDefault(config, false)
	}
	c, err := ParseConfig(config)
	if err != nil {
		return nil, err
	}
	switch c.Backend {
	case XLA:
		return openXLA(config, c)
	default:
		return openGo(config, c)
	}
}

// NewWithCPUDevices opens an XLA CPU configuration (as NewWithConfig; blank means Default, which must then
// have found the CPU plugin) with the plugin exposing devices host devices (its PJRT client option
// cpu_device_count), so that a computation can be sharded over them: b.NumDevices() == devices. It is how
// tests run sharded computations without several GPUs; each device is a share of the same CPUs.
func NewWithCPUDevices(config string, devices int) (backends.Backend, error) {
	if devices < 1 {
		return nil, newError(config, ErrBadOption, fmt.Sprintf("%d CPU devices of %q: at least 1", devices, config),
			"use devices >= 1")
	}
	return NewWithCPUOptions(config, CPUOptions{Devices: devices})
}

// CPUOptions are client options of XLA's CPU plugin.
type CPUOptions struct {
	// Devices is the number of host devices (cpu_device_count); 0 leaves it to CPUDevicesEnvVar, else the
	// plugin's default.
	Devices int
	// Synchronous runs each call on the calling thread (asynchronous=false); false leaves it to
	// CPUExecutionEnvVar ("sync" there).
	Synchronous bool
}

// NewWithCPUOptions opens a configuration as NewWithConfig does, with o for XLA's CPU plugin. Synchronous
// is a choice of speed, not of results, and is ignored by other backends (go, CUDA); asking another backend for
// devices is an ErrBadOption error, and so is a blank configuration whose Default is go.
func NewWithCPUOptions(config string, o CPUOptions) (backends.Backend, error) {
	raw := config
	if strings.TrimSpace(config) == "" {
		if o.Devices == 0 {
			return openDefault(raw, o.Synchronous)
		}
		d := Default()
		if d.Err != nil {
			return nil, d.Err
		}
		if d.Config == Go {
			return nil, newError(raw, ErrPluginNotFound, "several CPU devices need XLA's CPU plugin: "+d.Reason, installCPUHintAll)
		}
		config = d.Config
	}
	c, err := ParseConfig(config)
	if err != nil {
		return nil, err
	}
	cpu := c.Backend == XLA && !c.IsCUDA()
	if o.Devices != 0 && (o.Devices < 0 || !cpu) {
		return nil, newError(raw, ErrBadOption, fmt.Sprintf("%d CPU devices of %q: only XLA's CPU plugin has host devices, and at least 1", o.Devices, config),
			"use \"xla:cpu\" or the CPU plugin's path, with devices >= 1")
	}
	if !cpu {
		return NewWithConfig(raw)
	}
	env, err := envCPUOptions(raw)
	if err != nil {
		return nil, err
	}
	if o.Devices == 0 {
		o.Devices = env.Devices
	}
	o.Synchronous = o.Synchronous || env.Synchronous
	return openXLAWith(raw, c, o)
}

// envCPUOptions are the CPU plugin options the environment sets: CPUDevicesEnvVar and CPUExecutionEnvVar.
func envCPUOptions(raw string) (CPUOptions, error) {
	devices, err := cpuDevicesFromEnv(raw)
	if err != nil {
		return CPUOptions{}, err
	}
	exec, err := CPUExecution()
	if err != nil {
		err.(*Error).Config = raw
		return CPUOptions{}, err
	}
	return CPUOptions{Devices: devices, Synchronous: exec == ExecutionSync}, nil
}

// installCPUHintAll is the remedy for a missing CPU plugin, in every build.
const installCPUHintAll = "install it with `bash deeptucker/backend/scripts/install-xla-cpu.sh` (or `make setup`)"

// MustNew is New for notebooks and examples: it panics with New's error.
func MustNew() backends.Backend {
	b, err := New()
	if err != nil {
		panic(err)
	}
	return b
}

// goDefaultOptions returns the SimpleGo options to use: the user's, plus ops_sequential
// unless they chose how ops run.
//
// Why: SimpleGo v0.26.0 runs independent ops of a graph in parallel on a pool of
// 2×NumCPU goroutines, and each small DotGeneral then waits inside its pool slot for
// another slot (dotgeneral_small.go, WaitToStart, without WorkerIsAsleep). When 2×NumCPU
// DotGenerals are ready at once every slot waits and the execution deadlocks: on a
// 2-CPU machine four independent contractions are enough (the deep Tucker training step
// has more). Sequential op execution keeps the parallelism inside each op and cannot
// deadlock; "go:ops_parallel" restores GoMLX's behaviour.
func goDefaultOptions(opts []string) []string {
	if slices.Contains(opts, "ops_parallel") || slices.Contains(opts, "ops_sequential") {
		return opts
	}
	return append(slices.Clone(opts), "ops_sequential")
}

func openGo(raw string, c Config) (backends.Backend, error) {
	opts := goDefaultOptions(c.Options)
	b, err := catch(func() (backends.Backend, error) { return simplego.New(strings.Join(opts, ",")) })
	if err != nil {
		return nil, &Error{Config: raw, Kind: ErrBackend, Detail: "the pure-Go backend rejected its options",
			Remedy: "fix the options after \"go:\" (SimpleGo lists the valid ones), or use " + EnvVar + "=" + Go,
			Err:    err}
	}
	return b, nil
}

// Name returns the configuration b runs, in GOMLX_BACKEND's form: "go", "xla:cpu",
// "xla:cuda" or "xla:/path/to/plugin.so" ("xla:cpu" for the CPU plugin that Default or "xla:cpu" found in
// the project's venv). It is meant for reports and benchmark tables.
func Name(b backends.Backend) string {
	if b == nil {
		return "none"
	}
	if name, ok := rememberedName(b); ok {
		return name
	}
	// String, unlike Name, is the registered name ("go"; SimpleGo's Name is "SimpleGo (go)").
	name := b.String()
	if name == XLA {
		// GoMLX's XLA backend describes itself as "xla:<plugin> - PJRT ... [n device(s)]".
		if prefix, _, ok := strings.Cut(b.Description(), " - "); ok && strings.HasPrefix(prefix, XLA+":") {
			return prefix
		}
	}
	return name
}

// Synchronous reports whether b is XLA's CPU plugin running each call on the calling thread
// (CPUOptions.Synchronous, or CPUExecutionEnvVar=sync).
func Synchronous(b backends.Backend) bool {
	chosenMu.Lock()
	defer chosenMu.Unlock()
	return synchronous[b]
}

// IsCPU reports whether b is a client of XLA's CPU plugin (any XLA plugin but CUDA's) that this package
// opened: the backends CPUOptions apply to, so that asking NewWithCPUOptions for another device count or
// execution of b's configuration is meaningful.
func IsCPU(b backends.Backend) bool {
	chosenMu.Lock()
	defer chosenMu.Unlock()
	return cpuClients[b]
}

// Describe returns a one-line description of b for logs: its Name, then what the
// backend says of itself (for XLA: the plugin file, its PJRT C API version and devices).
func Describe(b backends.Backend) string {
	if b == nil {
		return "none"
	}
	d := b.Description()
	if strings.HasPrefix(d, Name(b)) {
		return d
	}
	return Name(b) + " - " + d
}
