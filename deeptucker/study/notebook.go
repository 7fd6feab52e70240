package study

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/deeptucker/deeptucker/deeptucker/results"
)

// outcomeSchema versions the stored Outcome: bump it when what an Outcome holds changes meaning.
const outcomeSchema = "study.Outcome/v4"

// Notebook is one notebook's results: its folder, the memo of its runs and its timings.
type Notebook struct {
	Name string
	Dir  string
	// Shard, when set (DEEPTUCKER_SHARD, a Slurm array or a Kubernetes indexed Job), trains only the runs it
	// owns that are not stored yet, into a file of its own; Merge gathers the shards' files. A shard reads the
	// notebook's runs file too, so runs already stored there are neither trained again nor missing.
	Shard results.Shard
	runs  *results.Memo[RunKey, Outcome] // where this process stores its runs
	// stored is the notebook's runs file, read beside a shard's own file (nil when not sharded).
	stored *results.Memo[RunKey, Outcome]
}

// Open opens the results of the named notebook (see package results for the folder).
func Open(name string) (*Notebook, error) {
	dir, err := results.Dir(name)
	if err != nil {
		return nil, err
	}
	shard, err := results.ShardFromEnv()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, shard.File("runs.jsonl"))
	if !shard.Whole() {
		// The shard's own file, empty until it trains a run: it marks that the shard ran, for Merge, also when
		// every run it owns was stored already.
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, fmt.Errorf("study: shard %s of notebook %s cannot create its runs file: %w", shard, name, err)
		}
		f.Close()
	}
	runs, err := results.OpenMemo[RunKey, Outcome](path, outcomeSchema)
	if err != nil {
		return nil, err
	}
	nb := &Notebook{Name: name, Dir: dir, Shard: shard, runs: runs}
	warnTorn(runs.Path(), runs.Torn())
	if !shard.Whole() {
		if nb.stored, err = results.OpenMemo[RunKey, Outcome](filepath.Join(dir, "runs.jsonl"), outcomeSchema); err != nil {
			return nil, err
		}
		warnTorn(nb.stored.Path(), nb.stored.Torn())
	}
	return nb, nil
}

// warnf prints a warning in the cell's output (tests replace it).
var warnf = func(format string, args ...any) { fmt.Printf("WARNING: "+format+"\n", args...) }

// warnTorn says that a store's file ended in a torn line (a process killed mid-write), which opening it set
// aside: nothing was lost that had been stored, but the user should know, and where the fragment went.
func warnTorn(path string, torn []string) {
	for _, aside := range torn {
		warnf("study: %s ended in a torn line (a write cut short by a kill or a crash): set aside to %s; the run it "+
			"was storing was never stored and will be trained again", path, aside)
	}
}

// MustOpen is Open that panics, for notebook cells.
func MustOpen(name string) *Notebook {
	nb, err := Open(name)
	if err != nil {
		panic(err)
	}
	return nb
}

// lookup returns the stored outcome of a run, from this process's file or, for a shard, the notebook's. A run
// stored keeping more than k asks for (its history or parameters) is the same run: keeping them changes
// nothing it computes (outcomeOf only copies them), so it is read back, trimmed to what k keeps, rather than
// trained again.
func (nb *Notebook) lookup(k RunKey) (Outcome, results.Row, bool, error) {
	type keeps struct{ history, params bool }
	tried := map[keeps]bool{}
	for _, c := range []keeps{{k.History, k.Params}, {true, k.Params}, {k.History, true}, {true, true}} {
		if tried[c] {
			continue
		}
		tried[c] = true
		o, row, ok, err := nb.lookupExact(RunKey{Spec: k.Spec, History: c.history, Params: c.params})
		if err != nil || ok {
			if !k.History {
				o.History = nil
			}
			if !k.Params {
				o.Params = nil
			}
			return o, row, ok, err
		}
	}
	return Outcome{}, results.Row{}, false, nil
}

// lookupExact returns the outcome stored under exactly k.
func (nb *Notebook) lookupExact(k RunKey) (Outcome, results.Row, bool, error) {
	for _, m := range []*results.Memo[RunKey, Outcome]{nb.runs, nb.stored} {
		if m == nil {
			continue
		}
		o, ok, err := m.Lookup(k)
		if err != nil || !ok {
			if err != nil {
				return o, results.Row{}, false, err
			}
			continue
		}
		row, _, err := m.Row(k)
		return o, row, err == nil, err
	}
	return Outcome{}, results.Row{}, false, nil
}

// Merge gathers the files of count shards of this notebook's runs into its runs file. Two files holding
// different results for one run are refused (the store keeps one result per run, and which one is the
// user's call), with an error naming the run, the files and, when they differ, the backends that trained it.
// The settings the shards' optimizers of one's own trained with are gathered first (optimizers.jsonl), and
// shards that trained one name and fingerprint with different settings refused.
func (nb *Notebook) Merge(count int) error {
	if count < 1 {
		return fmt.Errorf("study: Merge(%d): the number of shards must be at least 1, the n the shards ran with (DEEPTUCKER_SHARD=i/n)", count)
	}
	if err := nb.mergeOptimizerRecords(count); err != nil {
		return err
	}
	err := results.Merge(filepath.Join(nb.Dir, "runs.jsonl"), results.ShardFiles(nb.Dir, "runs.jsonl", count)...)
	var conflict *results.ConflictError
	if !errors.As(err, &conflict) {
		return err
	}
	if conflict.Row.Schema != conflict.OtherRow.Schema || conflict.Row.ResultType != conflict.OtherRow.ResultType {
		return fmt.Errorf("study: merging %s: run %s is stored in %s and %s by different versions of this code "+
			"(outcome schema %s against %s); delete the line of key %s from the file of the older version and merge again (%w)",
			nb.Name, conflict.Key, conflict.File, conflict.Other, conflict.Row.Schema, conflict.OtherRow.Schema, conflict.Key, err)
	}
	var a, b Outcome
	json.Unmarshal(conflict.Row.Result, &a)
	json.Unmarshal(conflict.OtherRow.Result, &b)
	if a.Backend != b.Backend {
		return fmt.Errorf("study: merging %s: run %s was trained on the %q backend in %s and on %q in %s; results of "+
			"different backends differ in their last bits, and a store keeps one result per run, so the merge "+
			"keeps neither and changes nothing. Keep one: delete the line of key %s from the file you trust less "+
			"(or delete that shard's file and run the shard again with the other's GOMLX_BACKEND), then merge again (%w)",
			nb.Name, conflict.Key, a.Backend, conflict.File, b.Backend, conflict.Other, conflict.Key, err)
	}
	return fmt.Errorf("study: merging %s: run %s holds different results in %s and %s, both trained on %q: "+
		"a run's settings should give the same result on one backend, so one file was edited or computed by other "+
		"code; delete the line of key %s from the wrong file and merge again (%w)",
		nb.Name, conflict.Key, conflict.File, conflict.Other, a.Backend, conflict.Key, err)
}

// Timing is the compute time of one stage of a notebook (a MustTrain call), kept in timings.jsonl (a shard's
// in its own file): GoNB runs every cell as its own program, so the last cell reads the others' times from
// there.
type Timing struct {
	Stage   string
	Profile string
	// Seconds is the measured compute time of the stage's runs, as stored with them (each run's share of the
	// wall time of the Fit that trained it, compilation included): the time of the work whose outcomes the
	// stage shows, whenever and by whichever stage they were trained, never the time of reading them back.
	Seconds float64
	// Runs is the number of runs the stage shows, Trained how many of them this session trained.
	Runs, Trained int
	// Workload identifies the set of runs (a hash of their keys); Session the kernel session (or process)
	// that recorded the stage last.
	Workload, Session string
	At                time.Time
}

// session identifies this notebook run: the GoNB kernel (one per notebook execution; its cells share it),
// or, outside GoNB, this process. Tests replace it.
var session = sync.OnceValue(func() string {
	id := "process " + strconv.Itoa(os.Getpid()) + " " + strconv.FormatInt(time.Now().UnixNano(), 10)
	if d := os.Getenv("GONB_TMP_DIR"); d != "" {
		id = "gonb " + d
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])[:12]
})

func (nb *Notebook) timings() (*results.Store[Timing], error) {
	s, err := results.OpenStore(filepath.Join(nb.Dir, nb.Shard.File("timings.jsonl")), func(t Timing) string { return t.Stage })
	if err == nil {
		warnTorn(s.Path(), s.Torn())
	}
	return s, err
}

// RecordTiming records the stage whose plan Train returned, as run in this session: its compute time (the
// stored time of its runs, Plan.Seconds), its runs and how many this session trained.
func (nb *Notebook) RecordTiming(stage string, plan Plan) error {
	s, err := nb.timings()
	if err != nil {
		return err
	}
	profile, err := results.Profile()
	if err != nil {
		return err
	}
	t := Timing{Stage: stage, Profile: profile, Seconds: plan.Seconds, Runs: plan.Stored + plan.ToTrain + plan.Elsewhere,
		Trained: plan.ToTrain, Workload: plan.Workload, Session: session(), At: time.Now().UTC()}
	if old, ok := s.Get(stage); ok && old.Session == t.Session && old.Workload == t.Workload && old.Profile == t.Profile {
		if plan.ToTrain == 0 && old.Seconds == t.Seconds {
			return nil // another cell of this session reading the same runs back
		}
		t.Trained += old.Trained
	}
	return s.Append(t)
}

// Timings returns the stages of this notebook run (this GoNB kernel session, or this process), in the order
// first recorded, and their total in seconds. Stages of earlier runs the notebook no longer has (renamed or
// removed) are left out, and so is a stage superseded in this session by a later one of the same runs (a
// stage renamed while the kernel ran). When no stage was recorded in this session (a restarted kernel that
// ran only the report's cell), it returns the stages of the latest session that recorded any, and stale
// true: the caller should say so.
func (nb *Notebook) Timings() (stages []Timing, total float64, stale bool, err error) {
	s, err := nb.timings()
	if err != nil {
		return nil, 0, false, err
	}
	rows := s.Rows()
	want := session()
	if !hasSession(rows, want) {
		var latest time.Time
		for _, t := range rows {
			if t.At.After(latest) {
				latest, want = t.At, t.Session
			}
		}
		stale = len(rows) > 0
	}
	newest := map[string]time.Time{} // workload -> latest record of it in the session
	for _, t := range rows {
		if t.Session == want && t.Workload != "" && t.At.After(newest[t.Workload]) {
			newest[t.Workload] = t.At
		}
	}
	for _, t := range rows {
		if t.Session != want || (t.Workload != "" && t.At.Before(newest[t.Workload])) {
			continue
		}
		stages = append(stages, t)
		total += t.Seconds
	}
	return stages, total, stale, nil
}

func hasSession(rows []Timing, session string) bool {
	for _, t := range rows {
		if t.Session == session {
			return true
		}
	}
	return false
}

// TimingReport is the text of the measured-time cell: the stages of this notebook run.
func (nb *Notebook) TimingReport() (string, error) {
	stages, total, stale, err := nb.Timings()
	if err != nil {
		return "", err
	}
	out := ""
	if !nb.Shard.Whole() {
		out += fmt.Sprintf("shard %s: the times of this shard's runs only\n", nb.Shard)
	}
	if stale {
		out += "no stage ran in this kernel session: these are the stages of the last session that ran any; run the notebook's cells to measure this version of it\n"
	}
	for _, s := range stages {
		out += fmt.Sprintf("stage %-22s %7.1f s (%d runs, %d trained in this run, %s profile)\n", s.Stage, s.Seconds, s.Runs, s.Trained, s.Profile)
	}
	return out + fmt.Sprintf("measured compute time: %.1f s (compilation included; the kernel's build of each cell adds ~10-40 s)\n", total), nil
}
