package results_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/deeptucker/deeptucker/deeptucker/results"
)

// Rows survive the process: a later cell (a new process) reads them back.
func ExampleStore() {
	dir, _ := os.MkdirTemp("", "store")
	defer os.RemoveAll(dir)
	type timing struct {
		Stage   string
		Seconds float64
	}
	path := filepath.Join(dir, "timings.jsonl")
	stage := func(t timing) string { return t.Stage }

	first, _ := results.OpenStore(path, stage)
	_ = first.Append(timing{"train", 12.5}, timing{"plot", 0.5})

	again, _ := results.OpenStore(path, stage)
	t, ok := again.Get("train")
	fmt.Println(again.Len(), t.Seconds, ok, again.Has("hooi"))
	// Output: 2 12.5 true false
}

// The key is a hash of the schema version and the canonical JSON of the
// settings: any change of a field (here one ulp of the learning rate) gives
// another key.
func ExampleKey() {
	type settings struct {
		Depth int
		LR    float64
		Data  string
	}
	data := results.NewFingerprint().Floats([]float64{1, 2, 3}).Bools([]bool{true, false, true}).Done()
	s := settings{Depth: 3, LR: 0.01, Data: data}
	k1, _ := results.Key("v1", s)
	s.LR = math.Nextafter(0.01, 1)
	k2, _ := results.Key("v1", s)
	canon, _ := results.Canonical(s)
	fmt.Println(k1)
	fmt.Println(k2)
	fmt.Println(string(canon))

	_, err := results.Key("v1", struct{ LR float64 }{math.NaN()})
	fmt.Println(err)
	// Output:
	// bac3c0675fc0b0f07715dd9d9d49d572
	// a31545b6a72944801cb05acb2a10e29f
	// {"Depth":3,"LR":0.010000000000000002,"Data":"sha256:f778980911ef20318a16e5dae5c8d6ac130b5b14ab31280993ef2c8da6a6e98a"}
	// results: settings.LR is NaN, which JSON cannot hold; give it a finite value, or declare the field as results.Num to key NaN and ±Inf
}

// A data set and its mask, reduced to a string to put in settings.
func ExampleFingerprint() {
	data := []float64{1, 2, 3, 4}
	observed := []bool{true, true, false, true}
	a := results.NewFingerprint().Ints([]int{2, 2}).Floats(data).Bools(observed).Done()
	observed[2] = true
	b := results.NewFingerprint().Ints([]int{2, 2}).Floats(data).Bools(observed).Done()
	fmt.Println(a[:15], a == b)
	// Output: sha256:74c4ac79 false
}

type runSettings struct {
	Depth int
	Seed  uint64
	Steps int
}

type runResult struct {
	Loss results.Num
}

// Settings in, stored result out, computed once: a second cell (here a
// second OpenMemo) reads the result back instead of training again.
func ExampleMemo_Remember() {
	dir, _ := os.MkdirTemp("", "memo")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "runs.jsonl")
	train := func(s runSettings) func() (runResult, error) {
		return func() (runResult, error) {
			fmt.Println("training", s)
			return runResult{Loss: results.Num(1 / float64(s.Depth*s.Steps))}, nil
		}
	}
	for range 2 { // two cells
		memo, _ := results.OpenMemo[runSettings, runResult](path, "v1")
		s := runSettings{Depth: 3, Seed: 1, Steps: 100}
		r, computed, _ := memo.Remember(s, train(s))
		fmt.Println(r.Loss, computed)
	}
	// Output:
	// training {3 1 100}
	// 0.0033333333333333335 true
	// 0.0033333333333333335 false
}

// A sweep asks which settings are missing, trains them together in one
// batched call and stores them in one append; changing the steps of one
// run makes exactly that run missing.
func ExampleMemo_Missing() {
	dir, _ := os.MkdirTemp("", "memo")
	defer os.RemoveAll(dir)
	memo, _ := results.OpenMemo[runSettings, runResult](filepath.Join(dir, "runs.jsonl"), "v1")
	sweep := []runSettings{{3, 1, 100}, {3, 2, 100}, {4, 1, 100}}
	for pass := range 2 {
		todo, _ := memo.Missing(sweep)
		fmt.Println("pass", pass, "missing", todo)
		var ss []runSettings
		var rs []runResult
		for _, i := range todo {
			ss = append(ss, sweep[i])
			rs = append(rs, runResult{Loss: results.Num(sweep[i].Seed)})
		}
		_ = memo.PutBatch(ss, rs, 0.1)
		sweep[1].Steps = 200
	}
	// Output:
	// pass 0 missing [0 1 2]
	// pass 1 missing [1]
}

// A sweep split over three processes (a Slurm array, a Kubernetes indexed
// Job): each owns a third of the keys and writes its own file; Merge joins them.
func ExampleShard() {
	for i := range 3 {
		sh := results.Shard{Index: i, Count: 3}
		var owned []int
		for depth := 1; depth <= 6; depth++ {
			key, _ := results.Key("v1", runSettings{Depth: depth, Seed: 1, Steps: 100})
			if sh.Owns(key) {
				owned = append(owned, depth)
			}
		}
		fmt.Println(sh, sh.File("runs.jsonl"), "depths", owned)
	}
	// Output:
	// 0/3 runs.shard-0-of-3.jsonl depths [1 3]
	// 1/3 runs.shard-1-of-3.jsonl depths [2 5 6]
	// 2/3 runs.shard-2-of-3.jsonl depths [4]
}

// NaN and ±Inf survive JSON as null (read back as NaN).
func ExampleNum() {
	b, _ := json.Marshal([]results.Num{1.5, results.Num(math.Inf(1))})
	var back []results.Num
	_ = json.Unmarshal(b, &back)
	fmt.Println(string(b), back)
	// Output: [1.5,null] [1.5 NaN]
}
