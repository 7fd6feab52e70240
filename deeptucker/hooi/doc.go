// Package hooi is the Tucker-HOOI baseline of the paper's Table 1: a host-side (float64, gonum)
// reimplementation of TensorLy's tucker(tensor, rank, mask=..., init=..., tol=..., n_iter_max=...)
// (TensorLy 0.8-0.10), checked against fixtures TensorLy wrote (deeptucker/testdata).
//
// The paper compares deep Tucker with HOOI at the multilinear rank (R_1..R_N) the deep model
// converged to, scoring both by R2 on the held-out entries (package metrics).
//
// # Algorithm
//
// X is the input with missing entries set to 0 (NaN there is ignored), M the mask (1 = observed),
// r = (r_0..r_{N-1}) the rank; modes are 0-based (the paper's mode 1 is mode 0).
//
// Initialisation, InitSVD (default): for each mode n, U_n = the r_n leading left singular
// vectors of the unfolding X_(n). With a mask, first repeat 5 times (WithSVDMaskRepeats): fill
// the missing entries of X_(n) with those of its rank-r_n SVD reconstruction and take the SVD
// again. Then G = X x_0 U_0^T ... x_{N-1} U_{N-1}^T, from the unfilled X.
// InitRandom: G uniform in [0.01, 1.01), U_n uniform in [0, 1), seeded (WithSeed).
// WithInitTucker(G, U_0..U_{N-1}), TensorLy's init=TuckerTensor or init=(core, factors): the
// given decomposition as is, not refitted nor orthonormalised (copies; their shapes must be rank
// and d_n x r_n). With a nil core, TensorLy's init=[factors]: G = X x_0 U_0^T ... x_{N-1} U_{N-1}^T
// from the unfilled X. A nil factor is the d_n x d_n identity (a mode of depth 0 of a deep Tucker
// run; rank r_n = d_n). Step 2 updates U_0 from U_1..U_{N-1} only, so without a mask the given G
// and U_0 are never read (MaxIter 0 returns them as given); with a mask step 1 first fills the
// missing entries with [[G; U]], the given decomposition's completion. Warm-start from an earlier
// result res with WithInitTucker(res.Core, res.Factors...): with tol 0, k iterations and then
// m more from the result are the k+m iterations of one run. TensorLy does not check a given
// (core, factors) against rank (its first iteration changes rank); here the ranks must agree.
//
// Each iteration k = 0, 1, ...:
//  1. with a mask, T = X*M + [[G; U]]*(1-M) (T carries over from the last iteration; without a
//     mask T = X);
//  2. for n in order, U_n = r_n leading left singular vectors of the unfolding along n of
//     T x_{m != n} U_m^T (the other factors as updated so far);
//  3. G = T x_0 U_0^T ... x_{N-1} U_{N-1}^T;
//  4. e_k = sqrt(| ||X||^2 - ||G||^2 |) / ||X||;
//  5. stop if k >= 2 and |e_{k-1} - e_k| < tol (tol 1e-4; tol 0 never stops early), or after
//     MaxIter (100) iterations.
//
// Every SVD is signed as TensorLy's svd_flip signs it (largest-magnitude entry of each column of
// U positive). When r_n exceeds the number of columns of the unfolding, the extra columns of
// U_n complete an orthonormal basis: TensorLy 0.10 draws them at random, here they come from
// the full SVD; the matching core slices are zero either way.
//
// # Honest and leaky
//
// The algorithm above is the honest baseline: x is never read at missing entries. TensorLy
// reads them when tucker(X, rank, mask=M) is given the complete tensor X: X then enters the SVD
// initialisation, the initial core (also the core WithInitTucker computes for a nil core) and
// ||X|| unchanged. ReadHiddenEntries reproduces that call
// (checked against TensorLy's fixtures like the honest one) to calibrate published numbers; its
// completions have seen the held-out values and are no baseline.
//
// Note that with a mask e_k mixes the zero-filled X with the imputed T and can grow over the
// iterations; it tracks convergence, not accuracy. Score completions with package metrics.
package hooi
