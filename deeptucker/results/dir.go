package results

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ResultsEnv names the environment variable that overrides the base folder of
// the results (see Dir).
const ResultsEnv = "DEEPTUCKER_RESULTS_DIR"

// ProfileEnv selects the notebooks' workload: ProfileCI or ProfileFull.
const ProfileEnv = "DEEPTUCKER_PROFILE"

// The two profiles.
const (
	ProfileFull = "full"
	ProfileCI   = "ci"
)

// Profile returns the workload DEEPTUCKER_PROFILE selects: "ci", or "full"
// when it is unset or empty. Any other value is an error (a typo must not
// quietly run, and store, the other workload).
func Profile() (string, error) {
	switch v := os.Getenv(ProfileEnv); v {
	case "", ProfileFull:
		return ProfileFull, nil
	case ProfileCI:
		return ProfileCI, nil
	default:
		return "", fmt.Errorf("results: %s=%q is neither %q nor %q; set one of them or unset it (unset means %q)",
			ProfileEnv, v, ProfileCI, ProfileFull, ProfileFull)
	}
}

// modulePath identifies this repository's go.mod.
const modulePath = "module github.com/deeptucker/deeptucker"

// RepoRoot returns the nearest folder at or above dir whose go.mod declares
// this module, or an error naming dir if there is none.
func RepoRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if strings.TrimSpace(line) == modulePath {
					return d, nil
				}
			}
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("results: no go.mod declaring %q at or above %s", modulePath, abs)
		}
	}
}

// Dir returns (and creates) the folder of a notebook's results:
// $DEEPTUCKER_RESULTS_DIR/<profile>/<notebook> if the variable is set, else, <repo> being found from the
// working directory, <repo>/notebooks/results/full/<notebook> for the full profile (committed with the
// executed notebooks, so a clone re-renders every figure without training and a changed setting trains only
// the runs it touches) and <repo>/build/results/ci/<notebook> for ci (a scratch workload, never committed).
// The profile is part of the path so that a quick ci run never stands in for a full one. Delete the folder to
// recompute everything.
func Dir(notebook string) (string, error) {
	if notebook == "" || strings.ContainsAny(notebook, `/\`) || notebook == "." || notebook == ".." {
		return "", fmt.Errorf("results: notebook name %q must be non-empty and hold no path separator", notebook)
	}
	profile, err := Profile()
	if err != nil {
		return "", err
	}
	base := os.Getenv(ResultsEnv)
	if base == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		root, err := RepoRoot(wd)
		if err != nil {
			return "", fmt.Errorf("%w (set %s to choose where results go)", err, ResultsEnv)
		}
		base = filepath.Join(root, "build", "results")
		if profile == ProfileFull {
			base = filepath.Join(root, "notebooks", "results")
		}
	}
	dir := filepath.Join(base, profile, notebook)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("results: cannot create the results folder: %w", err)
	}
	return dir, nil
}
