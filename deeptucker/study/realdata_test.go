package study

import (
	"math"
	"testing"

	"github.com/deeptucker/deeptucker/deeptucker/results"
)

// TestR2Table checks R2Table against a hand-computed summary: failed runs (stuck, diverged) are counted and
// left out, the early-stopping column appears only when a run had a validation mask, and Summary finds rows.
func TestR2Table(t *testing.T) {
	nan := results.Num(math.NaN())
	ok := func(label string, depth int, final, early float64) Outcome {
		return Outcome{Label: label, Depth: depth, DivergedStep: -1, ConvergedStep: -1, HeldOutR2: results.Num(final),
			EarlyStoppedR2: results.Num(early), BestR2: results.Num(final + 0.1), AllR2: results.Num(final),
			SingularValues: [][]results.Num{{1}}}
	}
	outs := []Outcome{
		ok("a, x", 1, 0.9, math.NaN()), ok("a, y", 1, 0.7, math.NaN()), ok("a, z", 1, 0.8, math.NaN()),
		{Label: "a, x", Depth: 1, Stuck: true, DivergedStep: -1, HeldOutR2: -5, EarlyStoppedR2: nan, SingularValues: [][]results.Num{{1}}},
		{Label: "a, x", Depth: 2, DivergedStep: 7, HeldOutR2: nan, EarlyStoppedR2: nan},
	}
	group := func(o Outcome) string { return o.Label[:1] }
	tab, rows := R2Table(outs, group)
	for _, h := range tab.Headers {
		if h == "early-stopped R2 (validation)" {
			t.Errorf("early-stopping column shown without any validation mask: %v", tab.Headers)
		}
	}
	s := Summary(rows, "a", 1)
	if s.Runs != 4 || s.Failed != 1 || s.Final.N != 3 || math.Abs(s.Final.Mean-0.8) > 1e-12 || s.Final.Median != 0.8 ||
		math.Abs(s.Final.Std-0.1) > 1e-12 {
		t.Errorf("depth 1: %+v, want 4 runs, 1 failed, final R2 mean 0.8 sd 0.1 median 0.8 over 3", s)
	}
	if s2 := Summary(rows, "a", 2); s2.Runs != 1 || s2.Failed != 1 || s2.Final.N != 0 {
		t.Errorf("depth 2: %+v, want 1 run, failed", s2)
	}
	if s3 := Summary(rows, "b", 1); s3.Runs != 0 || !math.IsNaN(s3.Final.Mean) {
		t.Errorf("missing row: %+v, want an empty summary", s3)
	}
	if len(tab.Rows) != 2 || tab.Rows[0][2] != "4 (1)" {
		t.Errorf("rows %v, want 2 rows, the first with 4 (1) runs", tab.Rows)
	}
	// With a validation mask the column appears and holds the early-stopped values.
	outs[0].EarlyStoppedR2, outs[1].EarlyStoppedR2, outs[2].EarlyStoppedR2 = 0.95, 0.75, 0.85
	tab, rows = R2Table(outs, group)
	if len(tab.Headers) != 8 || tab.Headers[5] != "early-stopped R2 (validation)" {
		t.Fatalf("headers %v, want the early-stopping column sixth", tab.Headers)
	}
	if e := Summary(rows, "a", 1).EarlyStopped; e.N != 3 || math.Abs(e.Mean-0.85) > 1e-12 {
		t.Errorf("early-stopped: %+v, want mean 0.85 over 3", e)
	}
}
