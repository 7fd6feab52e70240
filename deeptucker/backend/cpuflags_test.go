package backend

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCPUXLAFlags(t *testing.T) {
	dir := t.TempDir()
	knows := writeFile(t, filepath.Join(dir, "new.so"), "\x00ELF...xla_cpu_prefer_vector_width\x00...")
	predates := writeFile(t, filepath.Join(dir, "old.so"), "\x00ELF...xla_cpu_enable_fast_math\x00...")
	for _, c := range []struct {
		name, plugin, flags, want string
	}{
		{"added", knows, "", "--xla_cpu_prefer_vector_width=512"},
		{"added after the user's", knows, "--xla_dump_to=/tmp/d", "--xla_dump_to=/tmp/d --xla_cpu_prefer_vector_width=512"},
		{"the user's value wins", knows, "--xla_cpu_prefer_vector_width=256", "--xla_cpu_prefer_vector_width=256"},
		{"the user's bare flag wins", knows, " --xla_cpu_prefer_vector_width ", " --xla_cpu_prefer_vector_width "},
		// Negative controls: XLA aborts on a flag it does not know, so none is added for a plugin that lacks it
		// or whose file is unknown.
		{"plugin predates the flag", predates, "--xla_dump_to=/tmp/d", "--xla_dump_to=/tmp/d"},
		{"no plugin file", "", "", ""},
		{"missing plugin file", filepath.Join(dir, "gone.so"), "", ""},
	} {
		if got := CPUXLAFlags(c.plugin, c.flags); got != c.want {
			t.Errorf("%s: CPUXLAFlags(%q) = %q, want %q", c.name, c.flags, got, c.want)
		}
	}
}

func TestEnsureCPUFlagsSetsXLAFlags(t *testing.T) {
	plugin := writeFile(t, filepath.Join(t.TempDir(), "p.so"), "xla_cpu_prefer_vector_width")
	t.Setenv(XLAFlagsEnv, "--xla_dump_to=/tmp/d")
	if err := ensureCPUFlags(plugin); err != nil {
		t.Fatal(err)
	}
	if got := os.Getenv(XLAFlagsEnv); got != "--xla_dump_to=/tmp/d --xla_cpu_prefer_vector_width=512" {
		t.Errorf("XLA_FLAGS = %q", got)
	}
}

// containsBytes reads in 1 MiB chunks: a name split across two chunks must be found, one absent must not.
func TestContainsBytesAcrossChunks(t *testing.T) {
	needle := []byte("xla_cpu_prefer_vector_width")
	for _, at := range []int{0, 1<<20 - 5, 1 << 20, 3<<20 - len(needle)} {
		data := bytes.Repeat([]byte{'.'}, 3<<20)
		copy(data[at:], needle)
		if ok, err := containsBytes(bytes.NewReader(data), needle); !ok || err != nil {
			t.Errorf("needle at %d: found %v, err %v", at, ok, err)
		}
		data[at+len(needle)/2] = '.'
		if ok, _ := containsBytes(bytes.NewReader(data), needle); ok {
			t.Errorf("broken needle at %d found", at)
		}
	}
	if ok, _ := containsBytes(strings.NewReader("short"), needle); ok {
		t.Error("found in a reader shorter than the needle")
	}
}

// The plugin `make setup` installs knows the flag (skipped where it is not installed).
func TestInstalledCPUPluginKnowsDefaultFlags(t *testing.T) {
	d := Default() // not projectCPUPlugin, which builds without XLA leave out
	if d.Err != nil || d.Config == Go {
		t.Skip("no XLA CPU plugin installed (`make setup`), or XLA not built")
	}
	plugin := strings.TrimPrefix(d.Config, XLA+":")
	if got := CPUXLAFlags(plugin, ""); got != strings.Join(cpuDefaultFlags, " ") {
		t.Errorf("CPUXLAFlags(%s, \"\") = %q, want %q", plugin, got, strings.Join(cpuDefaultFlags, " "))
	}
}
