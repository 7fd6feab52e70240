package experiment

import (
	"fmt"

	dt "github.com/deeptucker/deeptucker/deeptucker"
)

// Regime is a set of training settings under which to look for the paper's
// implicit regularization: the init scheme and std, Adam's learning rate and
// epsilon, the step budget and the dtype. The effect shows only in a window of
// these (see the notebooks and Regimes); every knob is here so that a notebook
// states what it ran.
type Regime struct {
	Name string
	// Balanced selects the authors' balanced init (ε(0) = 0, effective std = InitStd·D·ln(D+1));
	// false draws every parameter N(0, InitStd²).
	Balanced bool
	InitStd  float64
	// GradientDescent replaces Adam by plain gradient descent with step LearningRate.
	GradientDescent bool
	LearningRate    float64
	AdamEpsilon     float64
	Steps           int
	Float32         bool
	// CoreCap, when > 0, caps the core's size along every mode (r_n = min(d_n, CoreCap)), and with it
	// the number of columns of V(n): for a mode as large as COVID-19's 438 samples, whose d_n x d_n depth
	// matrices per column would not fit otherwise. 0 keeps the paper's full core.
	CoreCap int
}

// String describes the regime in one line.
func (r Regime) String() string {
	init := "gaussian"
	if r.Balanced {
		init = "balanced"
	}
	opt := fmt.Sprintf("Adam lr %g eps %g", r.LearningRate, r.AdamEpsilon)
	if r.GradientDescent {
		opt = fmt.Sprintf("gradient descent lr %g", r.LearningRate)
	}
	dtype := "float64"
	if r.Float32 {
		dtype = "float32"
	}
	return fmt.Sprintf("%s: %s init std %g, %s, %d steps, %s", r.Name, init, r.InitStd, opt, r.Steps, dtype)
}

// Model returns the deep Tucker model of the given depth (every mode) for data
// of the given shape, initialised as the regime says.
func (r Regime) Model(shape []int, depth int) (*dt.Model, error) {
	b := dt.NewModel(shape...).Depth(depth)
	if r.CoreCap > 0 {
		core := make([]int, len(shape))
		for n, d := range shape {
			core[n] = min(d, r.CoreCap)
		}
		b = b.CoreShape(core...)
	}
	if r.Balanced {
		b = b.Balanced(r.InitStd)
	} else {
		b = b.InitStd(r.InitStd)
	}
	return b.Done()
}

// Training returns the regime's training configuration, recording
// diagnostics every recordEvery steps.
func (r Regime) Training(recordEvery int) (*dt.Training, error) {
	b := dt.NewTraining()
	if r.GradientDescent {
		b = b.GradientDescent(r.LearningRate)
	} else {
		b = b.Adam(r.LearningRate).Epsilon(r.AdamEpsilon)
	}
	b = b.Steps(r.Steps).RecordEvery(recordEvery)
	if r.Float32 {
		b = b.Float32()
	}
	return b.Done()
}

// WithSteps returns a copy with another step budget (the ci profile's).
func (r Regime) WithSteps(n int) Regime {
	r.Steps = n
	return r
}
