package study

import (
	"strings"
	"testing"

	dt "github.com/deeptucker/deeptucker/deeptucker"
	"github.com/deeptucker/deeptucker/deeptucker/results"
)

// TestTable1RefusesAnotherProblemUnderTheLabel: Table1 fits HOOI to the problem its problem function returns
// for a run's label and compares it run by run with the deep model. A cell that trained on one split but
// rebuilt the problem with another (seed or fraction) under the same name got HOOI columns of other entries
// beside the deep model's, silently. It is refused, naming the label; the problem the runs were trained on
// (negative control) gives the table with its HOOI column.
func TestTable1RefusesAnotherProblemUnderTheLabel(t *testing.T) {
	t.Setenv(results.ResultsEnv, t.TempDir())
	t.Setenv(results.ProfileEnv, "ci")
	nb, err := Open("table1")
	if err != nil {
		t.Fatal(err)
	}
	p := smallProblem(t, 3)
	resplit := smallProblem(t, 4)
	g := Grid{Depths: []int{1}, Seeds: Seeds(2)}
	jobs, err := g.Jobs([]*Problem{p}, func(shape []int, depth int) *dt.ModelBuilder {
		return dt.NewModel(shape...).Depth(depth).InitStd(0.3)
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	training, err := dt.NewTraining().Adam(1e-2).Steps(300).RecordEvery(100).Done()
	if err != nil {
		t.Fatal(err)
	}
	outs, _, err := nb.Train(training, jobs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	label := func(string) string { return "p" }
	table, err := Table1(outs, func(string) *Problem { return p }, label, 1e-2)
	if err != nil || len(table.Rows) != 1 {
		t.Fatalf("negative control: the runs' own problem: %d rows, %v", len(table.Rows), err)
	}
	if _, err := Table1(outs, func(string) *Problem { return resplit }, label, 1e-2); err == nil || !strings.Contains(err.Error(), `labelled "p" was not trained on`) {
		t.Errorf("another split under the label: %v, want an error naming the label", err)
	}
}
