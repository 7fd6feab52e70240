package study

import (
	"fmt"
	"path/filepath"
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
	// owns, into a file of its own; Merge gathers the shards' files.
	Shard results.Shard
	runs  *results.Memo[RunKey, Outcome]
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
	runs, err := results.OpenMemo[RunKey, Outcome](filepath.Join(dir, shard.File("runs.jsonl")), outcomeSchema)
	if err != nil {
		return nil, err
	}
	return &Notebook{Name: name, Dir: dir, Shard: shard, runs: runs}, nil
}

// MustOpen is Open that panics, for notebook cells.
func MustOpen(name string) *Notebook {
	nb, err := Open(name)
	if err != nil {
		panic(err)
	}
	return nb
}

// Merge gathers the files of count shards of this notebook's runs into its runs file.
func (nb *Notebook) Merge(count int) error {
	return results.Merge(filepath.Join(nb.Dir, "runs.jsonl"), results.ShardFiles(nb.Dir, "runs.jsonl", count)...)
}

// Timing is the measured wall time of one stage of a notebook, kept in timings.jsonl: GoNB runs every cell as
// its own program, so the last cell reads the others' times from there.
type Timing struct {
	Stage   string
	Profile string
	Seconds float64
	// Trained is the number of runs trained in this stage (0 when every run was already stored).
	Trained int
	At      time.Time
}

func (nb *Notebook) timings() (*results.Store[Timing], error) {
	return results.OpenStore(filepath.Join(nb.Dir, "timings.jsonl"), func(t Timing) string { return t.Stage })
}

// RecordTiming stores how long a stage took, replacing an earlier record of the stage unless this one trained
// nothing and the earlier one did: the time of the work is what a reader wants, not that of reading it back.
func (nb *Notebook) RecordTiming(stage string, elapsed time.Duration, trained int) error {
	s, err := nb.timings()
	if err != nil {
		return err
	}
	if old, ok := s.Get(stage); ok && trained == 0 && old.Trained > 0 {
		return nil
	}
	profile, err := results.Profile()
	if err != nil {
		return err
	}
	return s.Append(Timing{Stage: stage, Profile: profile, Seconds: elapsed.Seconds(), Trained: trained, At: time.Now().UTC()})
}

// Timings returns the recorded stages, in the order first recorded, and their total in seconds.
func (nb *Notebook) Timings() ([]Timing, float64, error) {
	s, err := nb.timings()
	if err != nil {
		return nil, 0, err
	}
	total := 0.0
	for _, t := range s.Rows() {
		total += t.Seconds
	}
	return s.Rows(), total, nil
}

// TimingReport is the text of the measured-time cell.
func (nb *Notebook) TimingReport() (string, error) {
	stages, total, err := nb.Timings()
	if err != nil {
		return "", err
	}
	out := ""
	for _, s := range stages {
		out += fmt.Sprintf("stage %-22s %7.1f s (%d runs trained in it, %s profile)\n", s.Stage, s.Seconds, s.Trained, s.Profile)
	}
	return out + fmt.Sprintf("measured compute time: %.1f s (compilation included; the kernel's build of each cell adds ~10-40 s)\n", total), nil
}
