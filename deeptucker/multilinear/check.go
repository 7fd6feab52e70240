package multilinear

import (
	"errors"
	"fmt"
	"strings"
)

// Validate returns an error if t is nil, has no mode, a non-positive mode size, or data whose
// length is not the product of its shape: the checks New and FromData make, for a Tensor built
// by hand.
func (t *Tensor) Validate() error {
	if t == nil {
		return fmt.Errorf("tensor is nil")
	}
	if len(t.Shape) == 0 {
		return fmt.Errorf("a tensor needs at least one mode")
	}
	n, err := Entries(t.Shape) // checked: a product that wrapped around could match len(t.Data)
	if err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "multilinear: "))
	}
	if n != len(t.Data) {
		return fmt.Errorf("shape %v holds %d entries but data has %d", t.Shape, n, len(t.Data))
	}
	return nil
}

// Unravel turns a flat row-major offset into the multi-index it addresses in shape (the
// inverse of Offset), for error messages and loops over masks.
func Unravel(shape []int, off int) []int {
	idx := make([]int, len(shape))
	for n := len(shape) - 1; n >= 0; n-- {
		idx[n] = off % shape[n]
		off /= shape[n]
	}
	return idx
}
