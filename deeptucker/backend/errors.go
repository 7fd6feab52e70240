package backend

import (
	"errors"
	"fmt"
)

// Kinds of failure, for errors.Is. Every error New returns is an *Error wrapping one of them.
var (
	// ErrUnknownBackend: the name before ':' is neither "go" nor "xla" (or an XLA alias).
	ErrUnknownBackend = errors.New("unknown backend")
	// ErrBadOption: an option after the plugin name that GoMLX's XLA backend does not know.
	ErrBadOption = errors.New("bad backend option")
	// ErrXLANotBuilt: XLA asked for, but the binary was built with the noxla tag.
	ErrXLANotBuilt = errors.New("XLA backend not built in")
	// ErrPluginNotFound: the plugin file does not exist, or no plugin of that name is installed.
	ErrPluginNotFound = errors.New("XLA PJRT plugin not found")
	// ErrPluginLoad: the plugin exists but could not be loaded or initialised.
	ErrPluginLoad = errors.New("XLA PJRT plugin failed to load")
	// ErrNoGPU: a CUDA plugin asked for on a machine without an NVIDIA GPU or driver.
	ErrNoGPU = errors.New("no NVIDIA GPU")
	// ErrBackend: the backend itself failed to start for another reason.
	ErrBackend = errors.New("backend failed to start")
)

// Error is a backend-selection failure: which configuration, what went wrong, and what to do.
type Error struct {
	Config string // the GOMLX_BACKEND value as given
	Kind   error  // one of the Err* values above
	Detail string // what was found
	Remedy string // what to do instead
	Err    error  // the underlying GoMLX / go-xla error, if any
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("backend: %s=%q: %v: %s", EnvVar, e.Config, e.Kind, e.Detail)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Remedy != "" {
		msg += " (" + e.Remedy + ")"
	}
	return msg
}

// Unwrap exposes both the kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

func newError(config string, kind error, detail, remedy string) *Error {
	return &Error{Config: config, Kind: kind, Detail: detail, Remedy: remedy}
}

// catch runs fn and turns a panic into an error: GoMLX's registry and go-xla's plugin
// search panic on some bad input (go-xla v0.1.4 dereferences a nil handle when a file
// in the plugin search path fails to load).
func catch[T any](fn func() (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = fmt.Errorf("panic: %w", e)
			} else {
				err = fmt.Errorf("panic: %v", r)
			}
		}
	}()
	return fn()
}
