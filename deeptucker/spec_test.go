package deeptucker

import (
	"errors"
	"strings"
	"testing"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// TestSpecOfInitPanicIsAnError: an init scheme whose Draw panics makes SpecOf return an error naming the scheme,
// as Fit does, not a panic.
func TestSpecOfInitPanicIsAnError(t *testing.T) {
	boom := InitScheme{Name: "exploding-init", Draw: func(*Model, uint64, float64) (*Params, error) {
		panic(errors.New("boom"))
	}}
	m := mustModel(t, NewModel(4, 3, 2).Init(boom, 0.1))
	tr := mustTraining(t, NewTraining().Steps(2))
	x := multilinear.New(4, 3, 2)
	run := Run{Target: x, Train: multilinear.NewMask(4, 3, 2), Seed: 1}
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("SpecOf panicked: %v", r)
			}
		}()
		_, err = SpecOf(m, tr, "behaviour", run)
	}()
	t.Logf("SpecOf: %v", err)
	if err == nil || !strings.Contains(err.Error(), "exploding-init") || !strings.Contains(err.Error(), "boom") {
		t.Errorf("SpecOf: got error %v, want one naming the init scheme and its panic", err)
	}
	if _, err := Fit(m, tr, run); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Fit: got error %v, want one naming the panic", err)
	}
}
