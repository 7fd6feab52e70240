package backend

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// EnvVar is the environment variable New reads: GoMLX's own GOMLX_BACKEND,
// so one setting drives this package, GoMLX tools and notebooks alike.
const EnvVar = "GOMLX_BACKEND"

// Backend names accepted before the first ':' of a configuration.
const (
	// Go is the pure-Go SimpleGo backend: no cgo, no plugin, always built in.
	Go = "go"
	// XLA is the XLA/PJRT backend; the text after "xla:" names the PJRT plugin.
	XLA = "xla"
)

// DefaultConfig is what ParseConfig makes of a blank value, and what New opens for a blank
// GOMLX_BACKEND when no XLA CPU plugin is installed (see Default): the backend that works on
// every machine. GoMLX's own default is "xla", which needs a plugin (and a download) first.
const DefaultConfig = Go

// xlaAliases are the other names GoMLX registers for its XLA backend.
var xlaAliases = []string{"stablehlo", "hlo", "shlo"}

// xlaOptions are the options GoMLX's XLA backend understands after the plugin name
// ("xla:cpu,shared_buffers"). GoMLX only logs unknown ones; we reject them.
var xlaOptions = []string{"shared_buffers", "noshared_buffers", "tf32"}

// Config is a parsed backend configuration, as written in GOMLX_BACKEND:
//
//	go                      pure Go (the default)
//	go:parallelism=2        SimpleGo options, passed through
//	xla:cpu                 XLA with the PJRT plugin named "cpu", found in PJRT's search path
//	xla:cuda                XLA with the CUDA PJRT plugin (needs an NVIDIA GPU and driver)
//	xla:/abs/path/plugin.so XLA with the plugin at that path
//	xla                     XLA with the first plugin found, "cuda" before "cpu"
type Config struct {
	// Backend is Go or XLA (GoMLX's aliases of "xla" are normalised to XLA).
	Backend string
	// Plugin is the PJRT plugin for XLA: a name such as "cpu" or "cuda", an absolute
	// path to the plugin's shared library, or "" for the first available. Empty for Go.
	Plugin string
	// Options are the comma-separated options after the backend or plugin name.
	Options []string
}

// String returns the configuration in GoMLX's "backend:config,options" form.
func (c Config) String() string {
	rest := c.Options
	if c.Backend == XLA {
		rest = append([]string{c.Plugin}, c.Options...)
	}
	s := strings.Join(rest, ",")
	if s == "" {
		return c.Backend
	}
	return c.Backend + ":" + s
}

// IsPath reports whether the XLA plugin is given as a file path rather than a name.
func (c Config) IsPath() bool { return c.Backend == XLA && filepath.IsAbs(c.Plugin) }

// IsCUDA reports whether the configuration asks for an NVIDIA CUDA plugin. Like go-xla,
// it looks for "cuda" or "nvidia" in the plugin name or in the plugin file's name.
func (c Config) IsCUDA() bool {
	if c.Backend != XLA {
		return false
	}
	name := strings.ToLower(c.Plugin)
	if c.IsPath() {
		name = strings.ToLower(filepath.Base(c.Plugin))
	}
	return strings.Contains(name, "cuda") || strings.Contains(name, "nvidia")
}

// ParseConfig parses and validates a GOMLX_BACKEND value without loading anything.
// Blank means DefaultConfig (New, given a blank value, opens Default instead). A relative
// plugin path ("xla:./p.so") is made absolute
// against the working directory, since GoMLX would otherwise take it for a plugin name.
// Errors name the backends built into this binary (see Available).
func ParseConfig(s string) (Config, error) {
	raw := s
	s = strings.TrimSpace(s)
	if s == "" {
		s = DefaultConfig
	}
	name, rest, hasRest := strings.Cut(s, ":")
	var opts []string
	if hasRest {
		opts = strings.Split(rest, ",")
	}
	switch {
	case name == Go:
		return Config{Backend: Go, Options: nonEmpty(opts)}, nil
	case name == XLA || slices.Contains(xlaAliases, name):
		if !xlaBuilt {
			return Config{}, newError(raw, ErrXLANotBuilt,
				"this binary was built without it (noxla tag, CGO_ENABLED=0, or a platform go-xla lacks)",
				"rebuild with cgo (a C compiler, CGO_ENABLED=1) and without -tags noxla, or use "+EnvVar+"="+Go)
		}
		return parseXLA(raw, opts)
	default:
		return Config{}, newError(raw, ErrUnknownBackend,
			fmt.Sprintf("no backend named %q", name),
			"valid names: "+validNames()+"; for example "+EnvVar+"="+Go+" or "+EnvVar+"=xla:cpu")
	}
}

func parseXLA(raw string, opts []string) (Config, error) {
	c := Config{Backend: XLA}
	if len(opts) > 0 {
		c.Plugin = strings.TrimSpace(opts[0])
		c.Options = nonEmpty(opts[1:])
	}
	for _, o := range c.Options {
		if !slices.Contains(xlaOptions, o) {
			return Config{}, newError(raw, ErrBadOption,
				fmt.Sprintf("unknown XLA option %q", o),
				"valid options after the plugin: "+strings.Join(xlaOptions, ", "))
		}
	}
	if looksLikePath(c.Plugin) && !filepath.IsAbs(c.Plugin) {
		abs, err := filepath.Abs(c.Plugin)
		if err != nil {
			return Config{}, newError(raw, ErrPluginNotFound,
				fmt.Sprintf("cannot make plugin path %q absolute: %v", c.Plugin, err),
				"give an absolute path: "+EnvVar+"=xla:/abs/path/to/plugin.so")
		}
		c.Plugin = abs
	}
	return c, nil
}

// looksLikePath tells a plugin file from a plugin name such as "cpu".
func looksLikePath(p string) bool {
	return strings.ContainsRune(p, '/') || strings.HasSuffix(p, ".so") || strings.HasSuffix(p, ".dylib")
}

// rePluginFile is go-xla's naming of plugin files: pjrt_c_api_<name>_plugin.so, pjrt-plugin-<name>.so.
var rePluginFile = regexp.MustCompile(`^(?:pjrt_c_api_(.+)_plugin|pjrt[-_]plugin[-_](.+))\.(?:so|dylib)$`)

// pluginNameFromFile returns the plugin name go-xla would give the file, or "".
func pluginNameFromFile(path string) string {
	m := rePluginFile.FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return ""
	}
	return m[1] + m[2]
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Available lists the backend names built into this binary, default first.
func Available() []string {
	if xlaBuilt {
		return []string{Go, XLA}
	}
	return []string{Go}
}

func validNames() string {
	s := fmt.Sprintf("%q (pure Go, the default)", Go)
	if xlaBuilt {
		s += fmt.Sprintf(", %q (XLA/PJRT, also spelled %s; as xla:cpu, xla:cuda or xla:/abs/path/plugin.so)",
			XLA, strings.Join(xlaAliases, ", "))
	} else {
		s += "; XLA is not built into this binary"
	}
	return s
}
