package deeptucker

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// Model describes a deep Tucker factorization W = G ×_1 V(1) ··· ×_N V(N) (paper eq. 1), where the column r of
// V(n) is A_1^{n,r} ··· A_{k_n}^{n,r} w_r^n and the depth along mode n is D_n = k_n + 1.
//
// Build one with NewModel(shape...)...Done(). Modes are 0-based here: the paper's mode 1 is mode 0.
type Model struct {
	// Shape is the data shape (d_1..d_N).
	Shape []int
	// Depths holds D_n per mode; D_n = 0 leaves mode n unfactorised (W = G along it, the authors' control).
	Depths []int
	// CoreShape holds r_n per mode: the number of columns of V(n) and the core's size along mode n.
	// It equals Shape by default, as in the paper.
	CoreShape []int
	// Diagonal makes the core diagonal: deep CP (Hariz et al. 2022). The core is then a vector of CoreShape[0]
	// weights and every mode has that many columns.
	Diagonal bool
	// Init is the initialisation scheme and InitStd its standard deviation (per run, Run.InitStd overrides it).
	// Run.Start replaces the drawn start by given parameters.
	Init    InitScheme
	InitStd float64
}

// ModelBuilder configures a Model; finish with Done.
type ModelBuilder struct {
	m       Model
	autoStd bool // no std was set: Done picks DefaultInitStd
	err     error
}

// DefaultInitRMS is the root-mean-square entry of the initial reconstruction W that the default init aims at.
// W is a product of 1 + D_1 + ... + D_N random factors, so one fixed std makes W vanish with order and depth:
// at std 0.05 a 6x5x4x3 model of depth 3 starts with entries around 1e-13, where gradients fall below Adam's
// epsilon and the run never moves. Fixing W's scale instead keeps the start small (the implicit
// regularisation needs a small init) at every order and depth; 1e-4 gives std 0.042 for a 10x10x10 model of
// depth 1 and 0.25 for the 6x5x4x3 one of depth 3. It assumes data of order-one scale.
const DefaultInitRMS = 1e-4

// NewModel starts a model for data of the given shape: order N >= 2, depth 1 on every mode, a full core
// (the paper's over-parameterised setting), Gaussian init with DefaultInitStd (unless InitStd, Balanced or
// Init sets a std).
func NewModel(shape ...int) *ModelBuilder {
	b := &ModelBuilder{m: Model{Shape: append([]int(nil), shape...), Init: GaussianInit}, autoStd: true}
	b.m.Depths = make([]int, len(shape))
	for n := range b.m.Depths {
		b.m.Depths[n] = 1
	}
	b.m.CoreShape = append([]int(nil), shape...)
	return b
}

func (b *ModelBuilder) fail(format string, args ...any) *ModelBuilder {
	if b.err == nil {
		b.err = fmt.Errorf("deeptucker: "+format, args...)
	}
	return b
}

// Depth sets the same depth D on every mode: D = 1 is plain Tucker with free factor columns, D = 0 the core
// alone.
func (b *ModelBuilder) Depth(depth int) *ModelBuilder {
	for n := range b.m.Depths {
		b.m.Depths[n] = depth
	}
	return b
}

// Depths sets the depth of each mode.
func (b *ModelBuilder) Depths(depths ...int) *ModelBuilder {
	if len(depths) != len(b.m.Shape) {
		return b.fail("Depths got %d values for a tensor of order %d (shape %v)", len(depths), len(b.m.Shape), b.m.Shape)
	}
	b.m.Depths = append([]int(nil), depths...)
	return b
}

// CoreShape sets a smaller core (r_1..r_N), for large modes: mode n then holds r_n·d_n²·k_n depth parameters
// instead of d_n³·k_n.
func (b *ModelBuilder) CoreShape(ranks ...int) *ModelBuilder {
	if len(ranks) != len(b.m.Shape) {
		return b.fail("CoreShape got %d values for a tensor of order %d (shape %v)", len(ranks), len(b.m.Shape), b.m.Shape)
	}
	b.m.CoreShape = append([]int(nil), ranks...)
	return b
}

// Diagonal makes the core diagonal with r columns per mode: deep CP.
func (b *ModelBuilder) Diagonal(r int) *ModelBuilder {
	b.m.Diagonal = true
	for n := range b.m.CoreShape {
		b.m.CoreShape[n] = r
	}
	return b
}

// InitStd sets the Gaussian init's standard deviation.
func (b *ModelBuilder) InitStd(std float64) *ModelBuilder {
	b.m.InitStd = std
	b.autoStd = false
	return b
}

// Balanced selects the authors' balanced init (BalancedInit) with the given std.
func (b *ModelBuilder) Balanced(std float64) *ModelBuilder {
	b.m.Init = BalancedInit
	b.m.InitStd = std
	b.autoStd = false
	return b
}

// Init selects an init scheme with the given std: GaussianInit, BalancedInit, or a user's InitScheme.
func (b *ModelBuilder) Init(scheme InitScheme, std float64) *ModelBuilder {
	b.m.Init = scheme
	b.m.InitStd = std
	b.autoStd = false
	return b
}

// Done validates the configuration and returns a model of its own: the builder may be changed and Done called
// again for another model, which leaves the first as it was.
func (b *ModelBuilder) Done() (*Model, error) {
	if b.err != nil {
		return nil, b.err
	}
	m := b.m
	// The model gets slices of its own: Depth and Diagonal write the builder's in place, so a builder reused
	// for another model (b.Depth(1).Done(), then b.Depth(3).Done()) would otherwise change the first one.
	m.Shape, m.Depths, m.CoreShape = slices.Clone(m.Shape), slices.Clone(m.Depths), slices.Clone(m.CoreShape)
	if b.autoStd {
		m.InitStd = 1 // a placeholder so that Validate checks the rest; the default needs a valid shape
		if err := m.Validate(); err != nil {
			return nil, err
		}
		m.InitStd = DefaultInitStd(&m)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Validate returns an error naming the first thing wrong with the model.
func (m *Model) Validate() error {
	if len(m.Shape) < 2 {
		return fmt.Errorf("deeptucker: a tensor of order >= 2 is needed, got shape %v", m.Shape)
	}
	for n, d := range m.Shape {
		if d <= 0 {
			return fmt.Errorf("deeptucker: mode %d has size %d; sizes must be positive (shape %v)", n, d, m.Shape)
		}
	}
	if len(m.Depths) != len(m.Shape) || len(m.CoreShape) != len(m.Shape) {
		return fmt.Errorf("deeptucker: depths %v and core shape %v must have one entry per mode of shape %v",
			m.Depths, m.CoreShape, m.Shape)
	}
	for n, depth := range m.Depths {
		if depth < 0 {
			return fmt.Errorf("deeptucker: depth of mode %d is %d; depth must be >= 0 (0 = core only)", n, depth)
		}
		if depth == 0 && m.Diagonal {
			return fmt.Errorf("deeptucker: mode %d has depth 0, which a diagonal (CP) core does not allow", n)
		}
	}
	for n, r := range m.CoreShape {
		if r <= 0 {
			return fmt.Errorf("deeptucker: core size r_%d = %d must be positive (core shape %v)", n, r, m.CoreShape)
		}
		if m.Depths[n] == 0 && r != m.Shape[n] {
			return fmt.Errorf("deeptucker: mode %d has depth 0 (no factor), so its core size must equal its data size %d, got %d",
				n, m.Shape[n], r)
		}
	}
	if m.Diagonal {
		for n, r := range m.CoreShape {
			if r != m.CoreShape[0] {
				return fmt.Errorf("deeptucker: a diagonal core needs the same r on every mode, got core shape %v (mode %d)",
					m.CoreShape, n)
			}
		}
	}
	if err := checkStd(m.InitStd); err != nil {
		return err
	}
	if m.Init.Draw == nil || m.Init.Name == "" {
		return fmt.Errorf("deeptucker: init scheme %q needs a name and a Draw function (results are keyed by the name)", m.Init.Name)
	}
	if _, err := m.sizes(); err != nil {
		return err
	}
	return nil
}

// DefaultInitStd is the std at which a Gaussian init (every parameter drawn with it) gives an initial
// reconstruction whose entries have root-mean-square DefaultInitRMS, in expectation over the draw (see
// InitStdForRMS).
func DefaultInitStd(m *Model) float64 { return InitStdForRMS(m, DefaultInitRMS) }

// InitStdForRMS returns the std s at which a Gaussian init gives W entries of root-mean-square rms (NaN for a
// model NewModel would not build). A column of V(n) is D_n - 1 matrices (d_n x d_n) times a vector, so its
// entries have variance d_n^(D_n-1)·s^(2·D_n); W sums C = r_1···r_N (R for a diagonal core) independent
// products of a core entry and one such entry per mode, so var(W) = C·∏ d_n^(D_n-1)·s^(2(1+ΣD_n)), solved here
// for s. Modes of depth 0 contribute nothing.
func InitStdForRMS(m *Model, rms float64) float64 {
	if _, err := m.sizes(); err != nil {
		return math.NaN() // a model NewModel would not build: NaN, which Fit refuses as an init std
	}
	logC, power := 0.0, 1.0 // log of C·∏ d_n^(D_n-1); the number of factors of s² in var(W)
	for n, r := range m.CoreShape {
		if !m.Diagonal || n == 0 {
			logC += math.Log(float64(r))
		}
		if d := m.Depths[n]; d > 0 {
			logC += float64(d-1) * math.Log(float64(m.Shape[n]))
			power += float64(d)
		}
	}
	return math.Exp((2*math.Log(rms) - logC) / (2 * power))
}

func checkStd(std float64) error {
	if !(std > 0) || math.IsInf(std, 0) {
		return fmt.Errorf("deeptucker: init std must be a positive finite number, got %g", std)
	}
	return nil
}

// Order is the number of modes N.
func (m *Model) Order() int { return len(m.Shape) }

// MaxDepth is the largest per-mode depth: the D of the balanced init's std·D·ln(D+1).
func (m *Model) MaxDepth() int {
	d := 0
	for _, depth := range m.Depths {
		d = max(d, depth)
	}
	return d
}

// NumParams is the number of trainable parameters of one model.
func (m *Model) NumParams() int {
	s, err := m.sizes()
	if err != nil {
		return -1
	}
	return s.params
}

type modelSizes struct{ data, params int }

// sizes counts the data entries and the parameters, refusing counts that overflow int (or exceed 2^50, far
// beyond any memory) so that a mistyped shape is an error, not a crash.
func (m *Model) sizes() (modelSizes, error) {
	const limit = 1 << 50
	if len(m.Shape) == 0 || len(m.CoreShape) != len(m.Shape) || len(m.Depths) != len(m.Shape) {
		return modelSizes{}, fmt.Errorf("deeptucker: model with shape %v, core shape %v and depths %v: build it with NewModel",
			m.Shape, m.CoreShape, m.Depths)
	}
	mul := func(xs ...int) (int, bool) {
		p := 1
		for _, x := range xs {
			hi, lo := bits.Mul64(uint64(p), uint64(x))
			if hi != 0 || lo > limit {
				return 0, false
			}
			p = int(lo)
		}
		return p, true
	}
	data, ok := mul(m.Shape...)
	if !ok {
		return modelSizes{}, fmt.Errorf("deeptucker: shape %v has more than 2^50 entries; no machine holds it", m.Shape)
	}
	params := m.CoreShape[0]
	if !m.Diagonal {
		if params, ok = mul(m.CoreShape...); !ok {
			return modelSizes{}, fmt.Errorf("deeptucker: core shape %v has more than 2^50 entries; use a smaller CoreShape", m.CoreShape)
		}
	}
	for n, depth := range m.Depths {
		if depth == 0 {
			continue
		}
		r, d := m.CoreShape[n], m.Shape[n]
		// (depth-1)*d is multiplied with the overflow check too: a huge depth would wrap around to a small count.
		inner, ok := mul(depth-1, d)
		mode := 0
		if ok {
			mode, ok = mul(r, d, 1+inner)
		}
		if !ok || params+mode > limit {
			return modelSizes{}, fmt.Errorf("deeptucker: mode %d (r=%d, d=%d, depth %d) needs more than 2^50 parameters; use a smaller CoreShape or depth", n, r, d, depth)
		}
		params += mode
	}
	return modelSizes{data: data, params: params}, nil
}

func (m *Model) coreSize() int {
	if m.Diagonal {
		return m.CoreShape[0]
	}
	s := 1
	for _, r := range m.CoreShape {
		s *= r
	}
	return s
}

// coreDims is the core's shape: (r_1..r_N), or (r) for a diagonal core.
func (m *Model) coreDims() []int {
	if m.Diagonal {
		return []int{m.CoreShape[0]}
	}
	return append([]int(nil), m.CoreShape...)
}

// String describes the model in one line, for tables and logs.
func (m *Model) String() string {
	kind := "Tucker"
	if m.Diagonal {
		kind = "CP"
	}
	return fmt.Sprintf("deep %s shape=%v depths=%v core=%v init=%s(std=%g)", kind, m.Shape, m.Depths, m.CoreShape, m.Init, m.InitStd)
}
