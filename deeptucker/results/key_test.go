package results

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// Settings shaped like a deep Tucker run's: nested structs, slices, maps,
// ints, floats, strings, a data fingerprint and a callback left out of the key.
type optSettings struct {
	Name    string
	LR      float64
	Beta    [2]float64
	Epsilon float32
}

type modelSettings struct {
	Shape  []int
	Depths []int
	Core   *int
	Init   string
	Std    float64
}

type testSettings struct {
	Model    modelSettings
	Opt      optSettings
	Steps    int
	Seed     uint64
	Tol      Num
	Every    time.Duration
	Labels   map[string]float64
	Data     string
	Progress func() `json:"-"`
}

func baseSettings() testSettings {
	core := 4
	return testSettings{
		Model:  modelSettings{Shape: []int{10, 10, 10}, Depths: []int{3, 3, 3}, Core: &core, Init: "normal", Std: 0.005},
		Opt:    optSettings{Name: "adam", LR: 0.01, Beta: [2]float64{0.9, 0.999}, Epsilon: 1e-8},
		Steps:  1000,
		Seed:   1,
		Tol:    1e-10,
		Every:  time.Second,
		Labels: map[string]float64{"a": 1, "b": 2},
		Data:   NewFingerprint().Floats([]float64{1, 2, 3}).Bools([]bool{true, false, true}).Done(),
	}
}

// fieldChanges mutates one field (group) each; every one must change the key.
var fieldChanges = map[string]func(s *testSettings){
	"Model.Shape":      func(s *testSettings) { s.Model.Shape = []int{10, 10, 11} },
	"Model.Shape len":  func(s *testSettings) { s.Model.Shape = append(s.Model.Shape, 1) },
	"Model.Depths":     func(s *testSettings) { s.Model.Depths = []int{3, 3, 4} },
	"Model.Core value": func(s *testSettings) { c := 5; s.Model.Core = &c },
	"Model.Core nil":   func(s *testSettings) { s.Model.Core = nil },
	"Model.Init":       func(s *testSettings) { s.Model.Init = "orthogonal" },
	"Model.Std ulp":    func(s *testSettings) { s.Model.Std = math.Nextafter(s.Model.Std, 1) },
	"Opt.Name":         func(s *testSettings) { s.Opt.Name = "sgd" },
	"Opt.LR":           func(s *testSettings) { s.Opt.LR = 0.02 },
	"Opt.Beta[1]":      func(s *testSettings) { s.Opt.Beta[1] = 0.99 },
	"Opt.Epsilon ulp":  func(s *testSettings) { s.Opt.Epsilon = math.Nextafter32(s.Opt.Epsilon, 1) },
	"Steps":            func(s *testSettings) { s.Steps++ },
	"Seed":             func(s *testSettings) { s.Seed += 100 },
	"Tol":              func(s *testSettings) { s.Tol = 0 },
	"Tol NaN":          func(s *testSettings) { s.Tol = Num(math.NaN()) },
	"Tol +Inf":         func(s *testSettings) { s.Tol = Num(math.Inf(1)) },
	"Tol -Inf":         func(s *testSettings) { s.Tol = Num(math.Inf(-1)) },
	"Every":            func(s *testSettings) { s.Every = time.Minute },
	"Labels value":     func(s *testSettings) { s.Labels = map[string]float64{"a": 1, "b": 3} },
	"Labels key":       func(s *testSettings) { s.Labels = map[string]float64{"a": 1, "c": 2} },
	"Data entry": func(s *testSettings) {
		s.Data = NewFingerprint().Floats([]float64{1, 2, math.Nextafter(3, 4)}).Bools([]bool{true, false, true}).Done()
	},
	"Data mask bit": func(s *testSettings) {
		s.Data = NewFingerprint().Floats([]float64{1, 2, 3}).Bools([]bool{true, true, true}).Done()
	},
}

func mustKey(t *testing.T, schema string, s any) string {
	t.Helper()
	k, err := Key(schema, s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKeyChangesWithEveryField(t *testing.T) {
	base := mustKey(t, "v1", baseSettings())
	if len(base) != 32 {
		t.Errorf("key %q: want 32 hex digits", base)
	}
	seen := map[string]string{base: "base"}
	for name, change := range fieldChanges {
		s := baseSettings()
		change(&s)
		k := mustKey(t, "v1", s)
		if other, dup := seen[k]; dup {
			t.Errorf("changing %s gives the key of %s", name, other)
		}
		seen[k] = name
	}
	if mustKey(t, "v2", baseSettings()) == base {
		t.Error("a new schema version must change the key")
	}
	// Same content, built apart (new slices, maps, pointers): same key.
	again := baseSettings()
	again.Labels = map[string]float64{"b": 2, "a": 1}
	if mustKey(t, "v1", again) != base {
		t.Error("equal settings built separately must share a key")
	}
	// A field tagged `json:"-"` is deliberately outside the key.
	again.Progress = func() {}
	if mustKey(t, "v1", again) != base {
		t.Error("a json:\"-\" field must not change the key")
	}
}

func TestKeyRefusesWhatItCannotKey(t *testing.T) {
	type hidden struct{ n int }
	type mixed struct {
		A int
		b string
	}
	type cyc struct{ Next *cyc }
	loop := &cyc{}
	loop.Next = loop
	for _, c := range []struct {
		name     string
		settings any
		want     string // the path the error must name
	}{
		{"func", struct{ F func() }{func() {}}, "settings.F"},
		{"chan", struct{ C chan int }{make(chan int)}, "settings.C"},
		{"NaN float", func() testSettings { s := baseSettings(); s.Model.Std = math.NaN(); return s }(), "settings.Model.Std"},
		{"+Inf float", func() testSettings { s := baseSettings(); s.Opt.Beta[0] = math.Inf(1); return s }(), "settings.Opt.Beta[0]"},
		{"-Inf in a map", map[string]float64{"x": math.Inf(-1)}, "settings[x]"},
		{"complex", struct{ Z complex128 }{1i}, "settings.Z"},
		{"unexported-only struct with data", struct{ H hidden }{hidden{3}}, "settings.H.n"},
		{"unexported field with data", mixed{A: 1, b: "x"}, "settings.b"},
		{"func in an interface", []any{1, func() {}}, "settings[1]"},
		{"map keyed by structs", map[struct{ A int }]int{{1}: 1}, "settings"},
		{"cycle", loop, "settings.Next"},
		{"invalid UTF-8", struct{ Label string }{"\xff"}, "settings.Label"},
		{"invalid UTF-8 map key", map[string]int{"\xfe": 1}, "settings"},
	} {
		_, err := Key("v1", c.settings)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %s", c.name, err, c.want)
		}
	}
	// The same types holding nothing JSON would drop are fine.
	if _, err := Key("v1", struct{ H hidden }{}); err != nil {
		t.Errorf("a zero unexported field must be accepted: %v", err)
	}
	if _, err := Key("", 1); err == nil {
		t.Error("an empty schema must be refused")
	}
}

// Floats are written in the shortest form that reads back to the same bits,
// so two settings differing in the last bit never share a key.
func TestCanonicalFloatsRoundTripExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	xs := []float64{0, math.Copysign(0, -1), math.SmallestNonzeroFloat64, math.MaxFloat64, 0.1, 1.0 / 3, 5e-324 * 3}
	for len(xs) < 20000 {
		f := math.Float64frombits(rng.Uint64())
		if !math.IsNaN(f) && !math.IsInf(f, 0) {
			xs = append(xs, f)
		}
	}
	b, err := Canonical(xs)
	if err != nil {
		t.Fatal(err)
	}
	var back []float64
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for i := range xs {
		if math.Float64bits(back[i]) != math.Float64bits(xs[i]) {
			t.Fatalf("%v (bits %x) came back as %v (bits %x)", xs[i], math.Float64bits(xs[i]), back[i], math.Float64bits(back[i]))
		}
	}
	// The same holds for float32 fields.
	f32 := make([]float32, 2000)
	for i := range f32 {
		for {
			f32[i] = math.Float32frombits(rng.Uint32())
			if v := float64(f32[i]); !math.IsNaN(v) && !math.IsInf(v, 0) {
				break
			}
		}
	}
	b, _ = Canonical(f32)
	var back32 []float32
	json.Unmarshal(b, &back32)
	for i := range f32 {
		if math.Float32bits(back32[i]) != math.Float32bits(f32[i]) {
			t.Fatalf("float32 %v came back as %v", f32[i], back32[i])
		}
	}
}

func TestFingerprintSeesEveryEntryAndBit(t *testing.T) {
	data := []float64{1, 2, 3, 4}
	mask := []bool{true, false, true, true}
	fp := func(d []float64, m []bool) string {
		return NewFingerprint().Ints([]int{2, 2}).Floats(d).Bools(m).Done()
	}
	base := fp(data, mask)
	if base != fp([]float64{1, 2, 3, 4}, []bool{true, false, true, true}) {
		t.Fatal("equal data must give equal fingerprints")
	}
	seen := map[string]string{base: "base"}
	note := func(name, f string) {
		if other, dup := seen[f]; dup {
			t.Errorf("%s has the fingerprint of %s", name, other)
		}
		seen[f] = name
	}
	for i := range data {
		d := append([]float64(nil), data...)
		d[i] = math.Nextafter(d[i], 10)
		note("data entry "+string(rune('0'+i)), fp(d, mask))
		m := append([]bool(nil), mask...)
		m[i] = !m[i]
		note("mask bit "+string(rune('0'+i)), fp(data, m))
	}
	note("-0", NewFingerprint().Floats([]float64{0}).Done())
	note("+0", NewFingerprint().Floats([]float64{math.Copysign(0, -1)}).Done())
	note("cut [1 2][3]", NewFingerprint().Floats([]float64{1, 2}).Floats([]float64{3}).Done())
	note("cut [1][2 3]", NewFingerprint().Floats([]float64{1}).Floats([]float64{2, 3}).Done())
	note("shape 4x1", NewFingerprint().Ints([]int{4, 1}).Floats(data).Bools(mask).Done())
}
