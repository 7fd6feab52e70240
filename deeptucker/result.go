package deeptucker

import (
	"fmt"
	"math"
	"sort"
	"time"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/ml/context"
	"gonum.org/v1/gonum/mat"

	"github.com/deeptucker/deeptucker/deeptucker/backend"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// Result is what Fit returns: one RunResult per run, in the order given, and how the batch trained.
type Result struct {
	Model    *Model
	Training *Training
	Runs     []RunResult
	// Steps is the number of steps taken (fewer than the budget after convergence or divergence).
	Steps int
	// Elapsed is the wall time of Fit, compilation included; StepsPerSecond is measured on the median
	// compiled call (several steps each), divided by its steps.
	Elapsed        time.Duration
	StepsPerSecond float64
	// StepsPerCall is how many steps each compiled call ran (Training.StepsPerCall, or the automatic choice).
	StepsPerCall int
	// Backend names the GoMLX backend that ran the steps; Gradients says how the data term's gradient was
	// taken: "closed-form" or "autodiff".
	Backend   string
	Gradients string
	// Synchronous says that XLA's CPU plugin ran each call on the calling thread: Fit's choice for small
	// steps (SyncStepFLOPs), a matter of speed, not of results.
	Synchronous bool
}

// RunResult is one run's history and final state.
type RunResult struct {
	Seed         uint64
	InitStd      float64
	LearningRate float64
	// Records is the diagnostics history: step 0, every RecordEvery steps and the last step.
	Records []Record
	// ConvergedStep is the first record on the RecordEvery grid (a multiple of RecordEvery) with train loss <=
	// Training.Tol, or -1.
	ConvergedStep int
	// DivergedStep is the first step at which the run's objective was NaN or infinite, or -1. A diverged
	// run's parameters and records stop at its last recorded finite state.
	DivergedStep int
	// WarmStart: the run started from given parameters (Run.Start or Run.Resume), not from its init scheme's
	// draw.
	WarmStart bool
	// W is the completed tensor, Core the core G (shape CoreShape, or (r) for a diagonal core) and Factors[n]
	// the matrix V(n) of shape d_n x r_n (nil for a mode of depth 0).
	W       *multilinear.Tensor
	Core    *multilinear.Tensor
	Factors []*mat.Dense
	// Params holds every final parameter (G, each w and each A): a start for another Fit (Run.Start).
	Params *Params
	// Checkpoint continues the run where it stopped (Run.Resume); nil for a diverged run.
	Checkpoint *Checkpoint
}

// Final is the last record (a record of NaNs for a run that diverged before its first record).
func (r *RunResult) Final() Record {
	if len(r.Records) == 0 {
		nan := math.NaN()
		return Record{TrainLoss: nan, DataLoss: nan, HeldOutMSE: nan, HeldOutR2: nan, Epsilon: nan}
	}
	return r.Records[len(r.Records)-1]
}

func (s *session) result(steps int, elapsed time.Duration, stepsPerSecond float64, stepsPerCall int) (*Result, error) {
	res := &Result{Model: s.model, Training: s.training, Steps: steps, Elapsed: elapsed, StepsPerSecond: stepsPerSecond,
		StepsPerCall: stepsPerCall, Backend: backend.Name(s.backend), Gradients: s.gradients,
		Synchronous: backend.Synchronous(s.backend)}
	finals, err := s.finalTensors()
	if err != nil {
		return nil, err
	}
	state, err := s.optimizerState()
	if err != nil {
		return nil, err
	}
	values, err := s.paramValues()
	if err != nil {
		return nil, err
	}
	lrs := s.learningRates()
	for i, r := range s.runs {
		rr := RunResult{Seed: r.Seed, InitStd: s.model.InitStd, LearningRate: lrs[i], Records: s.records[i],
			ConvergedStep: s.convergedAt[i], DivergedStep: s.divergedStep[i], WarmStart: r.Start != nil || r.Resume != nil}
		if r.InitStd > 0 {
			rr.InitStd = r.InitStd
		}
		rr.W, rr.Core, rr.Factors = finals(i)
		rr.Params = s.runParams(values, i)
		if rr.DivergedStep < 0 {
			// The checkpoint's own copy: a researcher editing rr.Params into a warm start must not change what
			// resuming the run continues from.
			rr.Checkpoint = &Checkpoint{Step: steps, Params: rr.Params.Clone(), Optimizer: s.training.Optimizer.Name,
				DType: s.dtype, ConvergedStep: rr.ConvergedStep, Tol: s.training.Tol, State: state[i]}
		}
		res.Runs = append(res.Runs, rr)
	}
	return res, nil
}

// finalGraph computes W and every factorised mode's columns, for the host copies made once at the end.
func (s *session) finalGraph(_ *context.Context, g *Graph) []*Node {
	v, _ := s.varsGraph(g, nil, nil)
	cols := v.Columns
	out := []*Node{v.W}
	for _, c := range cols {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

// finalTensors reads W, the core and the factors of every run back to the host.
func (s *session) finalTensors() (func(i int) (*multilinear.Tensor, *multilinear.Tensor, []*mat.Dense), error) {
	outs, err := context.ExecOnceN(s.backend, s.ctx, s.finalGraph)
	if err != nil {
		return nil, err
	}
	w := toFloat64s(outs[0])
	values, err := s.paramValues()
	if err != nil {
		return nil, err
	}
	coreHost := values[0]
	m := s.model
	cols := make([][]float64, m.Order())
	k := 1
	for n, depth := range m.Depths {
		if depth > 0 {
			cols[n] = toFloat64s(outs[k])
			k++
		}
	}
	wSize, cSize := prod(m.Shape), prod(m.coreDims())
	return func(i int) (*multilinear.Tensor, *multilinear.Tensor, []*mat.Dense) {
		wt, _ := multilinear.FromData(m.Shape, append([]float64(nil), w[i*wSize:(i+1)*wSize]...))
		ct, _ := multilinear.FromData(m.coreDims(), append([]float64(nil), coreHost[i*cSize:(i+1)*cSize]...))
		factors := make([]*mat.Dense, m.Order())
		for n, c := range cols {
			if c == nil {
				continue
			}
			r, d := m.CoreShape[n], m.Shape[n]
			rows := mat.NewDense(r, d, c[i*r*d:(i+1)*r*d]) // row r is column v_r of V(n)
			factors[n] = mat.DenseCopyOf(rows.T())
		}
		return wt, ct, factors
	}, nil
}

func medianDuration(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sorted := append([]time.Duration(nil), ds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	return sorted[len(sorted)/2]
}

// String summarises the batch: one line per run with its final losses and active columns.
func (r *Result) String() string {
	out := fmt.Sprintf("%s, %d runs, %d steps in %s (%.0f steps/s, backend %s, %s gradients)\n", r.Model, len(r.Runs), r.Steps,
		r.Elapsed.Round(time.Millisecond), r.StepsPerSecond, r.Backend, r.Gradients)
	for i, run := range r.Runs {
		f := run.Final()
		status := ""
		switch {
		case run.DivergedStep >= 0:
			status = fmt.Sprintf(" DIVERGED at step %d (state of step %d)", run.DivergedStep, f.Step)
		case run.Stuck():
			status = " STUCK: the objective has not left its initial value (raise the init std or the learning rate, lower Adam's epsilon)"
		}
		out += fmt.Sprintf("  run %d seed=%d: train=%.3g heldout MSE=%.3g R2=%.4f eps=%.3g active=%v%s\n",
			i, run.Seed, f.TrainLoss, f.HeldOutMSE, f.HeldOutR2, f.Epsilon, f.ActiveColumns, status)
	}
	return out
}

// StuckRatio defines a run that did not move: its objective at the end is still above StuckRatio times its
// initial value. Small inits at depth make such runs (gradients are products of many tiny factors, far below
// Adam's epsilon): they are flagged, not silently averaged in. A run that sits on a plateau and then
// converges is not stuck.
const StuckRatio = 0.99

// Stuck reports whether the run never left its initial objective. Only a drawn start is judged: a warm
// start (a resumed run, one started near a solution) may rightly have little left to gain.
func (r *RunResult) Stuck() bool {
	if r.WarmStart || len(r.Records) < 2 {
		return false
	}
	first, last := r.Records[0], r.Records[len(r.Records)-1]
	return last.TrainLoss > StuckRatio*first.TrainLoss
}
