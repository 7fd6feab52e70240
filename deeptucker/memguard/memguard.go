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
	"strconv"
	"strings"
)

// small is the size Check accepts without asking the system: 64 MiB.
const small = 1 << 26

// Fallback is the limit where the system does not report its available memory (not Linux): 1 TiB.
const Fallback = 1 << 40

// Available returns the memory this system reports available (MemAvailable in /proc/meminfo, Linux); ok is
// false elsewhere.
func Available() (bytes int64, ok bool) {
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
	if bytes < small {
		return nil // not worth reading /proc/meminfo for (New is called in inner loops)
	}
	limit, source := Limit()
	if bytes <= limit {
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
