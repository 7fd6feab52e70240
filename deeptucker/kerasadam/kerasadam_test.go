package kerasadam_test

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/deeptucker/deeptucker/deeptucker/backend"
	"github.com/deeptucker/deeptucker/deeptucker/kerasadam"
)

func goBackend(t *testing.T) backends.Backend {
	t.Helper()
	b, err := backend.NewWithConfig(backend.Go)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gradientStepper is what both Adams offer: an update from given gradients.
type gradientStepper interface {
	UpdateGraphWithGradients(ctx *context.Context, grads []*Node, lossDType dtypes.DType)
}

// problem is a separable quadratic: the gradient of parameter theta is c*theta - d, elementwise.
// The same product and difference on the host give the same float64 gradient, so a host
// reference can follow the graph to rounding of the optimizer alone.
type problem struct {
	shape   []int
	theta0  []float64
	c, d    []float64
	lrShape []int     // nil: scalar learning-rate variable
	lr      []float64 // one rate, or one per model (lrShape)
}

// runGraph takes `steps` optimizer steps on p in a fresh context and returns theta after each.
func runGraph(t *testing.T, b backends.Backend, opt gradientStepper, p problem, steps int) [][]float64 {
	t.Helper()
	ctx := context.New()
	theta := ctx.VariableWithValue("theta", tensors.FromFlatDataAndDimensions(append([]float64(nil), p.theta0...), p.shape...))
	if p.lrShape != nil {
		lrVar := optimizers.LearningRateVar(ctx, dtypes.Float64, 0)
		if err := lrVar.SetValue(tensors.FromFlatDataAndDimensions(append([]float64(nil), p.lr...), p.lrShape...)); err != nil {
			t.Fatal(err)
		}
	}
	exec, err := context.NewExec(b, ctx, func(ctx *context.Context, g *Graph) *Node {
		th := theta.ValueGraph(g)
		c := Const(g, tensors.FromFlatDataAndDimensions(p.c, p.shape...))
		d := Const(g, tensors.FromFlatDataAndDimensions(p.d, p.shape...))
		opt.UpdateGraphWithGradients(ctx, []*Node{Sub(Mul(c, th), d)}, dtypes.Float64)
		return th
	})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]float64
	for range steps {
		if _, err := exec.Exec(); err != nil {
			t.Fatal(err)
		}
		out = append(out, tensors.MustCopyFlatData[float64](theta.MustValue()))
	}
	return out
}

// hostKeras is the reference: Keras' Adam in float64 on the host, entry by entry.
func hostKeras(p problem, lr, b1, b2, eps float64, steps int) [][]float64 {
	theta := append([]float64(nil), p.theta0...)
	m := make([]float64, len(theta))
	v := make([]float64, len(theta))
	var out [][]float64
	for s := 1; s <= steps; s++ {
		lrT := lr * math.Sqrt(1-math.Pow(b2, float64(s))) / (1 - math.Pow(b1, float64(s)))
		for i := range theta {
			g := p.c[i]*theta[i] - p.d[i]
			m[i] = m[i] + (g-m[i])*(1-b1)
			v[i] = v[i] + (g*g-v[i])*(1-b2)
			theta[i] -= m[i] * lrT / (math.Sqrt(v[i]) + eps)
		}
		out = append(out, append([]float64(nil), theta...))
	}
	return out
}

func maxAbsDiff(a, b []float64) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

var quad = problem{
	shape:  []int{2, 3},
	theta0: []float64{1, -0.5, 0.25, 2, -1.5, 0.1},
	c:      []float64{2, 1, 0.5, 3, 1.5, 0.2},
	d:      []float64{0.3, -0.1, 0, 1, 0.5, -0.02},
}

// TestMatchesHostReference: 25 steps against the float64 host formula, with a large epsilon
// (0.01) so that where it enters matters, and Keras' default epsilon.
func TestMatchesHostReference(t *testing.T) {
	b := goBackend(t)
	for _, eps := range []float64{1e-7, 0.01} {
		const lr, b1, b2, steps = 0.05, 0.9, 0.999, 25
		got := runGraph(t, b, kerasadam.New().LearningRate(lr).Betas(b1, b2).Epsilon(eps).Done(), quad, steps)
		want := hostKeras(quad, lr, b1, b2, eps, steps)
		worst := 0.0
		for s := range steps {
			worst = math.Max(worst, maxAbsDiff(got[s], want[s]))
		}
		t.Logf("eps %g: max |graph - host| over %d steps: %.3g", eps, steps, worst)
		if worst > 1e-14 {
			t.Errorf("eps %g: graph and host reference differ by %.3g > 1e-14", eps, worst)
		}
		// Negative control: GoMLX's Adam (epsilon after bias correction) on the same problem
		// is far from the Keras reference at eps = 0.01.
		if eps == 0.01 {
			gomlx := runGraph(t, b, optimizers.Adam().LearningRate(lr).Betas(b1, b2).Epsilon(eps).Done().(gradientStepper), quad, steps)
			if d := maxAbsDiff(gomlx[steps-1], want[steps-1]); d < 1e-3 {
				t.Errorf("GoMLX Adam is within %.3g of the Keras reference: the test cannot tell them apart", d)
			}
		}
	}
}

// TestFirstStepByHand checks one step on theta = 1 with gradient 2*theta = 2 and round numbers:
// b1 = 0.5, b2 = 0.75, lr = 0.1, eps = 0.5.
//
//	m    = 0 + (2 - 0)(1 - 0.5)    = 1
//	v    = 0 + (4 - 0)(1 - 0.75)   = 1
//	lr_t = 0.1 sqrt(1 - 0.75) / (1 - 0.5) = 0.1 * 0.5 / 0.5 = 0.1
//	step = lr_t m / (sqrt(v) + eps) = 0.1 / 1.5 = 1/15
//	theta = 1 - 1/15 = 14/15 = 0.9333...
//
// GoMLX's Adam adds eps after bias correction: m^ = 1/0.5 = 2, v^ = 1/0.25 = 4,
// step = 0.1 * 2 / (2 + 0.5) = 0.08, theta = 0.92.
func TestFirstStepByHand(t *testing.T) {
	b := goBackend(t)
	p := problem{shape: []int{1}, theta0: []float64{1}, c: []float64{2}, d: []float64{0}}
	got := runGraph(t, b, kerasadam.New().LearningRate(0.1).Betas(0.5, 0.75).Epsilon(0.5).Done(), p, 1)[0][0]
	if want := 14.0 / 15; math.Abs(got-want) > 1e-15 {
		t.Errorf("theta after one Keras step = %.17g, want 14/15 = %.17g", got, want)
	}
	gomlx := runGraph(t, b, optimizers.Adam().LearningRate(0.1).Betas(0.5, 0.75).Epsilon(0.5).Done().(gradientStepper), p, 1)[0][0]
	if math.Abs(gomlx-0.92) > 1e-15 {
		t.Errorf("theta after one GoMLX Adam step = %.17g, want 0.92", gomlx)
	}
}

// TestTinyGradients: with gradients of 1e-6 and eps = 1e-7, Keras' epsilon at step 1 acts like
// eps/sqrt(1-b2) = 3.16e-6 on the bias-corrected scale: the first step is
// lr * g / (g + 3.16e-6) = 0.240 lr, against GoMLX's lr * g / (g + 1e-7) = 0.909 lr.
func TestTinyGradients(t *testing.T) {
	b := goBackend(t)
	const lr, g, eps = 1e-3, 1e-6, 1e-7
	p := problem{shape: []int{1}, theta0: []float64{0}, c: []float64{0}, d: []float64{-g}} // gradient = g
	keras := -runGraph(t, b, kerasadam.New().LearningRate(lr).Epsilon(eps).Done(), p, 1)[0][0]
	gomlx := -runGraph(t, b, optimizers.Adam().LearningRate(lr).Epsilon(eps).Done().(gradientStepper), p, 1)[0][0]
	wantKeras := lr * g / (g + eps/math.Sqrt(1-0.999))
	wantGoMLX := lr * g / (g + eps)
	t.Logf("first step: Keras %.6g (%.3f lr), GoMLX %.6g (%.3f lr)", keras, keras/lr, gomlx, gomlx/lr)
	if math.Abs(keras-wantKeras) > 1e-9*wantKeras || math.Abs(gomlx-wantGoMLX) > 1e-9*wantGoMLX {
		t.Errorf("first steps %.10g / %.10g, want %.10g / %.10g", keras, gomlx, wantKeras, wantGoMLX)
	}
	if !(keras < 0.3*gomlx) {
		t.Errorf("Keras moved %.3g, GoMLX %.3g: Keras should move less than a third as far", keras, gomlx)
	}
}

// TestPerModelLearningRates: three models stacked on the leading axis, with learning rates
// [3,1,1], step exactly as three separate runs with scalar rates, bit for bit.
func TestPerModelLearningRates(t *testing.T) {
	b := goBackend(t)
	const M, steps = 3, 12
	lrs := []float64{0.1, 0.01, 0.003}
	per := 4 // entries per model, shape [M, 2, 2]
	batched := problem{shape: []int{M, 2, 2}, lrShape: []int{M, 1, 1}, lr: lrs}
	for i := range M * per {
		batched.theta0 = append(batched.theta0, math.Sin(float64(i+1)))
		batched.c = append(batched.c, 0.5+0.1*float64(i))
		batched.d = append(batched.d, math.Cos(float64(3*i)))
	}
	opt := func() gradientStepper { return kerasadam.New().Done() }
	got := runGraph(t, b, opt(), batched, steps)
	for m := range M {
		alone := problem{
			shape:  []int{1, 2, 2},
			theta0: batched.theta0[m*per : (m+1)*per],
			c:      batched.c[m*per : (m+1)*per],
			d:      batched.d[m*per : (m+1)*per],
		}
		want := runGraph(t, b, kerasadam.New().LearningRate(lrs[m]).Done(), alone, steps)
		for s := range steps {
			for i, w := range want[s] {
				if g := got[s][m*per+i]; g != w {
					t.Fatalf("model %d step %d entry %d: batched %.17g, alone %.17g", m, s+1, i, g, w)
				}
			}
		}
	}
	// Negative control: a single scalar rate for the batch does not reproduce model 1.
	one := batched
	one.lrShape, one.lr = []int{}, []float64{lrs[0]}
	all := runGraph(t, b, opt(), one, steps)
	if all[steps-1][per] == got[steps-1][per] {
		t.Errorf("model 1 ends the same with rate %v as with its own %v", lrs[0], lrs[1])
	}
}

// TestStateAndClear: the optimizer keeps its own step counter and moments in the context, and
// Clear restarts from step 1.
func TestStateAndClear(t *testing.T) {
	b := goBackend(t)
	ctx := context.New()
	theta := ctx.VariableWithValue("theta", []float64{1})
	opt := kerasadam.New().LearningRate(0.1).Done()
	exec, err := context.NewExec(b, ctx, func(ctx *context.Context, g *Graph) *Node {
		th := theta.ValueGraph(g)
		opt.UpdateGraph(ctx, g, ReduceAllSum(Square(th)))
		return th
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		exec.MustExec()
	}
	var names []string
	for v := range ctx.IterVariables() {
		names = append(names, v.ScopeAndName())
	}
	all := strings.Join(names, " ")
	for _, want := range []string{"/KerasAdam/global_step", "/KerasAdam/theta_1st_moment", "/KerasAdam/theta_2nd_moment", "/global_step"} {
		if !strings.Contains(all, want) {
			t.Errorf("context variables %q lack %s", names, want)
		}
	}
	step := ctx.InAbsPath("/KerasAdam").GetVariable(optimizers.GlobalStepVariableName)
	if step == nil || step.MustValue().Value().(int64) != 3 {
		t.Fatalf("step counter after 3 steps: %v", step)
	}
	if err := opt.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if v := ctx.InAbsPath("/KerasAdam").GetVariable(optimizers.GlobalStepVariableName); v != nil {
		t.Errorf("step counter survives Clear")
	}
}

func TestDonePanicsOnBadConfig(t *testing.T) {
	for name, c := range map[string]*kerasadam.Config{
		"negative lr": kerasadam.New().LearningRate(-1),
		"beta1 = 1":   kerasadam.New().Betas(1, 0.999),
		"NaN eps":     kerasadam.New().Epsilon(math.NaN()),
	} {
		func() {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "kerasadam: ") {
					t.Errorf("%s: recovered %v, want a kerasadam: panic", name, r)
				}
			}()
			c.Done()
		}()
	}
}

// TestFloat32: a float32 model steps in float32 (the authors' precision) and stays float32,
// within float32 rounding of the float64 reference.
func TestFloat32(t *testing.T) {
	b := goBackend(t)
	ctx := context.New()
	theta0 := make([]float32, len(quad.theta0))
	for i, v := range quad.theta0 {
		theta0[i] = float32(v)
	}
	theta := ctx.VariableWithValue("theta", tensors.FromFlatDataAndDimensions(theta0, quad.shape...))
	opt := kerasadam.New().LearningRate(0.05).Done()
	exec, err := context.NewExec(b, ctx, func(ctx *context.Context, g *Graph) {
		th := theta.ValueGraph(g)
		c := ConvertDType(Const(g, tensors.FromFlatDataAndDimensions(quad.c, quad.shape...)), dtypes.Float32)
		d := ConvertDType(Const(g, tensors.FromFlatDataAndDimensions(quad.d, quad.shape...)), dtypes.Float32)
		opt.UpdateGraphWithGradients(ctx, []*Node{Sub(Mul(c, th), d)}, dtypes.Float32)
	})
	if err != nil {
		t.Fatal(err)
	}
	const steps = 10
	for range steps {
		if _, err := exec.Exec(); err != nil {
			t.Fatal(err)
		}
	}
	if dt := theta.Shape().DType; dt != dtypes.Float32 {
		t.Fatalf("theta became %s", dt)
	}
	got := tensors.MustCopyFlatData[float32](theta.MustValue())
	want := hostKeras(quad, 0.05, 0.9, 0.999, 1e-7, steps)[steps-1]
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); d > 1e-5 {
			t.Errorf("entry %d: float32 %v, float64 reference %v (|diff| %.3g > 1e-5)", i, got[i], want[i], d)
		}
	}
}
