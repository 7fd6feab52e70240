package study

import (
	"errors"
	"fmt"
	"time"

	dt "github.com/deeptucker/deeptucker/deeptucker"
)

// Job is one run a notebook asks for: the model it trains, the run (data, masks, seed, std, learning rate),
// the label it is grouped under in tables and figures, and what its outcome keeps besides the read-outs.
type Job struct {
	Label   string
	Model   *dt.Model
	Run     dt.Run
	History bool // keep the diagnostics history (Fig. 3, loss curves)
	Params  bool // keep the final parameters (theory checks, warm starts)
}

// Plan is what Train would do: how many of the jobs are stored already and how many it would train.
type Plan struct{ Stored, ToTrain int }

// Options tunes how Train batches and reports; the zero value is fine.
type Options struct {
	// MaxBatch caps the runs per Fit (one compiled graph); 0 means 64.
	MaxBatch int
	// Progress, if set, is told after each batch how many runs are done.
	Progress func(done, total int, text string)
}

// Train returns the outcome of every job, in order, training (in batches, one Fit per model) only those whose
// spec is not stored yet, and storing each batch as it finishes, so that a dead kernel loses at most one
// batch. A run that diverged is stored as such (Outcome.DivergedStep) and not retried: its settings diverge.
func (nb *Notebook) Train(training *dt.Training, jobs []Job, opts Options) ([]Outcome, Plan, error) {
	if training == nil {
		return nil, Plan{}, errors.New("study: Train needs a training configuration")
	}
	keys, err := keysOf(training, jobs)
	if err != nil {
		return nil, Plan{}, err
	}
	missing, err := nb.runs.Missing(keys)
	if err != nil {
		return nil, Plan{}, err
	}
	var todo []int
	for _, i := range missing {
		if k, err := nb.runs.Key(keys[i]); err == nil && nb.Shard.Owns(k) {
			todo = append(todo, i)
		}
	}
	plan := Plan{Stored: len(jobs) - len(missing), ToTrain: len(todo)}
	done := plan.Stored
	report := func(text string) {
		if opts.Progress != nil {
			opts.Progress(done, len(jobs), text)
		}
	}
	report(fmt.Sprintf("%d of %d runs stored, %d to train", plan.Stored, len(jobs), plan.ToTrain))
	maxBatch := opts.MaxBatch
	if maxBatch <= 0 {
		maxBatch = 64
	}
	for _, batch := range batchesByModel(jobs, todo, maxBatch) {
		model := jobs[batch[0]].Model
		runs := make([]dt.Run, len(batch))
		for k, i := range batch {
			runs[k] = jobs[i].Run
		}
		start := time.Now()
		res, err := dt.Fit(model, training, runs...)
		if err != nil && !errors.Is(err, dt.ErrDiverged) {
			return nil, plan, fmt.Errorf("study: %s, batch of %d runs: %w", model, len(batch), err)
		}
		seconds := time.Since(start).Seconds() / float64(len(batch))
		batchKeys := make([]RunKey, len(batch))
		outs := make([]Outcome, len(batch))
		for k, i := range batch {
			batchKeys[k] = keys[i]
			outs[k] = outcomeOf(keys[i].Spec, &res.Runs[k], keys[i], res.Backend)
		}
		if err := nb.runs.PutBatch(batchKeys, outs, seconds); err != nil {
			return nil, plan, err
		}
		done += len(batch)
		report(fmt.Sprintf("%s: %d runs in %.1f s", model, len(batch), seconds*float64(len(batch))))
	}
	out := make([]Outcome, len(jobs))
	for i, k := range keys {
		o, ok, err := nb.runs.Lookup(k)
		if err != nil {
			return nil, plan, err
		}
		if !ok {
			if nb.Shard.Whole() {
				return nil, plan, fmt.Errorf("study: run %d (%s) was not stored", i, jobs[i].Label)
			}
			continue // another shard's run
		}
		o.Label, o.Depth = jobs[i].Label, jobs[i].Model.MaxDepth()
		out[i] = o
	}
	return out, plan, nil
}

// MustTrain is Train for notebook cells: it prints progress lines, records the stage's time, and panics on
// error.
func (nb *Notebook) MustTrain(stage string, training *dt.Training, jobs []Job) []Outcome {
	start := time.Now()
	out, plan, err := nb.Train(training, jobs, Options{Progress: func(done, total int, text string) {
		fmt.Printf("  %d/%d: %s\n", done, total, text)
	}})
	if err != nil {
		panic(err)
	}
	if err := nb.RecordTiming(stage, time.Since(start), plan.ToTrain); err != nil {
		panic(err)
	}
	return out
}

// keysOf computes every job's key; the behaviour fingerprint is computed once per model.
func keysOf(training *dt.Training, jobs []Job) ([]RunKey, error) {
	behaviour := map[*dt.Model]string{}
	keys := make([]RunKey, len(jobs))
	for i, j := range jobs {
		if j.Model == nil {
			return nil, fmt.Errorf("study: job %d (%s) has no model", i, j.Label)
		}
		b, ok := behaviour[j.Model]
		if !ok {
			var err error
			if b, err = dt.Behaviour(j.Model, training); err != nil {
				return nil, err
			}
			behaviour[j.Model] = b
		}
		specs, err := dt.SpecOf(j.Model, training, b, j.Run)
		if err != nil {
			return nil, fmt.Errorf("study: job %d (%s): %w", i, j.Label, err)
		}
		keys[i] = RunKey{Spec: specs[0], History: j.History, Params: j.Params}
	}
	return keys, nil
}

// batchesByModel groups the jobs to train by model, in order of first appearance, in chunks of maxBatch.
func batchesByModel(jobs []Job, todo []int, maxBatch int) [][]int {
	var order []*dt.Model
	groups := map[*dt.Model][]int{}
	for _, i := range todo {
		m := jobs[i].Model
		if _, ok := groups[m]; !ok {
			order = append(order, m)
		}
		groups[m] = append(groups[m], i)
	}
	var out [][]int
	for _, m := range order {
		g := groups[m]
		for len(g) > 0 {
			n := min(maxBatch, len(g))
			out = append(out, g[:n])
			g = g[n:]
		}
	}
	return out
}
