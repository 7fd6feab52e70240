// Package experiment is the plumbing the reproduction notebooks share: where
// results are kept, sweeps over (depth, init std, learning rate, seed) turned
// into batched deeptucker.Fit calls, one summary row per run appended to a
// JSON-lines file as each batch finishes (so a sweep survives a dead kernel
// and a re-run skips what is done), and the Table-1 logic of the paper
// (section 5.2): the multilinear rank (R_1..R_N) a learned W converged to,
// read from its HOSVD at a tolerance, then Tucker-HOOI at that multirank,
// both scored by R2 on the held-out entries.
//
// # Vocabulary (paper symbols)
//
//   - A run is one deep Tucker model W = G ×_1 V(1) ··· ×_N V(N) trained on the
//     observed entries Ω of a tensor A; Job names one run of a sweep.
//   - Depth D = k+1 (the same on every mode here); InitStd is the init std and
//     LearningRate Adam's step.
//   - Summary.ActiveColumns[n] is the Fig. 4 count: columns of V(n) with squared
//     norm > 0.01. Summary.Multirank is the Fig. 5 count: n-mode singular
//     values of W (the HOSVD core slice norms) above the rank tolerance (1e-4
//     for Fig. 5). Modes are 0-based: the paper's mode 1 is index 0.
//   - HeldOutMSE is the paper's test error (synthetic); HeldOutR2 the R2 of
//     Figs. 6-7 and Table 1 (real data).
//
// # Where results go
//
// ResultsDir returns $DEEPTUCKER_RESULTS_DIR/<profile>/<notebook> when that
// variable is set, and <repo>/build/results/<profile>/<notebook> otherwise
// (<repo> found by walking up to this module's go.mod), the profile being
// DEEPTUCKER_PROFILE (ci or full). The profile is part of the path so that a
// quick ci run never stands in for a full one. Delete the folder to recompute.
//
// # What else is here
//
//   - Regime: the training settings (init scheme and std, Adam's learning rate
//     and epsilon, steps, dtype, core cap) a notebook states and runs.
//   - Completion: a real-data problem (70% of the present entries held out,
//     target scaled to about norm 1 from the observed entries only) and
//     HOOISummarizer, the Table-1 hook for a Sweep.
//   - History: one run's diagnostics over training (Fig. 3), storable as JSON.
//   - CoreGradient, RateLaw, Prop46: Theorem 4.3's right-hand side and
//     Proposition 4.6's bound evaluated on a learned factorization.
//   - Timing: per-stage wall times, so the last cell of a notebook can state
//     its measured time (GoNB runs every cell as its own process).
//
// This package imports no display code: notebooks show its results with
// package kernel.
package experiment
