package results

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProfile(t *testing.T) {
	for env, want := range map[string]string{"": "full", "full": "full", "ci": "ci"} {
		t.Setenv(ProfileEnv, env)
		if got, err := Profile(); err != nil || got != want {
			t.Errorf("%s=%q: Profile() = %q, %v; want %q", ProfileEnv, env, got, err, want)
		}
	}
	for _, bad := range []string{"CI", "fast", " ci"} {
		t.Setenv(ProfileEnv, bad)
		if _, err := Profile(); err == nil || !strings.Contains(err.Error(), ProfileEnv) {
			t.Errorf("%s=%q: error %v, want one naming the variable", ProfileEnv, bad, err)
		}
		if _, err := Dir("nb"); err == nil {
			t.Errorf("Dir must refuse the profile %q too", bad)
		}
	}
}

func TestDirUsesEnvAndProfile(t *testing.T) {
	base := t.TempDir()
	t.Setenv(ResultsEnv, base)
	t.Setenv(ProfileEnv, "ci")
	dir, err := Dir("02-synthetic-depth-sweep")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(base, "ci", "02-synthetic-depth-sweep"); dir != want {
		t.Errorf("Dir = %s, want %s", dir, want)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Errorf("Dir did not create %s: %v", dir, err)
	}
	for _, bad := range []string{"", "../x", `a\b`, ".."} {
		if _, err := Dir(bad); err == nil {
			t.Errorf("the notebook name %q must be refused", bad)
		}
	}
}

func TestRepoRootFindsThisModule(t *testing.T) {
	root, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "deeptucker", "results", "dir.go")); err != nil {
		t.Errorf("RepoRoot = %s, which does not hold this package", root)
	}
	if _, err := RepoRoot(t.TempDir()); err == nil {
		t.Error("RepoRoot outside the module must fail")
	}
}

// TestDirDefaults: without DEEPTUCKER_RESULTS_DIR, full results go where they are committed (notebooks/results)
// and ci results into build/, both found from a working directory below the repository root.
func TestDirDefaults(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte(modulePath+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "notebooks")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	t.Setenv(ResultsEnv, "")
	for profile, want := range map[string]string{
		"full": filepath.Join(root, "notebooks", "results", "full", "03-il2"),
		"ci":   filepath.Join(root, "build", "results", "ci", "03-il2"),
	} {
		t.Setenv(ProfileEnv, profile)
		got, err := Dir("03-il2")
		if err != nil {
			t.Fatal(err)
		}
		if real, _ := filepath.EvalSymlinks(got); got != want && real != want {
			t.Errorf("profile %s: Dir = %s, want %s", profile, got, want)
		}
	}
}
