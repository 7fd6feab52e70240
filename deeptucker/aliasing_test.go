package deeptucker

import (
	"errors"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck
)

// TestModelBuilderReuseLeavesBuiltModels: a notebook cell that keeps one builder and calls Done after each tweak
// (b.Depth(1).Done(), then b.Depth(3).Done()) must get two models; the first must not turn into the second
// behind the researcher's back (it would train, and be keyed, at depth 3 with the depth-1 default std).
func TestModelBuilderReuseLeavesBuiltModels(t *testing.T) {
	b := NewModel(4, 5, 6)
	m1 := mustModel(t, b.Depth(1))
	std1 := m1.InitStd
	m2 := mustModel(t, b.Depth(3).Diagonal(2))
	if !slices.Equal(m1.Depths, []int{1, 1, 1}) || !slices.Equal(m1.CoreShape, []int{4, 5, 6}) || m1.Diagonal {
		t.Errorf("the first model changed when the builder was reused: depths %v, core %v, diagonal %v", m1.Depths, m1.CoreShape, m1.Diagonal)
	}
	if m1.InitStd != std1 || m1.InitStd != DefaultInitStd(m1) {
		t.Errorf("the first model's std %g is not its default %g", m1.InitStd, DefaultInitStd(m1))
	}
	if !slices.Equal(m2.Depths, []int{3, 3, 3}) || !slices.Equal(m2.CoreShape, []int{2, 2, 2}) || !m2.Diagonal {
		t.Errorf("the second model: depths %v, core %v, diagonal %v", m2.Depths, m2.CoreShape, m2.Diagonal)
	}
	// The model's slices are its own: editing the returned model does not reach the builder either.
	m2.Depths[0] = 7
	m3 := mustModel(t, b)
	if m3.Depths[0] != 3 {
		t.Errorf("editing a built model changed the builder: depths %v", m3.Depths)
	}
}

// TestCheckpointOwnsItsParams: a researcher who edits a result's Params to build a warm start (an ablated core
// slice, say) must still resume the original run from its Checkpoint: the two must not share storage.
func TestCheckpointOwnsItsParams(t *testing.T) {
	m, run := checkpointProblem(t)
	tr := mustTraining(t, NewTraining().Adam(1e-2).Steps(4).RecordEvery(2))
	res := mustFit(t, m, tr, run)
	before := res.Runs[0].Checkpoint.Params.Clone()
	warm := res.Runs[0].Params
	for i := range warm.Core.Data {
		warm.Core.Data[i] = 0
	}
	for _, xs := range warm.Vectors {
		xs.Data[0] = 7
	}
	got := res.Runs[0].Checkpoint.Params
	for k, xs := range got.flat() {
		if !slices.Equal(xs, before.flat()[k]) {
			t.Fatalf("editing RunResult.Params changed the checkpoint's parameters (tensor %d)", k)
		}
	}
}

// TestHostDiagnosticGetsItsOwnParams: a host diagnostic that works on the parameters it is given in place (takes
// absolute values, balances them, zeroes a slice to measure something) must not change the run: the parameters
// it is handed are also the snapshot a run that later diverges goes back to.
func TestHostDiagnosticGetsItsOwnParams(t *testing.T) {
	m, x, train, held := divergingProblem(t)
	fit := func(host func(p *Params) []float64) *RunResult {
		tr := mustTraining(t, NewTraining().GradientDescent(50).Steps(500).RecordEvery(1).
			AddDiagnostic(Diagnostic{Name: "core sum", Host: host}))
		res, err := Fit(m, tr, Run{Target: x, Train: train, HeldOut: held, Seed: 1})
		if !errors.Is(err, ErrDiverged) {
			t.Fatalf("want ErrDiverged, got %v", err)
		}
		return &res.Runs[0]
	}
	sum := func(p *Params) float64 {
		s := 0.0
		for _, v := range p.Core.Data {
			s += v
		}
		return s
	}
	clean := fit(func(p *Params) []float64 { return []float64{sum(p)} })
	inPlace := fit(func(p *Params) []float64 {
		s := sum(p)
		for i := range p.Core.Data {
			p.Core.Data[i] = 0 // scratch use of the argument
		}
		return []float64{s}
	})
	for k, xs := range clean.Params.flat() {
		if !slices.Equal(xs, inPlace.Params.flat()[k]) {
			t.Fatalf("a host diagnostic writing to its argument changed the diverged run's restored parameters (tensor %d)", k)
		}
	}
}

// TestTermsCannotRewriteTheVarsOthersRead: a term that reassigns a field of the Vars it is given (v.W masked
// in place, say, or v.Core replaced) changes its own value only: the held-out error, the slice norms and the
// other terms still read the model's W and core.
func TestTermsCannotRewriteTheVarsOthersRead(t *testing.T) {
	shape := []int{4, 3, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 9)
	train, held := splitMask(shape, 0.7, 1)
	m := mustModel(t, NewModel(shape...).Depth(2).InitStd(0.3))
	fit := func(fn func(v *Vars) *Node) Record {
		tr := mustTraining(t, NewTraining().Adam(1e-2).Steps(4).RecordEvery(2).AddTerm(Term{Name: "t", Fn: fn}).
			AddTerm(L1Core(1e-3)))
		return mustFit(t, m, tr, Run{Target: x, Train: train, HeldOut: held, Seed: 1}).Runs[0].Final()
	}
	clean := fit(func(v *Vars) *Node { return PerRun(MulScalar(Square(Mul(v.W, v.Weights)), 0)) })
	rewriting := fit(func(v *Vars) *Node {
		v.W = Mul(v.W, v.Weights) // reassigned, not a new variable
		v.Core = ZerosLike(v.Core)
		v.Vectors[0] = ZerosLike(v.Vectors[0])
		return PerRun(MulScalar(Square(v.W), 0))
	})
	if clean.HeldOutMSE != rewriting.HeldOutMSE || clean.Terms["l1-core(0.001)"] != rewriting.Terms["l1-core(0.001)"] ||
		!slices.Equal(clean.SliceNorms[0], rewriting.SliceNorms[0]) || !slices.Equal(clean.WNorms[0], rewriting.WNorms[0]) {
		t.Errorf("a term reassigning its Vars changed what others read: held-out MSE %g against %g, L1 %g against %g, slice norms %v against %v, w norms %v against %v",
			rewriting.HeldOutMSE, clean.HeldOutMSE, rewriting.Terms["l1-core(0.001)"], clean.Terms["l1-core(0.001)"],
			rewriting.SliceNorms[0], clean.SliceNorms[0], rewriting.WNorms[0], clean.WNorms[0])
	}
}

// TestOnRecordGetsCopies: a progress display that sorts the slice norms it is shown (to plot them ranked) or
// rescales a diagnostic in place must not change the run's history (Fig. 3 plots it).
func TestOnRecordGetsCopies(t *testing.T) {
	shape := []int{4, 3, 3}
	x := lowRankTarget(t, shape, []int{2, 2, 2}, 9)
	train, held := splitMask(shape, 0.7, 1)
	m := mustModel(t, NewModel(shape...).Depth(2).InitStd(0.3))
	diag := Diagnostic{Name: "core", Host: func(p *Params) []float64 { return slices.Clone(p.Core.Data[:3]) }}
	fit := func(on func(int, []Record)) []Record {
		b := NewTraining().Adam(1e-2).Steps(4).RecordEvery(2).AddDiagnostic(diag).AddTerm(L1Core(1e-3))
		if on != nil {
			b = b.OnRecord(on)
		}
		return mustFit(t, m, mustTraining(t, b), Run{Target: x, Train: train, HeldOut: held, Seed: 1}).Runs[0].Records
	}
	clean := fit(nil)
	shown := fit(func(_ int, recs []Record) {
		for _, r := range recs {
			slices.Sort(r.SliceNorms[0])
			r.ColumnNorms[1][0] = -1
			r.Extra["core"][0] = 0
			r.Terms["l1-core(0.001)"] = 0
			r.ActiveColumns[0] = 99
		}
	})
	for i := range clean {
		a, b := clean[i], shown[i]
		if !slices.Equal(a.SliceNorms[0], b.SliceNorms[0]) || !slices.Equal(a.ColumnNorms[1], b.ColumnNorms[1]) ||
			!slices.Equal(a.Extra["core"], b.Extra["core"]) || a.Terms["l1-core(0.001)"] != b.Terms["l1-core(0.001)"] ||
			!slices.Equal(a.ActiveColumns, b.ActiveColumns) {
			t.Fatalf("record %d (step %d) changed by what OnRecord did to its copy", i, a.Step)
		}
	}
}
