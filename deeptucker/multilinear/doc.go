// Package multilinear is the host-side (float64, gonum) multilinear algebra of the project:
// dense tensors and masks, unfolding, n-mode products, Tucker reconstruction, the higher-order
// SVD and the multilinear rank. The deep model's diagnostics, the HOOI baseline (package hooi)
// and the notebooks share it. Names follow TensorLy (unfold, fold, mode_dot, multi_mode_dot,
// tucker_to_tensor) so that a reader coming from Python recognises them.
//
// # Vocabulary and the paper's symbols
//
// The paper ("Implicit Regularization in Deep Tucker Factorization", AISTATS 2024, section 2)
// writes a tensor T of size I_1 x ... x I_N, or d_1 x ... x d_N for the data.
//
//   - Mode: an index position. Modes are 0-based here: the paper's mode 1 is mode 0. A Tensor
//     is row-major (C order), the last mode varying fastest, as NumPy.
//   - Unfolding T_(n) (Unfold): the d_n x (prod_{k != n} d_k) matrix whose rows are indexed by
//     mode n. Its column order is TensorLy's (move mode n to the front, reshape in C order),
//     which is not Kolda and Bader's; ranks and singular values do not depend on it.
//   - n-mode product T x_n U (ModeDot, Definition 2.2): U is J x d_n; it replaces mode n's size
//     by J. MultiModeDot chains one product per mode; TuckerToTensor evaluates
//     [[G; U_1..U_N]] = G x_1 U_1 ... x_N U_N, the model W of equation (1).
//   - Slice C_{i_n=i} (SliceNorms): the subtensor with index n fixed to i. For the deep model's
//     core G the paper tracks ||G_{..r..}|| per mode (Fig. 3).
//   - HOSVD (HOSVD, Theorem 2.3): T = C x_1 U^(1) ... x_N U^(N) with orthogonal U^(n) and an
//     all-orthogonal core whose slice norms ||C_{i_n=i}|| = sigma_i^(n) are the n-mode singular
//     values, ordered decreasingly. Truncating to ranks (R_1..R_N) keeps the first R_n columns.
//   - Multilinear rank (MultilinearRank, Definition 2.1): the tuple of ranks of the unfoldings,
//     numerically the number of n-mode singular values above a tolerance. Fig. 5 counts mode-1
//     core slices of norm > 1e-4 after a full HOSVD: MultilinearRank(w, 1e-4)[0].
//
// # Conventions
//
// Singular vectors are signed as TensorLy signs them (svd_flip: the entry of largest magnitude
// in each column of U is positive), so results are deterministic and match TensorLy's to
// rounding; the tests compare with fixtures TensorLy wrote (deeptucker/testdata).
//
// Functions that take user data and can fail numerically (HOSVD, MultilinearRank,
// NModeSingularValues, TruncatedSVD) return errors; the building blocks (Unfold, Fold, ModeDot,
// MultiModeDot, TuckerToTensor, SliceNorms) panic, with a message naming the shapes, when
// called with mismatched shapes, as gonum's mat does for dimension mismatches.
package multilinear
