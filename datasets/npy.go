package datasets

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio/npy"

	"github.com/deeptucker/deeptucker/deeptucker/memguard"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// ReadNPY reads a NumPy .npy file holding a little-endian float64 array in C order ('<f8',
// fortran_order False), the layout of the IL-2 and COVID-19 files, as a host tensor.
// NaN entries are kept as NaN. It returns an error naming the file if the file is not a .npy
// file, holds another dtype or layout, or is shorter or longer than its header says.
func ReadNPY(path string) (*multilinear.Tensor, error) {
	// The file is read whole and decoded into a copy: a file too large for that (a wrong path, say, to a
	// disk image) must be an error, not Go's fatal out-of-memory error.
	if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() {
		if err := memguard.Check(fmt.Sprintf("datasets: reading %s (%d bytes)", path, info.Size()), 2*float64(info.Size())); err != nil {
			return nil, fmt.Errorf("%w; is it the right file? A .npy tensor is read whole into memory", err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("datasets: reading %s: %w", path, err)
	}
	return decodeNPY(path, raw, userNPYRemedy)
}

// Remedies for a bad .npy file: one of ours (cached or in the data directory), or a user's.
const (
	dataNPYRemedy = "the file is damaged or not the expected one: delete it and load again, or copy it from " + UpstreamBaseURL
	userNPYRemedy = "save the array with NumPy as float64 in C order: np.save(path, np.ascontiguousarray(a, dtype='<f8'))"
)

// decodeNPY parses the bytes of a .npy file; name is used in errors only.
// The header is parsed by codeberg.org/sbinet/npyio; the checks on dtype, order and length
// are ours, because npyio converts other dtypes silently and reads short data as zeros-or-EOF.
func decodeNPY(name string, raw []byte, remedy string) (t *multilinear.Tensor, err error) {
	defer func() {
		// npyio indexes into the header without bounds checks; a malformed header must be an error.
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("datasets: %s: malformed .npy header (%v); %s", name, r, remedy)
		}
	}()
	// npyio reads a short header without noticing; measure it first (format: magic "\x93NUMPY",
	// major, minor, then the header length as uint16 (v1) or uint32 (v2, v3)).
	if bytes.HasPrefix(raw, []byte("\x93NUMPY")) && len(raw) >= 7 && raw[6] >= 1 && raw[6] <= 3 {
		pre := 10
		if raw[6] > 1 {
			pre = 12
		}
		hlen := -1
		switch {
		case len(raw) < pre:
		case pre == 10:
			hlen = int(binary.LittleEndian.Uint16(raw[8:10]))
		default:
			hlen = int(binary.LittleEndian.Uint32(raw[8:12]))
		}
		if hlen < 0 || len(raw)-pre < hlen {
			return nil, fmt.Errorf("datasets: %s: truncated .npy header (%d bytes in all); %s", name, len(raw), remedy)
		}
	}
	br := bytes.NewReader(raw)
	rd, err := npy.NewReader(br)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("datasets: %s: truncated .npy header (%d bytes in all); %s", name, len(raw), remedy)
		}
		return nil, fmt.Errorf("datasets: %s: not a valid .npy file: %w; %s", name, err, remedy)
	}
	hdr := rd.Header.Descr
	if hdr.Type != "'<f8'" && hdr.Type != "<f8" {
		return nil, fmt.Errorf("datasets: %s: dtype is %s, want little-endian float64 '<f8'; %s", name, hdr.Type, remedy)
	}
	if hdr.Fortran {
		return nil, fmt.Errorf("datasets: %s: array is in Fortran order, want C order; %s", name, remedy)
	}
	if len(hdr.Shape) == 0 {
		return nil, fmt.Errorf("datasets: %s: array is a scalar (shape ()), want a tensor; %s", name, remedy)
	}
	n := 1
	for i, d := range hdr.Shape {
		// Guard the product so that a corrupt header cannot ask for a huge allocation.
		if d <= 0 || n > len(raw)/d {
			return nil, fmt.Errorf("datasets: %s: header shape %v (dimension %d is %d) does not fit a file of %d bytes; %s", name, hdr.Shape, i, d, len(raw), remedy)
		}
		n *= d
	}
	if want, got := 8*n, br.Len(); got != want {
		what := "truncated"
		if got > want {
			what = "longer than its header says"
		}
		return nil, fmt.Errorf("datasets: %s is %s: shape %v needs %d float64 (%d bytes) after the header, found %d bytes; %s", name, what, hdr.Shape, n, want, got, remedy)
	}
	data := make([]float64, n)
	if err := rd.Read(&data); err != nil {
		return nil, fmt.Errorf("datasets: %s: reading data: %w; %s", name, err, remedy)
	}
	return multilinear.FromData(hdr.Shape, data)
}

// WriteNPY writes t to path as a NumPy .npy file (format 1.0, little-endian float64, C order), NaN for
// entries never measured: what FromNPY and np.load read back. It writes a temporary file, syncs it to disk and renames
// it (mode 0644), so a crash or a power loss never leaves a half-written file under path.
func WriteNPY(path string, t *multilinear.Tensor) error {
	if t == nil || len(t.Data) == 0 {
		return fmt.Errorf("datasets: WriteNPY %s needs a non-empty tensor", path)
	}
	// A hand-built tensor whose data does not fill its shape would give a file that np.load and
	// ReadNPY reject: refuse it here, before anything is written.
	if err := t.Validate(); err != nil {
		return fmt.Errorf("datasets: WriteNPY %s: %w; build the tensor with multilinear.New or FromData", path, err)
	}
	dims := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = strconv.Itoa(d)
	}
	shape := strings.Join(dims, ", ")
	if len(t.Shape) == 1 {
		shape += ","
	}
	header := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%s), }", shape)
	// magic (6) + version (2) + length (2) + header + '\n', padded with spaces to a multiple of 64.
	pad := 64 - (10+len(header)+1)%64
	if pad == 64 {
		pad = 0
	}
	header += strings.Repeat(" ", pad) + "\n"
	if len(header) > math.MaxUint16 {
		// Format 1.0 stores the header length in 16 bits: a longer one would write a corrupt file.
		return fmt.Errorf("datasets: WriteNPY %s: a tensor of order %d has a header of %d bytes, more than .npy format 1.0 holds; reshape it to fewer modes", path, len(t.Shape), len(header))
	}
	buf := make([]byte, 0, 10+len(header)+8*len(t.Data))
	buf = append(buf, "\x93NUMPY\x01\x00"...)
	buf = binary.LittleEndian.AppendUint16(buf, uint16(len(header)))
	buf = append(buf, header...)
	for _, v := range t.Data {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
	}
	if err := writeAtomic(path, buf); err != nil {
		return fmt.Errorf("datasets: WriteNPY: %w", err)
	}
	return nil
}
