package kernel

import (
	"fmt"
	"os"
)

// Fatal ends the cell with one clear sentence when err is not nil: the error's text on stderr (red in the
// notebook) and exit status 1, which fails the cell and stops a "run all" or headless run there, without a
// Go panic trace. Notebooks make it github.com/janpfeifer/must's handler in their first cell,
//
//	func init() { must.M = kernel.Fatal }
//
// so that must.M1(datasets.LoadIL2()) stops with "datasets: ... set DEEPTUCKER_DATA_DIR ..." alone.
func Fatal(err error) {
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "error:", err)
	os.Exit(1)
}
