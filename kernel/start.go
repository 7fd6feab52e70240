package kernel

import (
	"fmt"
	"io"
	"os"
)

// Start is the first call of a notebook's first cell, a cell that imports
// only this package so that it compiles in seconds. It prints the profile
// and the GoMLX backend, and says what the next cell's silence will be:
// GoNB compiles each cell before running it, and the first cell that imports
// the model compiles GoMLX, about 1-2 minutes the first time on two cores
// (cached afterwards). On a DEEPTUCKER_PROFILE that is neither "ci" nor
// "full" it panics with Profile's error, before any compile.
func Start() {
	if err := start(os.Stdout); err != nil {
		panic(err)
	}
}

// start writes Start's lines to w.
func start(w io.Writer) error {
	profile, err := Profile()
	if err != nil {
		return err
	}
	backend := os.Getenv("GOMLX_BACKEND")
	if backend == "" {
		backend = "default: XLA's CPU plugin if make setup installed it, else go"
	}
	// The names are deeptucker/backend's CPUDevicesEnvVar and CPUExecutionEnvVar, spelled out: importing them
	// would compile GoMLX here.
	if d := os.Getenv("DEEPTUCKER_XLA_CPU_DEVICES"); d != "" {
		backend += "; XLA CPU devices: " + d
	}
	if e := os.Getenv("DEEPTUCKER_XLA_CPU_EXECUTION"); e != "" {
		backend += "; XLA CPU execution: " + e
	}
	_, err = fmt.Fprintf(w, "deep Tucker: profile %q, GoMLX backend %q.\n"+
		"The next cell compiles GoMLX: about 1-2 min the first time (cached afterwards), with only [*] on screen.\n",
		profile, backend)
	return err
}
