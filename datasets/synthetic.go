package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/deeptucker/deeptucker/deeptucker/hooi"
	"github.com/deeptucker/deeptucker/deeptucker/memguard"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// Recipe names a way of building a synthetic low-rank tensor.
type Recipe string

const (
	// RecipePaper is our reading of section 5 of the paper ("a random tensor of Tucker multirank
	// (3,3,3), built such that each slice of its Tucker core has a norm less than 1; low-rank but
	// not sparse"): W = G x_0 U_0 ... x_{N-1} U_{N-1} with a dense standard normal core G of shape
	// Rank and dense factors U_n (d_n x R_n) with orthonormal columns, drawn uniformly (Haar) by a
	// sign-corrected QR of a Gaussian matrix; then W is scaled to Frobenius norm Scale.
	//
	// Because the factors are orthonormal, ||W|| = ||G|| and the squared slice norms of the core
	// sum to Scale^2 along every mode; with the default Scale = 1 and every R_n >= 2, each core
	// slice norm is below 1, both for G and for the all-orthogonal HOSVD core of W.
	RecipePaper Recipe = "paper"

	// RecipeAuthors is our reading of the authors' public data script (make_data.py):
	//  1. A = standard normal tensor of shape Shape, divided by max |A|;
	//  2. "normalise slices": for each mode m in order, each mode-m slice of A is divided by its
	//     Frobenius norm at that moment (so the slices of the last mode end with norm 1, the others
	//     close to 1). The script divides by the norm of the slice of A while writing into a copy
	//     named BB; we read the two as the same array, the only reading under which the step
	//     normalises anything beyond the first mode;
	//  3. a rank-Rank Tucker decomposition of A by HOOI with TensorLy's defaults (init "svd",
	//     100 iterations at most, tol 1e-4; package hooi), and W its reconstruction.
	// W keeps its own scale unless Scale is set: for (10,10,10) at rank (3,3,3), seeds 0-4, its
	// Frobenius norm is 1.33-1.36 and its HOSVD core slice norms are between 0.6 and 0.93.
	RecipeAuthors Recipe = "authors"
)

// SyntheticOptions configures Synthetic. The zero value is the paper's setting with seed 0.
type SyntheticOptions struct {
	// Shape is (d_0, ..., d_{N-1}); nil means (10, 10, 10).
	Shape []int
	// Rank is the multilinear (Tucker) rank (R_0, ..., R_{N-1}) of the result; nil means 3 in
	// every mode (at most d_n). Each R_n must be in 1..d_n and at most the product of the other
	// ranks (no tensor has a larger mode-n rank).
	Rank []int
	// Seed seeds the PCG source. Same options, same tensor.
	Seed uint64
	// Scale is the Frobenius norm of the result. 0 means the recipe's default: 1 for RecipePaper
	// (entries about 0.03 for a 10x10x10 tensor, the scale our synthetic regime was tuned at), and the
	// authors' own scale for RecipeAuthors. Negative is an error.
	Scale float64
	// Recipe is RecipePaper (the default, "") or RecipeAuthors.
	Recipe Recipe
}

// rankTol is the relative threshold, against ||W||, under which a mode-n singular value counts
// as zero when Synthetic checks the rank it built.
const rankTol = 1e-9

// Synthetic returns a dense random tensor of exactly the requested multilinear rank, with every
// entry present. See RecipePaper and RecipeAuthors for how it is built; draw a training mask
// with Split or SplitMask (the paper observes 70%).
//
// It returns an error for a bad shape, rank, scale or recipe. It also checks the rank of what it
// built (mode-n singular values above, then below, 1e-9 ||W||), and returns an error if that
// check fails, which for Gaussian draws happens with probability zero.
func Synthetic(opts SyntheticOptions) (*Tensor, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, seedStreamSynthetic))
	var w *multilinear.Tensor
	switch o.Recipe {
	case RecipePaper:
		w = paperTensor(rng, o.Shape, o.Rank)
	case RecipeAuthors:
		if w, err = authorsTensor(rng, o.Shape, o.Rank); err != nil {
			return nil, err
		}
	}
	if o.Scale > 0 {
		f := o.Scale / w.Norm()
		for i := range w.Data {
			w.Data[i] *= f
		}
	}
	if err := checkRank(w, o.Rank); err != nil {
		return nil, fmt.Errorf("datasets: Synthetic(%+v): %w", o, err)
	}

	modeNames := make([]string, len(o.Shape))
	labels := make([][]string, len(o.Shape))
	for n, d := range o.Shape {
		modeNames[n] = "mode " + strconv.Itoa(n)
		labels[n] = make([]string, d)
		for i := range d {
			labels[n][i] = strconv.Itoa(i)
		}
	}
	name := fmt.Sprintf("synthetic %v rank %v (%s recipe, seed %d)", o.Shape, o.Rank, o.Recipe, o.Seed)
	prov := fmt.Sprintf("Synthetic(Shape %v, Rank %v, Seed %d, Scale %v, Recipe %q); Frobenius norm %.6g", o.Shape, o.Rank, o.Seed, o.Scale, o.Recipe, w.Norm())
	t, err := newTensor(w, name, modeNames, labels, prov)
	if err != nil {
		return nil, err
	}
	t.Key = fmt.Sprintf("synthetic/%s/shape=%s/rank=%s/seed=%d/scale=%g", o.Recipe, joinInts(o.Shape), joinInts(o.Rank), o.Seed, o.Scale)
	return t, nil
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, "x")
}

// withDefaults fills the defaults and validates the options.
func (o SyntheticOptions) withDefaults() (SyntheticOptions, error) {
	if o.Shape == nil {
		o.Shape = []int{10, 10, 10}
	}
	o.Shape = slices.Clone(o.Shape)
	if len(o.Shape) == 0 {
		return o, fmt.Errorf("datasets: Synthetic: empty shape")
	}
	for n, d := range o.Shape {
		if d <= 0 {
			return o, fmt.Errorf("datasets: Synthetic: shape[%d]=%d must be positive (shape %v)", n, d, o.Shape)
		}
	}
	entries, err := multilinear.Entries(o.Shape) // checked first: the rank products below are at most this
	if err != nil {
		return o, fmt.Errorf("datasets: Synthetic: %w; use a smaller Shape", err)
	}
	if o.Rank == nil {
		o.Rank = make([]int, len(o.Shape))
		for n, d := range o.Shape {
			o.Rank[n] = min(3, d)
		}
	}
	o.Rank = slices.Clone(o.Rank)
	if err := multilinear.CheckRanks(o.Shape, o.Rank); err != nil {
		return o, fmt.Errorf("datasets: Synthetic: %w", err)
	}
	for n, r := range o.Rank {
		others := 1
		for k, rk := range o.Rank {
			if k != n {
				others *= rk
			}
		}
		if r > others {
			return o, fmt.Errorf("datasets: Synthetic: rank %v is impossible: R_%d=%d exceeds the product %d of the other ranks", o.Rank, n, r, others)
		}
	}
	// Refuse, before allocating, a tensor that would not fit: building and checking it holds about six
	// float64 copies of it (the tensor, the Tucker products, the unfoldings whose rank is checked, the
	// mask), the factors, and a label per index.
	need := 6 * 8 * float64(entries)
	for n, d := range o.Shape {
		need += float64(d) * (8*float64(o.Rank[n]) + 32)
	}
	if err := memguard.Check(fmt.Sprintf("datasets: Synthetic with shape %v", o.Shape), need); err != nil {
		return o, fmt.Errorf("%w; use a smaller Shape", err)
	}
	if math.IsNaN(o.Scale) || math.IsInf(o.Scale, 0) || o.Scale < 0 {
		return o, fmt.Errorf("datasets: Synthetic: scale %v must be a finite number >= 0 (0 = the recipe's default)", o.Scale)
	}
	switch o.Recipe {
	case "":
		o.Recipe = RecipePaper
		fallthrough
	case RecipePaper:
		if o.Scale == 0 {
			o.Scale = 1
		}
	case RecipeAuthors:
	default:
		return o, fmt.Errorf("datasets: Synthetic: unknown recipe %q, want %q or %q", o.Recipe, RecipePaper, RecipeAuthors)
	}
	return o, nil
}

// paperTensor builds G x_0 U_0 ... x_{N-1} U_{N-1} with a standard normal core and Haar
// orthonormal factors (unscaled).
func paperTensor(rng *rand.Rand, shape, rank []int) *multilinear.Tensor {
	core := multilinear.New(rank...)
	for i := range core.Data {
		core.Data[i] = rng.NormFloat64()
	}
	factors := make([]*mat.Dense, len(shape))
	for n := range shape {
		factors[n] = haarColumns(rng, shape[n], rank[n])
	}
	return multilinear.TuckerToTensor(core, factors)
}

// haarColumns returns a d x r matrix with orthonormal columns drawn uniformly: the Q of a
// Gaussian matrix's QR, with each column's sign fixed by the sign of R's diagonal (without the
// fix the distribution is not uniform; Mezzadri 2007).
func haarColumns(rng *rand.Rand, d, r int) *mat.Dense {
	g := mat.NewDense(d, r, nil)
	for i := range d {
		for j := range r {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q, rr mat.Dense
	qr.QTo(&q)
	qr.RTo(&rr)
	u := mat.NewDense(d, r, nil)
	for j := range r {
		s := 1.0
		if rr.At(j, j) < 0 {
			s = -1
		}
		for i := range d {
			u.Set(i, j, s*q.At(i, j))
		}
	}
	return u
}

// authorsTensor follows RecipeAuthors.
func authorsTensor(rng *rand.Rand, shape, rank []int) (*multilinear.Tensor, error) {
	a := multilinear.New(shape...)
	maxAbs := 0.0
	for i := range a.Data {
		a.Data[i] = rng.NormFloat64()
		maxAbs = max(maxAbs, math.Abs(a.Data[i]))
	}
	for i := range a.Data {
		a.Data[i] /= maxAbs
	}
	normaliseSlices(a)
	res, err := hooi.Tucker(a, rank)
	if err != nil {
		return nil, fmt.Errorf("datasets: Synthetic (authors' recipe): %w", err)
	}
	return res.Reconstruct(), nil
}

// normaliseSlices divides, for each mode m in turn, every mode-m slice of a by its current
// Frobenius norm (step 2 of RecipeAuthors). The slices of the last mode end with norm 1.
func normaliseSlices(a *multilinear.Tensor) {
	strides := a.Strides()
	for m, d := range a.Shape {
		norms := multilinear.SliceNorms(a, m)
		for off := range a.Data {
			a.Data[off] /= norms[(off/strides[m])%d]
		}
	}
}

// checkRank verifies that w has multilinear rank exactly rank: in each mode n the R_n-th
// singular value is above rankTol*||w|| and the next one (if any) below it.
func checkRank(w *multilinear.Tensor, rank []int) error {
	sv, err := multilinear.NModeSingularValues(w)
	if err != nil {
		return err
	}
	tol := rankTol * w.Norm()
	for n, s := range sv {
		r := rank[n]
		if s[r-1] <= tol || (r < len(s) && s[r] > tol) {
			return fmt.Errorf("built a tensor whose mode-%d singular values %v do not show rank %d (threshold %.3g)", n, s, r, tol)
		}
	}
	return nil
}
