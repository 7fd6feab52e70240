// Package deeptucker completes tensors with a deep Tucker factorization (Hariz et al., AISTATS 2024) on GoMLX,
// and records the quantities the paper's theory is about.
//
// # Vocabulary (paper symbols)
//
//   - Data A of shape d_1 x ... x d_N with observed entries Ω (a mask); the loss (2) is the mean squared error
//     over Ω.
//   - W = G ×_1 V(1) ×_2 ... ×_N V(N) (eq. 1). The core G has the data's shape by default (no rank is chosen);
//     Model.CoreShape can make it smaller (r_1..r_N) for large modes.
//   - Column r of V(n) is A_1^{n,r} ··· A_{k_n}^{n,r} w_r^n: every column has its own k_n matrices of d_n x d_n.
//     The depth of mode n is D_n = k_n + 1; depth 1 is plain Tucker with free columns; depth 0 leaves the mode
//     unfactorised (W = G along it), the authors' control. A diagonal core gives deep CP.
//   - A mode-n slice of the core is G_{..r..} (index r fixed along mode n). Its norm ||G_{..r..}|| is what
//     Theorem 4.3 and Corollary 4.4 follow; Record.SliceNorms holds them, Record.ColumnNorms the norms of the
//     columns of V(n), Record.ActiveColumns the count above a threshold (Fig. 4), and Record.Epsilon the
//     unbalancedness ε(t) of Definition 4.2, conserved by gradient flow (Lemma 4.1).
//
// Modes are 0-based in Go: the paper's mode 1 is mode 0 here.
//
// # Batched training
//
// Fit trains several runs at once: every parameter carries a leading "model" axis, so M runs (different
// seeds, init std, learning rate, data or masks) share one compiled step. The reconstruction is a chain of
// batched DotGeneral contractions: no loop over columns, no one-hot inputs; the squared error's gradients are
// the same contractions walked back through the forward pass's partial products (gradients.go), any other
// objective term is differentiated by GoMLX. Training uses GoMLX's context variables and optimizers (any
// optimizers.Interface, see Optimizer) in Fit's own loop: TrainingBuilder.StepsPerCall steps unrolled per
// compiled call, nothing brought to the host between records, runs split over a backend's devices (XLA's CPU
// plugin has 4 host devices unless DEEPTUCKER_XLA_CPU_DEVICES says otherwise, and Fit opens it with as many as
// a group of runs splits over, one for a single run; results equal unsplit ones), and on
// that plugin a small step's calls run on the calling thread (SyncStepFLOPs; the same results, faster). For an
// element-wise optimizer (Optimizer.Elementwise: Adam, Keras' Adam, gradient descent) all of a run's parameters
// live in one flat variable that the graph slices into tensors, so the update is one fused pass and a call
// moves three variables, not three per tensor; checkpoints are the same in either layout.
//
// # Defaults
//
// NewModel draws a Gaussian init with DefaultInitStd: the std at which the initial W has entries of RMS
// DefaultInitRMS (1e-4), so that the start is small at every order and depth without being so small that the
// runs never move (a fixed std shrinks W geometrically with order x depth). NewTraining is Adam (lr 1e-3,
// epsilon 1e-8), 5,000 full-batch steps in float64. A run still at its initial loss at the end is flagged
// (RunResult.Stuck).
//
// # Backends
//
// Unset, GOMLX_BACKEND means XLA's CPU plugin when `make setup` installed it into the repository's .venv, and
// the pure-Go "go" backend (simplego, nothing to install) otherwise; "xla:cpu", "xla:cuda" or
// "xla:/abs/path/plugin.so" select XLA with no code change: see package backend.
//
// A typical use:
//
//	model, err := deeptucker.NewModel(10, 10, 10).Depth(3).InitStd(0.05).Done()
//	training, err := deeptucker.NewTraining().Adam(3e-3).Epsilon(1e-8).Steps(3000).RecordEvery(50).Done()
//	res, err := deeptucker.Fit(model, training,
//		deeptucker.Run{Target: x, Train: train, HeldOut: heldOut, Seed: 1},
//		deeptucker.Run{Target: x, Train: train, HeldOut: heldOut, Seed: 2})
//	for _, run := range res.Runs {
//		fmt.Println(run.Final().HeldOutMSE, run.Final().ActiveColumns)
//	}
package deeptucker
