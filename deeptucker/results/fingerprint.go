package results

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math"
)

// Fingerprint builds the SHA-256 of a problem's data and masks, to put in
// settings in place of the data itself: a change of any entry (any bit of a
// float64, -0 included) or of any mask bit changes it. Each part is hashed
// with its kind and length, so the same numbers cut differently, or a mask
// read as data, differ too.
//
//	fp := results.NewFingerprint().Ints(shape).Floats(data).Bools(observed).Done()
type Fingerprint struct {
	h hash.Hash
}

// NewFingerprint starts an empty fingerprint.
func NewFingerprint() *Fingerprint { return &Fingerprint{h: sha256.New()} }

func (f *Fingerprint) header(kind byte, n int) {
	var b [9]byte
	b[0] = kind
	binary.LittleEndian.PutUint64(b[1:], uint64(n))
	f.h.Write(b[:])
}

// Floats adds values by their little-endian float64 bits.
func (f *Fingerprint) Floats(xs []float64) *Fingerprint {
	f.header('f', len(xs))
	buf := make([]byte, 8*len(xs))
	for i, x := range xs {
		binary.LittleEndian.PutUint64(buf[8*i:], math.Float64bits(x))
	}
	f.h.Write(buf)
	return f
}

// Bools adds a mask, one byte (0 or 1) per entry.
func (f *Fingerprint) Bools(bs []bool) *Fingerprint {
	f.header('b', len(bs))
	buf := make([]byte, len(bs))
	for i, b := range bs {
		if b {
			buf[i] = 1
		}
	}
	f.h.Write(buf)
	return f
}

// Ints adds integers (a shape, indices) as little-endian int64.
func (f *Fingerprint) Ints(xs []int) *Fingerprint {
	f.header('i', len(xs))
	buf := make([]byte, 8*len(xs))
	for i, x := range xs {
		binary.LittleEndian.PutUint64(buf[8*i:], uint64(int64(x)))
	}
	f.h.Write(buf)
	return f
}

// Done returns the fingerprint as "sha256:" and 64 hex digits.
func (f *Fingerprint) Done() string {
	return "sha256:" + hex.EncodeToString(f.h.Sum(nil))
}
