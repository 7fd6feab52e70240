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

// A store on a read-only mount is read (EROFS, as on a read-only bind mount of a
// shipped results folder), like one whose file mode is read-only; other open
// errors are reported naming the file. The mount is simulated: opening for
// writing fails with EROFS.
func TestStoreOnReadOnlyFileSystemIsRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rows.jsonl")
	if err := os.WriteFile(path, []byte("{\"K\":\"a\"}\n{\"K\":\"b\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	simulate := func(fail error) {
		openFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
			if flag&(os.O_RDWR|os.O_WRONLY) != 0 {
				return nil, &os.PathError{Op: "open", Path: name, Err: fail}
			}
			return os.OpenFile(name, flag, perm)
		}
	}
	t.Cleanup(func() { openFile = os.OpenFile })

	simulate(syscall.EROFS)
	s, err := OpenStore(path, padKey)
	if err != nil || s.Len() != 2 {
		t.Fatalf("a store on a read-only file system: %v (%v rows), want its 2 rows read", err, s)
	}
	// Negative control: an error that is not about writing still fails, naming the store.
	simulate(syscall.EIO)
	if _, err := OpenStore(path, padKey); err == nil || !strings.HasPrefix(err.Error(), "results: ") || !strings.Contains(err.Error(), path) {
		t.Errorf("an I/O error opening a store: %v, want an error naming %s", err, path)
	}
	// A torn store on a read-only file system cannot be repaired: a clear error, not a silent cut.
	os.WriteFile(path, []byte("{\"K\":\"a\"}\n{\"K\":\"b"), 0o644)
	simulate(syscall.EROFS)
	if _, err := OpenStore(path, padKey); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("a torn store on a read-only file system: %v, want the read-only error", err)
	}
}

// The same on a real read-only mount (a tmpfs remounted read-only; needs root
// and the right to mount): the store is read, and appending to it fails
// naming the file.
func TestStoreOnReadOnlyMount(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v); TestStoreOnReadOnlyFileSystemIsRead simulates one", err)
	}
	defer syscall.Unmount(dir, 0)
	path := filepath.Join(dir, "rows.jsonl")
	if err := os.WriteFile(path, []byte("{\"K\":\"a\"}\n{\"K\":\"b\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Skipf("cannot remount read-only (%v)", err)
	}
	s, err := OpenStore(path, padKey)
	if err != nil || s.Len() != 2 {
		t.Fatalf("a store on a read-only mount: %v, want its 2 rows read", err)
	}
	if err := s.Append(padRow{K: "c"}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("appending to a store on a read-only mount: %v, want an error naming it", err)
	}
}
