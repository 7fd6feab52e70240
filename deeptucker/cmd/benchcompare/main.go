// Command benchcompare measures the deep Tucker training step on our backends and, when the project's Python
// environment has JAX (`make bench-env`), on a JAX reference of the same step, and prints issue 14's ratio
// table: model-steps per second, interleaved, medians over rounds.
//
//	make bench                       # = go run ./deeptucker/cmd/benchcompare
//	go run ./deeptucker/cmd/benchcompare -rounds 5 -seconds 2 -problems 1,3
//
// For every problem it first exports our initial parameters, data and masks (build/bench/<row>/, .npy), runs
// a few steps of each backend and of the reference from them, and compares the losses: a relative difference
// above 1e-10 stops the timing of that implementation, so the table never compares different computations.
// Then, in each round, every implementation trains every problem in turn (the order rotates between rounds);
// a measurement times a fixed number of steps after as many untimed ones (compilation and first steps
// excluded), sized by an untimed calibration round to last about -seconds. Ours are timed between two
// diagnostics records of deeptucker.Fit (one record's cost included); the reference's loop is the one a JAX
// user writes (a jitted, vmapped step called from Python, no host sync per step).
//
// Beside the speeds it prints the FLOPs per model-step of our step, counted from the shapes (see Model.StepFLOPs),
// and of the JAX step, from XLA's cost analysis of the compiled computation.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deeptucker/deeptucker/deeptucker"
	"github.com/deeptucker/deeptucker/deeptucker/backend"
)

// checkSteps is how many steps the loss comparison runs; checkTol the largest relative difference allowed.
const (
	checkSteps = 3
	checkTol   = 1e-10
)

// stepsPerCall is Training.StepsPerCall for the timed Fits, 0 for what Fit chooses in a long run
// (stepsFor): a measurement is of steady-state speed, as the reference's (compilation excluded), so ours
// unroll as a long Fit does; fitWindow makes every window a multiple of 16 and of it.
var stepsPerCall = 0

// longRun is the budget whose automatic steps per call the timed Fits take (a long run unrolls most).
const longRun = 1 << 20

// stepsFor is the steps per compiled call of problem p's timed Fits.
func stepsFor(p problem, m *deeptucker.Model) int {
	if stepsPerCall > 0 {
		return stepsPerCall
	}
	return deeptucker.AutoStepsPerCall(m, p.Models, 16, longRun)
}

// refName labels the reference's column; pluginRefName the same reference run on the XLA CPU plugin that our
// xla:cpu backend runs (same XLA build as ours), for which the table has a ratio of its own.
const (
	refName       = "JAX jit+vmap"
	pluginRefName = "JAX on our XLA plugin"
)

func main() {
	rounds := flag.Int("rounds", 3, "timed rounds (the table shows medians)")
	seconds := flag.Float64("seconds", 1, "target duration of one timed window")
	backendList := flag.String("backends", "go,xla:cpu", "our backends to time, as comma-separated GOMLX_BACKEND values (an entry's own options, as in xla:/p.so,noshared_buffers, stay with it)")
	python := flag.String("python", "", "Python with JAX for the reference (default <repo>/.venv/bin/python; \"none\" to skip)")
	refPlugin := flag.String("ref-plugin", "auto", "PJRT plugin file to run the reference on as well (\"auto\": the XLA CPU plugin of our xla:cpu, when installed; \"none\" to skip)")
	rows := flag.String("problems", "", "comma-separated rows to run, 1-based (default all)")
	flag.IntVar(&stepsPerCall, "steps-per-call", stepsPerCall, "our training steps per compiled call (Training.StepsPerCall; 0: Fit's choice for a long run)")
	outDir := flag.String("out", "", "directory for the exported problems and results.json (default <repo>/build/bench)")
	flag.Parse()
	if err := run(*rounds, *seconds, splitBackends(*backendList), *python, *refPlugin, *rows, *outDir); err != nil {
		fmt.Fprintln(os.Stderr, "benchcompare:", err)
		os.Exit(1)
	}
}

// splitBackends splits the -backends list. GOMLX_BACKEND values use commas for their own options
// ("xla:/p.so,noshared_buffers"), so an item that names no backend belongs to the one before (and an unknown
// option then fails that entry's parse with its own message).
func splitBackends(list string) []string {
	var out []string
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if _, err := backend.ParseConfig(item); errors.Is(err, backend.ErrUnknownBackend) && len(out) > 0 {
			out[len(out)-1] += "," + item
			continue
		}
		out = append(out, item)
	}
	return out
}

// cell is one implementation on one problem.
type cell struct {
	Rates []float64 `json:"model_steps_per_s"` // one per round
	// MedianStep is ours only: model-steps/s from Fit's median step (Result.StepsPerSecond), one per round,
	// which leaves out the per-step work between steps that the window includes.
	MedianStep []float64 `json:"median_step_model_steps_per_s,omitempty"`
	Window     int       `json:"window"`            // timed steps per measurement
	MaxDiff    float64   `json:"loss_max_rel_diff"` // against the reference (or the host, without one)
	Err        string    `json:"error,omitempty"`
	// Synchronous is ours only: XLA's CPU plugin ran the calls on the calling thread (Result.Synchronous).
	Synchronous bool `json:"synchronous,omitempty"`
}

func (c *cell) median() float64 {
	if c == nil || c.Err != "" || len(c.Rates) == 0 {
		return math.NaN()
	}
	s := slices.Clone(c.Rates)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

type row struct {
	Problem  problem
	Cells    map[string]*cell
	OurFLOPs deeptucker.StepFLOPs
	RefFLOPs float64
	// StepsPerCall is Training.StepsPerCall of our timed Fits.
	StepsPerCall int
}

func run(rounds int, seconds float64, backends []string, python, refPlugin, rowList, outDir string) error {
	root, err := findRoot()
	if err != nil {
		return err
	}
	if outDir == "" {
		outDir = filepath.Join(root, "build", "bench")
	}
	if python == "" {
		python = filepath.Join(root, ".venv", "bin", "python")
	}
	selected, err := selectProblems(rowList)
	if err != nil {
		return err
	}
	start := time.Now()
	loadStart := loadAvg()

	script := filepath.Join(root, "deeptucker", "benchref", "deeptucker_ref.py")
	refs := map[string]*reference{}
	if python != "none" {
		ref, err := startReference(python, script, "")
		if err != nil {
			fmt.Printf("reference: not run: %v\n", err)
		} else {
			defer ref.Close()
			fmt.Printf("reference: %s\n", ref.Version)
			refs[refName] = ref
		}
		if plugin := pluginFor(refPlugin); ref != nil && plugin != "" {
			if pref, err := startReference(python, script, plugin); err != nil {
				fmt.Printf("reference on our XLA plugin: not run: %v\n", err)
			} else {
				defer pref.Close()
				fmt.Printf("reference on our XLA plugin: %s\n", pref.Version)
				refs[pluginRefName] = pref
			}
		}
	}
	ref := refs[refName]
	impls := slices.Clone(backends)
	for _, name := range []string{refName, pluginRefName} {
		if refs[name] != nil {
			impls = append(impls, name)
		}
	}

	// Export and check every problem.
	var table []*row
	for _, p := range selected {
		r, err := prepare(p, backends, refs, filepath.Join(outDir, slug(p.Name)))
		if err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
		table = append(table, r)
	}

	// Round 0 calibrates the windows and is not counted; rounds 1..n are.
	for round := 0; round <= rounds; round++ {
		order := slices.Clone(impls)
		k := round % len(order)
		order = append(order[k:], order[:k]...)
		for _, r := range table {
			for _, name := range order {
				c := r.Cells[name]
				if c.Err != "" {
					continue
				}
				rate, medianStep, sync, err := measure(r.Problem, name, c.Window, refs[name], filepath.Join(outDir, slug(r.Problem.Name)))
				if err != nil {
					c.Err = err.Error()
					fmt.Printf("  %s on %s: %v\n", r.Problem.Name, name, err)
					continue
				}
				if round == 0 {
					// Windows of about `seconds` from here on (steps/s = rate / M).
					c.Window = fitWindow(max(5, min(100000, int(seconds*rate/float64(r.Problem.Models)))))
				} else {
					c.Rates = append(c.Rates, rate)
					c.Synchronous = sync
					if medianStep > 0 {
						c.MedianStep = append(c.MedianStep, medianStep)
					}
				}
			}
		}
		if round == 0 {
			fmt.Printf("calibrated (%s)\n", time.Since(start).Round(time.Second))
		} else {
			fmt.Printf("round %d/%d done (%s)\n", round, rounds, time.Since(start).Round(time.Second))
		}
	}

	loadEnd := loadAvg()
	printTable(os.Stdout, table, backends, ref != nil, refs[pluginRefName] != nil, rounds, start, loadStart, loadEnd)
	js, _ := json.MarshalIndent(map[string]any{"date": start.UTC().Format(time.RFC3339), "machine": machine(),
		"load_start": loadStart, "load_end": loadEnd, "rounds": rounds, "rows": table}, "", " ")
	if err := os.WriteFile(filepath.Join(outDir, "results.json"), js, 0o644); err != nil {
		return err
	}
	for _, r := range table {
		for name, c := range r.Cells {
			if c.Err != "" {
				return fmt.Errorf("%s on %s failed: %s", r.Problem.Name, name, c.Err)
			}
		}
	}
	return nil
}

func selectProblems(list string) ([]problem, error) {
	if strings.TrimSpace(list) == "" {
		return problems, nil
	}
	var out []problem
	for _, s := range strings.Split(list, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || i < 1 || i > len(problems) {
			return nil, fmt.Errorf("-problems: %q is not a row number 1..%d", s, len(problems))
		}
		out = append(out, problems[i-1])
	}
	return out, nil
}

// pluginFor resolves -ref-plugin: "auto" is the XLA CPU plugin a blank GOMLX_BACKEND would open, if any.
func pluginFor(flagValue string) string {
	switch flagValue {
	case "none", "":
		return ""
	case "auto":
		if c := backend.Default(); strings.HasPrefix(c.Config, "xla:/") {
			return strings.TrimPrefix(c.Config, "xla:")
		}
		return ""
	}
	return flagValue
}

// prepare exports the problem, counts FLOPs and compares the losses of every implementation over checkSteps
// steps from the same start (the references' with each other's as well).
func prepare(p problem, backends []string, refs map[string]*reference, dir string) (*row, error) {
	ref := refs[refName]
	m, err := p.model()
	if err != nil {
		return nil, err
	}
	runs := p.runs()
	if err := export(dir, m, runs); err != nil {
		return nil, err
	}
	r := &row{Problem: p, Cells: map[string]*cell{}, OurFLOPs: m.StepFLOPs(), StepsPerCall: stepsFor(p, m)}
	var want [][]float64 // [step][model]
	if ref != nil {
		if want, err = ref.losses(dir, checkSteps); err != nil {
			return nil, err
		}
		if r.RefFLOPs, err = ref.flops(dir); err != nil {
			return nil, err
		}
		r.Cells[refName] = &cell{Window: p.Window}
		if pref := refs[pluginRefName]; pref != nil {
			c := &cell{Window: p.Window}
			r.Cells[pluginRefName] = c
			got, err := pref.losses(dir, checkSteps)
			if err != nil {
				return nil, err
			}
			c.MaxDiff = maxRelDiff(got, want)
			status := "ok"
			if !(c.MaxDiff <= checkTol) {
				status = "MISMATCH"
				c.Err = fmt.Sprintf("losses differ from the reference on jaxlib by %.3g (relative) > %g: not timed", c.MaxDiff, checkTol)
			}
			fmt.Printf("check %-26s %-8s %d losses x %d models, max relative difference %.2g: %s\n", p.Name, "JAX/plugin", len(want), len(runs), c.MaxDiff, status)
		}
	}
	host, err := initialParams(m, runs)
	if err != nil {
		return nil, err
	}
	for _, name := range backends {
		c := &cell{Window: fitWindow(p.Window)}
		r.Cells[name] = c
		got, err := ourLosses(p, name, checkSteps)
		if err != nil {
			c.Err = err.Error()
			fmt.Printf("%s on %s: %v\n", p.Name, name, err)
			continue
		}
		// Without a reference, at least step 0 against the host's reconstruction.
		check := want
		if check == nil {
			check = [][]float64{make([]float64, len(runs))}
			for i := range runs {
				check[0][i] = host[i].trainLoss(m, runs[i])
			}
		}
		c.MaxDiff = maxRelDiff(got[:len(check)], check)
		status := "ok"
		if !(c.MaxDiff <= checkTol) {
			status = "MISMATCH"
			c.Err = fmt.Sprintf("losses differ from the reference by %.3g (relative) > %g: not timed", c.MaxDiff, checkTol)
		}
		fmt.Printf("check %-26s %-8s %d losses x %d models, max relative difference %.2g: %s\n",
			p.Name, name, len(check), len(runs), c.MaxDiff, status)
	}
	return r, nil
}

// ourLosses runs steps steps of Fit on the backend and returns the train loss of every run at steps 0..steps.
func ourLosses(p problem, backendConfig string, steps int) ([][]float64, error) {
	m, err := p.model()
	if err != nil {
		return nil, err
	}
	tr, err := training(steps, 1, 0, nil)
	if err != nil {
		return nil, err
	}
	res, err := fitOn(backendConfig, m, tr, p.runs())
	if err != nil {
		return nil, err
	}
	out := make([][]float64, steps+1)
	for k := range out {
		out[k] = make([]float64, len(res.Runs))
		for i, run := range res.Runs {
			if len(run.Records) != steps+1 || run.Records[k].Step != k {
				return nil, fmt.Errorf("run %d recorded steps %v, want 0..%d", i, recordSteps(run.Records), steps)
			}
			out[k][i] = run.Records[k].TrainLoss
		}
	}
	return out, nil
}

// fitOn runs Fit on the backend GOMLX_BACKEND=backendConfig and checks that it ran there.
func fitOn(backendConfig string, m *deeptucker.Model, tr *deeptucker.Training, runs []deeptucker.Run) (*deeptucker.Result, error) {
	want, err := backendName(backendConfig)
	if err != nil {
		return nil, err
	}
	os.Setenv(backend.EnvVar, backendConfig)
	res, err := deeptucker.Fit(m, tr, runs...)
	if err != nil {
		return nil, err
	}
	if res.Backend != want {
		return nil, fmt.Errorf("Fit ran on %s, not %s", res.Backend, want)
	}
	return res, nil
}

// backendNames caches backendName; backendDevices holds each configuration's device count, which Fit splits
// a group of runs over (DEEPTUCKER_XLA_CPU_DEVICES sets it for the CPU plugin).
var (
	backendNames   = map[string]string{}
	backendDevices = map[string]int{}
)

// backendName is the name backend.Name reports for a configuration.
func backendName(config string) (string, error) {
	if name, ok := backendNames[config]; ok {
		return name, nil
	}
	b, err := backend.NewWithConfig(config)
	if err != nil {
		return "", err
	}
	defer b.Finalize()
	backendNames[config] = backend.Name(b)
	backendDevices[config] = b.NumDevices()
	return backendNames[config], nil
}

// measure returns model-steps per second of one implementation (a reference when ref is set) over a window
// of steps, after as many untimed steps, and for ours the rate of Fit's median step and whether the calls
// ran synchronously.
func measure(p problem, name string, window int, ref *reference, dir string) (rate, medianStep float64, sync bool, err error) {
	if ref != nil {
		s, err := ref.time(dir, window, window)
		if err != nil {
			return 0, 0, false, err
		}
		return float64(window*p.Models) / s, 0, false, nil
	}
	m, err := p.model()
	if err != nil {
		return 0, 0, false, err
	}
	// The previous measurement's garbage (the go backend's buffers above all) is collected now, not by a
	// collector running on one of the two cores during this window.
	runtime.GC()
	var at [2]time.Time
	tr, err := training(2*window, window, stepsFor(p, m), func(step int, _ []deeptucker.Record) {
		switch step {
		case window:
			at[0] = time.Now()
		case 2 * window:
			at[1] = time.Now()
		}
	})
	if err != nil {
		return 0, 0, false, err
	}
	res, err := fitOn(name, m, tr, p.runs())
	if err != nil {
		return 0, 0, false, err
	}
	if at[0].IsZero() || at[1].IsZero() {
		return 0, 0, false, fmt.Errorf("no records at steps %d and %d", window, 2*window)
	}
	return float64(window*p.Models) / at[1].Sub(at[0]).Seconds(), res.StepsPerSecond * float64(p.Models), res.Synchronous, nil
}

// fitWindow rounds a window up to a multiple of 16 and of stepsPerCall: Fit records every window steps, and
// the steps it runs per compiled call must divide RecordEvery.
func fitWindow(steps int) int {
	unit := 16
	for unit%max(stepsPerCall, 1) != 0 {
		unit += 16
	}
	return (steps + unit - 1) / unit * unit
}

func maxRelDiff(got, want [][]float64) float64 {
	d := 0.0
	for k := range want {
		for i := range want[k] {
			e := math.Abs(got[k][i]-want[k][i]) / math.Max(math.Abs(want[k][i]), math.SmallestNonzeroFloat64)
			if math.IsNaN(e) {
				return math.Inf(1)
			}
			d = math.Max(d, e)
		}
	}
	return d
}

func recordSteps(recs []deeptucker.Record) []int {
	var s []int
	for _, r := range recs {
		s = append(s, r.Step)
	}
	return s
}

func slug(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '^':
		default:
			if s := b.String(); len(s) > 0 && s[len(s)-1] != '-' {
				b.WriteByte('-')
			}
		}
	}
	return strings.Trim(b.String(), "-")
}

// machine describes the CPU: count and model name.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s), %s/%s", runtime.NumCPU(), model, runtime.GOOS, runtime.GOARCH)
}

// loadAvg returns the 1, 5 and 15 minute load averages, or "" where the system has none.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
