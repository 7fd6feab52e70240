//go:build ((linux && amd64) || darwin) && cgo && !noxla

package backend

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/gomlx/go-xla/pkg/pjrt"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/xla"
)

// xlaBuilt is true: GoMLX's XLA backend (cgo, go-xla) is compiled in. Build with
// -tags noxla to leave it out on machines without a C compiler.
const xlaBuilt = true

// xlaMu serialises openXLA: it flips GoMLX's global auto-install switch and XLA_FLAGS.
var xlaMu sync.Mutex

// installCPUHint is the remedy for a missing or broken CPU plugin.
const installCPUHint = "install the XLA CPU plugin from PyPI with `bash deeptucker/backend/scripts/install-xla-cpu.sh` " +
	"and set " + EnvVar + " to the value it prints, or use " + EnvVar + "=" + Go + " (pure Go, no plugin)"

// installCUDAHint is the remedy for a missing or broken CUDA plugin.
const installCUDAHint = "install the CUDA plugin with `pip install jax-cuda13-pjrt 'jax-cuda13-plugin[with-cuda]'` and set " +
	EnvVar + "=xla:/abs/path/to/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so " +
	"(deeptucker/backend/scripts/cuda-check.sh shows how), or use " + EnvVar + "=xla:cpu or " + EnvVar + "=" + Go

func installHint(c Config) string {
	if c.IsCUDA() {
		return installCUDAHint
	}
	return installCPUHint
}

// autoInstallAllowed mirrors GoMLX: GOMLX_NO_AUTO_INSTALL, when set at all, turns off
// the download of missing plugins (CPU from GitHub, CUDA from PyPI).
func autoInstallAllowed() bool {
	_, off := os.LookupEnv(xla.NoAutoInstallEnv)
	return !off
}

// openXLA opens XLA with the CPU plugin options the environment sets (not for CUDA).
func openXLA(raw string, c Config) (backends.Backend, error) {
	var o CPUOptions
	if !c.IsCUDA() {
		var err error
		if o, err = envCPUOptions(raw); err != nil {
			return nil, err
		}
	}
	return openXLAWith(raw, c, o)
}

// openXLAWith opens XLA; o (zero for CUDA) holds the CPU plugin's client options.
func openXLAWith(raw string, c Config, o CPUOptions) (backends.Backend, error) {
	xlaMu.Lock()
	defer xlaMu.Unlock()

	if c.IsCUDA() && !hasNvidiaGPU() {
		return nil, newError(raw, ErrNoGPU,
			"the CUDA plugin needs an NVIDIA GPU and driver, and none is visible (no /dev/nvidia*, no working nvidia-smi)",
			"run on a machine with an NVIDIA GPU, or use "+EnvVar+"=xla:cpu or "+EnvVar+"="+Go)
	}

	autoInstall := autoInstallAllowed()
	reportAs := ""        // the name Name reports, when not GoMLX's own
	var pluginPath string // the plugin file, when known before GoMLX loads it
	if c.IsPath() {
		fi, err := os.Stat(c.Plugin)
		switch {
		case err != nil:
			return nil, &Error{Config: raw, Kind: ErrPluginNotFound,
				Detail: fmt.Sprintf("cannot use plugin file %s", c.Plugin), Remedy: installHint(c), Err: err}
		case fi.IsDir():
			return nil, newError(raw, ErrPluginNotFound,
				fmt.Sprintf("%s is a directory, not a plugin file", c.Plugin),
				"name the shared library inside it, e.g. "+EnvVar+"=xla:"+filepath.Join(c.Plugin, "pjrt_c_api_cpu_plugin.so"))
		}
		pluginPath = c.Plugin
		autoInstall = false
		// GoMLX lets the XLA CPU plugin share host memory with GoMLX tensors (no copy per
		// call) only when loaded by its name "cpu". Give the same plugin file, named as
		// go-xla names it, the same treatment unless the user chose either way.
		if pluginNameFromFile(c.Plugin) == "cpu" && !slices.Contains(c.Options, "shared_buffers") && !slices.Contains(c.Options, "noshared_buffers") {
			c.Options = append(slices.Clone(c.Options), "shared_buffers")
		}
	} else {
		// Search PJRT's plugin path ourselves, so that an installed plugin is used without
		// GoMLX first trying (and, offline, failing) to download the default one.
		found, err := catch(func() (map[string]string, error) { return pjrt.AvailablePlugins(), nil })
		if err != nil {
			return nil, &Error{Config: raw, Kind: ErrPluginLoad,
				Detail: "searching the PJRT plugin path failed; a file there that looks like a plugin may be broken (" + searchPathHint() + ")",
				Remedy: "remove or fix that file, or give the plugin as " + EnvVar + "=xla:/abs/path/plugin.so", Err: err}
		}
		name := c.Plugin
		if name == "" {
			name = defaultPlugin(found)
		}
		if p, ok := found[name]; ok {
			pluginPath, autoInstall = p, false
			if name == "cuda" {
				c.Plugin = name // so that IsCUDA holds below for a bare "xla"
			}
		} else if p := projectCPUPlugin(); p != "" && (name == "cpu" || name == "") {
			// Not in PJRT's search path, but installed by `make setup` into the project's venv.
			pluginPath, autoInstall, reportAs = p, false, XLA+":cpu"
			c.Plugin = p
			if !slices.Contains(c.Options, "noshared_buffers") && !slices.Contains(c.Options, "shared_buffers") {
				c.Options = append(slices.Clone(c.Options), "shared_buffers")
			}
		} else if !autoInstall || (name != "" && name != "cpu" && name != "cuda") {
			// GoMLX's auto-install only knows "cpu" and "cuda": anything else cannot appear.
			what := "no PJRT plugin is installed"
			if c.Plugin != "" {
				what = fmt.Sprintf("no PJRT plugin named %q is installed", c.Plugin)
			}
			return nil, newError(raw, ErrPluginNotFound,
				fmt.Sprintf("%s (%s; found: %s)", what, searchPathHint(), pluginList(found)),
				installHint(c)+"; or put it in a directory of PJRT_PLUGIN_LIBRARY_PATH as pjrt_c_api_<name>_plugin.so")
		}
	}

	installed := pluginPath != "" // else GoMLX's auto-install is about to fetch it
	if c.IsCUDA() {
		if !installed {
			pluginPath = goxlaCUDAPluginPath()
		}
		if _, err := EnsureCUDADataDir(pluginPath); err != nil {
			if be, ok := err.(*Error); ok {
				be.Config = raw
			}
			return nil, err
		}
	} else if err := ensureCPUFlags(pluginPath); err != nil {
		return nil, &Error{Config: raw, Kind: ErrBackend, Detail: "cannot set " + XLAFlagsEnv, Remedy: "check the process environment", Err: err}
	}

	// GoMLX keeps the switch globally; put the environment's choice back afterwards.
	xla.EnableAutoInstall(autoInstall)
	defer xla.EnableAutoInstall(autoInstallAllowed())
	plugin := strings.Join(append([]string{c.Plugin}, c.Options...), ",")
	b, err := catch(func() (backends.Backend, error) { return xla.NewWithOptions(plugin, o.clientOptions()) })
	if err != nil {
		kind, detail := ErrPluginLoad, "GoMLX could not start XLA with this plugin"
		if !installed {
			kind, detail = ErrPluginNotFound, "no plugin installed and GoMLX's auto-install failed (it needs internet access)"
		}
		return nil, &Error{Config: raw, Kind: kind, Detail: detail, Remedy: installHint(c), Err: err}
	}
	if reportAs != "" {
		rememberName(b, reportAs)
	}
	if o.Devices > 0 && b.NumDevices() != o.Devices {
		b.Finalize()
		return nil, newError(raw, ErrPluginLoad, fmt.Sprintf("asked the plugin for %d CPU devices, it has %d", o.Devices, b.NumDevices()),
			"use XLA's CPU plugin (scripts/install-xla-cpu.sh), which honours the cpu_device_count option")
	}
	chosenMu.Lock()
	defer chosenMu.Unlock()
	cpuClients[b] = !c.IsCUDA()
	synchronous[b] = o.Synchronous
	return b, nil
}

// clientOptions are o as the CPU plugin's PJRT client options; nil when o asks for nothing, so that other
// plugins get none.
func (o CPUOptions) clientOptions() pjrt.NamedValuesMap {
	if o == (CPUOptions{}) {
		return nil
	}
	m := pjrt.NamedValuesMap{}
	if o.Devices > 0 {
		m["cpu_device_count"] = int64(o.Devices)
	}
	if o.Synchronous {
		m["asynchronous"] = false
	}
	return m
}

// projectCPUPlugin returns the CPU plugin Default would use, or "".
func projectCPUPlugin() string {
	d := Default()
	if d.Err != nil || d.Config == Go {
		return ""
	}
	return strings.TrimPrefix(d.Config, XLA+":")
}

// defaultPlugin is the plugin GoMLX picks for a bare "xla": cuda, then cpu, then any.
func defaultPlugin(found map[string]string) string {
	for _, name := range xla.DefaultPlugins {
		if _, ok := found[name]; ok {
			return name
		}
	}
	names := slices.Sorted(maps.Keys(found))
	if len(names) > 0 {
		return names[0]
	}
	return ""
}

func pluginList(found map[string]string) string {
	if len(found) == 0 {
		return "none"
	}
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(found)) {
		parts = append(parts, name+"="+found[name])
	}
	return strings.Join(parts, ", ")
}

func searchPathHint() string {
	if p, ok := os.LookupEnv(pjrt.PJRTPluginPathsEnv); ok {
		return pjrt.PJRTPluginPathsEnv + "=" + p
	}
	return pjrt.PJRTPluginPathsEnv + " unset, so ~/.local/lib/go-xla, /usr/local/lib/go-xla and the system library paths are searched"
}

// goxlaCUDAPluginPath is where GoMLX's auto-install puts the CUDA plugin.
func goxlaCUDAPluginPath() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".local", "lib", "go-xla", "nvidia", "pjrt_c_api_cuda_plugin.so")
}
