package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/deeptucker/deeptucker/datasets"
	"github.com/deeptucker/deeptucker/deeptucker"
	"github.com/deeptucker/deeptucker/deeptucker/multilinear"
)

// writeNPY writes a float64 array of the given shape as a NumPy .npy file (datasets.WriteNPY).
func writeNPY(path string, shape []int, data []float64) error {
	t, err := multilinear.FromData(shape, data)
	if err != nil {
		return fmt.Errorf("benchcompare: %s: %w", path, err)
	}
	return datasets.WriteNPY(path, t)
}

// manifest describes an exported problem for deeptucker_ref.py; file names are relative to its directory.
type manifest struct {
	Models int                `json:"models"`
	Shape  []int              `json:"shape"`
	Core   []int              `json:"core_shape"`
	Depths []int              `json:"depths"`
	CoreF  string             `json:"core"`
	W      []*string          `json:"w"`
	A      [][]string         `json:"a"`
	Target string             `json:"target"`
	Mask   string             `json:"mask"`
	Count  string             `json:"count"`
	Adam   map[string]float64 `json:"adam"`
}

// export writes the problem's initial parameters (stacked over models), data and masks into dir, in the
// layout deeptucker_ref.py reads.
func export(dir string, m *deeptucker.Model, runs []deeptucker.Run) error {
	ps, err := initialParams(m, runs)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	M := len(runs)
	stacked := func(get func(p *params) []float64) []float64 {
		var all []float64
		for _, p := range ps {
			all = append(all, get(p)...)
		}
		return all
	}
	write := func(name string, dims []int, data []float64) (string, error) {
		return name, writeNPY(filepath.Join(dir, name), append([]int{M}, dims...), data)
	}
	man := manifest{Models: M, Shape: m.Shape, Core: m.CoreShape, Depths: m.Depths,
		W: make([]*string, len(m.Shape)), A: make([][]string, len(m.Shape)),
		Adam: map[string]float64{"lr": learningRate, "beta1": beta1, "beta2": beta2, "eps": adamEps}}
	if man.CoreF, err = write("core.npy", m.CoreShape, stacked(func(p *params) []float64 { return p.core })); err != nil {
		return err
	}
	for n, depth := range m.Depths {
		man.A[n] = []string{}
		if depth == 0 {
			continue
		}
		r, d := m.CoreShape[n], m.Shape[n]
		name, err := write(fmt.Sprintf("w_%d.npy", n), []int{r, d}, stacked(func(p *params) []float64 { return p.w[n] }))
		if err != nil {
			return err
		}
		man.W[n] = &name
		for i := range depth - 1 {
			name, err := write(fmt.Sprintf("A_%d_%d.npy", n, i+1), []int{r, d, d}, stacked(func(p *params) []float64 { return p.a[n][i] }))
			if err != nil {
				return err
			}
			man.A[n] = append(man.A[n], name)
		}
	}
	var target, mask, count []float64
	for _, r := range runs {
		c := 0.0
		for k, obs := range r.Train.Observed {
			v := 0.0
			if obs {
				v, c = r.Target.Data[k], c+1
			}
			target = append(target, v)
			mask = append(mask, b2f(obs))
		}
		count = append(count, c)
	}
	if man.Target, err = write("target.npy", m.Shape, target); err != nil {
		return err
	}
	if man.Mask, err = write("mask.npy", m.Shape, mask); err != nil {
		return err
	}
	if man.Count, err = write("count.npy", nil, count); err != nil {
		return err
	}
	js, err := json.MarshalIndent(man, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "manifest.json"), js, 0o644)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
