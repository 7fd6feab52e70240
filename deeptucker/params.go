package deeptucker

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/deeptucker/deeptucker/deeptucker/memguard"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// Params holds one model's parameters on the host, in the paper's symbols:
//
//   - Core is G, of shape CoreShape (or (r) for a diagonal core);
//   - Vectors[n] is [r_n, d_n]: row r is w_r^n (nil for a mode of depth 0);
//   - Matrices[n][i] is [r_n, d_n, d_n]: A_{i+1}^{n,r} for each column r (depth - 1 of them per mode).
//
// Column r of V(n) is A_1^{n,r} ··· A_k^{n,r} w_r^n. RunResult.Params returns the trained parameters and
// Run.Start accepts parameters to start from (a previous result, or HOSVD/HOOI factors via FromTucker).
type Params struct {
	Core     *multilinear.Tensor
	Vectors  []*multilinear.Tensor
	Matrices [][]*multilinear.Tensor
}

// NewParams returns zero parameters of the model's shapes. It panics, naming the size, if they would not
// fit in memory (Fit refuses such a model with an error first; see TrainingBuilder.MemoryLimit).
func NewParams(m *Model) *Params {
	// Check the whole before allocating piece by piece: a huge depth makes many small matrices, none of
	// which New would refuse, and Go's out-of-memory error is fatal. Each piece costs a Tensor header too.
	if s, err := m.sizes(); err == nil {
		pieces := 1.0
		for _, d := range m.Depths {
			pieces += float64(max(d, 0))
		}
		if need := 8*float64(s.params) + 96*pieces; need >= memguard.Small {
			if err := memguard.Check(fmt.Sprintf("deeptucker: NewParams for %v", m), need); err != nil {
				panic(err.Error() + "; use a smaller shape, CoreShape or depth")
			}
		}
	}
	p := &Params{
		Core:     multilinear.New(m.coreDims()...),
		Vectors:  make([]*multilinear.Tensor, m.Order()),
		Matrices: make([][]*multilinear.Tensor, m.Order()),
	}
	for n, depth := range m.Depths {
		if depth == 0 {
			continue
		}
		r, d := m.CoreShape[n], m.Shape[n]
		p.Vectors[n] = multilinear.New(r, d)
		for range depth - 1 {
			p.Matrices[n] = append(p.Matrices[n], multilinear.New(r, d, d))
		}
	}
	return p
}

// Clone returns a deep copy.
func (p *Params) Clone() *Params {
	c := &Params{Core: p.Core.Clone(), Vectors: make([]*multilinear.Tensor, len(p.Vectors)),
		Matrices: make([][]*multilinear.Tensor, len(p.Matrices))}
	for n, v := range p.Vectors {
		if v != nil {
			c.Vectors[n] = v.Clone()
		}
	}
	for n, as := range p.Matrices {
		for _, a := range as {
			c.Matrices[n] = append(c.Matrices[n], a.Clone())
		}
	}
	return c
}

// Check returns an error naming the first parameter whose shape does not fit the model, or that is not finite.
func (p *Params) Check(m *Model) error {
	want := NewParams(m)
	if p == nil || p.Core == nil {
		return fmt.Errorf("deeptucker: parameters have no core")
	}
	check := func(name string, got, want *multilinear.Tensor) error {
		if got == nil || !multilinear.SameShape(got.Shape, want.Shape) || len(got.Data) != len(want.Data) {
			var shape []int
			if got != nil {
				shape = got.Shape
			}
			return fmt.Errorf("deeptucker: parameter %s has shape %v, the model %s needs %v", name, shape, m, want.Shape)
		}
		for i, v := range got.Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("deeptucker: parameter %s holds %g at flat index %d; parameters must be finite", name, v, i)
			}
		}
		return nil
	}
	if err := check("core", p.Core, want.Core); err != nil {
		return err
	}
	if len(p.Vectors) != m.Order() || len(p.Matrices) != m.Order() {
		return fmt.Errorf("deeptucker: parameters have %d vector and %d matrix modes, the model has %d modes",
			len(p.Vectors), len(p.Matrices), m.Order())
	}
	for n, depth := range m.Depths {
		if depth == 0 {
			if p.Vectors[n] != nil || len(p.Matrices[n]) != 0 {
				return fmt.Errorf("deeptucker: mode %d has depth 0 (no factor) but the parameters hold a factor for it", n)
			}
			continue
		}
		if err := check(fmt.Sprintf("w (mode %d)", n), p.Vectors[n], want.Vectors[n]); err != nil {
			return err
		}
		if len(p.Matrices[n]) != depth-1 {
			return fmt.Errorf("deeptucker: mode %d has depth %d, so %d A matrices per column, the parameters hold %d",
				n, depth, depth-1, len(p.Matrices[n]))
		}
		for i, a := range p.Matrices[n] {
			if err := check(fmt.Sprintf("A_%d (mode %d)", i+1, n), a, want.Matrices[n][i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// Factors returns V(n) (d_n x r_n) for every mode, nil for depth 0: column r is A_1···A_k w_r.
func (p *Params) Factors() []*mat.Dense {
	out := make([]*mat.Dense, len(p.Vectors))
	for n, w := range p.Vectors {
		if w == nil {
			continue
		}
		r, d := w.Shape[0], w.Shape[1]
		v := mat.NewDense(d, r, nil)
		col := make([]float64, d)
		next := make([]float64, d)
		for j := range r {
			copy(col, w.Data[j*d:(j+1)*d])
			for i := len(p.Matrices[n]) - 1; i >= 0; i-- { // A_1 (A_2 (··· (A_k w)))
				a := p.Matrices[n][i].Data[j*d*d : (j+1)*d*d]
				for row := range d {
					s := 0.0
					for c := range d {
						s += a[row*d+c] * col[c]
					}
					next[row] = s
				}
				col, next = next, col
			}
			v.SetCol(j, col)
		}
		out[n] = v
	}
	return out
}

// FromTucker returns parameters of model m that reproduce a Tucker decomposition (core, factors): the core is
// G, and for every factorised mode w_r is the factor's column r, each A_i is the identity. It is the warm start
// from HOSVD or HOOI (their factors have orthonormal columns); model m must have CoreShape equal to the core's
// shape and factors[n] must be d_n x r_n. A mode of depth 0 has no factor of its own (its core size is d_n):
// a factor given for it is multiplied into the core (G ×_n U_n), nil leaves the core as it is.
func FromTucker(m *Model, core *multilinear.Tensor, factors []*mat.Dense) (*Params, error) {
	if m.Diagonal {
		return nil, fmt.Errorf("deeptucker: FromTucker needs a Tucker (non-diagonal) model, got %s", m)
	}
	if !multilinear.SameShape(core.Shape, m.CoreShape) {
		return nil, fmt.Errorf("deeptucker: core shape %v does not match the model's core shape %v (a mode of depth 0 keeps its "+
			"full size d_n in the core: decompose with rank d_n there, or give the mode a depth)", core.Shape, m.CoreShape)
	}
	if len(factors) != m.Order() {
		return nil, fmt.Errorf("deeptucker: %d factors for a model of order %d", len(factors), m.Order())
	}
	p := NewParams(m)
	g := core
	for n, depth := range m.Depths {
		if depth != 0 || factors[n] == nil {
			continue
		}
		if d, r := factors[n].Dims(); d != m.Shape[n] || r != core.Shape[n] {
			return nil, fmt.Errorf("deeptucker: factor %d is %dx%d, mode %d has depth 0 and core size %d, so it must be %dx%d (d_n x r_n) or nil",
				n, d, r, n, core.Shape[n], m.Shape[n], core.Shape[n])
		}
		g = multilinear.ModeDot(g, factors[n], n)
	}
	copy(p.Core.Data, g.Data)
	for n, depth := range m.Depths {
		if depth == 0 {
			continue
		}
		if factors[n] == nil {
			return nil, fmt.Errorf("deeptucker: factor %d is nil but mode %d has depth %d", n, n, depth)
		}
		d, r := factors[n].Dims()
		if d != m.Shape[n] || r != m.CoreShape[n] {
			return nil, fmt.Errorf("deeptucker: factor %d is %dx%d, the model needs %dx%d (d_n x r_n)", n, d, r, m.Shape[n], m.CoreShape[n])
		}
		for j := range r {
			for i := range d {
				p.Vectors[n].Data[j*d+i] = factors[n].At(i, j)
			}
			for _, a := range p.Matrices[n] {
				for i := range d {
					a.Data[j*d*d+i*d+i] = 1
				}
			}
		}
	}
	return p, nil
}

// InitFunc draws one model's starting parameters from a seed and a standard deviation (the run's).
// It must depend on nothing else, so that a run's start does not depend on what trains beside it.
type InitFunc func(m *Model, seed uint64, std float64) (*Params, error)

// InitScheme is a named way to draw starting parameters. Name identifies the scheme in results keys and
// tables: a user-written scheme must have its own name (Fit refuses an empty one); results stores also
// fingerprint the drawn parameters, so a changed function is never mistaken for the old one.
type InitScheme struct {
	Name string
	Draw InitFunc
}

var (
	// GaussianInit draws every parameter (core, w, A) i.i.d. N(0, std²).
	GaussianInit = InitScheme{Name: "gaussian", Draw: drawGaussian}

	// BalancedInit is the authors' scheme: an effective std = std·D·ln(D+1) (D = the deepest mode's depth, 1
	// for depth 0), the core drawn N(0, std_eff²), and each w_r^n and each A_i^{n,r} drawn N(0, std_eff²) then
	// rescaled to the Frobenius norm of the core slice G_{..r..}: the unbalancedness ε(0) of Definition 4.2 is 0.
	BalancedInit = InitScheme{Name: "balanced", Draw: drawBalanced}
)

func (s InitScheme) String() string { return s.Name }

// reproducibleSchemes holds the user schemes (code address and name) SpecOf found drawing the same start twice
// in this process: checking each once keeps a large grid's keys from drawing every start twice.
var reproducibleSchemes sync.Map

type schemeID struct {
	draw uintptr
	name string
}

func (s InitScheme) id() schemeID { return schemeID{reflect.ValueOf(s.Draw).Pointer(), s.Name} }

// needsReproducibilityCheck reports whether SpecOf should draw a start twice: not for this package's schemes
// (seeded draws), nor for a scheme already checked in this process.
func (s InitScheme) needsReproducibilityCheck() bool {
	if s.Draw == nil {
		return false
	}
	if p := reflect.ValueOf(s.Draw).Pointer(); p == reflect.ValueOf(drawGaussian).Pointer() || p == reflect.ValueOf(drawBalanced).Pointer() {
		return false
	}
	_, checked := reproducibleSchemes.Load(s.id())
	return !checked
}

func (s InitScheme) markReproducible() { reproducibleSchemes.Store(s.id(), true) }

// newRNG is every draw's generator: a run's start depends only on its seed.
func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// GaussianDraw fills p (in core, w, A order, mode by mode) with i.i.d. N(0, std²) values from rng: the
// building block of both named schemes, exported for user schemes that start from it.
func GaussianDraw(p *Params, rng *rand.Rand, std float64) {
	fill := func(t *multilinear.Tensor) {
		for i := range t.Data {
			t.Data[i] = std * rng.NormFloat64()
		}
	}
	fill(p.Core)
	for n, w := range p.Vectors {
		if w == nil {
			continue
		}
		fill(w)
		for _, a := range p.Matrices[n] {
			fill(a)
		}
	}
}

func drawGaussian(m *Model, seed uint64, std float64) (*Params, error) {
	p := NewParams(m)
	GaussianDraw(p, newRNG(seed), std)
	return p, nil
}

func drawBalanced(m *Model, seed uint64, std float64) (*Params, error) {
	d := float64(max(1, m.MaxDepth()))
	p := NewParams(m)
	GaussianDraw(p, newRNG(seed), std*d*math.Log(d+1))
	p.Balance(m)
	return p, nil
}

// Balance rescales each w_r^n and each A_i^{n,r} to the Frobenius norm of the core slice G_{..r..}, the start
// that Lemma 4.1 and Corollary 4.4 assume (ε(0) = 0).
func (p *Params) Balance(m *Model) {
	for n, w := range p.Vectors {
		if w == nil {
			continue
		}
		dn := m.Shape[n]
		for r, target := range coreSliceNorms(m, p.Core.Data, n) {
			rescale(w.Data[r*dn:(r+1)*dn], target)
			for _, a := range p.Matrices[n] {
				rescale(a.Data[r*dn*dn:(r+1)*dn*dn], target)
			}
		}
	}
}

func rescale(x []float64, target float64) {
	norm := 0.0
	for _, v := range x {
		norm += v * v
	}
	norm = math.Sqrt(norm)
	if norm == 0 {
		return
	}
	for i := range x {
		x[i] *= target / norm
	}
}

// coreSliceNorms returns ||G_{..r..}|| along mode n for every r (|λ_r| for a diagonal core).
func coreSliceNorms(m *Model, core []float64, n int) []float64 {
	if m.Diagonal {
		out := make([]float64, len(core))
		for r, v := range core {
			out[r] = math.Abs(v)
		}
		return out
	}
	dims := m.CoreShape
	inner := 1
	for k := n + 1; k < len(dims); k++ {
		inner *= dims[k]
	}
	sq := make([]float64, dims[n])
	for i, v := range core {
		sq[(i/inner)%dims[n]] += v * v
	}
	for r := range sq {
		sq[r] = math.Sqrt(sq[r])
	}
	return sq
}

// flat lists the parameters' values in the order of the session's trainable variables (core, then per mode
// w and its A matrices).
func (p *Params) flat() [][]float64 {
	out := [][]float64{p.Core.Data}
	for n, w := range p.Vectors {
		if w == nil {
			continue
		}
		out = append(out, w.Data)
		for _, a := range p.Matrices[n] {
			out = append(out, a.Data)
		}
	}
	return out
}
