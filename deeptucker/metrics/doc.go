// Package metrics holds the host-side completion metrics shared by the deep Tucker model and
// the HOOI baseline, each on the entries a mask selects:
//
//   - MSE: mean squared error, the paper's test error on the held-out entries (synthetic data)
//     and its training loss (2) on the observed set Omega.
//   - R2: scikit-learn's r2_score, 1 - SS_res/SS_tot around the mean of the selected targets,
//     the score of Table 1 on the held-out entries of the real data.
//   - R2X: variance explained, 1 - ||X - Xhat||^2 / ||X||^2 (TensorLy's and tensorpack's
//     convention, not centred).
//
// Every function takes (pred, target, mask) in that order, mask selecting the entries to score
// (true = scored; nil = all). To score a completion on held-out data pass the complement of the
// training mask: metrics.R2(pred, truth, train.Complement()). Target entries the mask does not
// select are never read, so they may be NaN (unmeasured data).
package metrics
