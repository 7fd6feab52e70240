package study

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deeptucker/deeptucker/deeptucker/results"
)

// TestOpenWarnsOfATornLine: a runs file ending in a torn line (a process killed mid-append) opens, its
// complete rows kept, and Open says so in the cell's output, naming the file and where the fragment went;
// before, the fragment was set aside without a word. A clean file opens without a warning.
func TestOpenWarnsOfATornLine(t *testing.T) {
	base := t.TempDir()
	t.Setenv(results.ResultsEnv, base)
	t.Setenv(results.ProfileEnv, "ci")
	var warnings []string
	defer func(w func(string, ...any)) { warnf = w }(warnf)
	warnf = func(format string, args ...any) { warnings = append(warnings, fmt.Sprintf(format, args...)) }

	nb, err := Open("torn")
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Fatalf("a new notebook: warnings %q", warnings)
	}
	path := filepath.Join(nb.Dir, "runs.jsonl")
	if err := os.WriteFile(path, []byte(`{"key":"a","schema":"x","settings":{},"result_type":"t","result":1}`+"\n"+`{"key":"b","sche`), 0o644); err != nil {
		t.Fatal(err)
	}
	nb, err = Open("torn")
	if err != nil {
		t.Fatal(err)
	}
	if nb.runs.Len() != 1 || len(warnings) != 1 || !strings.Contains(warnings[0], path) || !strings.Contains(warnings[0], "torn line") ||
		!strings.Contains(warnings[0], ".torn-") {
		t.Errorf("a torn runs file: %d rows, warnings %q; want row a and one warning naming %s and the fragment's file", nb.runs.Len(), warnings, path)
	}
	warnings = nil
	if _, err := Open("torn"); err != nil || len(warnings) != 0 {
		t.Errorf("reopened after the repair: %v, warnings %q; want none", err, warnings)
	}
}

// TestDescribeScaleSafe: Describe's mean and standard deviation of huge finite values (a diverged run's
// error) are numbers, not +Inf from overflowing squares or sums.
func TestDescribeScaleSafe(t *testing.T) {
	s := Describe([]float64{1e200, 3e200, math.NaN()})
	if s.N != 2 || s.NaNs != 1 || s.Mean != 2e200 || !(math.Abs(s.Std-math.Sqrt2*1e200) <= 1e-15*s.Std) {
		t.Errorf("Describe(1e200, 3e200, NaN) = %+v; want mean 2e200, std 1.414e200", s)
	}
	if s := Describe([]float64{1e308, 1.5e308}); s.Mean != 1.25e308 {
		t.Errorf("Describe(1e308, 1.5e308) mean %v, want 1.25e308", s.Mean)
	}
}
