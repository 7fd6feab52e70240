package experiment

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/deeptucker/deeptucker/datasets"
	dt "github.com/deeptucker/deeptucker/deeptucker"
)

func TestHistoryOfRoundTrips(t *testing.T) {
	syn, err := datasets.Synthetic(datasets.SyntheticOptions{Shape: []int{4, 3, 5}, Rank: []int{2, 2, 2}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	train, held, _ := syn.Split(0.7, 2)
	model, _ := dt.NewModel(4, 3, 5).Depth(2).InitStd(0.1).Done()
	training, _ := dt.NewTraining().Adam(1e-2).Steps(20).RecordEvery(10).Done()
	res, err := dt.Fit(model, training, dt.Run{Target: syn.Tensor, Train: train, HeldOut: held, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	run := &res.Runs[0]
	h := HistoryOf("k", 2, 0, run)
	if len(h.Steps) != len(run.Records) || len(h.ColumnNorms) != 4 || len(h.SliceNorms) != 4 {
		t.Fatalf("history has %d steps, %d columns, %d slices; want %d, 4, 4",
			len(h.Steps), len(h.ColumnNorms), len(h.SliceNorms), len(run.Records))
	}
	last := len(run.Records) - 1
	if got, want := float64(h.SliceNorms[2][last]), run.Records[last].SliceNorms[0][2]; got != want {
		t.Errorf("slice norm 2 at the end = %g, want %g", got, want)
	}
	if got, want := Squared(h.ColumnNorms[1])[0], math.Pow(run.Records[0].ColumnNorms[0][1], 2); got != want {
		t.Errorf("squared column norm = %g, want %g", got, want)
	}
	path := filepath.Join(t.TempDir(), "h.jsonl")
	s, _ := OpenStore(path, HistoryKey)
	if err := s.Append(h); err != nil {
		t.Fatal(err)
	}
	s, _ = OpenStore(path, HistoryKey)
	back, ok := s.Get("k")
	if !ok || len(back.Steps) != len(h.Steps) || back.Epsilon[last] != h.Epsilon[last] {
		t.Errorf("history did not round-trip: %+v", back)
	}
}
