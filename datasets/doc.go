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
// LoadIL2 returns the IL-2 mutein response tensor (Orcutt-Jahns et al. 2021): 13 ligands x
// 4 times (4, 2, 1, 0.5 h) x 12 doses (geometric from 84 down to 0.000474) x 8 cell types,
// values in [0, 1] (each cell type max-normalised), with 192 NaN: ligands 3 and 4
// ("H16N N-term (Biv)", "R38Q N-term (Biv)") were not measured at 0.5 h. LoadCOVID19 returns
// the COVID-19 systems serology tensor (Tan et al. 2021, Zohar et al. 2020): 438 samples x
// 6 antigens x 11 receptors, every (antigen, receptor) fibre centred over the samples, no NaN;
// the samples come in severity blocks (Negative 39, Mild 7, Moderate 122, Severe 196,
// Deceased 74). Both files ship with TensorLy (MIT licence, Copyright The Regents of the
// University of California), byte-identical in every release since 0.8.0; labels follow
// TensorLy's loaders, and each tensor's Provenance names the file, its SHA-256, the references
// and the licence.
//
// The files are pinned by address and checksum (UpstreamBaseURL, IL2File, COVID19File):
//
//	https://raw.githubusercontent.com/tensorly/tensorly/acc439e9f9662c2b10ccdb53e5e88a0a40090525/tensorly/datasets/data/
//	IL2_Response_Tensor.npy  40064 bytes   SHA-256 c8a8df301c943683104345fc4155061c7fc303d6ccdbad18ca1ce472ee82d7d1
//	COVID19_data.npy         231392 bytes  SHA-256 b1e2f72e0211f556c6c32cd66368a9a3c4ee521aed116d195fdadb07bf498aad
//
// The files are never committed. A Source finds them: the directory named by the environment
// variable DEEPTUCKER_DATA_DIR if set (and then only there: a missing file is an error, not a
// download), otherwise the per-user cache (os.UserCacheDir()/deeptucker/datasets), otherwise a
// download from the pinned address into that cache. Every file is checked against its size and
// SHA-256 wherever it is found; a download is verified before it is written, and written
// atomically (temporary file, then rename); temporary files a crash left behind are removed by
// the next download once they are an hour old. Without network access and without the files,
// the loaders return an UnavailableError: one sentence saying to set DEEPTUCKER_DATA_DIR to a
// directory holding the files. The .npy format is read with codeberg.org/sbinet/npyio, with
// our own checks that the array is little-endian float64 in C order and exactly as long as its
// header says.
//
// # The paper's shapes: our readings
//
// The paper reports IL-2 as (11, 4, 12) and COVID as (10, 6, 11) and does not say how it cut
// them from the (13, 4, 12, 8) and (438, 6, 11) tensors. The functions below are our readings of
// the paper, never its stated choice; each sets Tensor.Key, which names the cut used (stored results are
// keyed by the data's contents, so two cuts never share results).
//
// IL-2 (11, 4, 12): drop the two ligands that hold NaN, the only choice of 11 ligands that
// leaves no NaN, then
//   - IL2Subset(il2, c): keep cell type c (evaluate all 8 and report the spread);
//   - IL2MeanOverCells(il2): average over the 8 cell types.
//
// COVID-19 (10, 6, 11):
//   - COVIDSample(covid, 10, seed): 10 samples drawn uniformly without replacement (evaluate
//     several seeds and report the spread);
//   - COVIDClassSample(covid, class, 10, seed): 10 samples of one severity class;
//   - COVIDFirst(covid, 10): the first 10 samples, all "Negative".
//
// The full tensors, IL-2 with its NaN as missing entries and all 438 COVID-19 samples, are the
// honest larger tests.
//
// # Data scale
//
// Scale returns a problem at ScaleRaw (the values as loaded, the authors' set-up) or ScaleNorm1
// (divided by ObservedNorm, the Frobenius norm estimated from the observed entries only, so
// that no held-out value leaks into training). R2 on held-out entries does not depend on the
// scale; training dynamics do.
//
// # Your own data
//
// FromTensor, FromSlice and FromNPY turn a user's tensor (a multilinear.Tensor, a Go slice in
// C order with a shape, or a float64 .npy file) into a Tensor: NaN marks entries never measured,
// Meta gives optional names and labels, and Split, ZeroFilled, Select, Slice and Scale work as
// on the real data.
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
// present ones with a seeded PCG source. The paper observes 70% of the synthetic tensor; for the
// real ones its text says "70% of missing data" (ObservedLiteral, 30% observed), while its
// synthetic experiments and the authors' public script hold out 30% (ObservedMatching, 70%
// observed). Both readings are offered; record which one a result used.
package datasets
