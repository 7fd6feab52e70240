package study

import (
	"math"

	dt "github.com/deeptucker/deeptucker/deeptucker"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
	"github.com/deeptucker/deeptucker/deeptucker/results"
)

// RunKey is what a stored outcome is keyed by: the run's full spec and what the outcome keeps.
type RunKey struct {
	Spec    dt.RunSpec
	History bool
	Params  bool
}

// Outcome is what a notebook keeps of one run: its final read-outs, and on request its history and
// parameters. Label and Depth come from the job that asked for it.
type Outcome struct {
	Label string `json:"-"`
	Depth int    `json:"-"`

	Spec          dt.RunSpec
	Steps         int
	ConvergedStep int
	DivergedStep  int
	// Stuck: the run's objective never left its initial value (deeptucker.RunResult.Stuck).
	Stuck      bool
	TrainLoss  results.Num
	DataLoss   results.Num
	HeldOutMSE results.Num
	HeldOutR2  results.Num
	// EarlyStoppedR2 is the held-out R2 at the record with the lowest validation MSE (NaN without a
	// validation mask): an honest early stop. BestR2 is the highest held-out R2 of any record: it peeks at the
	// test entries, so it is only an upper bound on what any stopping rule could reach.
	EarlyStoppedR2, BestR2 results.Num
	// AllR2 is the final R2 over every entry read (observed, validation, held-out): a diagnostic of the fit.
	AllR2   results.Num
	Epsilon results.Num
	// ActiveColumns[n]: columns of V(n) with squared norm above the training's threshold (Fig. 4).
	ActiveColumns []int
	// SingularValues[n] are the n-mode singular values of W (the full HOSVD's core slice norms, Fig. 5).
	SingularValues [][]results.Num
	// SliceNorms0 and ColumnNorms0 are the final mode-1 (index 0) core slice and factor column norms.
	SliceNorms0, ColumnNorms0 []results.Num
	// Extra holds the final value of each user diagnostic with one value per run.
	Extra   map[string]results.Num `json:",omitempty"`
	History *History               `json:",omitempty"`
	Params  *dt.Params             `json:",omitempty"`
	// Backend is the GoMLX backend that trained the run (results agree across backends to rounding only).
	Backend string
}

// Diverged reports whether the run's objective became NaN or infinite.
func (o Outcome) Diverged() bool { return o.DivergedStep >= 0 }

// Converged reports whether the run reached the training's tolerance.
func (o Outcome) Converged() bool { return o.ConvergedStep >= 0 }

// Failed reports a run a figure should not show as a result: diverged, stuck, or without a finite W.
func (o Outcome) Failed() bool { return o.Diverged() || o.Stuck || o.SingularValues == nil }

// Rank returns the multilinear rank of W: per mode, the n-mode singular values above tol (Fig. 5 uses 1e-4
// in mode 1).
func (o Outcome) Rank(tol float64) []int {
	out := make([]int, len(o.SingularValues))
	for n, vs := range o.SingularValues {
		for _, v := range vs {
			if float64(v) > tol {
				out[n]++
			}
		}
	}
	return out
}

// LearnedRank is Table 1's multirank: per mode, the n-mode singular values above relTol·||W||_F.
func (o Outcome) LearnedRank(relTol float64) []int {
	if len(o.SingularValues) == 0 {
		return nil
	}
	ss := 0.0
	for _, v := range o.SingularValues[0] {
		ss += float64(v) * float64(v)
	}
	return o.Rank(relTol * sqrt(ss))
}

// History is one run's diagnostics over training, plain data that survives JSON: Fig. 3 plots ColumnNorms
// and SliceNorms of mode 1 (index 0).
type History struct {
	Steps                            []int
	TrainLoss, HeldOutMSE, HeldOutR2 []results.Num
	Epsilon                          []results.Num
	SliceNorms, ColumnNorms, WNorms  [][][]results.Num          // [mode][r][record]
	Extra                            map[string][][]results.Num `json:",omitempty"` // [name][record][k]
}

// StepsF returns the record steps as float64, the x axis of a plot.
func (h *History) StepsF() []float64 {
	out := make([]float64, len(h.Steps))
	for i, s := range h.Steps {
		out[i] = float64(s)
	}
	return out
}

func historyOf(recs []dt.Record) *History {
	h := &History{}
	for i, rec := range recs {
		h.Steps = append(h.Steps, rec.Step)
		h.TrainLoss = append(h.TrainLoss, results.Num(rec.TrainLoss))
		h.HeldOutMSE = append(h.HeldOutMSE, results.Num(rec.HeldOutMSE))
		h.HeldOutR2 = append(h.HeldOutR2, results.Num(rec.HeldOutR2))
		h.Epsilon = append(h.Epsilon, results.Num(rec.Epsilon))
		if i == 0 {
			h.SliceNorms = perColumn(rec.SliceNorms)
			h.ColumnNorms = perColumn(rec.ColumnNorms)
			h.WNorms = perColumn(rec.WNorms)
		}
		appendColumns(h.SliceNorms, rec.SliceNorms)
		appendColumns(h.ColumnNorms, rec.ColumnNorms)
		appendColumns(h.WNorms, rec.WNorms)
		for name, vs := range rec.Extra {
			if h.Extra == nil {
				h.Extra = map[string][][]results.Num{}
			}
			h.Extra[name] = append(h.Extra[name], Nums(vs))
		}
	}
	return h
}

func perColumn(norms [][]float64) [][][]results.Num {
	out := make([][][]results.Num, len(norms))
	for n, ns := range norms {
		out[n] = make([][]results.Num, len(ns))
	}
	return out
}

func appendColumns(dst [][][]results.Num, norms [][]float64) {
	for n, ns := range norms {
		for r, v := range ns {
			dst[n][r] = append(dst[n][r], results.Num(v))
		}
	}
}

// outcomeOf reads a finished run.
func outcomeOf(spec dt.RunSpec, run *dt.RunResult, key RunKey, backend string) Outcome {
	f := run.Final()
	o := Outcome{Spec: spec, Steps: f.Step, ConvergedStep: run.ConvergedStep, DivergedStep: run.DivergedStep,
		Stuck: run.Stuck(), TrainLoss: results.Num(f.TrainLoss), DataLoss: results.Num(f.DataLoss),
		HeldOutMSE: results.Num(f.HeldOutMSE), HeldOutR2: results.Num(f.HeldOutR2), Epsilon: results.Num(f.Epsilon),
		ActiveColumns: f.ActiveColumns, Backend: backend, AllR2: results.Num(f.AllR2),
		EarlyStoppedR2: results.Num(math.NaN()), BestR2: results.Num(math.NaN())}
	bestVal := math.Inf(1)
	for _, rec := range run.Records {
		if rec.ValidationMSE < bestVal {
			bestVal, o.EarlyStoppedR2 = rec.ValidationMSE, results.Num(rec.HeldOutR2)
		}
		if !(float64(o.BestR2) >= rec.HeldOutR2) {
			o.BestR2 = results.Num(rec.HeldOutR2)
		}
	}
	if len(f.SliceNorms) > 0 {
		o.SliceNorms0 = Nums(f.SliceNorms[0])
	}
	if len(f.ColumnNorms) > 0 {
		o.ColumnNorms0 = Nums(f.ColumnNorms[0])
	}
	for name, vs := range f.Extra {
		if len(vs) == 1 {
			if o.Extra == nil {
				o.Extra = map[string]results.Num{}
			}
			o.Extra[name] = results.Num(vs[0])
		}
	}
	if sv, err := multilinear.NModeSingularValues(run.W); err == nil { // a non-finite W has none
		for _, v := range sv {
			o.SingularValues = append(o.SingularValues, Nums(v))
		}
	}
	if key.History {
		o.History = historyOf(run.Records)
	}
	if key.Params {
		o.Params = run.Params
	}
	return o
}
