package hooi

import (
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/deeptucker/deeptucker/deeptucker/internal/testtensor"
	"github.com/deeptucker/deeptucker/deeptucker/internal/tlfixture"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// initOption is WithInitTucker with a fixture's init (a nil core for TensorLy's init=[factors]).
func initOption(c tlfixture.HOOIInitCase) Option {
	var core *multilinear.Tensor
	if c.InitCore != nil {
		core = tensorOf(*c.InitCore)
	}
	fs := make([]*mat.Dense, len(c.InitFactors))
	for n, f := range c.InitFactors {
		fs[n] = f.Dense()
	}
	return WithInitTucker(core, fs...)
}

// initCaseOptions are the options that reproduce a fixture's TensorLy call, the init first (a
// control drops it with [1:]).
func initCaseOptions(c tlfixture.HOOIInitCase) []Option {
	return append([]Option{initOption(c), WithMaxIter(c.NIterMax)}, caseOptions(c.HOOICase)...)
}

// initParityGap is parityGap of the fixture's results. With no iteration the factors are the
// init's, not signed by svd_flip, so a flip would be a bug there too.
func initParityGap(t *testing.T, res *Result, c tlfixture.HOOIInitCase) float64 {
	t.Helper()
	return parityGap(t, res, c.HOOICase)
}

// TestInitTuckerParity: HOOI started from the decomposition TensorLy was given (a TuckerTensor,
// a (core, factors) pair or factors alone) matches TensorLy's tucker(init=...), with and
// without a mask, honest and leaky, after 0, 2 and up to 100 iterations. Measured: at most
// 2.0e-13 (init_random_masked_8x7x6: 100 imputation rounds from a random start), others below
// 4e-14; parityTol (1e-11) still leaves a wide margin.
func TestInitTuckerParity(t *testing.T) {
	f, err := tlfixture.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(f.HOOIInit) < 8 {
		t.Fatalf("the fixtures hold %d hooi_init cases, want >= 8: regenerate them (--keep-existing)", len(f.HOOIInit))
	}
	kinds := map[string]int{}
	for _, c := range f.HOOIInit {
		kinds[c.InitKind]++
		t.Run(c.Name, func(t *testing.T) {
			if c.Mask == nil && c.Leaky {
				t.Fatal("a leaky fixture without a mask")
			}
			res, err := Tucker(tensorOf(c.Input), c.Rank, initCaseOptions(c)...)
			if err != nil {
				t.Fatal(err)
			}
			if res.Iterations != c.Iterations || len(res.RecErrors) != c.Iterations {
				t.Fatalf("%d iterations (%d errors), TensorLy ran %d", res.Iterations, len(res.RecErrors), c.Iterations)
			}
			if res.Converged != (c.Iterations < c.NIterMax) {
				t.Errorf("Converged = %v after %d iterations (MaxIter %d)", res.Converged, res.Iterations, c.NIterMax)
			}
			worst := initParityGap(t, res, c)
			t.Logf("%s init, %d iterations: max |Go - TensorLy| over rec_errors, factors, core, reconstruction: %.3g",
				c.InitKind, res.Iterations, worst)
			if !(worst <= parityTol) {
				t.Errorf("max |Go - TensorLy| = %.3g > %.3g", worst, parityTol)
			}
		})
	}
	for _, k := range []string{"tucker_tensor", "tuple", "factors"} {
		if kinds[k] == 0 {
			t.Errorf("no hooi_init fixture with init kind %q", k)
		}
	}
}

// TestInitTuckerControls is the negative control of the parity test: on the same inputs,
// starting from TensorLy's SVD init, or from another decomposition, moves the iterates far past
// parityTol, so the parity above shows the given init was used; an equivalent decomposition
// (the same [[G; U]] with factor columns permuted) gives TensorLy's iterates again. On gauss_4x5x6 (Gaussian noise,
// no low-rank structure) the random start ends at another local solution of HOOI, with a
// different final error, as it does in TensorLy.
func TestInitTuckerControls(t *testing.T) {
	f, err := tlfixture.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range f.HOOIInit {
		if c.NIterMax == 0 {
			continue
		}
		opts := initCaseOptions(c)[1:] // without the fixture's init
		svdStart, err := Tucker(tensorOf(c.Input), c.Rank, opts...)
		if err != nil {
			t.Fatal(err)
		}
		// An equivalent start: every init factor's columns in reverse order and the core's
		// slices reversed to match (the same tensor [[G; U]], the same column spaces). HOOI sees
		// only those, so it must give TensorLy's iterates again.
		equivalent, err := Tucker(tensorOf(c.Input), c.Rank, append(opts, reversedInit(c))...)
		if err != nil {
			t.Fatal(err)
		}
		// Another start: a random decomposition of the same shapes (core nil when the fixture's is).
		core, factors := randomInit(c.Input.Shape, c.Rank, 99)
		if c.InitCore == nil {
			core = nil
		}
		otherStart, err := Tucker(tensorOf(c.Input), c.Rank, append(opts, WithInitTucker(core, factors...))...)
		if err != nil {
			t.Fatal(err)
		}
		gapEquiv := maxAbsDiff(equivalent.RecErrors, c.RecErrors)
		gapSVD, gapOther := prefixGap(svdStart.RecErrors, c.RecErrors), prefixGap(otherStart.RecErrors, c.RecErrors)
		t.Logf("%s (TensorLy: %d iterations): max |rec_errors - TensorLy's| over the common iterations: equivalent start %.3g; "+
			"SVD start %.3g (%d iterations); another random start %.3g (%d iterations)",
			c.Name, c.Iterations, gapEquiv, gapSVD, svdStart.Iterations, gapOther, otherStart.Iterations)
		if !(gapEquiv <= parityTol) {
			t.Errorf("%s: the equivalent (column-reversed) start moved the iterates by %.3g", c.Name, gapEquiv)
		}
		if c.Name == "init_warm_lowrank_4x3x5x3" {
			// Started from TensorLy's HOOI result (SVD init, 3 iterations): it goes on from where
			// that run stopped, below the SVD start's first error.
			last := svdStart.RecErrors[len(svdStart.RecErrors)-1]
			if !(math.Abs(c.RecErrors[0]-last) < 1e-6) || !(c.RecErrors[0] < svdStart.RecErrors[0]) {
				t.Errorf("%s: the warm start's first error %.9g is not the SVD run's last %.9g", c.Name, c.RecErrors[0], last)
			}
			continue
		}
		if !(gapSVD > 1e-6) || !(gapOther > 1e-6) { // also when the first errors agree but the counts differ
			t.Errorf("%s: the SVD start (gap %.3g) or another random start (gap %.3g) gives TensorLy's given-init iterates: the init is not shown to matter",
				c.Name, gapSVD, gapOther)
		}
	}

	// A local solution: TensorLy's HOOI of a Gaussian tensor from its SVD init (fixture
	// gauss_4x5x6_slow) and from a random decomposition (init_random_gauss_4x5x6) end at different
	// errors, and so does Go from the same two starts.
	var fromSVD *tlfixture.HOOICase
	var fromInit *tlfixture.HOOIInitCase
	for i := range f.HOOI {
		if f.HOOI[i].Name == "gauss_4x5x6_slow" {
			fromSVD = &f.HOOI[i]
		}
	}
	for i := range f.HOOIInit {
		if f.HOOIInit[i].Name == "init_random_gauss_4x5x6" {
			fromInit = &f.HOOIInit[i]
		}
	}
	if fromSVD == nil || fromInit == nil {
		t.Fatal("fixtures gauss_4x5x6_slow or init_random_gauss_4x5x6 missing")
	}
	if maxAbsDiff(fromSVD.Input.Data, fromInit.Input.Data) != 0 || !slices.Equal(fromSVD.Rank, fromInit.Rank) {
		t.Fatal("the two gauss_4x5x6 fixtures are not the same problem")
	}
	tlSVD, tlInit := fromSVD.RecErrors[len(fromSVD.RecErrors)-1], fromInit.RecErrors[len(fromInit.RecErrors)-1]
	goSVD, err := Tucker(tensorOf(fromSVD.Input), fromSVD.Rank)
	if err != nil {
		t.Fatal(err)
	}
	goInit, err := Tucker(tensorOf(fromInit.Input), fromInit.Rank, initOption(*fromInit))
	if err != nil {
		t.Fatal(err)
	}
	eSVD, eInit := goSVD.RecErrors[len(goSVD.RecErrors)-1], goInit.RecErrors[len(goInit.RecErrors)-1]
	t.Logf("gauss_4x5x6 at rank (2,2,2), final rec_error: TensorLy %.6f (SVD init) vs %.6f (random init); Go %.6f vs %.6f",
		tlSVD, tlInit, eSVD, eInit)
	if !(math.Abs(tlSVD-tlInit) > 1e-3) || !(math.Abs(eSVD-eInit) > 1e-3) {
		t.Errorf("the two starts end at the same error: no local solution shown")
	}
}

// prefixGap is max |a_k - b_k| over the iterations both ran, +Inf when their counts differ
// and the common ones agree to 1e-6 (so that a different count always reads as a difference).
func prefixGap(a, b []float64) float64 {
	n := min(len(a), len(b))
	g := maxAbsDiff(a[:n], b[:n])
	if len(a) != len(b) && g <= 1e-6 {
		return math.Inf(1)
	}
	return g
}

// reversedInit is WithInitTucker with the fixture's init, every factor's columns reversed and the
// core permuted to match: the same starting tensor [[G; U]] with other factor columns.
func reversedInit(c tlfixture.HOOIInitCase) Option {
	fs := make([]*mat.Dense, len(c.InitFactors))
	for n, a := range c.InitFactors {
		f := a.Dense()
		rows, cols := f.Dims()
		r := mat.NewDense(rows, cols, nil)
		for j := range cols {
			r.SetCol(j, mat.Col(nil, cols-1-j, f))
		}
		fs[n] = r
	}
	if c.InitCore == nil {
		return WithInitTucker(nil, fs...)
	}
	g := tensorOf(*c.InitCore)
	out := multilinear.New(g.Shape...)
	for off := range g.Data {
		idx := multilinear.Unravel(g.Shape, off)
		for n := range idx {
			idx[n] = g.Shape[n] - 1 - idx[n]
		}
		out.Set(g.Data[off], idx...)
	}
	return WithInitTucker(out, fs...)
}

// TestInitTuckerWhatIsRead: as in TensorLy, without a mask the core and U_0 of the init are not
// read (the first iteration updates U_0 from U_1..U_{N-1}), and with a mask the core is (the
// first imputation uses [[G; U]]), while x is never read at missing entries.
func TestInitTuckerWhatIsRead(t *testing.T) {
	rng := newRNG(21)
	shape, rank := []int{6, 5, 4}, []int{2, 2, 2}
	x := testtensor.LowRank(rng, shape, rank)
	for i := range x.Data {
		x.Data[i] += 0.1 * rng.NormFloat64()
	}
	core, factors := randomInit(shape, rank, 7)
	core2, factors2 := randomInit(shape, rank, 8)
	mixed := []*mat.Dense{factors2[0], factors[1], factors[2]} // another U_0 only
	run := func(x *multilinear.Tensor, opts ...Option) *Result {
		t.Helper()
		res, err := Tucker(x, rank, append(opts, WithMaxIter(10), WithTol(0))...)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	same := func(a, b *Result) bool {
		return slices.Equal(a.Core.Data, b.Core.Data) && slices.Equal(a.RecErrors, b.RecErrors)
	}
	a := run(x, WithInitTucker(core, factors...))
	if !same(a, run(x, WithInitTucker(core2, factors...))) {
		t.Error("no mask: another init core changed the result; TensorLy never reads it")
	}
	if !same(a, run(x, WithInitTucker(nil, factors...))) {
		t.Error("no mask: the computed core (nil) changed the result")
	}
	if !same(a, run(x, WithInitTucker(core, mixed...))) {
		t.Error("no mask: another U_0 changed the result; TensorLy never reads it")
	}
	if same(a, run(x, WithInitTucker(core, factors2...))) {
		t.Error("no mask: other U_1, U_2 gave the same result")
	}

	mask := randomMask(rng, shape, 0.3)
	m := run(x, WithMask(mask), WithInitTucker(core, factors...))
	if same(m, run(x, WithMask(mask), WithInitTucker(core2, factors...))) {
		t.Error("mask: another init core gave the same result; it fills the missing entries first")
	}
	if same(m, run(x, WithMask(mask), WithInitTucker(core, mixed...))) {
		t.Error("mask: another U_0 gave the same result; it fills the missing entries first")
	}
	hidden := x.Clone()
	for i, o := range mask.Observed {
		if !o {
			hidden.Data[i] = math.NaN()
		}
	}
	for _, c := range []*multilinear.Tensor{core, nil} {
		honest, nan := run(x, WithMask(mask), WithInitTucker(c, factors...)), run(hidden, WithMask(mask), WithInitTucker(c, factors...))
		if !same(honest, nan) {
			t.Errorf("core given %v: x was read at a missing entry (NaN there changed the result)", c != nil)
		}
		leaky := run(x, WithMask(mask), WithInitTucker(c, factors...), ReadHiddenEntries())
		if slices.Equal(honest.RecErrors, leaky.RecErrors) {
			t.Errorf("core given %v: ReadHiddenEntries did not read the hidden entries (its norm, at least)", c != nil)
		}
	}
}

// TestInitTuckerMaxIter0: with no iteration Tucker returns the init as given (copies), or the
// core computed from the input for a nil core, nil factors as identities.
func TestInitTuckerMaxIter0(t *testing.T) {
	rng := newRNG(22)
	shape, rank := []int{5, 4, 3}, []int{2, 4, 3}
	x := testtensor.LowRank(rng, shape, []int{2, 2, 2})
	core, factors := randomInit(shape, rank, 3)
	res, err := Tucker(x, rank, WithInitTucker(core, factors...), WithMaxIter(0))
	if err != nil {
		t.Fatal(err)
	}
	if res.Iterations != 0 || !slices.Equal(res.Core.Data, core.Data) {
		t.Error("MaxIter 0 did not return the given core")
	}
	for n := range factors {
		if !mat.Equal(res.Factors[n], factors[n]) {
			t.Errorf("MaxIter 0: factor %d is not the given one", n)
		}
	}
	res, err = Tucker(x, rank, WithInitTucker(nil, factors[0], nil, nil), WithMaxIter(0))
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(res.Factors[1], eye(4)) || !mat.Equal(res.Factors[2], eye(3)) {
		t.Error("nil factors did not become identities")
	}
	want := multilinear.ModeDot(x, factors[0].T(), 0)
	if maxAbsDiff(res.Core.Data, want.Data) > 1e-14 || !slices.Equal(res.Core.Shape, rank) {
		t.Errorf("nil core: core of shape %v is not X x_0 U_0^T", res.Core.Shape)
	}
}

// TestInitTuckerWarmStart: a warm start from a converged Tucker result stays there, and a warm
// start from a deep Tucker-like decomposition (non-orthonormal factors, a mode kept whole by a
// nil factor) runs and fits an exactly low-rank tensor.
func TestInitTuckerWarmStart(t *testing.T) {
	rng := newRNG(23)
	shape, rank := []int{7, 6, 5}, []int{3, 2, 2}
	x := testtensor.LowRank(rng, shape, rank)
	for i := range x.Data {
		x.Data[i] += 0.01 * rng.NormFloat64()
	}
	first, err := Tucker(x, rank, WithTol(0), WithMaxIter(200))
	if err != nil {
		t.Fatal(err)
	}
	again, err := Tucker(x, rank, WithInitTucker(first.Core, first.Factors...), WithMaxIter(3))
	if err != nil {
		t.Fatal(err)
	}
	if e := maxAbsDiff(again.Reconstruct().Data, first.Reconstruct().Data); e > 1e-10 {
		t.Errorf("warm start from a converged result moved it by %.3g", e)
	}

	exact := testtensor.LowRank(rng, shape, []int{3, 2, 5})
	core, factors := randomInit(shape, []int{3, 2, 5}, 9)
	factors[2] = nil // mode 2 kept whole (core size d_2 = 5), as a depth-0 mode of a deep Tucker run
	res, err := Tucker(exact, []int{3, 2, 5}, WithInitTucker(core, factors...))
	if err != nil {
		t.Fatal(err)
	}
	if e := maxAbsDiff(res.Reconstruct().Data, exact.Data); e > 1e-10 {
		t.Errorf("deep-Tucker-like start: max |X - rec| = %.3g after %d iterations", e, res.Iterations)
	}
}

// TestInitTuckerNoAliasing: the option copies what it is given, and results never share memory
// with the init or with each other.
func TestInitTuckerNoAliasing(t *testing.T) {
	rng := newRNG(24)
	shape, rank := []int{5, 4, 3}, []int{2, 2, 2}
	x := testtensor.LowRank(rng, shape, rank)
	core, factors := randomInit(shape, rank, 4)
	coreCopy, f0Copy := core.Clone(), mat.DenseCopyOf(factors[0])
	opt := WithInitTucker(core, factors...)
	a, err := Tucker(x, rank, opt, WithMaxIter(0))
	if err != nil {
		t.Fatal(err)
	}
	core.Data[0], factors[0].RawMatrix().Data[0] = 99, 99 // the caller edits its matrices...
	b, err := Tucker(x, rank, opt, WithMaxIter(0))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b.Core.Data, coreCopy.Data) || !mat.Equal(b.Factors[0], f0Copy) {
		t.Error("the caller's edits after WithInitTucker reached Tucker")
	}
	a.Core.Data[1], a.Factors[1].RawMatrix().Data[0] = -7, -7 // ...and a result is edited
	c, err := Tucker(x, rank, opt, WithMaxIter(0))
	if err != nil {
		t.Fatal(err)
	}
	if c.Core.Data[1] == -7 || c.Factors[1].At(0, 0) == -7 {
		t.Error("an edit of one result reached the next result from the same option")
	}
}

func TestInitTuckerErrors(t *testing.T) {
	shape, rank := []int{4, 5, 3}, []int{2, 3, 2}
	x := testtensor.LowRank(newRNG(25), shape, rank)
	core, factors := randomInit(shape, rank, 1)
	with := func(n int, f *mat.Dense) []*mat.Dense {
		fs := slices.Clone(factors)
		fs[n] = f
		return fs
	}
	nanF := mat.DenseCopyOf(factors[1])
	nanF.Set(2, 1, math.NaN())
	infCore := core.Clone()
	infCore.Set(math.Inf(-1), 1, 2, 0)
	big := multilinear.New(3, 3, 3)
	cases := []struct {
		name string
		opt  Option
		want []string
	}{
		{"two factors", WithInitTucker(core, factors[:2]...), []string{"2 factors for a tensor of order 3", "4x2, 5x3, 3x2"}},
		{"no factors", WithInitTucker(core), []string{"0 factors for a tensor of order 3"}},
		{"rows", WithInitTucker(core, with(0, mat.NewDense(5, 2, nil))...), []string{"factor 0 is 5x2 but mode 0 of the [4 5 3] tensor has size 4", "transposed"}},
		{"transposed", WithInitTucker(core, with(1, mat.DenseCopyOf(factors[1].T()))...), []string{"factor 1 is 3x5 but mode 1", "4x2, 5x3, 3x2"}},
		{"columns", WithInitTucker(core, with(2, mat.NewDense(3, 3, nil))...), []string{"factor 2 is 3x3: 3 columns but rank[2]=2", "ask for rank [2 3 3]"}},
		{"empty factor", WithInitTucker(core, with(0, &mat.Dense{})...), []string{"factor 0 is an empty matrix", "4x2"}},
		{"nil factor, rank below d_n", WithInitTucker(core, with(1, nil)...), []string{"factor 1 is nil", "5x5 identity", "rank[1]=3", "give a 5x3 factor"}},
		{"NaN factor", WithInitTucker(core, with(1, nanF)...), []string{"factor 1 entry (2, 1) is NaN", "finite"}},
		{"core shape", WithInitTucker(big, factors...), []string{"core shape [3 3 3] does not match rank [2 3 2]", "ask for rank [3 3 3]", "core of shape [2 3 2]"}},
		{"diagonal core", WithInitTucker(multilinear.New(2), factors...), []string{"core has order 1", "diagonal", "shape rank = [2 3 2]"}},
		{"bad core", WithInitTucker(&multilinear.Tensor{Shape: []int{2, 3, 2}, Data: []float64{1}}, factors...), []string{"core: shape [2 3 2] holds 12 entries but data has 1"}},
		{"Inf core", WithInitTucker(infCore, factors...), []string{"core entry [1 2 0] is -Inf", "finite"}},
		{"tucker init without a decomposition", WithInit("tucker"), []string{`init "tucker" needs the decomposition`, "WithInitTucker"}},
	}
	for _, c := range cases {
		_, err := Tucker(x, rank, c.opt)
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v, want one containing %q", c.name, err, w)
			}
		}
	}
	// The input and rank are checked first, and a later WithInit replaces the start.
	if _, err := Tucker(x, []int{2, 3}, WithInitTucker(core, factors...)); err == nil || !strings.Contains(err.Error(), "rank [2 3] has 2 entries") {
		t.Errorf("rank length: %v", err)
	}
	if _, err := Tucker(x, rank, WithInitTucker(big, factors...), WithInit(InitSVD)); err != nil {
		t.Errorf("WithInit after a bad WithInitTucker: %v", err)
	}
	if _, err := Tucker(x, rank, WithInitTucker(core, factors...)); err != nil {
		t.Errorf("a valid init: %v", err)
	}
}

// TestInitTuckerResume: with tol 0, k iterations and then m more started from the result are
// the k+m iterations of one run, bit for bit (the core and factors are all an iteration carries
// over: with a mask, T is X*M + [[G; U]]*(1-M) either way), with or without a mask, leaky too.
func TestInitTuckerResume(t *testing.T) {
	rng := newRNG(26)
	for _, shape := range [][]int{{6, 5, 4}, {4, 3, 5, 3}} {
		rank := make([]int, len(shape))
		for n := range rank {
			rank[n] = 2
		}
		x := testtensor.LowRank(rng, shape, rank)
		for i := range x.Data {
			x.Data[i] += 0.1 * rng.NormFloat64()
		}
		mask := randomMask(rng, shape, 0.4)
		for _, opts := range [][]Option{nil, {WithMask(mask)}, {WithMask(mask), ReadHiddenEntries()}} {
			run := func(n int, more ...Option) *Result {
				res, err := Tucker(x, rank, append(append(slices.Clone(opts), WithTol(0), WithMaxIter(n)), more...)...)
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			first := run(4)
			more := run(7, WithInitTucker(first.Core, first.Factors...))
			whole := run(11)
			if !slices.Equal(more.Core.Data, whole.Core.Data) || !slices.Equal(more.RecErrors, whole.RecErrors[4:]) {
				t.Errorf("shape %v, %d options: 4 + 7 iterations differ from 11 (core by %.3g)",
					shape, len(opts), maxAbsDiff(more.Core.Data, whole.Core.Data))
			}
		}
	}
}
