package deeptucker

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestCommittedBehaviourUnchanged: the fingerprints stored with the committed full-profile results are what
// Behaviour gives today for the same model and training (those of this package's optimizers, with no function
// of the user's, rebuilt from the stored spec). A change that moved them would orphan the stored runs, and the
// notebooks would re-train hours of sweeps; it has to be deliberate (a SpecVersion bump and a re-keyed store).
func TestCommittedBehaviourUnchanged(t *testing.T) {
	if testing.Short() {
		t.Skip("reads every committed result")
	}
	files, err := filepath.Glob("../notebooks/results/full/*/runs.jsonl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no committed results found (%v)", err)
	}
	type row struct {
		Settings struct {
			Spec struct {
				Model    ModelSpec
				Training TrainingSpec
			}
		} `json:"settings"`
	}
	checked, skipped := map[string]bool{}, 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<26)
		for sc.Scan() {
			var r row
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			ms, ts := r.Settings.Spec.Model, r.Settings.Spec.Training
			m, tr, ok := rebuild(t, ms, ts)
			if !ok {
				skipped++
				continue
			}
			id := fmt.Sprint(ms, ts)
			if checked[id] {
				continue
			}
			checked[id] = true
			got, err := Behaviour(m, tr)
			if err != nil {
				t.Fatal(err)
			}
			if got != ts.Behaviour {
				t.Errorf("%s: %+v %+v: Behaviour %s, stored %s", filepath.Base(filepath.Dir(f)), ms, ts, got, ts.Behaviour)
			}
		}
		fh.Close()
	}
	t.Logf("%d distinct trainings checked, %d rows with functions of the user's skipped", len(checked), skipped)
	if len(checked) < 20 {
		t.Errorf("only %d distinct trainings checked", len(checked))
	}
	// Negative control: the fingerprint of trainings with functions of the user's (behaviourOn) differs from
	// the stored one, so this test catches a change that applied it to every training.
	m, tr, _ := rebuild(t, ModelSpec{Shape: []int{10, 10, 10}, Depths: []int{1, 1, 1}, CoreShape: []int{10, 10, 10}, Init: "gaussian", InitStd: 0.05},
		TrainingSpec{Optimizer: "adam(beta1=0.9,beta2=0.999,eps=1e-08)", LearningRate: 0.003, Steps: 6000, RecordEvery: 100, BatchOrder: "shuffled", DType: "Float64", ColumnThreshold: 0.01})
	basic, err := Behaviour(m, tr)
	if err != nil {
		t.Fatal(err)
	}
	b, err := backendFor("go", false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if probed, err := behaviourOn(b, m, tr); err != nil || probed == basic {
		t.Errorf("the probe of user functions gives %s (%v), the basic fingerprint %s: want them to differ", probed, err, basic)
	}
}

// rebuild makes the model and training a stored spec describes, when they are made of this package's pieces.
func rebuild(t *testing.T, ms ModelSpec, ts TrainingSpec) (*Model, *Training, bool) {
	t.Helper()
	if ts.DataTerm != "" || len(ts.Terms) > 0 || len(ts.Diagnostics) > 0 || ms.Diagonal {
		return nil, nil, false
	}
	schemes := map[string]InitScheme{"gaussian": GaussianInit, "balanced": BalancedInit}
	scheme, ok := schemes[ms.Init]
	if !ok {
		return nil, nil, false
	}
	b := NewTraining().Steps(ts.Steps).RecordEvery(ts.RecordEvery).Tol(ts.Tol).BatchSize(ts.BatchSize).ColumnThreshold(ts.ColumnThreshold)
	var b1, b2, eps float64
	switch {
	case ts.Optimizer == "gd":
		b.GradientDescent(ts.LearningRate)
	case sscan(ts.Optimizer, "adam(beta1=%g,beta2=%g,eps=%g)", &b1, &b2, &eps):
		b.Adam(ts.LearningRate).Betas(b1, b2).Epsilon(eps)
	case sscan(ts.Optimizer, "keras-adam(beta1=%g,beta2=%g,eps=%g)", &b1, &b2, &eps):
		b.Optimizer(KerasAdam(b1, b2, eps), ts.LearningRate)
	default:
		return nil, nil, false
	}
	if ts.BatchOrder == "index-order" {
		b.BatchOrder(IndexOrder)
	}
	if ts.DType == "Float32" {
		b.Float32()
	}
	if ts.Autodiff {
		b.Autodiff()
	}
	m := mustModel(t, NewModel(ms.Shape...).Depths(ms.Depths...).CoreShape(ms.CoreShape...).Init(scheme, ms.InitStd))
	return m, mustTraining(t, b), true
}

func sscan(s, format string, args ...any) bool {
	n, err := fmt.Sscanf(s, format, args...)
	return err == nil && n == len(args)
}
