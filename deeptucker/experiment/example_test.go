package experiment_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/deeptucker/deeptucker/deeptucker/experiment"
)

// A sweep's rows survive the process: a second run reads them back and skips
// the finished keys.
func ExampleStore() {
	dir, _ := os.MkdirTemp("", "store")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "runs.jsonl")

	first, _ := experiment.OpenStore(path, experiment.SummaryKey)
	_ = first.Append(experiment.Summary{Key: experiment.JobKey("syn", 3, 0.005, 0.01, 1), Depth: 3, HeldOutMSE: 2e-9})

	again, _ := experiment.OpenStore(path, experiment.SummaryKey)
	for _, seed := range []uint64{1, 2} {
		key := experiment.JobKey("syn", 3, 0.005, 0.01, seed)
		fmt.Println(key, "stored:", again.Has(key))
	}
	// Output:
	// syn/d3/std0.005/lr0.01/s1 stored: true
	// syn/d3/std0.005/lr0.01/s2 stored: false
}

// Table 1's multirank notation.
func ExampleFormatRank() {
	fmt.Println(experiment.FormatRank([]int{3, 4, 2}))
	// Output: (3,4,2)
}
