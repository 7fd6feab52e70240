package deeptucker

import (
	"math"
	"slices"
	"testing"

	"github.com/deeptucker/deeptucker/deeptucker/backend"
	"github.com/deeptucker/deeptucker/deeptucker/internal/xlatest"
)

// TestShardedFitEqualsUnsharded: on XLA CPU with 4 host devices, a Fit of 8 runs splits them over the devices
// (2 each: parameters, optimizer moments, data and per-run bookkeeping split along the model axis, step
// counters replicated) and ends where the same Fit on one device ends: parameters, records, optimizer state,
// a diverged run's step. Covered: Adam full batch, Keras' Adam with per-run rates and shuffled mini-batches,
// gradient descent with a run that diverges. 6 runs on 4 devices split over 3 of them; Adam's groups of 2
// runs over 2.
func TestShardedFitEqualsUnsharded(t *testing.T) {
	four, one := xlatest.CPUDevices(t, 4), xlatest.CPUDevices(t, 1)
	shape := []int{5, 4, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 9)
	m := mustModel(t, NewModel(shape...).Depth(2).InitStd(0.1))
	var runs []Run
	for i := range 8 {
		train, held := splitMask(shape, 0.6, uint64(i))
		runs = append(runs, Run{Target: x, Train: train, HeldOut: held, Seed: uint64(i + 1), LearningRate: 1e-2 * float64(1+i%2)})
	}
	diverging := append([]Run(nil), runs...)
	diverging[5].LearningRate = 1e6
	cases := []struct {
		name    string
		tr      *TrainingBuilder
		runs    []Run
		devices []int // per group of runs sharing a graph
	}{
		// Adam takes one learning rate per graph: two groups of 2 runs, each split over 2 devices.
		{"adam", NewTraining().Adam(1e-2).Steps(30).RecordEvery(10), runs[:4], []int{2, 2}},
		{"keras-adam mini-batch", NewTraining().Optimizer(KerasAdam(0.9, 0.999, 1e-7), 1e-2).BatchSize(20).Steps(30).RecordEvery(10), runs, []int{4}},
		{"gd divergence", NewTraining().GradientDescent(0.05).Steps(30).RecordEvery(10), diverging, []int{4}},
		{"6 runs", NewTraining().GradientDescent(0.05).Steps(20).RecordEvery(10), runs[:6], []int{3}},
	}
	for _, c := range cases {
		tr := mustTraining(t, c.tr)
		want, err := fitOn(one, m, tr, c.runs...)
		if want == nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var split []int
		shardedHook = func(devices int) { split = append(split, devices) }
		got, err2 := fitOn(four, m, tr, c.runs...)
		shardedHook = nil
		if got == nil {
			t.Fatalf("%s sharded: %v", c.name, err2)
		}
		if (err == nil) != (err2 == nil) {
			t.Errorf("%s: errors differ: %v / %v", c.name, err2, err)
		}
		if !slices.Equal(split, c.devices) {
			t.Fatalf("%s: groups sharded over %v devices, want %v", c.name, split, c.devices)
		}
		for i := range c.runs {
			g, w := got.Runs[i], want.Runs[i]
			closeTo(t, c.name+" W", g.W.Data, w.W.Data, 1e-12)
			if g.DivergedStep != w.DivergedStep || len(g.Records) != len(w.Records) {
				t.Fatalf("%s run %d: diverged %d/%d, %d/%d records", c.name, i, g.DivergedStep, w.DivergedStep, len(g.Records), len(w.Records))
			}
			for k := range g.Records {
				closeTo(t, c.name+" train loss", []float64{g.Records[k].TrainLoss, g.Records[k].HeldOutMSE}, []float64{w.Records[k].TrainLoss, w.Records[k].HeldOutMSE}, 1e-12)
			}
			if w.Checkpoint != nil {
				for k, sv := range w.Checkpoint.State {
					closeTo(t, c.name+" "+sv.Name, g.Checkpoint.State[k].Values, sv.Values, 1e-12)
				}
			}
		}
	}
	// Negative control: the comparison sees one run's learning rate changed.
	other := append([]Run(nil), runs[:4]...)
	other[3].LearningRate = 2e-2 + 1e-9
	tr := mustTraining(t, NewTraining().Optimizer(KerasAdam(0.9, 0.999, 1e-7), 1e-2).Steps(30).RecordEvery(10))
	a, _ := fitOn(four, m, tr, runs[:4]...)
	b, _ := fitOn(four, m, tr, other...)
	if maxRel(a.Runs[3].W.Data, b.Runs[3].W.Data) <= 1e-12 {
		t.Errorf("a changed learning rate left run 3 within 1e-12: the comparison is blind")
	}
}

func maxRel(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i])/math.Max(math.Abs(b[i]), 1e-300))
	}
	return d
}

func closeTo(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.IsNaN(got[i]) && math.IsNaN(want[i]) {
			continue
		}
		if d := math.Abs(got[i]-want[i]) / math.Max(math.Abs(want[i]), 1e-300); !(d <= tol) {
			t.Fatalf("%s: entry %d: %.17g, want %.17g (relative difference %.3g)", what, i, got[i], want[i], d)
		}
	}
}

// Fit opens its backend from the environment, DEEPTUCKER_XLA_CPU_DEVICES included: 1 trains 4 runs unsplit,
// 2 and 4 split them, and a change between two Fits of one process takes effect (the backend cache is keyed by
// it); the results agree.
func TestFitHonoursCPUDevicesEnv(t *testing.T) {
	xlatest.CPUDevices(t, 1)                      // skips where no XLA CPU plugin is installed
	t.Setenv(backend.EnvVar, xlatest.CPUConfig()) // blank: Fit opens the installed CPU plugin
	shape := []int{4, 3, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 3)
	m := mustModel(t, NewModel(shape...).Depth(2).InitStd(0.1))
	tr := mustTraining(t, NewTraining().GradientDescent(0.05).Steps(10).RecordEvery(5))
	var runs []Run
	for i := range 4 {
		train, held := splitMask(shape, 0.7, uint64(i))
		runs = append(runs, Run{Target: x, Train: train, HeldOut: held, Seed: uint64(i + 1)})
	}
	var first *Result
	for _, c := range []struct {
		env  string
		want []int
	}{{"1", nil}, {"2", []int{2}}, {"4", []int{4}}, {"1", nil}} {
		t.Setenv(backend.CPUDevicesEnvVar, c.env)
		var split []int
		shardedHook = func(d int) { split = append(split, d) }
		res, err := Fit(m, tr, runs...)
		shardedHook = nil
		if err != nil {
			t.Fatalf("%s=%s: %v", backend.CPUDevicesEnvVar, c.env, err)
		}
		if !slices.Equal(split, c.want) {
			t.Errorf("%s=%s: groups split over %v devices, want %v", backend.CPUDevicesEnvVar, c.env, split, c.want)
		}
		if first == nil {
			first = res
			continue
		}
		for i := range runs {
			closeTo(t, "W with "+c.env+" devices", res.Runs[i].W.Data, first.Runs[i].W.Data, 1e-12)
		}
	}
}

// On XLA's CPU plugin, Fit opens a client with as many host devices as a group of runs is split over (one for
// a single run), up to the plugin's count, which DEEPTUCKER_XLA_CPU_DEVICES sets; the split itself is the one
// the full client gives, and one run trains to the same numbers on either client. On go nothing changes.
func TestFitOpensTheDevicesItSplitsOver(t *testing.T) {
	shape := []int{4, 3, 3}
	m := mustModel(t, NewModel(shape...).Depth(2).InitStd(0.1))
	cpu := xlatest.CPUConfig() // before GOMLX_BACKEND=go below
	t.Setenv(backend.EnvVar, "go")
	if b, err := newBackend(m, 4); err != nil || b.NumDevices() != 1 || backend.IsCPU(b) {
		t.Fatalf("go: %v, %v", b, err)
	}

	four := xlatest.CPUDevices(t, 4) // skips where no XLA CPU plugin is installed
	t.Setenv(backend.EnvVar, cpu)
	for _, c := range []struct {
		env        string
		runs, want int
	}{
		{"4", 1, 1}, {"4", 2, 2}, {"4", 3, 3}, {"4", 4, 4}, {"4", 5, 1}, {"4", 6, 3}, {"4", 64, 4},
		{"2", 1, 1}, {"2", 3, 1}, {"2", 8, 2}, {"1", 4, 1},
		{"", 1, 1}, // whatever the plugin's own count
	} {
		t.Setenv(backend.CPUDevicesEnvVar, c.env)
		b, err := newBackend(m, c.runs)
		if err != nil {
			t.Fatalf("%s=%q, %d runs: %v", backend.CPUDevicesEnvVar, c.env, c.runs, err)
		}
		if !backend.IsCPU(b) || b.NumDevices() != c.want {
			t.Errorf("%s=%q, %d runs: %s, want XLA's CPU plugin with %d devices", backend.CPUDevicesEnvVar, c.env, c.runs, backend.Describe(b), c.want)
		}
	}

	t.Setenv(backend.CPUDevicesEnvVar, "4")
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 3)
	train, held := splitMask(shape, 0.7, 1)
	run := Run{Target: x, Train: train, HeldOut: held, Seed: 1}
	tr := mustTraining(t, NewTraining().Adam(0.01).Steps(40).RecordEvery(20))
	var split []int
	shardedHook = func(d int) { split = append(split, d) }
	got, err := Fit(m, tr, run)
	shardedHook = nil
	if err != nil {
		t.Fatal(err)
	}
	want, err := fitOn(four, m, tr, run)
	if err != nil {
		t.Fatal(err)
	}
	if len(split) != 0 {
		t.Errorf("one run split over %v devices", split)
	}
	closeTo(t, "W on a one-device client against the four-device one", got.Runs[0].W.Data, want.Runs[0].W.Data, 0)
}
