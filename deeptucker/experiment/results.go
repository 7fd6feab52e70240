package experiment

import (
	"github.com/deeptucker/deeptucker/deeptucker/results"
)

// ResultsEnv names the environment variable that overrides the base folder of
// the results (see ResultsDir).
const ResultsEnv = results.ResultsEnv

// ProfileEnv is the variable that selects the notebooks' workload, "ci" or
// "full".
const ProfileEnv = results.ProfileEnv

// Num is a float64 that survives JSON (see results.Num).
type Num = results.Num

// Store is a durable JSON-lines file of keyed rows (see results.Store).
type Store[T any] = results.Store[T]

// OpenStore opens a Store (see results.OpenStore).
func OpenStore[T any](path string, key func(T) string) (*Store[T], error) {
	return results.OpenStore(path, key)
}

// Profile returns results.Profile's workload and panics, with its message,
// on a value of DEEPTUCKER_PROFILE other than "ci", "full" or unset.
func Profile() string {
	p, err := results.Profile()
	if err != nil {
		panic(err)
	}
	return p
}

// RepoRoot forwards to results.RepoRoot.
func RepoRoot(dir string) (string, error) { return results.RepoRoot(dir) }

// ResultsDir forwards to results.Dir.
func ResultsDir(notebook string) (string, error) { return results.Dir(notebook) }
