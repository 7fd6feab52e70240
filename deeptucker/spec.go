package deeptucker

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"sort"
	"strconv"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// SpecVersion is the schema version of RunSpec: bump it when what determines a run changes meaning.
const SpecVersion = 3

// RunSpec is everything that determines one run's result, as plain readable data: results stores key runs by
// its hash (package results), so changing any setting re-trains exactly the runs it touches. Functions (init
// scheme, optimizer, objective terms, diagnostics) enter by name and by a behavioural fingerprint (see
// Behaviour), data and parameters by SHA-256 fingerprints.
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
		h := sha256.New()
		for _, x := range p.flat() {
			hashFloats(h, x)
		}
		if c := r.Resume; c != nil {
			// frozen is the step the resumed run stays frozen at under this Training's Tol (-1: it moves), and
			// tol the checkpoint's. Both entered the line when resuming with a lower Tol began to unfreeze a
			// converged run: resumed runs' keys changed with it, so a result stored when it stayed frozen is not
			// found under the new meaning.
			fmt.Fprintf(h, "resume step=%d converged=%d frozen=%d tol=%g optimizer=%s dtype=%s\n",
				c.Step, c.ConvergedStep, c.resumedConvergedStep(t.Tol), c.Tol, c.Optimizer, c.DType)
			for _, sv := range c.State {
				fmt.Fprintf(h, "%s/%s %v %v %s\n", sv.Scope, sv.Name, sv.PerRun, sv.Shape, sv.DType)
				hashFloats(h, sv.Values)
			}
		}
		spec.Start = hex.EncodeToString(h.Sum(nil))
		out[i] = spec
	}
	return out, nil
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

// Behaviour fingerprints what a Training's functions do, beyond their names: it trains the model for two
// steps on a fixed probe problem (one run, seed 1, a seeded target, every entry observed) and hashes the
// records (objective, data term, every term and diagnostic) and the final parameters, rounded to 7
// significant digits, on the pure-Go backend whatever GOMLX_BACKEND says. A term whose weight
// changed inside its function, an optimizer rebuilt with another epsilon under the same name, or an edited
// init scheme thus changes the key even when its name did not.
func Behaviour(m *Model, t *Training) (string, error) {
	probe := *t
	probe.Steps, probe.RecordEvery, probe.Tol, probe.OnRecord, probe.BatchSize, probe.StepsPerCall = 2, 1, 0, nil, 0, 0
	x := multilinear.New(m.Shape...)
	rng := newRNG(20240501)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64() / math.Sqrt(float64(len(x.Data)))
	}
	run := Run{Target: x, Train: multilinear.NewMask(m.Shape...), Seed: 1}
	// The pure-Go backend: it compiles in milliseconds where XLA takes a second, and the rounding above makes
	// the fingerprint the same on every backend.
	b, err := backendFor("go", false, 0)
	if err != nil {
		return "", err
	}
	res, err := fitOn(b, m, &probe, run)
	if err != nil {
		return "", fmt.Errorf("deeptucker: fingerprinting the training's behaviour on a probe problem: %w", err)
	}
	h := sha256.New()
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
