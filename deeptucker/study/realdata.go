package study

import (
	"fmt"
	"math"
	"sort"

	dt "github.com/deeptucker/deeptucker/deeptucker"
	"github.com/deeptucker/deeptucker/kernel"
)

// Table1 is the paper's Table 1 read from a sweep: per problem group and depth, the deep model's held-out
// R2, the multirank each run converged to (relTol), and Tucker-HOOI fitted at that multirank to the same
// observed entries, honest and leaky. problem maps an outcome's label to the problem it was trained on (another
// is refused: the HOOI columns would be of other entries); group names the row.
func Table1(outs []Outcome, problem func(label string) *Problem, group func(label string) string, relTol float64) (kernel.Table, error) {
	t := kernel.Table{Caption: fmt.Sprintf("Held-out R2: deep Tucker and HOOI at the multirank each run converged to (relative tolerance %g)", relTol),
		Headers: []string{"data", "depth", "runs (failed)", "deep Tucker R2", "most frequent multirank", "HOOI R2 (honest)", "HOOI R2 (leaky)", "honest HOOI wins"}}
	hooi := map[string]float64{}
	fingerprints := map[*Problem]string{}
	score := func(p *Problem, rank []int, v HOOIVariant) (float64, error) {
		k := fmt.Sprintf("%p %v %s", p, rank, v)
		if r, ok := hooi[k]; ok {
			return r, nil
		}
		r, err := HOOIScore(p, rank, v)
		hooi[k] = r
		return r, err
	}
	keys, groups := GroupBy(outs, func(o Outcome) string { return group(o.Label) })
	for _, k := range keys {
		depths, byDepth := GroupBy(groups[k], func(o Outcome) int { return o.Depth })
		sort.Ints(depths)
		for _, d := range depths {
			var deep, honest, leaky []float64
			var ranks []string
			failed, wins := 0, 0
			for _, o := range byDepth[d] {
				if o.Failed() {
					failed++
					continue
				}
				rank := o.LearnedRank(relTol)
				deep = append(deep, float64(o.HeldOutR2))
				ranks = append(ranks, fmt.Sprint(rank))
				if HasZero(rank) {
					continue
				}
				p := problem(o.Label)
				if p == nil {
					return t, fmt.Errorf("study: no problem for label %q", o.Label)
				}
				// HOOI is fitted to p's observed entries and scored on its held-out ones, and compared run by run
				// with the deep model: p must be the problem the run was trained on, not one rebuilt with another
				// split or fraction under the same label.
				fp, ok := fingerprints[p]
				if !ok {
					fp = dt.DataFingerprint(p.Run(0, 0, 0))
					fingerprints[p] = fp
				}
				if fp != o.Spec.Data {
					return t, fmt.Errorf("study: the run labelled %q was not trained on the problem %s that Table1 was given for "+
						"that label (its data or masks differ), so HOOI would be fitted and scored on other entries: pass "+
						"the problems the runs were trained on", o.Label, p)
				}
				h, err := score(p, rank, Honest)
				if err != nil {
					return t, err
				}
				l, err := score(p, rank, Leaky)
				if err != nil {
					return t, err
				}
				honest, leaky = append(honest, h), append(leaky, l)
				if h > float64(o.HeldOutR2) {
					wins++
				}
			}
			t.Rows = append(t.Rows, kernel.Row(k, d, fmt.Sprintf("%d (%d)", len(byDepth[d]), failed), kernel.MeanSD(deep),
				Mode(ranks), kernel.MeanSD(honest), kernel.MeanSD(leaky), fmt.Sprintf("%d of %d", wins, len(honest))))
		}
	}
	return t, nil
}

// HOOICalibration fits HOOI at fixed multiranks to every problem, honest and leaky, and tabulates the mean
// held-out R2 per problem group: it shows which protocol reproduces a published HOOI score. It also returns the
// means by group, rank and variant, for CHECK lines.
func HOOICalibration(problems []*Problem, group func(*Problem) string, ranks [][]int) (kernel.Table, map[string]float64, error) {
	t := kernel.Table{Caption: "Tucker-HOOI held-out R2 at fixed multiranks, mean over problems (honest: observed entries only; leaky: the complete tensor with the mask, as TensorLy reads it)",
		Headers: []string{"data", "multirank", "honest", "leaky"}}
	means := map[string]float64{}
	keys, groups := GroupBy(problems, group)
	for _, k := range keys {
		for _, rank := range ranks {
			row := []any{k, fmt.Sprint(rank)}
			for _, v := range []HOOIVariant{Honest, Leaky} {
				var r2 []float64
				for _, p := range groups[k] {
					r, err := HOOIScore(p, rank, v)
					if err != nil {
						return t, nil, err
					}
					r2 = append(r2, r)
				}
				means[CalibrationKey(k, rank, v)] = Describe(r2).Mean
				row = append(row, kernel.MeanSD(r2))
			}
			t.Rows = append(t.Rows, kernel.Row(row...))
		}
	}
	return t, means, nil
}

// CalibrationKey names a mean of HOOICalibration.
func CalibrationKey(group string, rank []int, v HOOIVariant) string {
	return fmt.Sprintf("%s %v %s", group, rank, v)
}

// R2Summary is one row of R2Table: the runs of one data group at one depth. Final and EarlyStopped describe
// the runs that did not fail (stuck or diverged runs are counted in Failed and left out, as the paper leaves
// out runs that did not train); EarlyStopped has only NaNs without a validation mask.
type R2Summary struct {
	Group               string
	Depth, Runs, Failed int
	Final, EarlyStopped Stats
}

// R2Table summarises a sweep's held-out R2 per group (group names an outcome's row: its data, learning rate,
// init std, ... as the caller chooses) and depth: runs (failed), final R2 as mean ± sd and median, the early-stopped R2 (lowest validation error; a
// column only when some run had a validation mask), the best record of each run (it peeks at the held-out
// entries: an upper bound, labelled so) and the R2 over all entries (a diagnostic of the fit).
func R2Table(outs []Outcome, group func(Outcome) string) (kernel.Table, []R2Summary) {
	early := false
	for _, o := range outs {
		early = early || !math.IsNaN(float64(o.EarlyStoppedR2))
	}
	t := kernel.Table{Headers: []string{"data", "depth", "runs (failed)", "final R2", "median final R2"}}
	if early {
		t.Headers = append(t.Headers, "early-stopped R2 (validation)")
	}
	t.Headers = append(t.Headers, "best record (upper bound, peeks at held-out)", "R2 over all entries (diagnostic)")
	var rows []R2Summary
	keys, groups := GroupBy(outs, group)
	for _, k := range keys {
		depths, byDepth := GroupBy(groups[k], func(o Outcome) int { return o.Depth })
		sort.Ints(depths)
		for _, d := range depths {
			runs := byDepth[d]
			ok := Filter(runs, func(o Outcome) bool { return !o.Failed() })
			final := Values(ok, HeldOutR2)
			stopped := Values(ok, func(o Outcome) float64 { return float64(o.EarlyStoppedR2) })
			s := R2Summary{Group: k, Depth: d, Runs: len(runs), Failed: len(runs) - len(ok), Final: Describe(final),
				EarlyStopped: Describe(stopped)}
			rows = append(rows, s)
			cells := []any{k, d, fmt.Sprintf("%d (%d)", s.Runs, s.Failed), kernel.MeanSD(final), s.Final.Median}
			if early {
				cells = append(cells, kernel.MeanSD(stopped))
			}
			cells = append(cells, kernel.MeanSD(Values(ok, func(o Outcome) float64 { return float64(o.BestR2) })),
				kernel.MeanSD(Values(ok, func(o Outcome) float64 { return float64(o.AllR2) })))
			t.Rows = append(t.Rows, kernel.Row(cells...))
		}
	}
	return t, rows
}

// Summary returns the row of group at depth, or a row of NaN statistics (N = 0) when there is none.
func Summary(rows []R2Summary, group string, depth int) R2Summary {
	for _, r := range rows {
		if r.Group == group && r.Depth == depth {
			return r
		}
	}
	return R2Summary{Group: group, Depth: depth, Final: Describe(nil), EarlyStopped: Describe(nil)}
}
