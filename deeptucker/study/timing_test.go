package study

import (
	"strings"
	"testing"

	"github.com/deeptucker/deeptucker/deeptucker/results"
)

// inSession makes the following records and reports those of a notebook run (a GoNB kernel session) named id.
func inSession(t *testing.T, id string) {
	old := session
	session = func() string { return id }
	t.Cleanup(func() { session = old })
}

// TestTimingReportIsTheCurrentRun: the report lists the stages of this notebook run only (a stage renamed or
// removed since an earlier run is left out of it and of its total), a stage shows the compute time of the runs
// it shows now (not an earlier, different workload's), and a stage read back in another cell of the same run
// keeps the time of its training.
func TestTimingReportIsTheCurrentRun(t *testing.T) {
	t.Setenv(results.ProfileEnv, "ci")
	t.Setenv(results.ResultsEnv, t.TempDir())
	nb := openAs(t, "")
	record := func(stage string, p Plan) {
		t.Helper()
		if err := nb.RecordTiming(stage, p); err != nil {
			t.Fatal(err)
		}
	}
	inSession(t, "run 1")
	record("old name", Plan{ToTrain: 4, Seconds: 100, Workload: "w0"})
	record("train", Plan{ToTrain: 8, Seconds: 50, Workload: "w1"})

	inSession(t, "run 2") // the notebook edited: "old name" removed, "train" now reads back other, stored runs
	record("train", Plan{Stored: 2, Seconds: 7, Workload: "w2"})
	record("new", Plan{ToTrain: 3, Seconds: 20, Workload: "w3"})
	record("new", Plan{Stored: 3, Seconds: 20, Workload: "w3"}) // a later cell reads it back
	stages, total, stale, err := nb.Timings()
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) != 2 || stages[0].Stage != "train" || stages[1].Stage != "new" || total != 27 || stale {
		t.Fatalf("run 2: stages %+v, total %v (stale %v); want train (7 s) and new (20 s), 27 s", stages, total, stale)
	}
	if stages[0].Seconds != 7 || stages[0].Runs != 2 || stages[1].Trained != 3 || stages[1].Runs != 3 {
		t.Errorf("run 2: %+v, want train 7 s of 2 runs, new with its 3 runs trained", stages)
	}
	report, err := nb.TimingReport()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(report, "old name") || !strings.Contains(report, "measured compute time: 27.0 s") {
		t.Errorf("report of run 2:\n%s", report)
	}

	// A stage renamed within one kernel session: the later name of the same runs replaces the earlier.
	record("newer", Plan{Stored: 3, Seconds: 20, Workload: "w3"})
	if stages, total, _, _ := nb.Timings(); len(stages) != 2 || stages[1].Stage != "newer" || total != 27 {
		t.Errorf("after a rename in the session: %+v, %v", stages, total)
	}

	// A restarted kernel running only the report's cell: the last run's stages, said to be so.
	inSession(t, "run 3")
	report, err = nb.TimingReport()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(report, "no stage ran in this kernel session") || !strings.Contains(report, "stage train") || strings.Contains(report, "old name") {
		t.Errorf("report of a session that ran nothing:\n%s", report)
	}
}

// TestShardTimingsAreTheShards: a shard records its stages in its own timings file, so the notebook's report
// is not replaced by one shard's share.
func TestShardTimingsAreTheShards(t *testing.T) {
	t.Setenv(results.ProfileEnv, "ci")
	t.Setenv(results.ResultsEnv, t.TempDir())
	inSession(t, "s")
	whole, shard := openAs(t, ""), openAs(t, "1/4")
	whole.RecordTiming("train", Plan{ToTrain: 8, Seconds: 80, Workload: "w"})
	shard.RecordTiming("train", Plan{ToTrain: 2, Elsewhere: 6, Seconds: 20, Workload: "w"})
	if _, total, _, _ := whole.Timings(); total != 80 {
		t.Errorf("the notebook's time after a shard ran: %v s, want 80", total)
	}
	if r, _ := shard.TimingReport(); !strings.Contains(r, "shard 1/4") || !strings.Contains(r, "20.0 s") {
		t.Errorf("the shard's report:\n%s", r)
	}
}
