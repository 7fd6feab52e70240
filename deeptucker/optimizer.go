package deeptucker

import (
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// perModelStep wraps a GoMLX optimizer running with learning rate 1 and scales each model's update by its
// own learning rate: θ ← θ_old + lr_m·(θ_inner − θ_old). Adam's step is linear in its learning rate, so this
// is Adam with lr_m for model m, while the moment estimates stay GoMLX's own. It is only used when the runs
// of a batch have different learning rates.
type perModelStep struct {
	inner optimizers.Interface
	lr    *context.Variable // [M]
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
	lr := o.lr.ValueGraph(g)
	for _, s := range starts {
		scale := lr
		for scale.Rank() < s.old.Rank() {
			scale = ExpandAxes(scale, -1)
		}
		step := Sub(s.v.ValueGraph(g), s.old)
		s.v.SetValueGraph(Add(s.old, Mul(scale, step)))
	}
}

func (o *perModelStep) Clear(ctx *context.Context) error { return o.inner.Clear(ctx) }
