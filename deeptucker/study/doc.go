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
// rename an optimizer, term or diagnostic whenever you change what it does. Figures and tables read the outcomes of the runs their cell asks for, never other rows of the file.
// Delete the folder to start afresh.
//
// This package imports the display helpers of package kernel only for figure builders; its training and
// read-outs do not need a notebook.
package study
