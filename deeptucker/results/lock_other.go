//go:build !unix

package results

import "os"

// Without flock, stores rely on one writer at a time.
func lock(*os.File) error   { return nil }
func unlock(*os.File) error { return nil }

// isErrReadOnlyFS: without EROFS, a read-only mount shows as a permission error, handled beside it.
func isErrReadOnlyFS(error) bool { return false }

// lockAcrossRename is false: without flock there is nothing to hold, and Windows cannot rename over an open file.
const lockAcrossRename = false
