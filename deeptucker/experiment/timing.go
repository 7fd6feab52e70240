package experiment

import (
	"path/filepath"
	"time"

	"github.com/deeptucker/deeptucker/deeptucker/results"
)

// Timing is the measured wall time of one stage of a notebook (one cell's
// work, say), kept in <results>/timings.jsonl (a durable results.Store): GoNB runs every cell as its own
// process, so the last cell reads the others' times from there.
type Timing struct {
	Stage   string
	Profile string
	Seconds float64
	// Computed is the number of runs trained in this stage (0 when everything was already stored).
	Computed int
	At       time.Time
}

// TimingsFile is the name of the timings store in a results folder.
const TimingsFile = "timings.jsonl"

// RecordTiming stores (replacing an earlier one of the same stage) how long a
// stage took. A stage that computed nothing (everything was stored) does not
// replace an earlier record that did: the timing of the work is what a reader
// wants, not that of reading it back.
func RecordTiming(dir, stage string, elapsed time.Duration, computed int) error {
	s, err := OpenStore(filepath.Join(dir, TimingsFile), func(t Timing) string { return t.Stage })
	if err != nil {
		return err
	}
	if old, ok := s.Get(stage); ok && computed == 0 && old.Computed > 0 {
		return nil
	}
	profile, err := results.Profile()
	if err != nil {
		return err
	}
	return s.Append(Timing{Stage: stage, Profile: profile, Seconds: elapsed.Seconds(), Computed: computed, At: time.Now().UTC()})
}

// Timings returns the recorded stages of a results folder, in the order first
// recorded, and their total in seconds.
func Timings(dir string) ([]Timing, float64, error) {
	s, err := OpenStore(filepath.Join(dir, TimingsFile), func(t Timing) string { return t.Stage })
	if err != nil {
		return nil, 0, err
	}
	total := 0.0
	for _, t := range s.Rows() {
		total += t.Seconds
	}
	return s.Rows(), total, nil
}
