package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/deeptucker/deeptucker/deeptucker"
)

// writeNPY writes a float64 array of the given shape as a NumPy .npy file (format 1.0, little endian, C
// order).
func writeNPY(path string, shape []int, data []float64) error {
	if prod(shape) != len(data) {
		panic(fmt.Sprintf("benchcompare: writeNPY %s: shape %v holds %d values, got %d", path, shape, prod(shape), len(data)))
	}
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	header := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%s), }", tuple)
	// Magic (6) + version (2) + header length (2) + header + '\n', padded with spaces to a multiple of 64.
	pad := 64 - (10+len(header)+1)%64
	header += strings.Repeat(" ", pad%64) + "\n"
	var buf bytes.Buffer
	buf.WriteString("\x93NUMPY\x01\x00")
	_ = binary.Write(&buf, binary.LittleEndian, uint16(len(header)))
	buf.WriteString(header)
	b := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	buf.Write(b)
	return os.WriteFile(path, buf.Bytes(), 0o644)
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
