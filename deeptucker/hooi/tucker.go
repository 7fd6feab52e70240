package hooi

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// Result is a Tucker decomposition X ~ G x_0 U_0 ... x_{N-1} U_{N-1} found by HOOI.
type Result struct {
	// Core is G, of shape rank.
	Core *multilinear.Tensor
	// Factors[n] is U_n, d_n x rank[n], with orthonormal columns (after at least one iteration;
	// with MaxIter 0 they are the initialisation's).
	Factors []*mat.Dense
	// RecErrors[k] is TensorLy's reconstruction error after iteration k:
	// sqrt(| ||X0||^2 - ||G||^2 |) / ||X0||, X0 the input with missing entries set to 0 and G the
	// core of the imputed tensor. The subtraction of squares makes it bottom out near
	// sqrt(eps) ~ 1e-8 for an exact fit. With a mask it is not the error on the observed entries
	// (X0 lacks the imputed values, G has them); use the metrics package for that.
	RecErrors []float64
	// Iterations is the number of iterations run, len(RecErrors).
	Iterations int
	// Converged reports that the tolerance test stopped the iterations before MaxIter.
	Converged bool
}

// Reconstruct returns the full tensor G x_0 U_0 ... x_{N-1} U_{N-1}; its entries at missing
// positions are the completion.
func (r *Result) Reconstruct() *multilinear.Tensor {
	return multilinear.TuckerToTensor(r.Core, r.Factors)
}

// Tucker computes a Tucker decomposition of x with multilinear rank `rank` by Higher-Order
// Orthogonal Iteration, as TensorLy's tucker(x, rank, mask=..., init=..., tol=..., n_iter_max=...)
// does (its algorithm is spelled out in the package documentation). Modes are 0-based.
//
// With WithMask, missing entries of x are treated as 0, as a TensorLy user must write them
// (NumPy's NaN*0 is NaN), so x may hold NaN there. Observed entries (every entry, without a
// mask) must be finite. ReadHiddenEntries instead reads x at missing entries as TensorLy does
// when given the complete tensor: a leak, for calibration only.
//
// Tucker returns an error if rank does not have one entry per mode in 1..d_n, if the mask does
// not fit x or observes no entry, if an observed entry is NaN or infinite, if every observed
// entry is 0 (the relative error is then undefined), if the observed entries' norm overflows
// float64 (scale x first), if an option is out of range, or if WithInitTucker's decomposition
// does not fit x and rank (see WithInitTucker). Not converging within MaxIter is not an error:
// see Result.Converged.
func Tucker(x *multilinear.Tensor, rank []int, opts ...Option) (*Result, error) {
	c := defaults()
	for _, o := range opts {
		o(&c)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if err := x.Validate(); err != nil {
		return nil, fmt.Errorf("hooi: input: %w", err)
	}
	if err := multilinear.CheckRanks(x.Shape, rank); err != nil {
		return nil, fmt.Errorf("hooi: %w", err)
	}
	x0, err := observedCopy(x, c.mask, c.readHidden)
	if err != nil {
		return nil, err
	}
	norm := x0.Norm()
	if norm == 0 {
		return nil, fmt.Errorf("hooi: every observed entry of the %v input is 0: the relative error is undefined", x.Shape)
	}
	if math.IsInf(norm, 0) {
		return nil, fmt.Errorf("hooi: the norm of the %v input's observed entries overflows float64 (entries near 1e308): scale the tensor first", x.Shape)
	}

	var core *multilinear.Tensor
	var factors []*mat.Dense
	switch c.init {
	case InitSVD:
		factors, err = svdInit(x0, c.mask, rank, c.svdMaskRepeats)
		if err != nil {
			return nil, err
		}
		core = multilinear.MultiModeDot(x0, asMatrices(factors), true) // from the unfilled tensor
	case InitRandom:
		core, factors = randomInit(x.Shape, rank, c.seed)
	case initTucker:
		core, factors, err = c.start.decomposition(x0, rank)
		if err != nil {
			return nil, err
		}
	}

	res := &Result{}
	tensor := x0 // with a mask, its missing entries are replaced in place each iteration
	for it := 0; it < c.maxIter; it++ {
		if c.mask != nil {
			rec := multilinear.TuckerToTensor(core, factors)
			for i, o := range c.mask.Observed {
				if !o {
					tensor.Data[i] = rec.Data[i]
				}
			}
		}
		for n := range rank {
			y := tensor
			for k, f := range factors {
				if k != n {
					y = multilinear.ModeDot(y, f.T(), k)
				}
			}
			u, _, _, err := multilinear.TruncatedSVD(multilinear.Unfold(y, n), rank[n], false)
			if err != nil {
				return nil, fmt.Errorf("hooi: iteration %d, mode %d: %w", it, n, err)
			}
			factors[n] = u
		}
		core = multilinear.MultiModeDot(tensor, asMatrices(factors), true)
		cn := core.Norm()
		// The factors are orthonormal, so ||G|| is the norm of the reconstruction.
		rec := math.Sqrt(math.Abs(norm*norm-cn*cn)) / norm
		if n2 := norm * norm; math.IsInf(n2, 1) || n2 < 0x1p-1022 {
			// A norm beyond about 1e154 (or below 1e-154): its square overflows (or underflows), so take
			// the ratio first. Other norms keep the plain formula, bit for bit.
			r := cn / norm
			rec = math.Sqrt(math.Abs(1 - r*r))
		}
		res.RecErrors = append(res.RecErrors, rec)
		// TensorLy checks from the third iteration on (iteration > 1), and tol = 0 disables it.
		if k := len(res.RecErrors); it > 1 && c.tol > 0 && math.Abs(res.RecErrors[k-2]-res.RecErrors[k-1]) < c.tol {
			res.Converged = true
			break
		}
	}
	res.Core, res.Factors, res.Iterations = core, factors, len(res.RecErrors)
	return res, nil
}

// observedCopy returns a copy of x with the entries mask marks missing set to 0, after
// checking the mask and that every observed entry is finite. With readHidden (ReadHiddenEntries)
// the missing entries keep their values, which must then be finite too: TensorLy's input when
// it is given the complete tensor.
func observedCopy(x *multilinear.Tensor, mask *multilinear.Mask, readHidden bool) (*multilinear.Tensor, error) {
	out := x.Clone()
	if mask != nil {
		if err := mask.CheckFits(x); err != nil {
			return nil, fmt.Errorf("hooi: %w", err)
		}
		if mask.Count() == 0 {
			return nil, fmt.Errorf("hooi: the mask of shape %v observes no entry", mask.Shape)
		}
	}
	for i, v := range out.Data {
		if mask != nil && !mask.Observed[i] && !readHidden {
			out.Data[i] = 0
			continue
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			where := "observed"
			switch {
			case mask == nil:
				where = "(no mask given)"
			case !mask.Observed[i]:
				return nil, fmt.Errorf("hooi: entry %v of the input is %v at a missing entry; ReadHiddenEntries needs the complete tensor (drop the option for the honest HOOI, which never reads missing entries)",
					multilinear.Unravel(x.Shape, i), v)
			}
			return nil, fmt.Errorf("hooi: entry %v of the input is %v %s; mark missing entries false in a mask",
				multilinear.Unravel(x.Shape, i), v, where)
		}
	}
	return out, nil
}

// svdInit is TensorLy's init="svd": per mode, the leading left singular vectors of the
// unfolding; with a mask, `repeats` rounds of "fill the missing entries of the unfolding with
// its rank-r SVD reconstruction, then SVD again" first. Each mode starts from the unfilled
// (zero at missing) unfolding.
func svdInit(x0 *multilinear.Tensor, mask *multilinear.Mask, rank []int, repeats int) ([]*mat.Dense, error) {
	var maskT *multilinear.Tensor
	if mask != nil {
		maskT = multilinear.New(mask.Shape...)
		for i, o := range mask.Observed {
			if o {
				maskT.Data[i] = 1
			}
		}
	}
	factors := make([]*mat.Dense, len(rank))
	for n, r := range rank {
		a := multilinear.Unfold(x0, n)
		if mask == nil || repeats == 0 {
			u, _, _, err := multilinear.TruncatedSVD(a, r, false)
			if err != nil {
				return nil, fmt.Errorf("hooi: svd init, mode %d: %w", n, err)
			}
			factors[n] = u
			continue
		}
		obs := multilinear.Unfold(maskT, n).RawMatrix().Data
		ad := a.RawMatrix().Data // a is freshly allocated: contiguous, stride = cols
		u, s, vt, err := multilinear.TruncatedSVD(a, r, true)
		if err != nil {
			return nil, fmt.Errorf("hooi: svd init, mode %d: %w", n, err)
		}
		var rec mat.Dense
		for k := 0; k < repeats; k++ {
			us := mat.DenseCopyOf(u) // u * diag(s)
			raw := us.RawMatrix()
			for i := 0; i < raw.Rows; i++ {
				row := raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols]
				for j := range row {
					row[j] *= s[j]
				}
			}
			rec.Mul(us, vt)
			rd := rec.RawMatrix().Data
			for i, o := range obs {
				if o == 0 {
					ad[i] = rd[i]
				}
			}
			u, s, vt, err = multilinear.TruncatedSVD(a, r, true)
			if err != nil {
				return nil, fmt.Errorf("hooi: svd init, mode %d, imputation round %d: %w", n, k+1, err)
			}
		}
		factors[n] = u
	}
	return factors, nil
}

// randomInit is TensorLy's init="random": core entries uniform in [0.01, 1.01), factor entries
// uniform in [0, 1), drawn in that order (core, then factors by mode, each row-major).
func randomInit(shape, rank []int, seed uint64) (*multilinear.Tensor, []*mat.Dense) {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	core := multilinear.New(rank...)
	for i := range core.Data {
		core.Data[i] = rng.Float64() + 0.01
	}
	factors := make([]*mat.Dense, len(rank))
	for n, r := range rank {
		data := make([]float64, shape[n]*r)
		for i := range data {
			data[i] = rng.Float64()
		}
		factors[n] = mat.NewDense(shape[n], r, data)
	}
	return core, factors
}

func asMatrices(fs []*mat.Dense) []mat.Matrix {
	ms := make([]mat.Matrix, len(fs))
	for i, f := range fs {
		ms[i] = f
	}
	return ms
}
