package kernel

import (
	"fmt"
	"os"
)

// ProfileEnv names the environment variable that selects how much work the
// notebooks do: "full" (the default: the settings the notebook's text
// describes) or "ci" (a reduced configuration, fewer steps, seeds and depths,
// that the headless CI run executes in minutes on two cores).
const ProfileEnv = "DEEPTUCKER_PROFILE"

// Profile names.
const (
	ProfileFull = "full"
	ProfileCI   = "ci"
)

// Profile returns the profile DEEPTUCKER_PROFILE selects: "full" when it is
// unset or empty, "ci" or "full" when it says so. Any other value is an
// error: a typo must not quietly run (and store) the other workload.
//
// It must agree with results.Profile (package deeptucker/results), which the
// results stores key on; a test there and here pins the same table of values.
func Profile() (string, error) {
	switch v := os.Getenv(ProfileEnv); v {
	case "", ProfileFull:
		return ProfileFull, nil
	case ProfileCI:
		return ProfileCI, nil
	default:
		return "", fmt.Errorf("kernel: %s=%q is neither %q nor %q; set one of them or unset it (unset means %q)",
			ProfileEnv, v, ProfileCI, ProfileFull, ProfileFull)
	}
}

// MustProfile is Profile for notebook cells: it panics with Profile's error,
// so that the cell stops with that one sentence.
func MustProfile() string {
	p, err := Profile()
	if err != nil {
		panic(err)
	}
	return p
}

// IsCI reports whether the reduced "ci" profile is selected; like
// MustProfile, it panics on a DEEPTUCKER_PROFILE that is neither.
func IsCI() bool { return MustProfile() == ProfileCI }

// ByProfile returns full under the "full" profile and ci under "ci" (and
// panics, as MustProfile, on any other DEEPTUCKER_PROFILE):
//
//	steps := kernel.ByProfile(20000, 3000)
func ByProfile[T any](full, ci T) T {
	if IsCI() {
		return ci
	}
	return full
}
