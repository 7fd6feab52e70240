// Package kerasadam is Adam as TensorFlow/Keras computes it, as a GoMLX optimizer
// (optimizers.Interface, plus UpdateGraphWithGradients for updates from given gradients).
//
// Keras and GoMLX's optimizers.Adam differ in where epsilon goes. With g the gradient and t the
// step (1, 2, ...), Keras (tf.keras Adam, TensorFlow's ApplyAdam kernel) does
//
//	m     = m + (g - m)(1 - b1)           // = b1 m + (1 - b1) g
//	v     = v + (g^2 - v)(1 - b2)         // = b2 v + (1 - b2) g^2
//	lr_t  = lr sqrt(1 - b2^t) / (1 - b1^t)
//	theta = theta - lr_t m / (sqrt(v) + eps)
//
// so eps is added to the un-bias-corrected sqrt(v), while GoMLX adds it to
// sqrt(v / (1 - b2^t)). The Keras form acts like GoMLX's with eps / sqrt(1 - b2^t): at step 1,
// with b2 = 0.999 and Keras' default eps 1e-7, an effective epsilon of about 3.2e-6, which damps
// the first steps of parameters whose gradients are ~1e-6 (deep models at a small init).
// The moment updates are written in Keras' incremental form; they equal the textbook form up to
// rounding.
//
// # Learning rate per model
//
// The learning rate is GoMLX's learning-rate variable (optimizers.LearningRateVar), read at every
// step and multiplied in with broadcasting. A caller training M models stacked on a leading axis
// may set that variable to a tensor of shape [M] or [M, 1, ..., 1]: every parameter's leading
// axis must then have size M, and model m steps with rate lr[m] exactly as it would alone (the
// update is elementwise, so the same floating-point operations run on each model's entries).
// Create or set it before the first step, for example
//
//	ctx.In(optimizers.Scope).VariableWithValue(optimizers.ParamLearningRate, ratesMx1x1)
//
// or optimizers.LearningRateVar(ctx, dtype, 0).SetValue(ratesMx1x1).
package kerasadam

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// Keras' defaults (tf.keras.optimizers.Adam).
const (
	DefaultLearningRate = 0.001
	DefaultBeta1        = 0.9
	DefaultBeta2        = 0.999
	DefaultEpsilon      = 1e-7
	// DefaultScope is the context scope of the moments and of the step counter.
	DefaultScope = "KerasAdam"
)

// Config configures the optimizer; start from New and finish with Done.
type Config struct {
	lr           float64
	beta1, beta2 float64
	eps          float64
	scope        string
}

// New starts a configuration with Keras' defaults: learning rate 0.001, betas 0.9 and 0.999,
// epsilon 1e-7.
func New() *Config {
	return &Config{lr: DefaultLearningRate, beta1: DefaultBeta1, beta2: DefaultBeta2, eps: DefaultEpsilon, scope: DefaultScope}
}

// LearningRate sets the initial value of GoMLX's learning-rate variable. If that variable
// already exists in the context (set by the caller, possibly one rate per model), its value wins.
func (c *Config) LearningRate(lr float64) *Config { c.lr = lr; return c }

// Betas sets the decay rates of the first and second moments.
func (c *Config) Betas(beta1, beta2 float64) *Config { c.beta1, c.beta2 = beta1, beta2; return c }

// Epsilon sets the constant added to sqrt(v), Keras-style (before bias correction).
func (c *Config) Epsilon(eps float64) *Config { c.eps = eps; return c }

// Scope sets the context scope of the optimizer's variables (default DefaultScope), for two
// optimizers sharing one context.
func (c *Config) Scope(name string) *Config { c.scope = name; return c }

// Done checks the configuration and returns the optimizer. It panics (prefix "kerasadam: ") on
// a learning rate that is negative or not finite, betas outside [0, 1), a negative epsilon or an
// empty scope: these are programming errors.
func (c *Config) Done() *Optimizer {
	switch {
	case !(c.lr >= 0) || math.IsInf(c.lr, 0):
		panic(fmt.Sprintf("kerasadam: learning rate %v must be finite and >= 0", c.lr))
	case !(c.beta1 >= 0 && c.beta1 < 1), !(c.beta2 >= 0 && c.beta2 < 1):
		panic(fmt.Sprintf("kerasadam: betas (%v, %v) must be in [0, 1)", c.beta1, c.beta2))
	case !(c.eps >= 0) || math.IsInf(c.eps, 0):
		panic(fmt.Sprintf("kerasadam: epsilon %v must be finite and >= 0", c.eps))
	case c.scope == "":
		panic("kerasadam: empty scope")
	}
	cc := *c
	return &Optimizer{cfg: cc}
}

// Optimizer is Keras-flavour Adam. It implements optimizers.Interface.
type Optimizer struct {
	cfg Config
}

var _ optimizers.Interface = (*Optimizer)(nil)

// UpdateGraph takes one step on the gradients of the scalar loss with respect to every trainable
// variable of ctx used by g.
func (o *Optimizer) UpdateGraph(ctx *context.Context, g *Graph, loss *Node) {
	if !loss.Shape().IsScalar() {
		panic(fmt.Sprintf("kerasadam: the loss must be a scalar, got shape %s", loss.Shape()))
	}
	grads := ctx.BuildTrainableVariablesGradientsGraph(loss)
	o.UpdateGraphWithGradients(ctx, grads, loss.DType())
}

// UpdateGraphWithGradients takes one step with the given gradients, one per trainable variable
// of ctx in use by the graph, in the order of ctx.IterVariables (the order of
// ctx.BuildTrainableVariablesGradientsGraph). The arithmetic runs in lossDType; the moments are
// kept in that dtype and the parameters are converted back to their own.
func (o *Optimizer) UpdateGraphWithGradients(ctx *context.Context, grads []*Node, lossDType dtypes.DType) {
	if len(grads) == 0 {
		panic("kerasadam: no gradients: are there trainable variables in the context?")
	}
	g := grads[0].Graph()
	dtype := lossDType
	lr := learningRateVar(ctx, dtype, o.cfg.lr).ValueGraph(g)
	if lr.DType() != dtype {
		lr = ConvertDType(lr, dtype)
	}

	// GoMLX's global step counts every optimizer step; ours counts this optimizer's steps and is
	// what the bias corrections use (cleared with the moments by Clear).
	_ = optimizers.IncrementGlobalStepGraph(ctx, g, dtype)
	step := optimizers.IncrementGlobalStepGraph(ctx.InAbsPath(context.ScopeSeparator+o.cfg.scope), g, dtype)

	beta1 := Const(g, shapes.CastAsDType(o.cfg.beta1, dtype))
	beta2 := Const(g, shapes.CastAsDType(o.cfg.beta2, dtype))
	eps := Const(g, shapes.CastAsDType(o.cfg.eps, dtype))
	// Keras' order of operations: lr_t = (lr * sqrt(1 - b2^t)) / (1 - b1^t).
	sqrt1mb2t := Sqrt(OneMinus(Pow(beta2, step)))
	oneMinusB1t := OneMinus(Pow(beta1, step))

	i := 0
	for v := range ctx.IterVariables() {
		if !v.Trainable || !v.InUseByGraph(g) {
			continue
		}
		if i < len(grads) {
			alpha := Div(Mul(o.rateFor(lr, v), sqrt1mb2t), oneMinusB1t) // lr_t, [M,1,...,1] for per-model rates
			o.apply(ctx, g, v, dtype, grads[i], alpha, beta1, beta2, eps)
		}
		i++
	}
	if i != len(grads) {
		panic(fmt.Sprintf("kerasadam: %d gradients for %d trainable variables in use by the graph", len(grads), i))
	}
}

// learningRateVar returns GoMLX's learning-rate variable (optimizers.LearningRateVar), creating it
// with value lr if absent. An existing one is used whatever its shape (LearningRateVar itself
// refuses a variable that was set to one rate per model), and marked not trainable as
// LearningRateVar marks it: a caller's context.VariableWithValue makes it trainable by default.
func learningRateVar(ctx *context.Context, dtype dtypes.DType, lr float64) *context.Variable {
	if v := ctx.In(optimizers.Scope).GetVariable(optimizers.ParamLearningRate); v != nil {
		return v.SetTrainable(false)
	}
	return optimizers.LearningRateVar(ctx, dtype, lr)
}

// rateFor shapes the learning rate for variable v: a scalar (or one-element) rate as is; a rate
// with M elements as [M, 1, ..., 1] of v's rank, which needs v's leading axis to be M.
func (o *Optimizer) rateFor(lr *Node, v *context.Variable) *Node {
	size := lr.Shape().Size()
	if size == 1 {
		return Reshape(lr)
	}
	vs := v.Shape()
	dims := lr.Shape().Dimensions
	for _, d := range dims[1:] {
		if d != 1 {
			panic(fmt.Sprintf("kerasadam: learning-rate variable of shape %v: want a scalar, [M] or [M,1,...,1] (one rate per model on the leading axis)", dims))
		}
	}
	if vs.Rank() == 0 || vs.Dimensions[0] != size {
		panic(fmt.Sprintf("kerasadam: learning-rate variable of shape %v holds %d rates but variable %s has shape %v: its leading axis must be the %d models",
			dims, size, v.ScopeAndName(), vs.Dimensions, size))
	}
	shape := make([]int, vs.Rank())
	for k := range shape {
		shape[k] = 1
	}
	shape[0] = size
	return Reshape(lr, shape...)
}

func (o *Optimizer) apply(ctx *context.Context, g *Graph, v *context.Variable, dtype dtypes.DType, grad, alpha, beta1, beta2, eps *Node) {
	mVar, vVar := o.moments(ctx, v, dtype)
	if grad.DType() != dtype {
		grad = ConvertDType(grad, dtype)
	}
	m := mVar.ValueGraph(g)
	s := vVar.ValueGraph(g)
	m = Add(m, Mul(Sub(grad, m), OneMinus(beta1)))
	s = Add(s, Mul(Sub(Square(grad), s), OneMinus(beta2)))
	mVar.SetValueGraph(m)
	vVar.SetValueGraph(s)

	value := v.ValueGraph(g)
	if value.DType() != dtype {
		value = ConvertDType(value, dtype)
	}
	updated := Sub(value, Div(Mul(m, alpha), Add(Sqrt(s), eps)))
	if v.Shape().DType != dtype {
		updated = ConvertDType(updated, v.Shape().DType)
	}
	v.SetValueGraph(updated)
}

// moments returns the first and second moment variables of trainable variable v, created at 0
// on first use, under /<scope>/<v's scope> as GoMLX's Adam keeps its own.
func (o *Optimizer) moments(ctx *context.Context, v *context.Variable, dtype dtypes.DType) (m, s *context.Variable) {
	path := context.ScopeSeparator + o.cfg.scope + v.Scope()
	shape := v.Shape().Clone()
	shape.DType = dtype
	c := ctx.Checked(false).InAbsPath(path).WithInitializer(initializers.Zero)
	m = c.VariableWithShape(v.Name()+"_1st_moment", shape).SetTrainable(false)
	s = c.VariableWithShape(v.Name()+"_2nd_moment", shape).SetTrainable(false)
	return m, s
}

// Clear deletes the optimizer's moments and step counter, so that the next step is step 1.
func (o *Optimizer) Clear(ctx *context.Context) error {
	return ctx.InAbsPath(context.ScopeSeparator + o.cfg.scope).DeleteVariablesInScope()
}
