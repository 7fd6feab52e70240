package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/deeptucker/deeptucker/datasets"
	"github.com/deeptucker/deeptucker/deeptucker"
)

// The parameters the harness exports are the ones Fit starts from: the loss at step 0 of the host's
// reconstruction equals Fit's record at step 0, run by run.
func TestInitialParamsMatchFit(t *testing.T) {
	m, err := tiny.model()
	if err != nil {
		t.Fatal(err)
	}
	runs := tiny.runs()
	got, err := ourLosses(tiny, "go", 1)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := initialParams(m, runs)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range ps {
		want := p.trainLoss(m, runs[i])
		if d := maxRelDiff([][]float64{{got[0][i]}}, [][]float64{{want}}); d > 1e-12 {
			t.Errorf("run %d: Fit's loss at step 0 %.17g, host %.17g (relative difference %.3g)", i, got[0][i], want, d)
		}
	}
	// Negative control: another seed's parameters give another loss.
	shifted := append([]deeptucker.Run(nil), runs...)
	shifted[0].Seed += 7
	other, _ := initialParams(m, shifted)
	if d := maxRelDiff([][]float64{{got[0][0]}}, [][]float64{{other[0].trainLoss(m, runs[0])}}); d < 1e-6 {
		t.Errorf("seed+7 gives the same loss (difference %.3g): the check cannot tell parameters apart", d)
	}
}

func TestWriteNPYRoundTrip(t *testing.T) {
	for _, shape := range [][]int{{3}, {2, 3, 4}, {1, 5}} {
		data := make([]float64, prod(shape))
		for i := range data {
			data[i] = float64(i)*0.37 - 1.5
		}
		path := filepath.Join(t.TempDir(), "x.npy")
		if err := writeNPY(path, shape, data); err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(path)
		if (len(raw)-8*len(data))%64 != 0 {
			t.Errorf("shape %v: header of %d bytes, not a multiple of 64", shape, len(raw)-8*len(data))
		}
		got, err := datasets.ReadNPY(path)
		if err != nil {
			t.Fatalf("shape %v: %v", shape, err)
		}
		if len(got.Shape) != len(shape) {
			t.Fatalf("shape %v read back as %v", shape, got.Shape)
		}
		for i := range shape {
			if got.Shape[i] != shape[i] {
				t.Fatalf("shape %v read back as %v", shape, got.Shape)
			}
		}
		for i := range data {
			if got.Data[i] != data[i] {
				t.Fatalf("shape %v: value %d read back as %g, want %g", shape, i, got.Data[i], data[i])
			}
		}
	}
}

// requireReference starts the JAX reference from the repository's .venv, or skips.
func requireReference(t *testing.T) *reference {
	t.Helper()
	root, err := findRoot()
	if err != nil {
		t.Fatal(err)
	}
	python := filepath.Join(root, ".venv", "bin", "python")
	if err := exec.Command(python, "-c", "import jax").Run(); err != nil {
		t.Skipf("no JAX in %s (`make bench-env` installs it)", python)
	}
	ref, err := startReference(python, filepath.Join(root, "deeptucker", "benchref", "deeptucker_ref.py"), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ref.Close() })
	return ref
}

// The JAX reference computes the losses Fit computes, step by step, from the exported start; with another
// learning rate it does not (so the comparison can fail).
func TestReferenceMatchesFit(t *testing.T) {
	ref := requireReference(t)
	m, err := tiny.model()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := export(dir, m, tiny.runs()); err != nil {
		t.Fatal(err)
	}
	want, err := ref.losses(dir, 4)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ourLosses(tiny, "go", 4)
	if err != nil {
		t.Fatal(err)
	}
	d := maxRelDiff(got, want)
	if d > checkTol {
		t.Errorf("losses differ by %.3g (relative):\nours %v\nJAX  %v", d, got, want)
	}
	t.Logf("ours and JAX differ by %.3g (relative) over %d losses", d, 5*tiny.Models)
	if f, err := ref.flops(dir); err != nil || f <= 0 {
		t.Errorf("reference FLOPs = %g, %v; want a positive count", f, err)
	}

	// Negative control: the same start with twice the learning rate.
	var man map[string]any
	raw, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	man["adam"].(map[string]any)["lr"] = 2 * learningRate
	raw, _ = json.Marshal(man)
	other := t.TempDir()
	for _, e := range must(os.ReadDir(dir)) {
		b := must(os.ReadFile(filepath.Join(dir, e.Name())))
		if e.Name() == "manifest.json" {
			b = raw
		}
		if err := os.WriteFile(filepath.Join(other, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	changed, err := ref.losses(other, 4)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxRelDiff(got, changed); d < 1e-6 {
		t.Errorf("twice the learning rate changes the losses by only %.3g", d)
	} else {
		t.Logf("negative control: twice the learning rate changes them by %.3g", d)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// -backends takes GOMLX_BACKEND values, whose options also follow commas: those stay with their entry.
func TestSplitBackends(t *testing.T) {
	for list, want := range map[string][]string{
		"go,xla:cpu":                              {"go", "xla:cpu"},
		"xla:/p/a.so,noshared_buffers,go":         {"xla:/p/a.so,noshared_buffers", "go"},
		"xla:cpu,xla:/p/b.so,shared_buffers,tf32": {"xla:cpu", "xla:/p/b.so,shared_buffers,tf32"},
		"go, xla:cpu":                             {"go", "xla:cpu"},
		"bogus,go":                                {"bogus", "go"}, // nothing before it: kept, and refused later
	} {
		if got := splitBackends(list); !slices.Equal(got, want) {
			t.Errorf("splitBackends(%q) = %q, want %q", list, got, want)
		}
	}
}

// The table says which backends split runs over several devices, and says nothing when none does.
func TestDevicesNote(t *testing.T) {
	defer func(saved map[string]int) { backendDevices = saved }(backendDevices)
	backendDevices = map[string]int{"go": 1, "xla:cpu": 4}
	if got, want := devicesNote([]string{"go", "xla:cpu"}), "; xla:cpu has 4 devices (a problem's runs split over the largest count dividing theirs, on a client with that many)"; got != want {
		t.Errorf("devicesNote = %q, want %q", got, want)
	}
	if got := devicesNote([]string{"go"}); got != "" {
		t.Errorf("devicesNote(go) = %q, want nothing", got)
	}
}

func TestSyncNote(t *testing.T) {
	table := []*row{
		{Problem: problems[0], Cells: map[string]*cell{"go": {}, "xla:cpu": {Synchronous: true}}},
		{Problem: problems[1], Cells: map[string]*cell{"go": {}, "xla:cpu": {Synchronous: true}}},
		{Problem: problems[2], Cells: map[string]*cell{"go": {}, "xla:cpu": {}}},
	}
	want := "\nSynchronous calls (DEEPTUCKER_XLA_CPU_EXECUTION=auto: steps of at most 300 kFLOP over a problem's runs): " +
		"xla:cpu on 10^3 depth 1, 1 model; 10^3 depth 3, 1 model.\n"
	if got := syncNote(table, []string{"go", "xla:cpu"}); got != want {
		t.Errorf("syncNote = %q, want %q", got, want)
	}
	if got := syncNote(table[2:], []string{"go", "xla:cpu"}); got != "" {
		t.Errorf("syncNote without synchronous cells = %q, want nothing", got)
	}
}

// TestCallsNote: the table's note names the common steps per call and each row that differs; and the default
// takes Fit's automatic choice per row (16 for the small rows, 8 for the full core's 129.5 MFLOP step).
func TestCallsNote(t *testing.T) {
	table := []*row{{Problem: problems[0], StepsPerCall: 16}, {Problem: problems[4], StepsPerCall: 16}, {Problem: problems[5], StepsPerCall: 8}}
	if got, want := callsNote(table), "16 steps per compiled call (8 for 50^3 depth 3, full core)"; got != want {
		t.Errorf("callsNote = %q, want %q", got, want)
	}
	if got, want := callsNote(table[:2]), "16 steps per compiled call"; got != want {
		t.Errorf("callsNote = %q, want %q", got, want)
	}
	for i, want := range []int{16, 16, 16, 16, 16, 8} {
		m := must(problems[i].model())
		if got := stepsFor(problems[i], m); got != want {
			t.Errorf("%s: stepsFor = %d, want %d", problems[i].Name, got, want)
		}
	}
}
