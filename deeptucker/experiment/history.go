package experiment

import (
	dt "github.com/deeptucker/deeptucker/deeptucker"
)

// History is one run's diagnostics over training, in a form that survives
// JSON (a notebook cell trains and saves it; the next cell plots it):
// Fig. 3 plots ColumnNorms and SliceNorms of mode 0 (the paper's mode 1),
// section 4 the unbalancedness Epsilon.
type History struct {
	Key     string
	Depth   int
	Seed    uint64
	InitStd Num
	Steps   []int
	// TrainLoss, HeldOutMSE and Epsilon hold one value per record.
	TrainLoss  []Num
	HeldOutMSE []Num
	Epsilon    []Num
	// ColumnNorms[r][i] is ||V(mode)_{:,r}|| at record i, SliceNorms[r][i] is ||G_{..r..}|| along Mode.
	Mode        int
	ColumnNorms [][]Num
	SliceNorms  [][]Num
}

// HistoryKey is the key function of a Store of histories.
func HistoryKey(h History) string { return h.Key }

// HistoryOf extracts the history of one run along one mode (0-based).
func HistoryOf(key string, depth, mode int, run *dt.RunResult) History {
	h := History{Key: key, Depth: depth, Seed: run.Seed, InitStd: Num(run.InitStd), Mode: mode}
	for i, rec := range run.Records {
		h.Steps = append(h.Steps, rec.Step)
		h.TrainLoss = append(h.TrainLoss, Num(rec.TrainLoss))
		h.HeldOutMSE = append(h.HeldOutMSE, Num(rec.HeldOutMSE))
		h.Epsilon = append(h.Epsilon, Num(rec.Epsilon))
		if mode < len(rec.SliceNorms) {
			if i == 0 {
				h.SliceNorms = make([][]Num, len(rec.SliceNorms[mode]))
			}
			for r, v := range rec.SliceNorms[mode] {
				h.SliceNorms[r] = append(h.SliceNorms[r], Num(v))
			}
		}
		if mode < len(rec.ColumnNorms) && rec.ColumnNorms[mode] != nil {
			if h.ColumnNorms == nil {
				h.ColumnNorms = make([][]Num, len(rec.ColumnNorms[mode]))
			}
			for r, v := range rec.ColumnNorms[mode] {
				h.ColumnNorms[r] = append(h.ColumnNorms[r], Num(v))
			}
		}
	}
	return h
}

// StepsF returns the record steps as float64, the x axis of a plot.
func (h History) StepsF() []float64 {
	out := make([]float64, len(h.Steps))
	for i, s := range h.Steps {
		out[i] = float64(s)
	}
	return out
}

// Squared returns the squares of xs (Fig. 3 plots squared norms).
func Squared(xs []Num) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x) * float64(x)
	}
	return out
}
