package memguard

import (
	"math"
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
