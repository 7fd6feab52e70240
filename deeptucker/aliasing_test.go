package deeptucker

import (
	"slices"
	"testing"
)

// TestModelBuilderReuseLeavesBuiltModels: a notebook cell that keeps one builder and calls Done after each tweak
// (b.Depth(1).Done(), then b.Depth(3).Done()) must get two models; the first must not turn into the second
// behind the researcher's back (it would train, and be keyed, at depth 3 with the depth-1 default std).
func TestModelBuilderReuseLeavesBuiltModels(t *testing.T) {
	b := NewModel(4, 5, 6)
	m1 := mustModel(t, b.Depth(1))
	std1 := m1.InitStd
	m2 := mustModel(t, b.Depth(3).Diagonal(2))
	if !slices.Equal(m1.Depths, []int{1, 1, 1}) || !slices.Equal(m1.CoreShape, []int{4, 5, 6}) || m1.Diagonal {
		t.Errorf("the first model changed when the builder was reused: depths %v, core %v, diagonal %v", m1.Depths, m1.CoreShape, m1.Diagonal)
	}
	if m1.InitStd != std1 || m1.InitStd != DefaultInitStd(m1) {
		t.Errorf("the first model's std %g is not its default %g", m1.InitStd, DefaultInitStd(m1))
	}
	if !slices.Equal(m2.Depths, []int{3, 3, 3}) || !slices.Equal(m2.CoreShape, []int{2, 2, 2}) || !m2.Diagonal {
		t.Errorf("the second model: depths %v, core %v, diagonal %v", m2.Depths, m2.CoreShape, m2.Diagonal)
	}
	// The model's slices are its own: editing the returned model does not reach the builder either.
	m2.Depths[0] = 7
	m3 := mustModel(t, b)
	if m3.Depths[0] != 3 {
		t.Errorf("editing a built model changed the builder: depths %v", m3.Depths)
	}
}

// TestCheckpointOwnsItsParams: a researcher who edits a result's Params to build a warm start (an ablated core
// slice, say) must still resume the original run from its Checkpoint: the two must not share storage.
func TestCheckpointOwnsItsParams(t *testing.T) {
	m, run := checkpointProblem(t)
	tr := mustTraining(t, NewTraining().Adam(1e-2).Steps(4).RecordEvery(2))
	res := mustFit(t, m, tr, run)
	before := res.Runs[0].Checkpoint.Params.Clone()
	warm := res.Runs[0].Params
	for i := range warm.Core.Data {
		warm.Core.Data[i] = 0
	}
	for _, xs := range warm.Vectors {
		xs.Data[0] = 7
	}
	got := res.Runs[0].Checkpoint.Params
	for k, xs := range got.flat() {
		if !slices.Equal(xs, before.flat()[k]) {
			t.Fatalf("editing RunResult.Params changed the checkpoint's parameters (tensor %d)", k)
		}
	}
}
