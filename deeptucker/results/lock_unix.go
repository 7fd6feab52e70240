//go:build unix

package results

import (
	"os"
	"syscall"
)

// lock takes an exclusive advisory lock on f, so that two processes sharing a
// store never interleave a repair and an append.
func lock(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }

func unlock(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
