// Package study is what the reproduction notebooks share, so that their cells stay a few lines each: the
// training regimes (named settings written with the deeptucker builders), completion problems with their
// protocol (observed fraction, data scale, subset), runs remembered by content (a notebook re-run trains only
// what its settings changed), Table 1's read-outs (learned multirank, Tucker-HOOI honest or leaky) and small
// statistics.
//
// # How results are kept
//
// Every run a notebook trains is stored in <folder>/runs.jsonl, results.Dir(notebook): notebooks/results/full/
// <notebook> (committed) in the full profile, build/results/ci/<notebook> in ci, or under
// $DEEPTUCKER_RESULTS_DIR; each row under the hash of its deeptucker.RunSpec: the model, the
// training (optimizer and every hyper-parameter, steps, batch, tolerance, dtype, record interval, objective
// terms and diagnostics, and a behavioural fingerprint of those functions), the run (seed, init std, learning
// rate), and SHA-256 fingerprints of its data, masks and starting parameters. Each row carries that spec as
// readable JSON. Change any of it and exactly the runs it touches train again; an unchanged re-run trains
// nothing. Functions enter by name and by that fingerprint, which sees most edits made under an unchanged name
// but not all (not one acting only after its first steps, such as a decay schedule; see deeptucker.Behaviour):
// rename an optimizer, term or diagnostic whenever you change what it does. For an optimizer of one's own that
// is enforced where it can be: the settings its New builds (plain data for GoMLX's optimizers and most others)
// are kept in optimizers.jsonl per name and fingerprint, and Train refuses the same name and fingerprint with
// other settings (a backoff or schedule the probe cannot see), naming the remedy. Figures and tables read the
// outcomes of the runs their cell asks for, never other rows of the file. A run stored with its history or
// parameters answers a request for the same run without them, trimmed (keeping them changes nothing the run
// computes).
// Delete the folder to start afresh.
//
// # Shards
//
// Run as a shard (DEEPTUCKER_SHARD=i/n, a Slurm job array or a Kubernetes indexed Job), a notebook trains the
// runs of shard i that are stored nowhere yet, into runs.shard-i-of-n.jsonl, and reads back the runs stored
// in runs.jsonl (committed ones, an earlier merge) or in its own file: nothing stored is trained again. A
// stage (a MustTrain call) some of whose runs belong to other shards and are not stored yet returns no
// outcomes, and says so: its figures and tables stay empty rather than show a part of the sweep. Train
// returns the outcomes it has with an error wrapping ErrIncomplete. When every shard has run,
// Notebook.Merge(n) gathers the files into runs.jsonl and the notebook, run without a shard, shows
// everything. A run stored with different results in two files (trained on two backends, whose results
// differ in the last bits) is refused by Merge with both files and backends named: delete the line of the
// one to drop, or run that shard again on the other's backend.
//
// # Timings
//
// Each stage's compute time is kept in timings.jsonl (a shard's in timings.shard-i-of-n.jsonl): the time
// stored with the runs it shows (their share of the Fit that trained them, compilation included), so that a
// re-run that trains nothing reports what the work cost. TimingReport lists the stages of the current
// notebook run (the GoNB kernel session; outside GoNB, the process): a stage renamed or removed since drops
// out of the report and its total.
//
// Figures and tables come back as package kernel's display values (kernel.Table, kernel.Scatter, ...), so this
// package imports kernel; its training and read-outs do not need a notebook or a running kernel.
package study
