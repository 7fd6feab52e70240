package datasets

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

func TestDecodeNPYGood(t *testing.T) {
	data := []float64{0, 1.5, -2, math.NaN(), 4, 5}
	tt, err := decodeNPY("x.npy", makeNPY("<f8", false, []int{2, 3}, data), dataNPYRemedy)
	if err != nil {
		t.Fatal(err)
	}
	if len(tt.Shape) != 2 || tt.Shape[0] != 2 || tt.Shape[1] != 3 {
		t.Fatalf("shape = %v, want [2 3]", tt.Shape)
	}
	for i, want := range data {
		got := tt.Data[i]
		if got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("Data[%d] = %v, want %v", i, got, want)
		}
	}
	// C order: entry (1, 0) is the fourth value.
	if !math.IsNaN(tt.At(1, 0)) || tt.At(0, 2) != -2 {
		t.Errorf("At(1,0)=%v At(0,2)=%v: layout is not C order", tt.At(1, 0), tt.At(0, 2))
	}
}

func TestDecodeNPYErrors(t *testing.T) {
	good := makeNPY("<f8", false, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6})
	cases := []struct {
		name string
		raw  []byte
		want string
	}{
		{"truncated data", good[:len(good)-5], "truncated"},
		{"missing last value", good[:len(good)-8], "truncated"},
		{"extra bytes", append(append([]byte(nil), good...), 0, 0, 0, 0, 0, 0, 0, 0), "longer than its header says"},
		{"truncated header", good[:40], "truncated .npy header"},
		{"float32", makeNPY("<f4", false, []int{2, 3}, []float64{1, 2, 3}), "'<f4'"},
		{"big endian", makeNPY(">f8", false, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}), "'>f8'"},
		{"int64", makeNPY("<i8", false, []int{6}, []float64{1, 2, 3, 4, 5, 6}), "'<i8'"},
		{"fortran order", makeNPY("<f8", true, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}), "Fortran order"},
		{"not npy", []byte("col1,col2\n1,2\n"), "not a valid .npy file"},
		{"huge shape", makeNPY("<f8", false, []int{1 << 20, 1 << 20}, []float64{1}), "does not fit"},
		// A header without its final newline makes npyio index out of range: must be an error, not a panic.
		{"header without newline", []byte("\x93NUMPY\x01\x00\x04\x00{abc"), "x.npy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeNPY("x.npy", c.raw, dataNPYRemedy)
			if err == nil {
				t.Fatalf("no error")
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "x.npy") {
				t.Errorf("error %q should name the file and contain %q", err, c.want)
			}
		})
	}
}

func TestReadNPYFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.npy")
	if err := os.WriteFile(p, makeNPY("<f8", false, []int{2, 1, 2}, []float64{1, 2, 3, 4}), 0o644); err != nil {
		t.Fatal(err)
	}
	tt, err := ReadNPY(p)
	if err != nil {
		t.Fatal(err)
	}
	if tt.At(1, 0, 1) != 4 {
		t.Errorf("At(1,0,1) = %v, want 4", tt.At(1, 0, 1))
	}
	if _, err := ReadNPY(filepath.Join(dir, "missing.npy")); err == nil || !strings.Contains(err.Error(), "missing.npy") {
		t.Errorf("missing file: error %v should name it", err)
	}
}

// TestWriteNPYRoundTrips: WriteNPY's file reads back bit for bit (NaN included) through ReadNPY (npyio's
// header parser) for orders 1-4, its header is 64-byte aligned as the format asks, and
// others can read it (0644, not CreateTemp's 0600).
func TestWriteNPYRoundTrips(t *testing.T) {
	for _, shape := range [][]int{{5}, {3, 4}, {2, 3, 4}, {2, 1, 3, 2}} {
		x := multilinear.New(shape...)
		for i := range x.Data {
			x.Data[i] = float64(i)*1.25 - 3
		}
		x.Data[len(x.Data)-1] = math.NaN()
		path := filepath.Join(t.TempDir(), "x.npy")
		if err := WriteNPY(path, x); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("shape %v: file mode %v (%v), want -rw-r--r--", shape, fi.Mode(), err)
		}
		raw, _ := os.ReadFile(path)
		if hl := int(raw[8]) | int(raw[9])<<8; (10+hl)%64 != 0 {
			t.Errorf("shape %v: header ends at byte %d, not a multiple of 64", shape, 10+hl)
		}
		back, err := ReadNPY(path)
		if err != nil {
			t.Fatal(err)
		}
		if !multilinear.SameShape(back.Shape, shape) {
			t.Fatalf("shape %v read back as %v", shape, back.Shape)
		}
		for i := range x.Data {
			if math.Float64bits(x.Data[i]) != math.Float64bits(back.Data[i]) {
				t.Fatalf("shape %v entry %d: wrote %v, read %v", shape, i, x.Data[i], back.Data[i])
			}
		}
	}
}

// TestWriteNPYRefusesInconsistentTensors: a tensor built by hand whose data does not fill its shape
// (or with no mode) was written without complaint, leaving a file that np.load and ReadNPY reject
// (or read as a scalar): the error must come at writing, naming the shape, and nothing be written.
func TestWriteNPYRefusesInconsistentTensors(t *testing.T) {
	cases := map[string]*multilinear.Tensor{
		"short data":     {Shape: []int{2, 3}, Data: []float64{1, 2, 3, 4, 5}},
		"long data":      {Shape: []int{2}, Data: []float64{1, 2, 3}},
		"no mode":        {Shape: []int{}, Data: []float64{1}},
		"negative shape": {Shape: []int{-1, -2}, Data: []float64{1, 2}},
	}
	for name, x := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.npy")
			err := WriteNPY(path, x)
			if err == nil || !strings.Contains(err.Error(), "x.npy") {
				t.Fatalf("err = %v, want an error naming the file", err)
			}
			if _, statErr := os.Stat(path); !os.IsNotExist(statErr) {
				t.Errorf("a file was written (%v)", statErr)
			}
		})
	}
}

// TestWriteNPYFailureKeepsOld: a write that fails (a full disk, simulated: part of the data is written,
// then ENOSPC; or a rename onto a folder) leaves the previous file byte for byte, no temporary file
// behind, and an error naming the file, the cause and the remedy.
func TestWriteNPYFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.npy")
	old, _ := multilinear.FromData([]int{2}, []float64{1, 2})
	if err := WriteNPY(path, old); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	defer func(w func(*os.File, []byte) (int, error)) { writeTemp = w }(writeTemp)
	writeTemp = func(f *os.File, data []byte) (int, error) {
		n, _ := f.Write(data[:len(data)/2])
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	err := WriteNPY(path, multilinear.New(3, 4))
	if err == nil || !strings.Contains(err.Error(), "writing "+path) || !strings.Contains(err.Error(), "no space left") ||
		!strings.Contains(err.Error(), "unchanged") || !strings.Contains(err.Error(), "free disk space") {
		t.Errorf("WriteNPY on a full disk: error %v; want one naming %s, the cause and the remedy", err, path)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Errorf("a failed WriteNPY changed %s", path)
	}
	writeTemp = func(f *os.File, data []byte) (int, error) { return f.Write(data) }
	folder := filepath.Join(dir, "folder.npy") // rename cannot replace a non-empty folder
	os.MkdirAll(filepath.Join(folder, "inside"), 0o755)
	if err := WriteNPY(folder, old); err == nil || !strings.Contains(err.Error(), "writing "+folder) {
		t.Errorf("WriteNPY onto a folder: error %v; want one naming it", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "x.npy" && e.Name() != "folder.npy" {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// TestWriteNPYHugeHeader: a shape whose header does not fit format 1.0's 16-bit length (30,000 modes of size
// 1) is refused; before, the length wrapped around and the file was corrupt.
func TestWriteNPYHugeHeader(t *testing.T) {
	shape := make([]int, 30000)
	for i := range shape {
		shape[i] = 1
	}
	x, err := multilinear.FromData(shape, []float64{1})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "x.npy")
	if err := WriteNPY(path, x); err == nil || !strings.Contains(err.Error(), "more than .npy format 1.0 holds") {
		t.Errorf("WriteNPY of order 30000: error %v, want a refusal", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("a refused WriteNPY left %s", path)
	}
}

// FuzzDecodeNPY: no byte string makes the .npy decoder panic or allocate beyond the file's size; it returns
// a tensor or an error. go test runs the seeds; go test -fuzz FuzzDecodeNPY explores.
func FuzzDecodeNPY(f *testing.F) {
	x, _ := multilinear.FromData([]int{2, 3}, []float64{1, 2, 3, 4, 5, math.NaN()})
	path := filepath.Join(f.TempDir(), "x.npy")
	if err := WriteNPY(path, x); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add(good[:20])
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\x7f{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		x, err := decodeNPY("fuzz.npy", raw, userNPYRemedy)
		if err == nil && 8*len(x.Data) > len(raw) {
			t.Errorf("decoded %d entries from %d bytes", len(x.Data), len(raw))
		}
	})
}

// TestReadNPYHugeFile: a file far larger than memory (a sparse 8 TiB file) is refused before it is read,
// naming the file; os.ReadFile would have died with Go's fatal out-of-memory error.
func TestReadNPYHugeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.npy")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	err = f.Truncate(1 << 43)
	f.Close()
	if err != nil {
		t.Skipf("this file system cannot hold a sparse 8 TiB file: %v", err)
	}
	if _, err := ReadNPY(path); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "right file") {
		t.Errorf("ReadNPY of an 8 TiB file: error %v, want a refusal naming it", err)
	}
}

// TestWriteNPYRemovesStaleTemps: a temporary file a killed WriteNPY left (x.npy.<random>.tmp, over an hour
// old) is removed by the next WriteNPY of that file; a fresh one (another process may be writing it) stays.
func TestWriteNPYRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.npy")
	stale, fresh := path+".111.tmp", path+".222.tmp"
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)
	x, _ := multilinear.FromData([]int{2}, []float64{1, 2})
	if err := WriteNPY(path, x); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale %s survived (%v)", stale, err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh %s was removed (%v)", fresh, err)
	}
}
