package deeptucker

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// How a batch's parameters live on the device. Either each parameter tensor (the core, each mode's vectors w,
// each A matrix) is a variable of its own, or all of them are packed into one flat variable θ, [M, P], that
// the graph slices back into tensors. Packing gives an element-wise optimizer one update over P entries
// instead of one per tensor (Adam's chain fused once, not 1+ΣD_n times) and one variable per moment instead
// of 1+ΣD_n, each of which costs host-side work at every call: for small models these dominate a step
// (measured in docs/speed.md). The update of every entry is the same arithmetic either way, so both
// layouts train to the same values: bit for bit on go; XLA may fuse the two graphs' arithmetic differently, to
// the last bit (TestPackedLayoutEqualsPieces).

// thetaName names the packed parameter variable; checkpoints store optimizer state per tensor regardless of
// the layout (see packState and splitState).
const thetaName = "theta"

// packOverride, when set (by tests), forces the layout.
var packOverride *bool

// paramPiece is one parameter tensor of the model, in Params.flat() order.
type paramPiece struct {
	name   string
	dims   []int // one run's shape
	size   int
	offset int               // in θ
	v      *context.Variable // its own variable, when not packed
}

// packMaxEntries is the largest model (parameters per run) that Fit packs. Packing saves a fixed cost per
// tensor and per call, and costs a copy of every gradient (their concatenation) and of every slice; XLA also
// splits an element-wise pass over its leading axis only, which is M, so one large model's update runs on
// one thread. Measured on xla:cpu (2 cores, Adam, 16 steps per call; packed / per tensor, 2 interleaved
// runs): 10^3 depth 3 (7,300 parameters), 2.0x for one model, 1.19x for 64; depth 1 (1,300), one model,
// 0.96-1.18x; depth 4 (10,300), 64 models, 0.87-1.11x; 50^3 depth 3 with a 10^3 core (152,500), 0.85x;
// with the full core (882,500), 0.57x.
const packMaxEntries = 1 << 15

// packs reports whether the session packs its parameters: only for optimizers that declare their update
// element-wise, for which packing cannot change what they compute, and that take given gradients (as GoMLX's
// own do), which gradientStep needs; and only for models small enough to gain (packMaxEntries).
func (s *session) packs() bool {
	if packOverride != nil {
		return *packOverride
	}
	_, gradients := takesGradients(s.training.Optimizer.New(1))
	return s.training.Optimizer.Elementwise && gradients && s.packedSize() <= packMaxEntries
}

// layoutPieces lists the model's parameter tensors, in Params.flat() order: the core, then per mode its
// vectors w_n and its matrices A_n_1..A_n_{D-1}.
func layoutPieces(m *Model) []paramPiece {
	pieces := []paramPiece{{name: "core", dims: m.coreDims()}}
	for n, depth := range m.Depths {
		if depth == 0 {
			continue
		}
		r, d := m.CoreShape[n], m.Shape[n]
		pieces = append(pieces, paramPiece{name: fmt.Sprintf("w_%d", n), dims: []int{r, d}})
		for i := 1; i < depth; i++ {
			pieces = append(pieces, paramPiece{name: fmt.Sprintf("A_%d_%d", n, i), dims: []int{r, d, d}})
		}
	}
	offset := 0
	for k := range pieces {
		pieces[k].size = prod(pieces[k].dims)
		pieces[k].offset = offset
		offset += pieces[k].size
	}
	return pieces
}

// packedSize is P, the number of parameters of one run.
func (s *session) packedSize() int {
	last := s.pieces[len(s.pieces)-1]
	return last.offset + last.size
}

// createParamVariables puts every run's parameters (host values per piece, stacked over runs) on the device.
func (s *session) createParamVariables(values [][]float64) {
	ctx := s.ctx.In("deeptucker")
	if s.packs() {
		s.theta = ctx.VariableWithValue(thetaName, toTensor(s.dtype, s.pack(values), s.numRuns, s.packedSize()))
		return
	}
	for k := range s.pieces {
		p := &s.pieces[k]
		p.v = ctx.VariableWithValue(p.name, toTensor(s.dtype, values[k], append([]int{s.numRuns}, p.dims...)...))
	}
}

// pack interleaves per-piece stacked values ([k][run·size_k]) into θ's layout ([run·P]).
func (s *session) pack(values [][]float64) []float64 {
	P := s.packedSize()
	out := make([]float64, s.numRuns*P)
	for k, p := range s.pieces {
		for i := range s.numRuns {
			copy(out[i*P+p.offset:i*P+p.offset+p.size], values[k][i*p.size:(i+1)*p.size])
		}
	}
	return out
}

// unpack is pack's inverse.
func (s *session) unpack(flat []float64) [][]float64 {
	P := s.packedSize()
	values := make([][]float64, len(s.pieces))
	for k, p := range s.pieces {
		values[k] = make([]float64, s.numRuns*p.size)
		for i := range s.numRuns {
			copy(values[k][i*p.size:(i+1)*p.size], flat[i*P+p.offset:i*P+p.offset+p.size])
		}
	}
	return values
}

// trainables lists the variables the optimizer updates: θ, or every piece's variable in order.
func (s *session) trainables() []*context.Variable {
	if s.theta != nil {
		return []*context.Variable{s.theta}
	}
	vars := make([]*context.Variable, len(s.pieces))
	for k, p := range s.pieces {
		vars[k] = p.v
	}
	return vars
}

// pieceNodes returns every parameter tensor's current value in the graph, [M, dims...] each.
func (s *session) pieceNodes(g *Graph) []*Node {
	nodes := make([]*Node, len(s.pieces))
	if s.theta == nil {
		for k, p := range s.pieces {
			nodes[k] = p.v.ValueGraph(g)
		}
		return nodes
	}
	theta := s.theta.ValueGraph(g)
	for k, p := range s.pieces {
		part := Slice(theta, AxisRange(), AxisRange(p.offset, p.offset+p.size))
		nodes[k] = Reshape(part, append([]int{s.numRuns}, p.dims...)...)
	}
	return nodes
}

// gradientsByVariable maps per-piece gradients onto the trainable variables: θ's is their concatenation.
func (s *session) gradientsByVariable(grads []*Node) map[*context.Variable]*Node {
	out := make(map[*context.Variable]*Node, len(grads))
	if s.theta == nil {
		for k, p := range s.pieces {
			out[p.v] = grads[k]
		}
		return out
	}
	flat := make([]*Node, len(grads))
	for k, g := range grads {
		flat[k] = Reshape(g, s.numRuns, s.pieces[k].size)
	}
	out[s.theta] = Concatenate(flat, 1)
	return out
}

// paramValues copies the parameters to the host, per piece and stacked over runs (Params.flat() order).
func (s *session) paramValues() ([][]float64, error) {
	if s.theta != nil {
		t, err := s.theta.Value()
		if err != nil {
			return nil, err
		}
		return s.unpack(toFloat64s(t)), nil
	}
	values := make([][]float64, len(s.pieces))
	for k, p := range s.pieces {
		t, err := p.v.Value()
		if err != nil {
			return nil, err
		}
		values[k] = toFloat64s(t)
	}
	return values, nil
}

// setParamValues writes paramValues-shaped host values back to the device.
func (s *session) setParamValues(values [][]float64) error {
	if s.theta != nil {
		return s.theta.SetValue(toTensor(s.dtype, s.pack(values), s.numRuns, s.packedSize()))
	}
	for k, p := range s.pieces {
		if err := p.v.SetValue(toTensor(s.dtype, values[k], p.v.Shape().Dimensions...)); err != nil {
			return err
		}
	}
	return nil
}
