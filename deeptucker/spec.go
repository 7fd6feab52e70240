package deeptucker

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// SpecVersion is the schema version of RunSpec: bump it when what determines a run changes meaning.
const SpecVersion = 3

// RunSpec is everything that determines one run's result, as plain readable data: results stores key runs by
// its hash (package results), so changing any setting re-trains exactly the runs it touches. Functions (init
// scheme, optimizer, objective terms, diagnostics) enter by name and by a behavioural fingerprint (see
// Behaviour: it sees most edits made under an unchanged name, not all, so rename a function you change), data
// and parameters by SHA-256 fingerprints (the init scheme's drawn parameters: an edit of it always shows).
type RunSpec struct {
	Version  int
	Model    ModelSpec
	Training TrainingSpec
	// Seed, InitStd and LearningRate are the run's own (after Run overrides).
	Seed         uint64
	InitStd      float64
	LearningRate float64
	// Data fingerprints the target at its observed and held-out entries and both masks.
	Data string
	// Start fingerprints the starting parameters (drawn, given or resumed) and, for a resumed run, the
	// checkpoint's optimizer state and step.
	Start string
}

// ModelSpec is a Model as plain data.
type ModelSpec struct {
	Shape, Depths, CoreShape []int
	Diagonal                 bool
	Init                     string
	InitStd                  float64
}

// TrainingSpec is a Training as plain data; Behaviour fingerprints its functions.
type TrainingSpec struct {
	Optimizer       string
	LearningRate    float64
	Steps           int
	Tol             float64
	RecordEvery     int
	BatchSize       int
	BatchOrder      string
	DType           string
	ColumnThreshold float64
	Autodiff        bool
	DataTerm        string   `json:",omitempty"`
	Terms           []string `json:",omitempty"`
	Diagnostics     []string `json:",omitempty"`
	Behaviour       string
}

// SpecOf returns the RunSpec of each run as Fit would train it. behaviour is Behaviour(model, training),
// computed once by the caller for all runs that share them.
func SpecOf(m *Model, t *Training, behaviour string, runs ...Run) ([]RunSpec, error) {
	ts := TrainingSpec{Optimizer: t.Optimizer.Name, LearningRate: t.LearningRate, Steps: t.Steps, Tol: t.Tol,
		RecordEvery: t.RecordEvery, BatchSize: t.BatchSize, BatchOrder: t.BatchOrder.String(), DType: t.DType.String(),
		ColumnThreshold: t.ColumnThreshold, Autodiff: t.Autodiff, Behaviour: behaviour}
	if t.DataTerm != nil {
		ts.DataTerm = t.DataTerm.Name
	}
	for _, term := range t.Terms {
		ts.Terms = append(ts.Terms, term.Name)
	}
	for _, d := range t.Diagnostics {
		ts.Diagnostics = append(ts.Diagnostics, d.Name)
	}
	ms := ModelSpec{Shape: m.Shape, Depths: m.Depths, CoreShape: m.CoreShape, Diagonal: m.Diagonal, Init: m.Init.Name, InitStd: m.InitStd}
	out := make([]RunSpec, len(runs))
	for i, r := range runs {
		if err := r.validate(i, m, t); err != nil {
			return nil, err
		}
		spec := RunSpec{Version: SpecVersion, Model: ms, Training: ts, Seed: r.Seed, InitStd: m.InitStd,
			LearningRate: r.learningRate(t), Data: dataFingerprint(&r)}
		if r.InitStd > 0 {
			spec.InitStd = r.InitStd
		}
		p, err := r.startParams(i, m)
		if err != nil {
			return nil, err
		}
		if r.Start == nil && r.Resume == nil && m.Init.needsReproducibilityCheck() {
			// Fit draws the start again: a scheme that does not depend on the seed and std alone (a global
			// random source, the clock) would train from parameters other than those hashed here, and every
			// re-run would get a new key and train again, never reading a stored result back.
			again, err := r.startParams(i, m)
			if err != nil {
				return nil, err
			}
			if !sameParams(p, again) {
				return nil, fmt.Errorf("deeptucker: run %d: init scheme %q drew different parameters twice for seed %d: a "+
					"scheme must depend only on the model, seed and std it is given (draw from a generator seeded with the "+
					"seed, e.g. rand.New(rand.NewPCG(seed, 1)) with deeptucker.GaussianDraw), so that a run is reproducible "+
					"and its stored result found again", i, m.Init.Name, r.Seed)
			}
			m.Init.markReproducible()
		}
		h := sha256.New()
		for _, x := range p.flat() {
			hashFloats(h, x)
		}
		if r.Start != nil {
			// Given parameters are a warm start, which RunResult.Stuck no longer judges: the mark keys such runs
			// apart from those stored under the earlier rule, and from a drawn start of the same parameters.
			fmt.Fprintf(h, "warm start\n")
		}
		if c := r.Resume; c != nil {
			// frozen is the step the resumed run stays frozen at under this Training's Tol (-1: it moves), and
			// tol the checkpoint's. Both entered the line when resuming with a lower Tol began to unfreeze a
			// converged run: resumed runs' keys changed with it, so a result stored when it stayed frozen is not
			// found under the new meaning.
			fmt.Fprintf(h, "resume step=%d converged=%d frozen=%d tol=%g optimizer=%s dtype=%s\n",
				c.Step, c.ConvergedStep, c.resumedConvergedStep(t.Tol), c.Tol, c.Optimizer, c.DType)
			states := slices.Clone(c.State) // in a fixed order, so that one checkpoint has one key
			sortStates(states)
			for _, sv := range states {
				fmt.Fprintf(h, "%s/%s %v %v %s\n", sv.Scope, sv.Name, sv.PerRun, sv.Shape, sv.DType)
				hashFloats(h, sv.Values)
			}
		}
		spec.Start = hex.EncodeToString(h.Sum(nil))
		out[i] = spec
	}
	return out, nil
}

// DataFingerprint is RunSpec.Data for a run: the SHA-256 of its target at the entries it reads and of its
// masks. It tells whether a run's data is the data a stored outcome was trained on ("" for a run without a
// Target or Train mask).
func DataFingerprint(r Run) string {
	if r.Target == nil || r.Train == nil {
		return ""
	}
	return dataFingerprint(&r)
}

// sameParams reports whether two parameter sets hold the same bits (NaN included).
func sameParams(a, b *Params) bool {
	fa, fb := a.flat(), b.flat()
	if len(fa) != len(fb) {
		return false
	}
	for k := range fa {
		if len(fa[k]) != len(fb[k]) {
			return false
		}
		for j := range fa[k] {
			if math.Float64bits(fa[k][j]) != math.Float64bits(fb[k][j]) {
				return false
			}
		}
	}
	return true
}

// dataFingerprint hashes the target at the entries a run reads and both masks.
func dataFingerprint(r *Run) string {
	h := sha256.New()
	fmt.Fprintf(h, "shape %v\n", r.Target.Shape)
	vals := make([]float64, 0, len(r.Target.Data))
	for k, v := range r.Target.Data {
		if r.reads(k) {
			vals = append(vals, v)
		}
	}
	hashFloats(h, vals)
	hashMask(h, r.Train)
	if r.HeldOut != nil {
		hashMask(h, r.HeldOut)
	} else {
		h.Write([]byte("no held-out mask"))
	}
	if r.Validation != nil {
		h.Write([]byte("validation"))
		hashMask(h, r.Validation)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func hashFloats(h hash.Hash, xs []float64) {
	var b [8]byte
	for _, x := range xs {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(x))
		h.Write(b[:])
	}
	h.Write([]byte{'\n'})
}

func hashMask(h hash.Hash, m *multilinear.Mask) {
	buf := make([]byte, len(m.Observed))
	for i, o := range m.Observed {
		if o {
			buf[i] = 1
		}
	}
	h.Write(buf)
	h.Write([]byte{'\n'})
}

// Behaviour fingerprints what a Training's functions do, beyond their names, so that a function edited under its
// old name still changes the results key. It runs two probes on the pure-Go backend, whatever GOMLX_BACKEND
// says, in the training's dtype (functions written for float32 run as in Fit):
//
//   - the model probe trains the model for probeSteps steps on a fixed probe problem (a seeded target, every
//     entry observed) from the init scheme's draw (seed 1) scaled by each of probeScales (every parameter
//     tensor multiplied by s, 1e-3 to 1e3), and hashes every record (objective, data term, each term and
//     diagnostic) of every start, and the trained parameters of the unscaled one. A term's value is thus seen
//     at norms spanning many orders of magnitude, so a term that vanishes at the unscaled start (a hinge
//     max(0, ||G||² - c)) still shows its threshold.
//   - the optimizer probe builds the optimizer at the training's learning rate and runs it for
//     optimizerProbeSteps steps on a linear objective whose gradients the probe sets: per entry and per step
//     they span 1e-14 to 1e3, with jumps, so the weighting of past gradients (Adam's and RMSProp's beta2, which
//     the first steps barely show), epsilon, momentum, weight decay (entries at rest away from 0) and anything
//     that acts within those steps change how far each entry moves. It hashes each entry's displacement after
//     every step.
//
// Values are hashed rounded to probeDigits significant digits (displacements as well, which keeps every digit of
// a small step visible, where rounding the parameters themselves would hide it): computations of the same
// functions that differ only in the last bits (another CPU's fused multiply-adds, another backend, closed-form
// against autodiff gradients) give the same fingerprint, so a key computed on another machine finds the runs
// stored on this one, while a change of a hyper-parameter moves values by far more than that.
//
// A probe cannot see every change: one that acts only after optimizerProbeSteps steps (a learning-rate schedule
// or a warm-up longer than that), only on data or parameters unlike the probe's, only in float32, or only on
// the gradient of a term whose value is unchanged, leaves the fingerprint as it was. When you change a function
// in such a way, rename it (Optimizer.Name, Term.Name, Diagnostic.Name): the name is part of the key. (An init
// scheme needs no probe: RunSpec.Start hashes the parameters it draws.)
//
// A training with no function of the user's (one of this package's optimizers, Adam, KerasAdam or
// GradientDescent, whose names hold every hyper-parameter, and no terms, data term or diagnostics) has nothing
// a name could hide: its fingerprint stays the two-step probe of SpecVersion 3 (basicBehaviour), so results
// stored under it keep their keys. With a Tol, the fingerprint also marks that a tolerance stops runs at records on
// the RecordEvery grid only, which runs stored before did not.
func Behaviour(m *Model, t *Training) (string, error) {
	if m == nil || t == nil {
		return "", errors.New("deeptucker: Behaviour needs a model and a training configuration")
	}
	// The pure-Go backend: it compiles in milliseconds where XLA takes a second, and the rounding makes the
	// fingerprint the same on every backend.
	b, err := backendFor("go", false, 0)
	if err != nil {
		return "", err
	}
	var fp string
	if t.Optimizer.isBuiltin() && len(t.Terms) == 0 && t.DataTerm == nil && len(t.Diagnostics) == 0 {
		fp, err = basicBehaviour(b, m, t)
	} else {
		fp, err = behaviourOn(b, m, t)
	}
	if err != nil || t.Tol == 0 {
		return fp, err
	}
	// A tolerance stops a run at records on the RecordEvery grid only; results stored when a record off the
	// grid could stop one keep other keys.
	sum := sha256.Sum256([]byte(fp + " tol stops at grid records"))
	return hex.EncodeToString(sum[:])[:16], nil
}

// basicBehaviour is the fingerprint of SpecVersion 3: two steps from the init draw (seed 1) on the probe
// problem, in the training's dtype, the records and the final parameters rounded to 7 significant digits.
func basicBehaviour(b backends.Backend, m *Model, t *Training) (string, error) {
	probe := *t
	probe.Steps, probe.RecordEvery, probe.Tol, probe.OnRecord, probe.BatchSize, probe.StepsPerCall = 2, 1, 0, nil, 0, 0
	res, err := fitOn(b, m, &probe, Run{Target: probeTarget(m), Train: multilinear.NewMask(m.Shape...), Seed: 1})
	// A probe that diverges is a fingerprint like any other (the settings may well train the user's data): it
	// is hashed with the step it diverged at, which no converging probe's hash contains.
	if err != nil && !errors.Is(err, ErrDiverged) {
		return "", fmt.Errorf("deeptucker: fingerprinting the training's behaviour on a probe problem: %w", err)
	}
	h := sha256.New()
	if run := res.Runs[0]; run.DivergedStep >= 0 {
		fmt.Fprintf(h, "diverged at step %d\n", run.DivergedStep)
	}
	round := func(x float64) string { return strconv.FormatFloat(x, 'g', 7, 64) }
	for _, rec := range res.Runs[0].Records {
		fmt.Fprintf(h, "%d %s %s\n", rec.Step, round(rec.TrainLoss), round(rec.DataLoss))
		for _, name := range sortedKeys(rec.Terms) {
			fmt.Fprintf(h, "%s=%s\n", name, round(rec.Terms[name]))
		}
		for _, name := range sortedKeys(rec.Extra) {
			fmt.Fprintf(h, "%s=", name)
			for _, v := range rec.Extra[name] {
				fmt.Fprintf(h, "%s,", round(v))
			}
		}
	}
	for _, xs := range res.Runs[0].Params.flat() {
		for _, v := range xs {
			fmt.Fprintf(h, "%s,", round(v))
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// probeTarget is the probes' target: seeded Gaussian entries of unit total norm on average.
func probeTarget(m *Model) *multilinear.Tensor {
	x := multilinear.New(m.Shape...)
	rng := newRNG(20240501)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64() / math.Sqrt(float64(len(x.Data)))
	}
	return x
}

// behaviourOn is Behaviour on a given backend.
func behaviourOn(b backends.Backend, m *Model, t *Training) (string, error) {
	d := newProbeDigest()
	if err := probeModel(b, m, t, d); err != nil {
		return "", fmt.Errorf("deeptucker: fingerprinting the training's behaviour on a probe problem: %w", err)
	}
	if err := probeOptimizer(b, t.Optimizer, t.LearningRate, t.DType, d); err != nil {
		return "", fmt.Errorf("deeptucker: fingerprinting optimizer %q on a probe problem: %w", t.Optimizer.Name, err)
	}
	return d.sum(), nil
}

const (
	// probeDigits is the number of significant digits Behaviour's probes compare.
	probeDigits = 7
	// probeSteps is the number of steps the model probe trains.
	probeSteps = 2
	// optimizerProbeSteps is the number of steps the optimizer probe runs.
	optimizerProbeSteps = 16
	// probeRestFlush: a displacement below this fraction of an entry's starting value counts as none (its
	// digits would be those of the start's rounding).
	probeRestFlush = 1e-9
)

// probeScales multiply the model probe's starting parameters, one probe run each.
var probeScales = []float64{1, 1e-3, 1e-2, 1e-1, 1e1, 1e2, 1e3}

// probeDigest hashes the probes' observations, each value rounded to probeDigits significant digits.
type probeDigest struct{ h hash.Hash }

func newProbeDigest() *probeDigest { return &probeDigest{h: sha256.New()} }

// add hashes a label and its values.
func (d *probeDigest) add(label string, values ...float64) {
	fmt.Fprintf(d.h, "%s:", label)
	for _, v := range values {
		fmt.Fprintf(d.h, "%s,", roundProbe(v))
	}
	d.h.Write([]byte{'\n'})
}

func (d *probeDigest) sum() string { return hex.EncodeToString(d.h.Sum(nil))[:16] }

// roundProbe formats x to probeDigits significant digits; NaN and ±Inf are one token, as backends need not
// agree on which of them an overflow gives.
func roundProbe(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "nonfinite"
	}
	return strconv.FormatFloat(x, 'g', probeDigits, 64)
}

// probeModel is Behaviour's model probe.
func probeModel(b backends.Backend, m *Model, t *Training, d *probeDigest) error {
	probe := *t
	probe.Steps, probe.RecordEvery, probe.Tol, probe.OnRecord, probe.BatchSize, probe.StepsPerCall = probeSteps, 1, 0, nil, 0, 0
	if err := m.Validate(); err != nil {
		return err
	}
	x := probeTarget(m)
	train := multilinear.NewMask(m.Shape...)
	start, err := (&Run{Seed: 1}).startParams(0, m)
	if err != nil {
		return err
	}
	runs := make([]Run, len(probeScales))
	for k, s := range probeScales {
		p := start.Clone()
		for _, xs := range p.flat() {
			for i := range xs {
				xs[i] *= s
			}
		}
		runs[k] = Run{Target: x, Train: train, Seed: 1, Start: p}
	}
	// One Fit for all starts; a model too large for that in memory is probed a start at a time (the same values:
	// batched runs equal runs alone).
	// An optimizer that is not element-wise may take a norm over a stacked tensor, which would mix the starts:
	// it too is probed a start at a time.
	batch := len(runs)
	if checkMemory(m, &probe, batch) != nil || !t.Optimizer.Elementwise {
		batch = 1
	}
	var results []RunResult
	for first := 0; first < len(runs); first += batch {
		res, err := fitOn(b, m, &probe, runs[first:first+batch]...)
		if err != nil && !errors.Is(err, ErrDiverged) {
			return err
		}
		results = append(results, res.Runs...)
	}
	for k, r := range results {
		label := "scale " + roundProbe(probeScales[k])
		d.add(label+" diverged", float64(r.DivergedStep))
		for _, rec := range r.Records {
			d.add(fmt.Sprintf("%s step %d objective, data", label, rec.Step), rec.TrainLoss, rec.DataLoss)
			for _, name := range sortedKeys(rec.Terms) {
				d.add(name, rec.Terms[name])
			}
			for _, name := range sortedKeys(rec.Extra) {
				d.add(name, rec.Extra[name]...)
			}
		}
	}
	// The trained parameters of the unscaled start (probeScales[0] is 1).
	for _, xs := range results[0].Params.flat() {
		d.add("params", xs...)
	}
	return nil
}

// probeOptimizer is Behaviour's optimizer probe: opt at learning rate lr on the objective sum_j g_j(step)·x_j,
// whose gradient is the probe's g (optimizerProbeGradients), over two variables (a vector and a matrix, for
// optimizers that treat tensors as wholes).
func probeOptimizer(b backends.Backend, opt Optimizer, lr float64, dtype dtypes.DType, d *probeDigest) (err error) {
	if err := opt.validate(lr); err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	starts, grads := optimizerProbeStart(), optimizerProbeGradients()
	ctx := context.New()
	defer ctx.Finalize()
	probe := ctx.In("behaviour_probe")
	vars := make([]*context.Variable, len(starts))
	for i, s := range starts {
		vars[i] = probe.VariableWithValue(fmt.Sprintf("x%d", i), toTensor(dtype, s.values, s.dims...))
	}
	o := opt.New(lr)
	exec, err := context.NewExec(b, ctx, func(ctx *context.Context, g0, g1 *Node) {
		g := g0.Graph()
		loss := Add(ReduceAllSum(Mul(g0, vars[0].ValueGraph(g))), ReduceAllSum(Mul(g1, vars[1].ValueGraph(g))))
		o.UpdateGraph(ctx, g, loss)
	})
	if err != nil {
		return err
	}
	defer exec.Finalize()
	for step, gs := range grads {
		if _, err := exec.Exec(toTensor(dtype, gs[0], starts[0].dims...), toTensor(dtype, gs[1], starts[1].dims...)); err != nil {
			return err
		}
		for i, v := range vars {
			value, err := v.Value()
			if err != nil {
				return err
			}
			xs, err := anyToFloat64s(value)
			if err != nil {
				return err
			}
			moved := make([]float64, len(xs))
			for j, x := range xs {
				x0 := starts[i].values[j]
				if dtype == dtypes.Float32 {
					x0 = float64(float32(x0)) // the start as the variable holds it
				}
				moved[j] = x - x0
				if math.Abs(moved[j]) < probeRestFlush*math.Abs(x0) {
					moved[j] = 0
				}
			}
			d.add(fmt.Sprintf("optimizer step %d x%d", step+1, i), moved...)
		}
	}
	return nil
}

// probeTensor is one of the optimizer probe's variables: its starting values and shape.
type probeTensor struct {
	values []float64
	dims   []int
}

// optimizerProbeRest is how many entries of each optimizer probe variable rest (a zero gradient) away from 0,
// where only weight decay (or anything else that pulls values) moves them.
const optimizerProbeRest = 4

// optimizerProbeStart is the optimizer probe's start: per variable, the first entries at 0 (their gradients vary),
// the last optimizerProbeRest at ±10^k, k from -3 up.
func optimizerProbeStart() []probeTensor {
	starts := []probeTensor{{dims: []int{12}}, {dims: []int{3, 4}}}
	for i := range starts {
		starts[i].values = make([]float64, prod(starts[i].dims))
		n := len(starts[i].values)
		for k := range optimizerProbeRest {
			v := math.Pow10(k - 3 + 2*i)
			if k%2 == 1 {
				v = -v
			}
			starts[i].values[n-optimizerProbeRest+k] = v
		}
	}
	return starts
}

// optimizerProbeGradients are the optimizer probe's gradients, per step and variable: entry j of the moving
// entries has a typical magnitude 10^e_j, e_j from -14 to 3 across the entries, varied by a factor up to 100
// either way from step to step, and one step in four a jump to any magnitude in that range; mostly positive, so
// that momentum accumulates. Resting entries get 0. Seeded: the same on every machine.
func optimizerProbeGradients() [][2][]float64 {
	starts := optimizerProbeStart()
	moving := 0
	for _, s := range starts {
		moving += len(s.values) - optimizerProbeRest
	}
	rng := newRNG(20240502)
	out := make([][2][]float64, optimizerProbeSteps)
	for step := range out {
		j := 0
		for i, s := range starts {
			g := make([]float64, len(s.values))
			for k := range len(s.values) - optimizerProbeRest {
				e := -14 + (17*j)/(moving-1) + rng.IntN(5) - 2
				if rng.IntN(4) == 0 {
					e = -14 + rng.IntN(18)
				}
				g[k] = math.Pow10(e) * (1 + rng.Float64())
				if rng.IntN(4) == 0 {
					g[k] = -g[k]
				}
				j++
			}
			out[step][i] = g
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
