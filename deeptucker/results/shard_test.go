package results

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

type orbitSettings struct {
	Seed  uint64
	R     float64
	Steps int
	Label string
}

type orbitResult struct {
	X    Num
	Tail []float64
	Sum  float64
}

// orbit is cheap but not trivial: the logistic map from a seed-derived start.
func orbit(s orbitSettings) orbitResult {
	x := float64(s.Seed%97+1) / 100
	res := orbitResult{}
	for i := range s.Steps {
		x = s.R * x * (1 - x)
		res.Sum += x
		if i >= s.Steps-3 {
			res.Tail = append(res.Tail, x)
		}
	}
	res.X = Num(x)
	return res
}

func orbitSweep() []orbitSettings {
	var out []orbitSettings
	for seed := range uint64(8) {
		for _, r := range []float64{2.9, 3.5, 3.9} {
			out = append(out, orbitSettings{Seed: seed, R: r, Steps: 1000 + int(seed), Label: fmt.Sprintf("r=%g", r)})
		}
	}
	return out
}

// runOrbitShard computes the owned, missing settings of the sweep into the
// shard's file in dir, as a sweep process does; it returns how many it owns
// and how many it computed.
func runOrbitShard(dir string, sh Shard) (owned, computed int, err error) {
	m, err := OpenMemo[orbitSettings, orbitResult](filepath.Join(dir, sh.File("runs.jsonl")), "v1")
	if err != nil {
		return 0, 0, err
	}
	var mine []orbitSettings
	for _, s := range orbitSweep() {
		k, err := m.Key(s)
		if err != nil {
			return 0, 0, err
		}
		if sh.Owns(k) {
			mine = append(mine, s)
		}
	}
	idx, err := m.Missing(mine)
	if err != nil {
		return 0, 0, err
	}
	var todo []orbitSettings
	var res []orbitResult
	for _, i := range idx {
		todo = append(todo, mine[i])
		res = append(res, orbit(mine[i]))
	}
	return len(mine), len(todo), m.PutBatch(todo, res, 0)
}

// shardWorker is the child process of TestShardsMergeToTheSingleProcessStore.
func shardWorker(dir string) error {
	sh, err := ShardFromEnv()
	if err != nil {
		return err
	}
	owned, computed, err := runOrbitShard(dir, sh)
	if err != nil {
		return err
	}
	fmt.Printf("%s %d %d\n", sh, owned, computed)
	return nil
}

// comparable drops what legitimately differs between two runs: when and how fast.
func comparableRows(rows []Row) []Row {
	out := make([]Row, len(rows))
	for i, r := range rows {
		r.At, r.Seconds = time.Time{}, 0
		out[i] = r
	}
	return out
}

// Three shard processes (told their shard the three ways: DEEPTUCKER_SHARD, a
// Slurm array, a Kubernetes indexed Job), merged, give the store of one process.
func TestShardsMergeToTheSingleProcessStore(t *testing.T) {
	dir := t.TempDir()
	envs := [][]string{
		{ShardEnv + "=0/3"},
		{"SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_COUNT=3"},
		{"JOB_COMPLETION_INDEX=2", ShardCountEnv + "=3"},
	}
	run := func() []string {
		outs := make([]string, len(envs))
		var wg sync.WaitGroup
		for i, env := range envs {
			wg.Go(func() {
				out, err := child("shard", append(env, "RESULTS_TEST_PATH="+dir)...).Output()
				if err != nil {
					t.Errorf("shard %d: %v", i, err)
				}
				outs[i] = strings.TrimSpace(string(out))
			})
		}
		wg.Wait()
		return outs
	}
	outs := run()
	total := 0
	for i, out := range outs {
		var name string
		var owned, computed int
		fmt.Sscan(out, &name, &owned, &computed)
		if name != fmt.Sprintf("%d/3", i) || owned == 0 || computed != owned {
			t.Errorf("shard %d reported %q: want %d/3 owning and computing some settings", i, out, i)
		}
		total += owned
	}
	if total != len(orbitSweep()) {
		t.Errorf("the shards own %d settings in all, want the sweep's %d", total, len(orbitSweep()))
	}
	for i, out := range run() {
		if !strings.HasSuffix(out, " 0") {
			t.Errorf("re-running shard %d computed something: %q", i, out)
		}
	}

	merged := filepath.Join(dir, "runs.jsonl")
	if err := Merge(merged, ShardFiles(dir, "runs.jsonl", 3)...); err != nil {
		t.Fatal(err)
	}
	one := t.TempDir()
	if _, _, err := runOrbitShard(one, Shard{}); err != nil {
		t.Fatal(err)
	}
	single, _ := OpenMemo[orbitSettings, orbitResult](filepath.Join(one, "runs.jsonl"), "v1")
	got, _ := OpenMemo[orbitSettings, orbitResult](merged, "v1")
	if len(single.Rows()) != len(orbitSweep()) || !reflect.DeepEqual(comparableRows(got.Rows()), comparableRows(single.Rows())) {
		t.Fatalf("merged store (%d rows) differs from the single process's (%d rows)", got.Len(), single.Len())
	}
	// The merged file is already in the canonical (key) order.
	st, _ := OpenStore(merged, rowKey)
	if keys := st.Rows(); !sort.SliceIsSorted(keys, func(i, j int) bool { return keys[i].Key < keys[j].Key }) {
		t.Error("Merge must write rows sorted by key")
	}
	// Negative control: two of the three shards are not the whole store.
	part := filepath.Join(dir, "part.jsonl")
	if err := Merge(part, ShardFiles(dir, "runs.jsonl", 3)[:2]...); err != nil {
		t.Fatal(err)
	}
	partial, _ := OpenMemo[orbitSettings, orbitResult](part, "v1")
	if partial.Len() >= single.Len() || reflect.DeepEqual(comparableRows(partial.Rows()), comparableRows(single.Rows())) {
		t.Error("a merge missing a shard compared equal to the whole store")
	}
}

func TestMergeRefusesConflictsAndMissingShards(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	ma, _ := OpenMemo[int, int](a, "v1")
	mb, _ := OpenMemo[int, int](b, "v1")
	ma.Put(1, 10, 0)
	mb.Put(1, 10, 0) // the same result twice is fine
	mb.Put(2, 20, 0)
	dst := filepath.Join(dir, "all.jsonl")
	if err := Merge(dst, a, b); err != nil {
		t.Fatal(err)
	}
	m, _ := OpenMemo[int, int](dst, "v1")
	if r, ok, _ := m.Lookup(2); m.Len() != 2 || !ok || r != 20 {
		t.Errorf("merged %d rows, Lookup(2) = %v %v", m.Len(), r, ok)
	}
	before, _ := os.ReadFile(dst)
	ma.Put(2, 21, 0) // a conflicting result for settings 2
	err := Merge(filepath.Join(dir, "fresh.jsonl"), a, b)
	if err == nil || !strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), b) {
		t.Errorf("conflicting results: error %v, want one naming both files", err)
	}
	var conflict *ConflictError
	if !errors.As(err, &conflict) || conflict.Other != b || string(conflict.OtherRow.Result) != "20" {
		t.Errorf("conflicting results: error %#v, want a *ConflictError with both rows", err)
	}
	if err := Merge(dst, a); err == nil || !strings.Contains(err.Error(), dst) {
		t.Errorf("a source conflicting with the destination: error %v, want one naming it", err)
	}
	if after, _ := os.ReadFile(dst); !bytes.Equal(before, after) {
		t.Error("a refused merge must leave the destination as it was")
	}
	if err := Merge(dst, filepath.Join(dir, "c.jsonl")); err == nil || !strings.Contains(err.Error(), "c.jsonl") {
		t.Errorf("a missing shard file: error %v, want one naming it", err)
	}
}

func TestShardFromEnv(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want Shard
		err  string
	}{
		{map[string]string{}, Shard{0, 1}, ""},
		{map[string]string{ShardEnv: "1/3"}, Shard{1, 3}, ""},
		{map[string]string{ShardEnv: "3/3"}, Shard{}, ShardEnv},
		{map[string]string{ShardEnv: "1"}, Shard{}, ShardEnv},
		{map[string]string{ShardEnv: "a/3"}, Shard{}, ShardEnv},
		{map[string]string{ShardEnv: "0/2", "SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3"}, Shard{0, 2}, ""},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3"}, Shard{1, 3}, ""},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "4", "SLURM_ARRAY_TASK_COUNT": "2"}, Shard{1, 2}, ""},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "1"}, Shard{}, "SLURM_ARRAY_TASK_COUNT"},
		{map[string]string{"JOB_COMPLETION_INDEX": "4", ShardCountEnv: "5"}, Shard{4, 5}, ""},
		{map[string]string{"JOB_COMPLETION_INDEX": "4"}, Shard{}, ShardCountEnv},
		{map[string]string{"JOB_COMPLETION_INDEX": "5", ShardCountEnv: "5"}, Shard{}, "JOB_COMPLETION_INDEX"},
	} {
		for _, name := range []string{ShardEnv, ShardCountEnv, "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "JOB_COMPLETION_INDEX"} {
			t.Setenv(name, c.env[name])
		}
		got, err := ShardFromEnv()
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%v: %v %v, want %v", c.env, got, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%v: error %v, want one naming %s", c.env, err, c.err)
		}
	}
}

func TestShardOwnsPartitionsKeys(t *testing.T) {
	const n = 3
	counts := make([]int, n)
	for i := range 3000 {
		key, _ := Key("v1", i)
		owners := 0
		for j := range n {
			if (Shard{j, n}).Owns(key) {
				owners++
				counts[j]++
			}
		}
		if owners != 1 {
			t.Fatalf("key %s has %d owners, want 1", key, owners)
		}
		if !(Shard{}).Owns(key) {
			t.Fatal("the whole shard must own every key")
		}
	}
	for j, c := range counts {
		if c < 900 || c > 1100 {
			t.Errorf("shard %d owns %d of 3000 keys; the hash should spread them evenly", j, c)
		}
	}
	if f := (Shard{0, 3}).File("runs.jsonl"); f != "runs.shard-0-of-3.jsonl" {
		t.Errorf("File = %s", f)
	}
	if f := (Shard{}).File("runs.jsonl"); f != "runs.jsonl" {
		t.Errorf("whole File = %s", f)
	}
}

// A shard count of 0 is a mistake, not "no sharding": 0/0 must not read as the
// zero Shard (everything), from any of the variables.
func TestShardFromEnvRefusesCountZero(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		name string
	}{
		{map[string]string{ShardEnv: "0/0"}, ShardEnv},
		{map[string]string{ShardEnv: "0/-1"}, ShardEnv},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "0"}, "SLURM_ARRAY_TASK_ID"},
		{map[string]string{"JOB_COMPLETION_INDEX": "0", ShardCountEnv: "0"}, "JOB_COMPLETION_INDEX"},
	} {
		for _, name := range []string{ShardEnv, ShardCountEnv, "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "JOB_COMPLETION_INDEX"} {
			t.Setenv(name, c.env[name])
		}
		got, err := ShardFromEnv()
		if err == nil || !strings.Contains(err.Error(), c.name) || !strings.Contains(err.Error(), "at least 1") {
			t.Errorf("%v: %v, %v; want an error naming %s and the count", c.env, got, err, c.name)
		}
	}
	// Negative control: 0/1 is one process computing everything.
	t.Setenv(ShardEnv, "0/1")
	if got, err := ShardFromEnv(); err != nil || !got.Whole() {
		t.Errorf("0/1: %v, %v; want the whole shard", got, err)
	}
}

// ShardFiles of a count below 1 lists nothing rather than panicking.
func TestShardFilesOfNoShards(t *testing.T) {
	for _, n := range []int{0, -1} {
		if got := ShardFiles("d", "runs.jsonl", n); len(got) != 0 {
			t.Errorf("ShardFiles(%d) = %v, want none", n, got)
		}
	}
	if got := ShardFiles("d", "runs.jsonl", 2); len(got) != 2 || got[1] != filepath.Join("d", "runs.shard-1-of-2.jsonl") {
		t.Errorf("ShardFiles(2) = %v", got)
	}
}

// TestMergeFullDisk: a merge that cannot be written (the file size limit, as a full disk) leaves the
// destination byte for byte, no temporary file, and an error naming the file and the remedy.
func TestMergeFullDisk(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "runs.jsonl")
	small, _ := OpenStore(dst, rowKey)
	big, _ := OpenStore(dst+".a", rowKey)
	if err := small.Append(Row{Key: "k0", Schema: "s", Settings: []byte(`{}`), ResultType: "t", Result: []byte(`1`)}); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		r := Row{Key: fmt.Sprintf("k%d", i+1), Schema: "s", Settings: []byte(`{}`), ResultType: "t", Result: []byte(`"` + strings.Repeat("x", 500) + `"`)}
		if err := big.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := os.ReadFile(dst)
	out, err := child("fsize-merge", "RESULTS_TEST_PATH="+dst).Output()
	if err != nil {
		t.Fatalf("merger: %v", err)
	}
	if strings.HasPrefix(string(out), "no-rlimit") {
		t.Skipf("cannot set RLIMIT_FSIZE here: %s", out)
	}
	if msg := string(out); !strings.Contains(msg, "writing the merge of "+dst) || !strings.Contains(msg, "is unchanged") || !strings.Contains(msg, "free disk space") {
		t.Errorf("merge under a size limit: %q; want an error naming %s and the remedy", msg, dst)
	}
	if after, _ := os.ReadFile(dst); !bytes.Equal(after, before) {
		t.Errorf("a failed merge changed %s", dst)
	}
	if left, _ := filepath.Glob(dst + ".merge-*"); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestMergeRemovesStaleTemps: the temporary file of a merge killed before its rename (dst.merge-<nanos>) is
// removed by the next merge into dst, rather than left (and committed) beside the results.
func TestMergeRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "runs.jsonl")
	src, _ := OpenStore(dst+".a", rowKey)
	if err := src.Append(Row{Key: "k", Schema: "s", Settings: []byte(`{}`), ResultType: "t", Result: []byte(`1`)}); err != nil {
		t.Fatal(err)
	}
	stale := dst + ".merge-1700000000000000000"
	if err := os.WriteFile(stale, []byte("half a merge"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)
	if err := Merge(dst, dst+".a"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale merge file %s is still there (%v)", stale, err)
	}
}
