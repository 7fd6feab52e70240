package kernel

import "github.com/deeptucker/deeptucker/deeptucker/results"

// ProfileEnv names the environment variable that selects how much work the
// notebooks do: "full" (the default: the settings the notebook's text
// describes) or "ci" (a reduced configuration, fewer steps, seeds and depths,
// that the headless CI run executes in minutes on two cores).
const ProfileEnv = results.ProfileEnv

// Profile names.
const (
	ProfileFull = results.ProfileFull
	ProfileCI   = results.ProfileCI
)

// Profile returns the profile DEEPTUCKER_PROFILE selects: "full" when it is
// unset or empty, "ci" or "full" when it says so. Any other value is an
// error: a typo must not quietly run (and store) the other workload. It is
// results.Profile, which the results stores are kept under.
func Profile() (string, error) { return results.Profile() }

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
