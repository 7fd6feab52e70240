package results

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A store on a full file system (a 64 KiB tmpfs; needs root and the right
// to mount).
func TestStoreFullTmpfs(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("cannot mount a small tmpfs here (%v); TestStoreFileSizeLimit covers a full disk with RLIMIT_FSIZE", err)
	}
	defer syscall.Unmount(dir, 0)
	// A torn tail on a full disk, where it cannot be saved aside, still reopens.
	torn := filepath.Join(dir, "torn.jsonl")
	os.WriteFile(torn, []byte("{\"K\":\"a\"}\n{\"K\":\"b"), 0o644)
	fill, _ := os.Create(filepath.Join(dir, "filler"))
	for {
		if _, err := fill.Write(make([]byte, 4096)); err != nil {
			break
		}
	}
	s, err := OpenStore(torn, padKey)
	if err != nil || s.Len() != 1 || len(s.Torn()) != 1 || !strings.Contains(s.Torn()[0], "dropped") {
		t.Fatalf("a torn store on a full disk: %v, %d rows, torn %v; want it open with row a", err, s.Len(), s.Torn())
	}
	fill.Close()
	os.Remove(fill.Name())

	path := filepath.Join(dir, "rows.jsonl")
	log := fillUntilFull(path)
	fullDiskCheck(t, path, log, func() {
		// Make room by growing the file system.
		if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT, "size=1m"); err != nil {
			t.Fatalf("remounting larger: %v", err)
		}
	})
}
