package backend

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
)

// cpuDefaultFlags are XLA flags this package adds to XLA_FLAGS for XLA's CPU plugin, unless the user set them.
//
// --xla_cpu_prefer_vector_width=512 asks for 512-bit vector code where the CPU has it (AVX-512; XLA's default
// is 256 bits, and a CPU without AVX-512 is unaffected). Why: in a call that unrolls several training steps,
// XLA fuses each step's Adam update of the A matrices with a recomputation of all earlier steps' moments
// (their gradients are outer products, cheap to recompute by its fusion rules), and those fusions are
// compute-bound. Measured on the 2-CPU AMD EPYC machine, 7 alternating runs of `make bench`'s 50^3 rows:
// full core median 159 model-steps/s against 132 without (1.2x), core 10 787 against 728; the 10^3 rows
// within their spread. JAX's own step (no unrolled steps) did not change measurably.
var cpuDefaultFlags = []string{"--xla_cpu_prefer_vector_width=512"}

// CPUXLAFlags returns flags (XLA_FLAGS' value) with cpuDefaultFlags added for the CPU plugin at pluginPath:
// each unless flags already sets it (the user's value wins), and only flags the plugin knows, since XLA
// aborts the whole process on an unknown flag in XLA_FLAGS (an older plugin may predate one). benchcompare
// runs the JAX reference on the same plugin with the same flags.
func CPUXLAFlags(pluginPath, flags string) string {
	for _, def := range cpuDefaultFlags {
		name, _, _ := strings.Cut(def, "=")
		if !setsFlag(flags, name) && pluginKnows(pluginPath, strings.TrimLeft(name, "-")) {
			flags = strings.TrimSpace(flags + " " + def)
		}
	}
	return flags
}

// setsFlag reports whether flags sets name (as name=value or name alone).
func setsFlag(flags, name string) bool {
	for _, f := range strings.Fields(flags) {
		if k, _, _ := strings.Cut(f, "="); k == name {
			return true
		}
	}
	return false
}

// ensureCPUFlags sets XLA_FLAGS to CPUXLAFlags before the plugin reads it (XLA parses it once per process,
// at its first use).
func ensureCPUFlags(pluginPath string) error {
	flags := os.Getenv(XLAFlagsEnv)
	if want := CPUXLAFlags(pluginPath, flags); want != flags {
		return os.Setenv(XLAFlagsEnv, want)
	}
	return nil
}

var (
	knownMu sync.Mutex
	known   = map[[2]string]bool{} // {plugin path, flag name} -> the plugin file holds the name
)

// pluginKnows reports whether the plugin file holds the flag's name, which XLA registers as a string; false
// when the path is unknown ("") or unreadable. The answer is cached per path for the process.
func pluginKnows(path, flag string) bool {
	if path == "" {
		return false
	}
	knownMu.Lock()
	defer knownMu.Unlock()
	key := [2]string{path, flag}
	if v, ok := known[key]; ok {
		return v
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	v, err := containsBytes(bufio.NewReaderSize(f, 1<<20), []byte(flag))
	known[key] = v && err == nil
	return known[key]
}

// containsBytes reports whether r's content holds needle, reading it in chunks (a plugin is ~200 MB).
func containsBytes(r io.Reader, needle []byte) (bool, error) {
	buf := make([]byte, 1<<20+len(needle))
	kept := 0 // bytes carried over from the previous chunk, so a match across chunks is found
	for {
		n, err := io.ReadFull(r, buf[kept:])
		if bytes.Contains(buf[:kept+n], needle) {
			return true, nil
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		kept = min(len(needle)-1, kept+n)
		copy(buf, buf[len(buf)-kept:])
	}
}
