package deeptucker

import (
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// perModelStep wraps a GoMLX optimizer and scales each model's update by its own factor:
// θ ← θ_old + c_m·(θ_inner − θ_old). Adam's step is linear in its learning rate, so with the inner optimizer at
// rate 1 and c_m = lr_m this is Adam with lr_m for model m, its moment estimates GoMLX's own; c_m = 0 freezes a
// run that has converged while the rest of the batch trains.
type perModelStep struct {
	inner optimizers.Interface
	scale *context.Variable // [M]
}

var _ optimizers.Interface = (*perModelStep)(nil)

func (o *perModelStep) UpdateGraph(ctx *context.Context, g *Graph, loss *Node) {
	type start struct {
		v   *context.Variable
		old *Node
	}
	var starts []start
	for v := range ctx.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			starts = append(starts, start{v, v.ValueGraph(g)})
		}
	}
	o.inner.UpdateGraph(ctx, g, loss)
	c := o.scale.ValueGraph(g)
	for _, s := range starts {
		scale := c
		for scale.Rank() < s.old.Rank() {
			scale = ExpandAxes(scale, -1)
		}
		step := Sub(s.v.ValueGraph(g), s.old)
		s.v.SetValueGraph(Add(s.old, Mul(scale, step)))
	}
}

func (o *perModelStep) Clear(ctx *context.Context) error { return o.inner.Clear(ctx) }
