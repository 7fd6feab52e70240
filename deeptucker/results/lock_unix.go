//go:build unix

package results

import (
	"errors"
	"os"
	"syscall"
)

// isErrReadOnlyFS reports a write refused by a read-only file system (a read-only mount).
func isErrReadOnlyFS(err error) bool { return errors.Is(err, syscall.EROFS) }

// lock takes an exclusive advisory lock on f, so that two processes sharing a
// store never interleave a repair and an append.
func lock(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }

func unlock(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }

// lockAcrossRename: Merge keeps the destination locked while it renames the merge over it.
const lockAcrossRename = true
