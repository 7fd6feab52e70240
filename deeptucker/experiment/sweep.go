package experiment

import (
	"errors"
	"fmt"
	"time"

	dt "github.com/deeptucker/deeptucker/deeptucker"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// Job is one run of a sweep: its identity in the store (Key), the dataset it
// trains on (a label only), the depth of every mode, and the run itself.
type Job struct {
	Key     string
	Dataset string
	Depth   int
	Run     dt.Run
}

// Summary is what a sweep stores per run once it finishes: the settings,
// the final losses and the paper's read-outs.
type Summary struct {
	Key          string
	Dataset      string
	Depth        int
	InitStd      Num
	LearningRate Num
	Seed         uint64
	Steps        int // steps taken
	TrainLoss    Num
	HeldOutMSE   Num
	HeldOutR2    Num
	// ActiveColumns[n]: columns of V(n) with squared norm above the training's threshold (Fig. 4).
	ActiveColumns []int
	// Multirank[n]: n-mode singular values of W above RankTol (Fig. 5 uses mode 0 at 1e-4).
	Multirank []int
	RankTol   Num
	// SingularValues[n]: the n-mode singular values of W (the full HOSVD's core slice norms).
	SingularValues [][]Num
	// ColumnNorms0 holds the final mode-0 factor column norms ||V(1)_{:,r}||.
	ColumnNorms0 []Num
	Epsilon      Num
	// Converged: train loss reached the training's Tol (false when Tol is 0).
	Converged bool
	// Diverged: the batch this run trained in hit a NaN or infinite loss; the numbers are those of
	// its last finite record.
	Diverged bool
	// Seconds is this run's share of its batch's wall time (compilation included).
	Seconds Num
	// Extra holds notebook-specific numbers (e.g. a HOOI score at the learned multirank).
	Extra map[string]Num `json:",omitempty"`
}

// SummaryKey is the key function of a Store of summaries.
func SummaryKey(s Summary) string { return s.Key }

// Sweep trains jobs in batches of at most MaxBatch runs of the same depth
// (one compiled graph each) and stores one Summary per run as each batch
// finishes, skipping jobs whose key is already stored.
type Sweep struct {
	// Model builds the model of a given depth (data shape, init scheme and std).
	Model func(depth int) (*dt.Model, error)
	// Training is shared by every batch.
	Training *dt.Training
	// MaxBatch caps the runs per Fit call; 0 means 32.
	MaxBatch int
	// RankTol is the tolerance of Summary.Multirank; 0 means 1e-4 (Fig. 5).
	RankTol float64
	// Summarize, if set, may add to a summary (e.g. Extra) from the finished run.
	Summarize func(job Job, run *dt.RunResult, s *Summary) error
	// Progress, if set, is called after each batch with the runs done and to do.
	Progress func(done, total int, text string)
}

// Batches groups jobs by depth, in the order depths first appear, and cuts
// each group into chunks of at most maxBatch jobs.
func Batches(jobs []Job, maxBatch int) [][]Job {
	if maxBatch <= 0 {
		maxBatch = 32
	}
	var order []int
	groups := map[int][]Job{}
	for _, j := range jobs {
		if _, ok := groups[j.Depth]; !ok {
			order = append(order, j.Depth)
		}
		groups[j.Depth] = append(groups[j.Depth], j)
	}
	var out [][]Job
	for _, d := range order {
		g := groups[d]
		for len(g) > 0 {
			n := min(maxBatch, len(g))
			out = append(out, g[:n])
			g = g[n:]
		}
	}
	return out
}

// Execute runs the jobs not yet in store and appends their summaries batch by
// batch. Keys must be unique among jobs. A batch that diverges is stored
// (Diverged set) and the sweep goes on; any other error stops it.
func (s Sweep) Execute(store *Store[Summary], jobs []Job) error {
	if s.Model == nil || s.Training == nil {
		return errors.New("experiment: Sweep needs Model and Training")
	}
	seen := map[string]bool{}
	var todo []Job
	for _, j := range jobs {
		if j.Key == "" {
			return fmt.Errorf("experiment: job for depth %d seed %d has an empty key", j.Depth, j.Run.Seed)
		}
		if seen[j.Key] {
			return fmt.Errorf("experiment: two jobs share the key %q", j.Key)
		}
		seen[j.Key] = true
		if !store.Has(j.Key) {
			todo = append(todo, j)
		}
	}
	done := len(jobs) - len(todo)
	if s.Progress != nil {
		s.Progress(done, len(jobs), fmt.Sprintf("%d runs already stored", done))
	}
	for _, batch := range Batches(todo, s.MaxBatch) {
		model, err := s.Model(batch[0].Depth)
		if err != nil {
			return fmt.Errorf("experiment: model of depth %d: %w", batch[0].Depth, err)
		}
		runs := make([]dt.Run, len(batch))
		for i, j := range batch {
			runs[i] = j.Run
		}
		start := time.Now()
		res, err := dt.Fit(model, s.Training, runs...)
		diverged := errors.Is(err, dt.ErrDiverged)
		if err != nil && (!diverged || res == nil) {
			return fmt.Errorf("experiment: depth %d batch of %d runs: %w", batch[0].Depth, len(batch), err)
		}
		per := time.Since(start).Seconds() / float64(len(batch))
		rows := make([]Summary, len(batch))
		for i, j := range batch {
			row, err := s.summarize(j, &res.Runs[i])
			if err != nil {
				return err
			}
			row.Diverged, row.Seconds = diverged, Num(per)
			rows[i] = row
		}
		if err := store.Append(rows...); err != nil {
			return err
		}
		done += len(batch)
		if s.Progress != nil {
			s.Progress(done, len(jobs), fmt.Sprintf("depth %d: %d runs in %.1fs", batch[0].Depth, len(batch), per*float64(len(batch))))
		}
	}
	return nil
}

func (s Sweep) summarize(j Job, run *dt.RunResult) (Summary, error) {
	tol := s.RankTol
	if tol == 0 {
		tol = 1e-4
	}
	f := run.Final()
	row := Summary{
		Key: j.Key, Dataset: j.Dataset, Depth: j.Depth,
		InitStd: Num(run.InitStd), LearningRate: Num(run.LearningRate), Seed: run.Seed,
		Steps: f.Step, TrainLoss: Num(f.TrainLoss), HeldOutMSE: Num(f.HeldOutMSE), HeldOutR2: Num(f.HeldOutR2),
		ActiveColumns: f.ActiveColumns, RankTol: Num(tol), Epsilon: Num(f.Epsilon),
		Converged: run.ConvergedStep >= 0,
	}
	if len(f.ColumnNorms) > 0 {
		row.ColumnNorms0 = nums(f.ColumnNorms[0])
	}
	sv, err := multilinear.NModeSingularValues(run.W)
	if err == nil { // a non-finite W (diverged) has no HOSVD: leave the rank empty
		for _, v := range sv {
			row.SingularValues = append(row.SingularValues, nums(v))
		}
		row.Multirank = CountAbove(sv, tol)
	}
	if s.Summarize != nil {
		if err := s.Summarize(j, run, &row); err != nil {
			return row, fmt.Errorf("experiment: summarizing %q: %w", j.Key, err)
		}
	}
	return row, nil
}

// CountAbove returns, per mode, how many values exceed tol: the multilinear
// rank read from n-mode singular values.
func CountAbove(values [][]float64, tol float64) []int {
	out := make([]int, len(values))
	for n, vs := range values {
		for _, v := range vs {
			if v > tol {
				out[n]++
			}
		}
	}
	return out
}

func nums(xs []float64) []Num {
	out := make([]Num, len(xs))
	for i, x := range xs {
		out[i] = Num(x)
	}
	return out
}

// Floats converts stored numbers back to float64.
func Floats(xs []Num) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

// JobKey is a readable key for a run of a sweep, unique per (dataset, depth,
// init std, learning rate, seed).
func JobKey(dataset string, depth int, initStd, lr float64, seed uint64) string {
	return fmt.Sprintf("%s/d%d/std%g/lr%g/s%d", dataset, depth, initStd, lr, seed)
}
