package hooi

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// Init selects how Tucker starts.
type Init string

const (
	// InitSVD (the default) starts from the truncated HOSVD, with imputation of missing entries
	// when a mask is given: TensorLy's init="svd".
	InitSVD Init = "svd"
	// InitRandom starts from a core with entries uniform in [0.01, 1.01) and factors with entries
	// uniform in [0, 1), drawn from a PCG generator seeded by WithSeed: TensorLy's init="random"
	// (same distributions; the numbers differ from NumPy's).
	InitRandom Init = "random"

	// initTucker marks a start from a given decomposition (WithInitTucker), which WithInit
	// cannot select on its own.
	initTucker Init = "tucker"
)

// Defaults, TensorLy's tucker defaults.
const (
	DefaultTol            = 1e-4 // TensorLy writes it 10e-5
	DefaultMaxIter        = 100
	DefaultSVDMaskRepeats = 5
)

// Option sets one setting of Tucker; later options override earlier ones.
type Option func(*config)

type config struct {
	mask           *multilinear.Mask
	init           Init
	seed           uint64
	tol            float64
	maxIter        int
	svdMaskRepeats int
	readHidden     bool
	start          *start // WithInitTucker's decomposition, with init == initTucker
}

// start is the decomposition WithInitTucker was given, copied.
type start struct {
	core    *multilinear.Tensor // nil: computed from the input, as TensorLy's init=[factors]
	factors []*mat.Dense        // a nil entry stands for the identity
}

func defaults() config {
	return config{init: InitSVD, tol: DefaultTol, maxIter: DefaultMaxIter, svdMaskRepeats: DefaultSVDMaskRepeats}
}

// WithMask marks the observed entries (true) of the input; the others are missing and imputed
// from the current model at every iteration (TensorLy's mask=). The values of x at missing
// entries are never read (unless ReadHiddenEntries): they may be NaN. A nil mask means every
// entry is observed.
func WithMask(m *multilinear.Mask) Option { return func(c *config) { c.mask = m } }

// WithInit chooses the starting point: InitSVD (default) or InitRandom. It replaces a start
// given by an earlier WithInitTucker.
func WithInit(init Init) Option { return func(c *config) { c.init, c.start = init, nil } }

// WithInitTucker starts HOOI from a given Tucker decomposition, core G (r_0 x ... x r_{N-1}) and
// factors U_n (d_n x r_n), r = Tucker's rank: TensorLy's init=TuckerTensor((core, factors)) or
// init=(core, factors). Both are used as given, not refitted: with a mask the first imputation
// fills the missing entries with [[G; U]], and the first iteration updates U_0 from U_1..U_{N-1}.
// Without a mask G and U_0 are never read unless MaxIter is 0, when Tucker returns them as given
// (see the package documentation). The factors need not be orthonormal.
//
// A nil core is TensorLy's init=[factors]: the core is computed from the input, G = X x_0 U_0^T
// ... x_{N-1} U_{N-1}^T (X with missing entries set to 0, or as given under ReadHiddenEntries).
// A nil factor stands for the d_n x d_n identity, as for a mode of depth 0 in a deep Tucker run
// (deeptucker.RunResult), and needs rank[n] = d_n.
//
// To warm-start from an earlier Tucker result res, or from a deep Tucker run's Core and Factors:
//
//	hooi.Tucker(x, rank, hooi.WithInitTucker(res.Core, res.Factors...))
//
// WithInitTucker copies core and factors: later changes to them do not reach Tucker, and the
// result never shares memory with them. Tucker checks them against x and rank and returns an
// error, naming the remedy, for a wrong number of factors, a factor that is not d_n x rank[n], a
// core whose shape is not rank (a deep CP run's diagonal core included), or an entry that is
// NaN or infinite. TensorLy 0.10 does not check a (core, factors) init against rank: it changes
// rank in its first iteration, or returns the init's rank when n_iter_max is 0; here the ranks
// must agree. A later WithInit replaces this start; WithSeed and WithSVDMaskRepeats do not apply.
func WithInitTucker(core *multilinear.Tensor, factors ...*mat.Dense) Option {
	s := &start{factors: make([]*mat.Dense, len(factors))}
	if core != nil {
		s.core = core.Clone()
	}
	for n, f := range factors {
		switch {
		case f == nil:
		case f.IsEmpty():
			s.factors[n] = &mat.Dense{}
		default:
			s.factors[n] = mat.DenseCopyOf(f)
		}
	}
	return func(c *config) { c.init, c.start = initTucker, s }
}

// WithSeed seeds the PCG generator of InitRandom (default 0). Same seed, same result.
func WithSeed(seed uint64) Option { return func(c *config) { c.seed = seed } }

// WithTol sets the stopping tolerance on the change of the reconstruction error between two
// iterations (default 1e-4). 0 disables the test: MaxIter iterations always run.
func WithTol(tol float64) Option { return func(c *config) { c.tol = tol } }

// WithMaxIter sets the maximum number of iterations (default 100). 0 returns the initialisation.
func WithMaxIter(n int) Option { return func(c *config) { c.maxIter = n } }

// WithSVDMaskRepeats sets how many rounds of "impute with the rank-r SVD, SVD again" the SVD
// initialisation makes per mode when a mask is given (TensorLy's svd_mask_repeats, default 5).
func WithSVDMaskRepeats(n int) Option { return func(c *config) { c.svdMaskRepeats = n } }

// ReadHiddenEntries reproduces a common misuse of TensorLy: tucker(X, rank, mask=M) called
// with the COMPLETE tensor X, the held-out values still in it (a natural call when the data have
// no NaN). TensorLy then reads the hidden entries in its SVD initialisation (the first SVD of
// each unfolding, before any imputation), in the initial core, which seeds the first imputation,
// and in the norm of its error (hence in when it stops). The completion so keeps information
// about the values it is scored on.
//
// This is a calibration tool, not a baseline: it leaks the test values. It exists to show which
// protocol reproduces a published HOOI number (the paper's Table 1 HOOI column is matched only
// by this call); the honest HOOI baseline is Tucker without this option, which never reads x at
// missing entries. With it, every entry of x must be finite, and a mask is required.
func ReadHiddenEntries() Option { return func(c *config) { c.readHidden = true } }

func (c *config) validate() error {
	switch c.init {
	case InitSVD, InitRandom:
	case initTucker:
		if c.start == nil {
			return fmt.Errorf("hooi: init %q needs the decomposition to start from: use WithInitTucker(core, factors...)", c.init)
		}
	default:
		return fmt.Errorf("hooi: init %q is not %q or %q (to start from a decomposition, use WithInitTucker)", c.init, InitSVD, InitRandom)
	}
	if math.IsNaN(c.tol) || c.tol < 0 {
		return fmt.Errorf("hooi: tol=%v must be >= 0", c.tol)
	}
	if c.maxIter < 0 {
		return fmt.Errorf("hooi: maxIter=%d must be >= 0", c.maxIter)
	}
	if c.svdMaskRepeats < 0 {
		return fmt.Errorf("hooi: svdMaskRepeats=%d must be >= 0", c.svdMaskRepeats)
	}
	if c.readHidden && c.mask == nil {
		return fmt.Errorf("hooi: ReadHiddenEntries needs WithMask: without a mask no entry is hidden")
	}
	return nil
}
