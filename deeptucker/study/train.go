package study

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	dt "github.com/deeptucker/deeptucker/deeptucker"
	"github.com/deeptucker/deeptucker/deeptucker/results"
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

// Plan is what Train did: how many of the jobs were stored already, how many it trained, and, in a shard,
// how many belong to other shards and are not stored yet (Elsewhere). Seconds is the stored compute time of
// the jobs' runs it returned (see Timing.Seconds), Workload a hash of their keys (the stage's identity in the
// timing report).
type Plan struct {
	Stored, ToTrain, Elsewhere int
	Seconds                    float64
	Workload                   string
}

// Options tunes how Train batches and reports; the zero value is fine.
type Options struct {
	// MaxBatch caps the runs per Fit (one compiled graph); 0 means 64.
	MaxBatch int
	// Progress, if set, is told after each batch how many runs are done.
	Progress func(done, total int, text string)
}

// ErrIncomplete is what Train returns (wrapped, naming the shard and the remedy) when it runs as a shard and
// some jobs belong to other shards that have not stored them yet: their outcomes do not exist here.
var ErrIncomplete = errors.New("study: runs of other shards are not stored yet")

// ErrNotStored is what Train returns (wrapped, with the cause) when a batch it trained could not be stored
// (a full disk, a read-only store): the outcomes returned with it hold that batch, but a re-run trains it again.
var ErrNotStored = errors.New("study: runs trained but not stored")

// Train returns the outcome of every job, in order, training (in batches, one Fit per model) only those whose
// spec is not stored yet, and storing each batch as it finishes, so that a dead kernel loses at most one
// batch. A batch that Fit refuses as too large for memory (deeptucker.MemoryError) is trained in halves. A
// run that diverged is stored as such (Outcome.DivergedStep) and not retried: its settings diverge.
//
// As a shard (Notebook.Shard), Train trains only the missing runs the shard owns; runs stored in the
// notebook's runs file or in the shard's own are read back, whichever shard trained them. If some jobs
// belong to other shards and are not stored yet, it returns an error wrapping ErrIncomplete, with the
// outcomes it has.
//
// With a nil error the outcomes are one per job. With an error they are those Train has, in job order, one per
// job that has one, never a placeholder: on ErrIncomplete the stored ones; on ErrNotStored (the first batch
// that could not be stored stops training) the stored ones and the batch trained but not stored; nil on
// other errors.
func (nb *Notebook) Train(training *dt.Training, jobs []Job, opts Options) ([]Outcome, Plan, error) {
	if training == nil {
		return nil, Plan{}, errors.New("study: Train needs a training configuration")
	}
	keys, err := keysOf(training, jobs)
	if err != nil {
		return nil, Plan{}, err
	}
	// An optimizer of the user's: the settings it trained with are kept beside the runs, and stored runs are not
	// read back for other settings under its name and fingerprint (see optimizerRegistry).
	var registry *optimizerRegistry
	settings := ""
	if !training.Optimizer.IsBuiltin() {
		settings = optimizerSettings(training.Optimizer)
	}
	if settings != "" {
		if registry, err = nb.optimizerRegistry(); err != nil {
			return nil, Plan{}, err
		}
	}
	memoKeys := make([]string, len(keys))
	var todo []int
	missing := 0
	for i, k := range keys {
		if memoKeys[i], err = nb.runs.Key(k); err != nil {
			return nil, Plan{}, fmt.Errorf("study: job %d (%s): %w", i, jobs[i].Label, err)
		}
		_, _, ok, err := nb.lookup(k)
		if err != nil {
			return nil, Plan{}, fmt.Errorf("study: job %d (%s): %w", i, jobs[i].Label, err)
		}
		// Checked for runs to train too: stored beside runs of the old settings under one name and
		// fingerprint, they would make the store say two things.
		if registry != nil {
			if err := registry.check(training.Optimizer.Name, k.Spec.Training.Behaviour, settings); err != nil {
				return nil, Plan{}, err
			}
			if ok {
				// Read back under these settings: record them (best effort: a read-only store still reads), so
				// that a later edit the fingerprint cannot see is refused rather than read back too.
				_ = registry.remember(training.Optimizer.Name, k.Spec.Training.Behaviour, settings)
			}
		}
		if !ok {
			missing++
			if nb.Shard.Owns(memoKeys[i]) {
				todo = append(todo, i)
			}
		}
	}
	plan := Plan{Stored: len(jobs) - missing, ToTrain: len(todo), Elsewhere: missing - len(todo), Workload: workload(memoKeys)}
	done := plan.Stored
	report := func(text string) {
		if opts.Progress != nil {
			opts.Progress(done, len(jobs), text)
		}
	}
	if plan.Elsewhere > 0 {
		report(fmt.Sprintf("%d of %d runs stored, %d to train, %d of other shards not stored yet", plan.Stored, len(jobs), plan.ToTrain, plan.Elsewhere))
	} else {
		report(fmt.Sprintf("%d of %d runs stored, %d to train", plan.Stored, len(jobs), plan.ToTrain))
	}
	maxBatch := opts.MaxBatch
	if maxBatch <= 0 {
		maxBatch = 64
	}
	unstored := map[int]Outcome{} // a batch trained that could not be stored
	var storeErr error
	queue := batchesByModel(jobs, todo, maxBatch)
	for len(queue) > 0 {
		batch := queue[0]
		queue = queue[1:]
		model := jobs[batch[0]].Model
		runs := make([]dt.Run, len(batch))
		for k, i := range batch {
			runs[k] = jobs[i].Run
		}
		start := time.Now()
		res, err := dt.Fit(model, training, runs...)
		var tooLarge *dt.MemoryError
		if errors.As(err, &tooLarge) && len(batch) > 1 {
			// Refused before anything was allocated: train it in halves (a run's result does not depend on its
			// batch), which MustTrain's callers could not ask for.
			half := len(batch) / 2
			queue = append([][]int{batch[:half], batch[half:]}, queue...)
			continue
		}
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
			for k, i := range batch {
				o, rerr := readBack(outs[k])
				if rerr != nil {
					return nil, plan, fmt.Errorf("study: %w: %d runs of %s; %v", ErrNotStored, len(batch), model, err)
				}
				unstored[i] = o
			}
			plan.Seconds += seconds * float64(len(batch))
			storeErr = fmt.Errorf("%w: %d runs of %s (%.1f s of training) could not be stored, so a re-run trains "+
				"them again; the outcomes returned with this error hold them, and %d runs after them were not trained: %v",
				ErrNotStored, len(batch), model, seconds*float64(len(batch)), len(todo)-(done-plan.Stored)-len(batch), err)
			break
		}
		if registry != nil {
			if err := registry.remember(training.Optimizer.Name, keys[batch[0]].Spec.Training.Behaviour, settings); err != nil {
				return nil, plan, fmt.Errorf("study: the runs of %s are stored, but the settings of optimizer %q could not be: %w",
					model, training.Optimizer.Name, err)
			}
		}
		done += len(batch)
		report(fmt.Sprintf("%s: %d runs in %.1f s", model, len(batch), seconds*float64(len(batch))))
	}
	out := make([]Outcome, 0, len(jobs))
	absent := 0
	for i, k := range keys {
		o, ok := unstored[i]
		if !ok {
			var row results.Row
			var err error
			if o, row, ok, err = nb.lookup(k); err != nil {
				return nil, plan, fmt.Errorf("study: job %d (%s): %w", i, jobs[i].Label, err)
			}
			if ok {
				plan.Seconds += float64(row.Seconds)
			}
		}
		if !ok {
			absent++
			continue
		}
		o.Label, o.Depth = jobs[i].Label, jobs[i].Model.MaxDepth()
		out = append(out, o)
	}
	switch {
	case storeErr != nil:
		return out, plan, storeErr
	case absent > 0 && !nb.Shard.Whole():
		return out, plan, fmt.Errorf("%w: shard %s of notebook %s has %d of %d runs (it trained %d); the other %d belong "+
			"to other shards, so figures and tables of these runs need the merged store: run every shard, then "+
			"Notebook.Merge(%d), and run the notebook without %s", ErrIncomplete, nb.Shard, nb.Name, len(out), len(jobs),
			plan.ToTrain, absent, nb.Shard.Count, results.ShardEnv)
	case absent > 0:
		return nil, plan, fmt.Errorf("study: %d of %d runs were not found in %s after training (was the file changed meanwhile?); run again", absent, len(jobs), nb.runs.Path())
	}
	return out, plan, nil
}

// readBack returns an outcome as a stored one reads back (±Inf as NaN), so that an outcome not stored looks
// like the stored ones.
func readBack(o Outcome) (Outcome, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return Outcome{}, err
	}
	var back Outcome
	err = json.Unmarshal(b, &back)
	return back, err
}

// workload identifies a set of runs by their keys, in any order.
func workload(keys []string) string {
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	sum := sha256.Sum256([]byte(strings.Join(sorted, "\n")))
	return hex.EncodeToString(sum[:])[:16]
}

// MustTrain is Train for notebook cells: it prints progress lines, records the stage in the timing report,
// and panics on error, with two exceptions that keep a notebook's figures honest without stopping its other
// cells. Run as a shard, a stage with runs of other shards not stored yet prints why and returns no outcomes
// (its figures and tables stay empty: they need the merged store). A stage whose every outcome was trained
// but the last batch could not be stored (a full disk) prints a warning and returns them: they are complete
// and real, and a re-run trains them again.
func (nb *Notebook) MustTrain(stage string, training *dt.Training, jobs []Job) []Outcome {
	out, plan, err := nb.Train(training, jobs, Options{Progress: func(done, total int, text string) {
		fmt.Printf("  %d/%d: %s\n", done, total, text)
	}})
	switch {
	case errors.Is(err, ErrIncomplete):
		fmt.Printf("stage %s: %v\n", stage, err)
		out = nil
	case errors.Is(err, ErrNotStored) && len(out) == len(jobs):
		fmt.Printf("WARNING: stage %s: %v\n", stage, err)
		return out // not recorded: its runs are not stored
	case err != nil:
		panic(err)
	}
	if err := nb.RecordTiming(stage, plan); err != nil {
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
		if _, err := results.Key(outcomeSchema, keys[i]); err != nil {
			return nil, fmt.Errorf("study: job %d (%s): %w", i, j.Label, settingError(err))
		}
	}
	return keys, nil
}

// settingError says which setting of a run cannot be stored in the user's terms: a non-finite number in a
// run's settings (a tolerance of +Inf, say) is named by its place in the spec, with the remedy.
func settingError(err error) error {
	var nf *results.NonFiniteError
	if !errors.As(err, &nf) {
		return err
	}
	name := strings.TrimPrefix(strings.TrimPrefix(nf.Path, "settings."), "Spec.")
	return fmt.Errorf("the setting %s is %v, and a run is stored under its settings, which must be finite numbers: give %s a finite value", name, nf.Value, name)
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
