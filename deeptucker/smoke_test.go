package deeptucker

import (
	"testing"
)

func TestSmoke(t *testing.T) {
	shape := []int{10, 10, 10}
	x := lowRankTarget(t, shape, []int{3, 3, 3}, 1)
	train, held := splitMask(shape, 0.7, 2)
	for _, depth := range []int{1, 2, 3} {
		m, err := NewModel(shape...).Depth(depth).InitStd(0.05).Done()
		if err != nil {
			t.Fatal(err)
		}
		tr, err := NewTraining().Adam(3e-3).Epsilon(1e-8).Steps(2000).RecordEvery(500).Done()
		if err != nil {
			t.Fatal(err)
		}
		res, err := Fit(m, tr, Run{Target: x, Train: train, HeldOut: held, Seed: 1}, Run{Target: x, Train: train, HeldOut: held, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Log(res)
	}
}
