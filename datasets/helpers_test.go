package datasets

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// moduleRoot walks up from the package directory to the directory holding go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// realSource returns a Source that reads the real files from DEEPTUCKER_DATA_DIR, resolving a
// relative path against the module root (so that CI can give a path relative to the repository),
// and never downloads. It skips the test if the variable is unset or the directory is absent.
func realSource(t *testing.T) Source {
	t.Helper()
	dir := os.Getenv(EnvDataDir)
	if dir == "" {
		t.Skipf("%s is not set: skipping the tests on the real IL-2 and COVID-19 files (set it to the directory holding %s and %s)",
			EnvDataDir, IL2File.Name, COVID19File.Name)
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(moduleRoot(t), dir)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s=%s: directory not found (%v): skipping the tests on the real files", EnvDataDir, os.Getenv(EnvDataDir), err)
	}
	return Source{Dir: dir, Offline: true}
}

// makeNPY writes a version 1.0 .npy file by hand (not with the reader's library, so that the
// reader is tested against the format, not against itself).
func makeNPY(descr string, fortran bool, shape []int, data []float64) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	sh := "(" + strings.Join(dims, ", ")
	if len(shape) == 1 {
		sh += ","
	}
	sh += ")"
	order := "False"
	if fortran {
		order = "True"
	}
	hdr := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, order, sh)
	// Pad with spaces so that magic+version+length+header is a multiple of 64, ending in '\n'.
	for (10+len(hdr)+1)%64 != 0 {
		hdr += " "
	}
	hdr += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	b.WriteString(hdr)
	for _, v := range data {
		binary.Write(&b, binary.LittleEndian, math.Float64bits(v))
	}
	return b.Bytes()
}
