package kernel

import (
	"fmt"
	"os"
	"sync"
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

var warnProfile sync.Once

// Profile returns the profile selected by DEEPTUCKER_PROFILE: "full" when the
// variable is unset or empty, "ci" or "full" when it says so. Any other value
// is reported once on stderr and treated as "full".
func Profile() string {
	switch v := os.Getenv(ProfileEnv); v {
	case "", ProfileFull:
		return ProfileFull
	case ProfileCI:
		return ProfileCI
	default:
		warnProfile.Do(func() {
			fmt.Fprintf(os.Stderr, "kernel: %s=%q is neither %q nor %q; using %q\n",
				ProfileEnv, v, ProfileFull, ProfileCI, ProfileFull)
		})
		return ProfileFull
	}
}

// IsCI reports whether the reduced "ci" profile is selected.
func IsCI() bool { return Profile() == ProfileCI }

// ByProfile returns full under the "full" profile and ci under "ci":
//
//	steps := kernel.ByProfile(20000, 3000)
func ByProfile[T any](full, ci T) T {
	if IsCI() {
		return ci
	}
	return full
}
