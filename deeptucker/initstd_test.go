package deeptucker

import (
	"math"
	"testing"

	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// TestInitStdForRMS draws Gaussian inits at InitStdForRMS(m, 1e-4) and measures the RMS of the reconstructed W
// over many draws: it must be 1e-4 within the sampling error, at orders 3-5 and depths 1-4 (mixed depths and
// a small core too). Negative control: one fixed std (0.05) at order 4, depth 3 starts 1e9 times smaller.
func TestInitStdForRMS(t *testing.T) {
	const rms, draws = 1e-4, 400
	measure := func(m *Model, std float64) float64 {
		sum, count := 0.0, 0
		for seed := range uint64(draws) {
			p, err := drawGaussian(m, seed+1, std)
			if err != nil {
				t.Fatal(err)
			}
			core, err := multilinear.FromData(m.CoreShape, p.Core.Data)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range multilinear.TuckerToTensor(core, p.Factors()).Data {
				sum += x * x
				count++
			}
		}
		return math.Sqrt(sum / float64(count))
	}
	for _, b := range []*ModelBuilder{
		NewModel(10, 10, 10),
		NewModel(10, 10, 10).Depth(3),
		NewModel(6, 5, 4, 3).Depth(3),
		NewModel(5, 4, 3, 3, 2).Depth(4),
		NewModel(10, 8, 6).Depths(1, 2, 3).CoreShape(3, 4, 2),
	} {
		m := mustModel(t, b)
		if m.InitStd != DefaultInitStd(m) {
			t.Errorf("%v: default std %g, want DefaultInitStd %g", m, m.InitStd, DefaultInitStd(m))
		}
		got := measure(m, InitStdForRMS(m, rms))
		t.Logf("%v: std %.4g, RMS of W %.3g", m, InitStdForRMS(m, rms), got)
		if math.Abs(got/rms-1) > 0.15 {
			t.Errorf("%v: RMS of W at std %.4g is %.3g over %d draws, want %g", m, InitStdForRMS(m, rms), got, draws, rms)
		}
	}
	m := mustModel(t, NewModel(6, 5, 4, 3).Depth(3).InitStd(0.05))
	if m.InitStd != 0.05 {
		t.Errorf("an explicit std was replaced: %g", m.InitStd)
	}
	if got := measure(m, 0.05); got > rms*1e-9 {
		t.Errorf("std 0.05 at order 4, depth 3 gives RMS %.3g: the negative control expects a start near 1e-13", got)
	}
}

// TestDefaultsTrainOrders3To5: NewModel's and NewTraining's defaults (Adam lr 1e-3, 5,000 steps) fit a
// multilinear-rank-2 target from 70% of its entries at orders 3-5 up to depth 4: the runs move (not Stuck)
// and reach held-out R2 > 0.99. Negative control: std 0.05, the old default, never leaves its start at order
// 4, depth 3.
func TestDefaultsTrainOrders3To5(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: trains several models; run without -short")
	}
	fit := func(b *ModelBuilder) RunResult {
		m := mustModel(t, b)
		x := lowRankTarget(t, m.Shape, []int{2, 2, 2, 2, 2}[:m.Order()], 3)
		train, held := splitMask(m.Shape, 0.7, 4)
		res, err := Fit(m, mustTraining(t, NewTraining()), Run{Target: x, Train: train, HeldOut: held, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		return res.Runs[0]
	}
	for _, b := range []*ModelBuilder{
		NewModel(10, 10, 10).Depth(4), NewModel(6, 5, 4, 3).Depth(3), NewModel(5, 4, 3, 3, 2).Depth(4),
	} {
		r := fit(b)
		if f := r.Final(); r.Stuck() || !(f.HeldOutR2 > 0.99) {
			t.Errorf("%v at the defaults: stuck %v, held-out R2 %.4f; want a trained run (R2 > 0.99)",
				b.m.Shape, r.Stuck(), f.HeldOutR2)
		}
	}
	if r := fit(NewModel(6, 5, 4, 3).Depth(3).InitStd(0.05)); !r.Stuck() {
		t.Errorf("std 0.05 at order 4, depth 3 moved (R2 %.4f): the negative control expects a stuck run", r.Final().HeldOutR2)
	}
}
