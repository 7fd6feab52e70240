// Package datasets provides the tensors that the deep Tucker experiments complete: the paper's
// synthetic low-rank tensor, the two real tensors of its section 5 (IL-2 and COVID-19), and the
// observation masks that split them into seen and held-out entries.
//
// # Vocabulary
//
// A data tensor A has shape d_0 x ... x d_{N-1}; modes are 0-based here (the paper's mode 1 is
// mode 0). A Tensor carries the values (a multilinear.Tensor), one name per mode, one tick label
// per index, and Present, the mask of entries that exist in the source. The paper's observed set
// Omega is the training mask returned by SplitMask; it lies inside Present. The held-out mask is
// Present minus Omega: the entries whose completion is scored (MSE on synthetic data, R2 on real
// data). A slice A_{..i..} fixes one index of one mode (Tensor.Slice); Tensor.Select keeps a
// subset of indices along one mode.
//
// # Missing entries
//
// NaN in a source file means "not measured": such an entry is false in Present and stays NaN in
// the values, so that no computation can mistake it for data. It is in neither the training
// nor the held-out mask. Tensor.ZeroFilled gives a copy with 0 there for algorithms that need
// finite inputs and take a mask (TensorLy's masked Tucker).
//
// # Real data
//
// LoadIL2 returns the IL-2 mutein response tensor, 13 ligands x 4 times x 12 doses x 8 cell
// types, values in [0, 1], with 192 NaN (ligands 3 and 4, "H16N N-term (Biv)" and
// "R38Q N-term (Biv)", at 0.5 h). LoadCOVID19 returns the COVID-19 systems serology tensor,
// 438 samples x 6 antigens x 11 receptors, centred over samples, with no NaN. Both files ship
// with TensorLy (MIT licence); labels follow TensorLy's loaders, and each tensor's Provenance
// names the file, its SHA-256, the reference and the licence.
//
// The files are never committed. A Source finds them: the directory named by the environment
// variable DEEPTUCKER_DATA_DIR if set (and then only there: a missing file is an error, not a
// download), otherwise the per-user cache (os.UserCacheDir()/deeptucker/datasets), otherwise a
// download from TensorLy's repository at a pinned commit. Every file is checked against its
// size and SHA-256 wherever it is found; a download is verified before it is written, and
// written atomically (temporary file, then rename). Errors name the file and the remedy.
// The .npy format is read with codeberg.org/sbinet/npyio, with our own checks that the array is
// little-endian float64 in C order and exactly as long as its header says.
//
// # The paper's shapes: our reading
//
// The paper reports IL-2 as (11, 4, 12) and COVID as (10, 6, 11) and does not say how it cut
// them from the (13, 4, 12, 8) and (438, 6, 11) tensors. IL2Subset and COVIDSample are our
// reading of the paper, not its stated choice:
//   - IL2Subset(il2, c): drop the two ligands that hold NaN, keep cell type c (one tensor per
//     cell type; evaluate all 8 and report the spread);
//   - COVIDSample(covid, 10, seed): 10 samples drawn uniformly without replacement (evaluate
//     several seeds and report the spread).
//
// The full tensors, IL-2 with its NaN as missing entries and all 438 COVID-19 samples, are the
// honest larger tests.
//
// # Synthetic data
//
// Synthetic builds a tensor of exactly the requested multilinear rank, default (10, 10, 10) of
// rank (3, 3, 3) as in section 5. RecipePaper (default) is our reading of the paper: a dense
// Gaussian core and dense orthonormal factors, scaled to Frobenius norm 1, so that every core
// slice norm is below 1 and the tensor is low-rank but not sparse. RecipeAuthors follows the
// authors' public data script. Both are seeded and documented at their constants.
//
// # Masks
//
// SplitMask observes exactly round(fraction * #present) entries, chosen uniformly among the
// present ones with a seeded PCG source. The paper observes 70% of the synthetic tensor and 30%
// of the real ones.
package datasets
