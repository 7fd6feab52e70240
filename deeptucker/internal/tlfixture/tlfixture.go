// Package tlfixture loads deeptucker/testdata/tensorly_fixtures.json, the golden outputs that
// TensorLy, NumPy and scikit-learn wrote (deeptucker/testdata/gen_tensorly_fixtures.py), for the
// parity tests of packages multilinear, hooi and metrics. It is for tests only, and imports
// none of those packages so that their internal tests can use it.
package tlfixture

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"gonum.org/v1/gonum/mat"
)

// Array is a C-order array as the generator writes it.
type Array struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

// Values returns a copy of the data, to wrap as a tensor without aliasing the fixture.
func (a Array) Values() []float64 { return append([]float64(nil), a.Data...) }

// Dense returns a copy of a 2-D array as a matrix.
func (a Array) Dense() *mat.Dense {
	if len(a.Shape) != 2 {
		panic(fmt.Sprintf("tlfixture: array of shape %v is not a matrix", a.Shape))
	}
	return mat.NewDense(a.Shape[0], a.Shape[1], append([]float64(nil), a.Data...))
}

// Bools returns a 0/1 array as booleans (nonzero = true = observed), the layout of a mask.
func (a Array) Bools() []bool {
	out := make([]bool, len(a.Data))
	for i, v := range a.Data {
		out[i] = v != 0
	}
	return out
}

// Ops holds unfold and mode-product outputs for one 3x4x5x2 input.
type Ops struct {
	Input                      Array   `json:"input"`
	Unfold                     []Array `json:"unfold"`
	ModeDotMatrix              Array   `json:"mode_dot_matrix"`
	ModeDotMode                int     `json:"mode_dot_mode"`
	ModeDot                    Array   `json:"mode_dot"`
	MultiModeDotMatrices       []Array `json:"multi_mode_dot_matrices"`
	MultiModeDot               Array   `json:"multi_mode_dot"`
	MultiModeDotTransposeInput Array   `json:"multi_mode_dot_transpose_input"`
	MultiModeDotTranspose      Array   `json:"multi_mode_dot_transpose"`
}

// Tucker is one decomposition in a fixture.
type Tucker struct {
	Rank              []int   `json:"rank"`
	Core              Array   `json:"core"`
	Factors           []Array `json:"factors"`
	ComparableColumns []int   `json:"comparable_columns"`
	Reconstruction    Array   `json:"reconstruction"`
}

// HOSVDCase is TensorLy's HOSVD (tucker with n_iter_max=0) of one input, full and truncated.
type HOSVDCase struct {
	Name           string      `json:"name"`
	Input          Array       `json:"input"`
	SingularValues [][]float64 `json:"singular_values"`
	Full           Tucker      `json:"full"`
	Truncated      Tucker      `json:"truncated"`
}

// HOOICase is TensorLy's tucker(input, rank, mask=mask, return_errors=True) with defaults.
// In a leaky case the input is the complete tensor, hidden values included; otherwise it holds
// 0 at the entries the mask hides.
type HOOICase struct {
	Name           string    `json:"name"`
	Leaky          bool      `json:"leaky"`
	Input          Array     `json:"input"`
	Mask           *Array    `json:"mask"`
	Rank           []int     `json:"rank"`
	Core           Array     `json:"core"`
	Factors        []Array   `json:"factors"`
	RecErrors      []float64 `json:"rec_errors"`
	Iterations     int       `json:"iterations"`
	Reconstruction Array     `json:"reconstruction"`
}

// HOOIInitCase is TensorLy's tucker(input, rank, init=..., mask=mask, n_iter_max=NIterMax,
// return_errors=True) started from a given decomposition: InitKind "tucker_tensor" (a
// TuckerTensor), "tuple" (a (core, factors) pair) or "factors" (a list of factors alone, InitCore
// nil: TensorLy computes the core from the input). The call and its results are a HOOICase's.
type HOOIInitCase struct {
	HOOICase
	InitKind    string  `json:"init_kind"`
	InitCore    *Array  `json:"init_core"`
	InitFactors []Array `json:"init_factors"`
	NIterMax    int     `json:"n_iter_max"`
}

// MetricsCase holds scikit-learn's mean_squared_error and r2_score, and NumPy's R2X, on the
// entries mask selects.
type MetricsCase struct {
	Name   string  `json:"name"`
	Pred   Array   `json:"pred"`
	Target Array   `json:"target"`
	Mask   Array   `json:"mask"`
	MSE    float64 `json:"mse"`
	R2     float64 `json:"r2"`
	R2X    float64 `json:"r2x"`
}

// File is the whole fixture file.
type File struct {
	Versions map[string]string `json:"versions"`
	Tol      float64           `json:"tol"`
	Ops      Ops               `json:"ops"`
	HOSVD    []HOSVDCase       `json:"hosvd"`
	HOOI     []HOOICase        `json:"hooi"`
	Metrics  []MetricsCase     `json:"metrics"`
	HOOIInit []HOOIInitCase    `json:"hooi_init"`
}

// Path is the fixture file's location, found from this source file so that tests of any
// package can load it.
func Path() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "tensorly_fixtures.json")
}

// Load reads and decodes the fixture file.
func Load() (*File, error) {
	b, err := os.ReadFile(Path())
	if err != nil {
		return nil, fmt.Errorf("tlfixture: %w (regenerate with deeptucker/testdata/gen_tensorly_fixtures.py)", err)
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("tlfixture: %s: %w", Path(), err)
	}
	return &f, nil
}
