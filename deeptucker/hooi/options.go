package hooi

import (
	"fmt"
	"math"

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
}

func defaults() config {
	return config{init: InitSVD, tol: DefaultTol, maxIter: DefaultMaxIter, svdMaskRepeats: DefaultSVDMaskRepeats}
}

// WithMask marks the observed entries (true) of the input; the others are missing and imputed
// from the current model at every iteration (TensorLy's mask=). The values of x at missing
// entries are never read (unless ReadHiddenEntries): they may be NaN. A nil mask means every
// entry is observed.
func WithMask(m *multilinear.Mask) Option { return func(c *config) { c.mask = m } }

// WithInit chooses the starting point: InitSVD (default) or InitRandom.
func WithInit(init Init) Option { return func(c *config) { c.init = init } }

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
	default:
		return fmt.Errorf("hooi: init %q is not %q or %q", c.init, InitSVD, InitRandom)
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
