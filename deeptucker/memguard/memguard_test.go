package memguard

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	if err := Check("small", 1<<20); err != nil {
		t.Errorf("1 MiB: %v", err)
	}
	for _, b := range []float64{1 << 62, math.Inf(1), math.NaN()} {
		if err := Check("x", b); err == nil || !strings.Contains(err.Error(), "x needs about") {
			t.Errorf("%g bytes: error %v, want a refusal naming the size", b, err)
		}
	}
}

// TestCheckAcceptsWhatFits: a size above Small that the system has room for passes (negative control to the
// refusals above: a guard refusing everything past Small would fail here).
func TestCheckAcceptsWhatFits(t *testing.T) {
	if avail, ok := Available(); !ok || avail < 1<<30 {
		t.Skipf("needs 1 GiB available (have %d, known %v)", avail, ok)
	}
	if err := Check("x", 2*Small); err != nil {
		t.Errorf("%d bytes refused: %v", 2*Small, err)
	}
}

// TestCgroupRoom: a control group's limit less its usage bounds the room; "max" is no limit.
func TestCgroupRoom(t *testing.T) {
	dir := t.TempDir()
	defer func(d string) { cgroupDir = d }(cgroupDir)
	cgroupDir = dir
	write := func(name, v string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("memory.max", "max")
	write("memory.current", "100")
	if _, limited := cgroupRoom(); limited {
		t.Error(`"max" read as a limit`)
	}
	write("memory.max", "1048576")
	if room, limited := cgroupRoom(); !limited || room != 1048476 {
		t.Errorf("room %d limited %v, want 1048476 true", room, limited)
	}
	if avail, ok := Available(); !ok || avail > 1048476 {
		t.Errorf("Available = %d, %v: the group's room must bound it", avail, ok)
	}
	if err := Check("x", 2*Small); err == nil {
		t.Error("a size beyond the group's room passed")
	}
}
