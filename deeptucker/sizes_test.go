package deeptucker

import (
	"fmt"
	"strings"
	"testing"
)

// TestAbsurdModelSizes: a depth so large that the parameter count wraps around is refused by Done (before,
// a depth of 2^62+1 counted 112 parameters and was accepted); a model beyond memory is refused by Fit with an
// error, and by NewParams with a panic naming the size, instead of Go's fatal out-of-memory error (a depth
// of 2^40 is 2^40 small matrices, none of which multilinear.New alone would refuse).
func TestAbsurdModelSizes(t *testing.T) {
	if m, err := NewModel(4, 4, 4).Depth(1<<62 + 1).Done(); err == nil || !strings.Contains(err.Error(), "needs more than 2^50 parameters") {
		t.Errorf("depth 2^62+1: model %v, error %v; want a refusal", m, err)
	}
	deep, err := NewModel(4, 4, 4).Depth(1 << 40).Done()
	if err != nil {
		t.Fatal(err)
	}
	msg := func() (msg string) {
		defer func() { msg = fmt.Sprint(recover()) }()
		NewParams(deep)
		return "no panic"
	}()
	if !strings.Contains(msg, "deeptucker: NewParams") || !strings.Contains(msg, "use a smaller shape, CoreShape or depth") {
		t.Errorf("NewParams of a depth-2^40 model: panic %q, want one naming the size and the remedy", msg)
	}
	x := lowRankTarget(t, []int{4, 4, 4}, []int{1, 1, 1}, 1)
	train, _ := splitMask([]int{4, 4, 4}, 0.5, 1)
	if _, err := Fit(deep, mustTraining(t, NewTraining().Steps(1)), Run{Target: x, Train: train}); err == nil || !strings.Contains(err.Error(), "needs about") {
		t.Errorf("Fit of a depth-2^40 model: error %v, want the memory refusal", err)
	}
	if p := NewParams(mustModel(t, NewModel(4, 4, 4).Depth(3))); p == nil || len(p.Matrices[0]) != 2 {
		t.Errorf("an ordinary model's NewParams: %+v", p)
	}
}

// TestRecordsCountTowardsMemory: every run keeps all its records, so a tiny model trained for 2^40 steps
// recording every step is refused up front; before, its records grew until Go's fatal out-of-memory error,
// hours into the Fit. The negative control, the same Fit recording every 2^40 steps, passes the check.
func TestRecordsCountTowardsMemory(t *testing.T) {
	m := mustModel(t, NewModel(4, 3, 2).Depth(1))
	every := mustTraining(t, NewTraining().Steps(1<<40).RecordEvery(1))
	if err := checkMemory(m, every, 1); err == nil || !strings.Contains(err.Error(), "a larger RecordEvery") {
		t.Errorf("2^40 records: %v, want the memory refusal", err)
	}
	if err := checkMemory(m, mustTraining(t, NewTraining().Steps(1<<40).RecordEvery(1<<40)), 1); err != nil {
		t.Errorf("3 records: %v", err)
	}
}
