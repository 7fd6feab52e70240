package results

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

type testResult struct {
	Loss  Num
	Norms []float64
	Seed  uint64
}

// fakeTrain stands for a training run: a deterministic function of the settings.
func fakeTrain(s testSettings) testResult {
	x := s.Model.Std * float64(s.Steps) * s.Opt.LR
	for _, d := range s.Model.Depths {
		x = math.Sin(x + float64(d))
	}
	return testResult{Loss: Num(x), Norms: []float64{x * x, float64(s.Seed)}, Seed: s.Seed}
}

func sweep4() []testSettings {
	out := make([]testSettings, 4)
	for i := range out {
		out[i] = baseSettings()
		out[i].Seed = uint64(i + 1)
	}
	return out
}

func openTestMemo(t *testing.T, path string) *Memo[testSettings, testResult] {
	t.Helper()
	m, err := OpenMemo[testSettings, testResult](path, "v1")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func missing(t *testing.T, m *Memo[testSettings, testResult], ss []testSettings) []int {
	t.Helper()
	idx, err := m.Missing(ss)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

// trainMissing is what a sweep does: train exactly the missing runs together, store them.
func trainMissing(t *testing.T, m *Memo[testSettings, testResult], ss []testSettings) []int {
	t.Helper()
	idx := missing(t, m, ss)
	var todo []testSettings
	var res []testResult
	for _, i := range idx {
		todo = append(todo, ss[i])
		res = append(res, fakeTrain(ss[i]))
	}
	if err := m.PutBatch(todo, res, 0.5); err != nil {
		t.Fatal(err)
	}
	return idx
}

// Changing one field of one run's settings re-trains exactly that run; an
// unchanged re-run trains nothing. Each open is a new "cell".
func TestMemoRecomputesExactlyTheChangedRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.jsonl")
	runs := sweep4()
	if got := trainMissing(t, openTestMemo(t, path), runs); !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Fatalf("first run trained %v, want all 4", got)
	}
	if got := missing(t, openTestMemo(t, path), runs); len(got) != 0 {
		t.Fatalf("an unchanged re-run would train %v, want nothing", got)
	}
	names := make([]string, 0, len(fieldChanges))
	for name := range fieldChanges {
		names = append(names, name)
	}
	sort.Strings(names)
	for n, name := range names {
		j := n % len(runs)
		changed := sweep4()
		fieldChanges[name](&changed[j])
		m := openTestMemo(t, path)
		if got := trainMissing(t, m, changed); !slices.Equal(got, []int{j}) {
			t.Errorf("changing %s of run %d trained %v, want exactly [%d]", name, j, got, j)
		}
		if got := missing(t, openTestMemo(t, path), changed); len(got) != 0 {
			t.Errorf("after storing the change of %s, a re-run would train %v", name, got)
		}
		// The stored result is the one computed for the changed settings.
		r, ok, err := openTestMemo(t, path).Lookup(changed[j])
		if want := fakeTrain(changed[j]); err != nil || !ok || !reflect.DeepEqual(r, want) {
			t.Errorf("%s: Lookup = %+v %v %v, want %+v", name, r, ok, err, want)
		}
	}
	if got := missing(t, openTestMemo(t, path), runs); len(got) != 0 {
		t.Errorf("the original runs are still stored, yet %v are missing", got)
	}
}

func TestRememberComputesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "memo.jsonl")
	s := baseSettings()
	calls := 0
	compute := func() (testResult, error) { calls++; return fakeTrain(s), nil }
	boom := errors.New("boom")
	if _, computed, err := openTestMemo(t, path).Remember(s, func() (testResult, error) { return testResult{}, boom }); !errors.Is(err, boom) || computed {
		t.Fatalf("a failing compute: computed %v, err %v; want its error", computed, err)
	}
	first, computed, err := openTestMemo(t, path).Remember(s, compute)
	if err != nil || !computed || calls != 1 {
		t.Fatalf("first Remember: computed %v, calls %d, err %v", computed, calls, err)
	}
	again, computed, err := openTestMemo(t, path).Remember(s, compute)
	if err != nil || computed || calls != 1 {
		t.Fatalf("second Remember (a new cell): computed %v, calls %d, err %v; want it read back", computed, calls, err)
	}
	if !reflect.DeepEqual(first, again) || !reflect.DeepEqual(first, fakeTrain(s)) {
		t.Errorf("read back %+v, computed %+v, want both %+v", again, first, fakeTrain(s))
	}
}

// A result is what JSON gives back, also when just computed: a first run and
// a re-run see the same values.
func TestRememberReturnsTheStoredForm(t *testing.T) {
	m, err := OpenMemo[int, Num](filepath.Join(t.TempDir(), "m.jsonl"), "v1")
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := m.Remember(1, func() (Num, error) { return Num(math.Inf(1)), nil })
	if err != nil || !math.IsNaN(float64(got)) {
		t.Errorf("Remember = %v, %v; want NaN, as read back from null", got, err)
	}
}

func TestMemoRowsAreReadable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.jsonl")
	m := openTestMemo(t, path)
	s := baseSettings()
	s.Labels["<a&b>"] = 3 // HTML-like text must not be escaped on the way (else it no longer matches)
	if err := m.Put(s, fakeTrain(s), 2.5); err != nil {
		t.Fatal(err)
	}
	rows := openTestMemo(t, path).Rows()
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	r := rows[0]
	if k, _ := Key("v1", s); r.Key != k || r.Schema != "v1" || r.At.IsZero() || r.Seconds != 2.5 {
		t.Errorf("row %+v: want key %s, schema v1, a time and 2.5 s", r, k)
	}
	var back testSettings
	if err := json.Unmarshal(r.Settings, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("settings read back from the row: %+v, want %+v", back, s)
	}
	var res testResult
	if err := json.Unmarshal(r.Result, &res); err != nil || !reflect.DeepEqual(res, fakeTrain(s)) {
		t.Errorf("result read back: %+v %v", res, err)
	}
	if _, ok, err := openTestMemo(t, path).Lookup(s); !ok || err != nil {
		t.Errorf("Lookup after reopening: %v %v", ok, err)
	}
	// Merge rewrites rows: they must still be found.
	merged := filepath.Join(t.TempDir(), "merged.jsonl")
	if err := Merge(merged, path); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := openTestMemo(t, merged).Lookup(s); !ok || err != nil {
		t.Errorf("Lookup after a merge: %v %v", ok, err)
	}
	line, _ := os.ReadFile(path)
	if !strings.Contains(string(line), `"settings":{"Model":{"Shape":[10,10,10],"Depths":[3,3,3],"Core":4,"Init":"normal","Std":0.005}`) {
		t.Errorf("the line does not show the settings plainly: %s", line)
	}
}

type resultV1 struct{ A int }
type resultV1Twin struct{ A int }
type resultV2 struct {
	A int
	B int
}

// A result type whose structure changed is missing (so recomputed), a
// renamed type of the same structure is not; nor is a new schema found.
func TestMemoMissesOnResultTypeOrSchemaChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.jsonl")
	m1, _ := OpenMemo[string, resultV1](path, "v1")
	if err := m1.Put("s", resultV1{A: 7}, 0); err != nil {
		t.Fatal(err)
	}
	twin, _ := OpenMemo[string, resultV1Twin](path, "v1")
	if r, ok, err := twin.Lookup("s"); !ok || err != nil || r.A != 7 {
		t.Errorf("same structure under another name: %+v %v %v, want found", r, ok, err)
	}
	m2, _ := OpenMemo[string, resultV2](path, "v1")
	if _, ok, err := m2.Lookup("s"); ok || err != nil {
		t.Errorf("a result type with a new field must miss (got ok=%v err=%v)", ok, err)
	}
	v2, _ := OpenMemo[string, resultV1](path, "v2")
	if _, ok, _ := v2.Lookup("s"); ok {
		t.Error("a new schema version must miss")
	}
}

func TestMemoRefusesHandEditedRowsAndUnstorableResults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.jsonl")
	m, _ := OpenMemo[map[string]int, resultV1](path, "v1")
	if err := m.Put(map[string]int{"steps": 10}, resultV1{1}, 0); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(b), `"steps":10`, `"steps":11`, 1)), 0o644)
	m, _ = OpenMemo[map[string]int, resultV1](path, "v1")
	if _, _, err := m.Lookup(map[string]int{"steps": 10}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("a row whose settings do not match its key: error %v, want one naming %s", err, path)
	}

	type lossy struct {
		A int
		b int
	}
	ml, _ := OpenMemo[int, lossy](filepath.Join(t.TempDir(), "l.jsonl"), "v1")
	if _, _, err := ml.Remember(1, func() (lossy, error) { return lossy{1, 2}, nil }); err == nil || !strings.Contains(err.Error(), "result.b") {
		t.Errorf("a result JSON would cut short: error %v, want one naming result.b", err)
	}
	if ml.Len() != 0 {
		t.Error("nothing may be stored for a refused result")
	}
	plain := filepath.Join(t.TempDir(), "plain.jsonl")
	os.WriteFile(plain, []byte("{\"K\":\"a\",\"V\":1}\n"), 0o644)
	if _, err := OpenMemo[int, int](plain, "v1"); err == nil || !strings.Contains(err.Error(), "not a memo file") {
		t.Errorf("a Store of other rows opened as a memo: error %v", err)
	}
	if err := Merge(filepath.Join(t.TempDir(), "m.jsonl"), plain); err == nil || !strings.Contains(err.Error(), "not a memo file") {
		t.Errorf("merging a Store of other rows: error %v", err)
	}
	if _, err := OpenMemo[int, int](path, ""); err == nil {
		t.Error("an empty schema must be refused")
	}
}

type recSlice []recSlice
type recMap map[string]recMap
type recArray [2][]recArray

// TestTypeSignatureRecursiveContainers: a result type that holds itself through a slice, map or array gets a
// signature; before, only pointers and structs were marked while walked, and these recursed until Go's fatal
// stack overflow (which kills the notebook kernel; it cannot be shown here without killing the test).
func TestTypeSignatureRecursiveContainers(t *testing.T) {
	sigs := map[string]bool{}
	for _, typ := range []reflect.Type{reflect.TypeFor[recSlice](), reflect.TypeFor[recMap](), reflect.TypeFor[recArray](), reflect.TypeFor[[]int]()} {
		sigs[TypeSignature(typ)] = true
	}
	if len(sigs) != 4 {
		t.Errorf("4 types, %d distinct signatures", len(sigs))
	}
}
