package datasets

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// Meta names a user's data tensor for FromTensor, FromSlice and FromNPY. Every field is
// optional.
type Meta struct {
	// Name defaults to "data" (FromNPY: the file's name).
	Name string
	// ModeNames has one name per mode; nil means "mode 0", "mode 1", ...
	ModeNames []string
	// Labels[n] has one tick label per index of mode n; nil (or a nil Labels[n]) means the
	// indices "0", "1", ...
	Labels [][]string
	// Provenance says where the numbers come from; FromNPY adds the file's path.
	Provenance string
}

// FromTensor builds a data tensor from a user's values (its Key is "own/<name>/sha256=<digest of the
// values>": the same values under the same name, from any file, have one Key): NaN marks an entry that was never
// measured (false in Present, in neither the training nor the held-out mask of Split), every
// other entry must be finite. The values are copied. Split, ZeroFilled, Select, Slice and Scale
// then work as on the IL-2 and COVID-19 tensors.
//
// It returns an error if values is nil or empty, if an entry is infinite, if every entry is
// NaN, or if the names or labels in meta do not fit the shape.
func FromTensor(values *multilinear.Tensor, meta Meta) (*Tensor, error) {
	if values == nil {
		return nil, fmt.Errorf("datasets: FromTensor: no values (nil tensor)")
	}
	name := meta.Name
	if name == "" {
		name = "data"
	}
	if len(values.Shape) == 0 || len(values.Data) == 0 {
		return nil, fmt.Errorf("datasets: %q is empty (shape %v): a data tensor needs at least one mode and one entry", name, values.Shape)
	}
	if err := values.Validate(); err != nil {
		return nil, fmt.Errorf("datasets: %q: %w", name, err)
	}
	nan := 0
	for i, v := range values.Data {
		switch {
		case math.IsNaN(v):
			nan++
		case math.IsInf(v, 0):
			return nil, fmt.Errorf("datasets: %q entry %v is %v: only finite values are data; write NaN for an entry that was never measured",
				name, multilinear.Unravel(values.Shape, i), v)
		}
	}
	if nan == len(values.Data) {
		return nil, fmt.Errorf("datasets: every entry of %q (shape %v) is NaN (never measured): there is nothing to complete from", name, values.Shape)
	}
	order := len(values.Shape)
	modeNames := slices.Clone(meta.ModeNames)
	if modeNames == nil {
		modeNames = make([]string, order)
		for n := range modeNames {
			modeNames[n] = "mode " + strconv.Itoa(n)
		}
	}
	if meta.Labels != nil && len(meta.Labels) != order {
		return nil, fmt.Errorf("datasets: %q has labels for %d modes, shape %v has %d", name, len(meta.Labels), values.Shape, order)
	}
	labels := make([][]string, order)
	for n, d := range values.Shape {
		if meta.Labels != nil && meta.Labels[n] != nil {
			labels[n] = slices.Clone(meta.Labels[n])
			continue
		}
		labels[n] = make([]string, d)
		for i := range d {
			labels[n][i] = strconv.Itoa(i)
		}
	}
	prov := meta.Provenance
	if prov == "" {
		prov = "user data"
	}
	t, err := newTensor(values.Clone(), name, modeNames, labels, prov)
	if err != nil {
		return nil, err
	}
	// The name alone would give two different tensors of one name (a corrected file re-read, any two unnamed
	// "data") one Key, and a result keyed on it would come back for the other: the values' digest is part of it.
	t.Key = "own/" + strings.Join(strings.Fields(name), "_") + "/sha256=" + valuesDigest(t.Tensor)
	return t, nil
}

// valuesDigest is the first 16 hex digits of the SHA-256 of a tensor's shape and values (every NaN alike).
func valuesDigest(x *multilinear.Tensor) string {
	h := sha256.New()
	fmt.Fprintf(h, "%v\n", x.Shape)
	var b [8]byte
	for _, v := range x.Data {
		if math.IsNaN(v) {
			v = math.NaN()
		}
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// FromSlice is FromTensor on data laid out in C (row-major) order with the given shape:
// entry (i_0, ..., i_{N-1}) is data[((i_0 d_1 + i_1) d_2 + ...) + i_{N-1}]. The length of data
// must be the product of shape.
func FromSlice(data []float64, shape []int, meta Meta) (*Tensor, error) {
	name := meta.Name
	if name == "" {
		name = "data"
	}
	if len(shape) == 0 || len(data) == 0 {
		return nil, fmt.Errorf("datasets: %q is empty (shape %v, %d values): a data tensor needs at least one mode and one entry", name, shape, len(data))
	}
	values, err := multilinear.FromData(shape, slices.Clone(data))
	if err != nil {
		return nil, fmt.Errorf("datasets: %q: %w", name, err)
	}
	return FromTensor(values, meta)
}

// FromNPY is FromTensor on a NumPy .npy file of float64 in C order, NaN for entries never
// measured (save with np.save(path, np.ascontiguousarray(a, dtype='<f8'))). The name defaults
// to the file's base name and the provenance records its path.
func FromNPY(path string, meta Meta) (*Tensor, error) {
	values, err := ReadNPY(path)
	if err != nil {
		return nil, err
	}
	if meta.Name == "" {
		meta.Name = filepath.Base(path)
	}
	meta.Provenance = addLine(meta.Provenance, "read from "+path)
	return FromTensor(values, meta)
}
