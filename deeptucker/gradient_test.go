package deeptucker

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// TestGradientsMatchFiniteDifferences checks GoMLX's gradients of the loss (2) against central differences in
// float64, on every kind of parameter (core, w, each A layer), for depths 0-3 on 3rd- and 4th-order tensors,
// per-mode depths, a smaller core and a diagonal (CP) core.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	cases := []struct {
		name  string
		model *ModelBuilder
	}{
		{"order3/depth0", NewModel(3, 4, 2).Depth(0)},
		{"order3/depth1", NewModel(3, 4, 2).Depth(1)},
		{"order3/depth2", NewModel(3, 4, 2).Depth(2)},
		{"order3/depth3", NewModel(3, 4, 2).Depth(3)},
		{"order4/depth2", NewModel(2, 3, 2, 3).Depth(2)},
		{"order4/depth3", NewModel(2, 3, 2, 3).Depth(3)},
		{"mixed-depths", NewModel(3, 4, 2).Depths(0, 3, 1)},
		{"small-core", NewModel(3, 4, 2).Depth(2).CoreShape(2, 3, 2)},
		{"cp/depth2", NewModel(3, 4, 2).Depth(2).Diagonal(3)},
	}
	forEachLayout(t, func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				m, err := c.model.InitStd(0.5).Done()
				if err != nil {
					t.Fatal(err)
				}
				tr, _ := NewTraining().Done()
				x := lowRankTarget(t, m.Shape, ones(m.Order()), 7)
				train, _ := splitMask(m.Shape, 0.6, 8)
				b, err := envBackend()
				if err != nil {
					t.Fatal(err)
				}
				s, err := newSession(b, m, tr, []Run{{Target: x, Train: train, Seed: 11}, {Target: x, Train: train, Seed: 12}})
				if err != nil {
					t.Fatal(err)
				}
				objective := func(g *Graph) *objective {
					return s.objectiveGraph(g, s.trainMask.ValueGraph(g), s.trainCount.ValueGraph(g), false)
				}
				lossExec := context.MustNewExec(b, s.ctx, func(_ *context.Context, g *Graph) *Node { return objective(g).total })
				params := s.trainables()
				// As Fit takes them: with respect to the parameter tensors, mapped onto the variables.
				gradExec := context.MustNewExec(b, s.ctx, func(_ *context.Context, g *Graph) []*Node {
					obj := objective(g)
					byVar := s.gradientsByVariable(Gradient(obj.total, obj.vars.pieces...))
					nodes := make([]*Node, len(params))
					for i, v := range params {
						nodes[i] = byVar[v]
					}
					return nodes
				})
				evalLoss := func() float64 { return toFloat64s(lossExec.MustExec()[0])[0] }
				grads := gradExec.MustExec()
				rng := rand.New(rand.NewPCG(1, 2))
				const h = 1e-6
				for i, v := range params {
					grad := toFloat64s(grads[i])
					values := toFloat64s(v.MustValue())
					dims := v.Shape().Dimensions
					set := func(vals []float64) { v.MustSetValue(toTensor(s.dtype, vals, dims...)) }
					for range 8 {
						k := rng.IntN(len(values))
						orig := values[k]
						values[k] = orig + h
						set(values)
						plus := evalLoss()
						values[k] = orig - h
						set(values)
						minus := evalLoss()
						values[k] = orig
						set(values)
						fd := (plus - minus) / (2 * h)
						if diff := math.Abs(fd - grad[k]); diff > 1e-6*math.Max(1e-3, math.Abs(fd)) {
							t.Errorf("%s[%d]: autodiff %.10g, finite difference %.10g", v.Name(), k, grad[k], fd)
						}
					}
				}
			})
		}
	})
}

// TestClosedFormGradients: the closed-form backward pass (gradients.go) equals GoMLX's autodiff, which
// TestGradientsMatchFiniteDifferences checks against finite differences.
func TestClosedFormGradients(t *testing.T) {
	forEachLayout(t, func(t *testing.T) {
		for _, b := range []*ModelBuilder{
			NewModel(3, 4, 2).Depth(1), NewModel(3, 4, 2).Depth(3), NewModel(2, 3, 2, 3).Depth(2),
			NewModel(3, 4, 2).Depths(0, 3, 1), NewModel(3, 4, 2).Depth(2).CoreShape(2, 3, 2), NewModel(3, 4, 2).Depth(0),
		} {
			m, err := b.InitStd(0.5).Done()
			if err != nil {
				t.Fatal(err)
			}
			tr, _ := NewTraining().GradientDescent(0.1).Done()
			x := lowRankTarget(t, m.Shape, ones(m.Order()), 7)
			train, _ := splitMask(m.Shape, 0.6, 8)
			bk, _ := envBackend()
			s, err := newSession(bk, m, tr, []Run{{Target: x, Train: train, Seed: 1}, {Target: x, Train: train, Seed: 2, LearningRate: 0.3}})
			if err != nil {
				t.Fatal(err)
			}
			params := s.trainables()
			exec := context.MustNewExec(bk, s.ctx, func(_ *context.Context, g *Graph) []*Node {
				obj := s.objectiveGraph(g, s.trainMask.ValueGraph(g), s.trainCount.ValueGraph(g), true)
				loss := obj.total
				closed := s.gradientsByVariable(s.backwardGraph(obj.forward))
				auto := s.gradientsByVariable(Gradient(loss, obj.vars.pieces...))
				var out []*Node
				for _, v := range params {
					out = append(out, auto[v])
				}
				for _, v := range params {
					out = append(out, closed[v])
				}
				return out
			})
			outs := exec.MustExec()
			for i, v := range params {
				auto, closed := toFloat64s(outs[i]), toFloat64s(outs[len(params)+i])
				for k := range auto {
					if math.Abs(auto[k]-closed[k]) > 1e-12*(1+math.Abs(auto[k])) {
						t.Fatalf("%s %s[%d]: autodiff %.12g, closed form %.12g", m, v.Name(), k, auto[k], closed[k])
					}
				}
			}
		}
	})
}

func ones(n int) []int {
	r := make([]int, n)
	for i := range r {
		r[i] = 1
	}
	return r
}
