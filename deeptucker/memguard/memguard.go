// Package memguard refuses, before anything is allocated, sizes that would not fit in memory: Go cannot
// recover from running out of memory ("fatal error: runtime: out of memory"), and a notebook kernel would
// die with everything it held. Callers compute the bytes they are about to allocate (with overflow checks)
// and ask Check.
package memguard

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// Small is the size Check accepts without asking the system: 64 MiB. Callers in inner loops compare with it
// before they format Check's description.
const Small = 1 << 26

// Fallback is the limit where the system does not report its available memory (not Linux): 1 TiB.
const Fallback = 1 << 40

// Available returns the memory this system reports available (MemAvailable in /proc/meminfo, Linux), or less
// where the process's control group (cgroup v2 memory.max) leaves less room; ok is false where neither is known.
func Available() (bytes int64, ok bool) {
	bytes, ok = memAvailable()
	if room, limited := cgroupRoom(); limited && (!ok || room < bytes) {
		bytes, ok = room, true
	}
	return bytes, ok
}

func memAvailable() (int64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0, false
			}
			return kb * 1024, true
		}
	}
	return 0, false
}

// cgroupDir is where cgroup v2 shows the process's own group (a variable for tests).
var cgroupDir = "/sys/fs/cgroup"

// cgroupRoom returns memory.max - memory.current of the process's cgroup (v2, mounted at /sys/fs/cgroup, as
// inside a container); limited is false without a limit ("max") or where they cannot be read.
func cgroupRoom() (room int64, limited bool) {
	read := func(name string) (int64, bool) {
		b, err := os.ReadFile(filepath.Join(cgroupDir, name))
		if err != nil {
			return 0, false
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64) // "max" fails: no limit
		return v, err == nil
	}
	limit, ok := read("memory.max")
	if !ok {
		return 0, false
	}
	used, _ := read("memory.current")
	return max(limit-used, 0), true
}

// Limit is what Check compares with: the available memory, else Fallback, and a description of it.
func Limit() (bytes float64, source string) {
	if avail, ok := Available(); ok {
		return float64(avail), "the memory this system reports available"
	}
	return Fallback, "memguard's 1 TiB limit (this system does not report its available memory)"
}

// Check returns an error when allocating bytes (NaN or +Inf for a count that overflowed) would not fit:
// "<what> needs about <size>, more than <limit> (<source>)". The caller adds the remedy.
func Check(what string, bytes float64) error {
	if bytes < Small {
		return nil // not worth reading /proc/meminfo for (New is called in inner loops)
	}
	limit, source := Limit()
	if bytes <= limit {
		return nil
	}
	// Memory the Go heap holds but no longer uses (a previous iteration's tensors) counts as taken until it
	// is collected and returned: do that before refusing.
	debug.FreeOSMemory()
	if limit, source = Limit(); bytes <= limit {
		return nil
	}
	return fmt.Errorf("%s needs about %s, more than %s (%s)", what, Bytes(bytes), Bytes(limit), source)
}

// Bytes writes a byte count for people: "3.2 GiB".
func Bytes(b float64) string {
	switch {
	case math.IsNaN(b) || math.IsInf(b, 1):
		return "more bytes than an int64 counts"
	case b >= 1<<40:
		return fmt.Sprintf("%.1f TiB", b/(1<<40))
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", b/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	}
	return fmt.Sprintf("%.0f KiB", b/(1<<10))
}
